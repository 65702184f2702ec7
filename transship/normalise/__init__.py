"""Pure normalisers: territories, HS codes, Military List categories, money, quantities, dates.

No I/O apart from reading the small reference tables in ``transship/data`` once (cached).
Every function is idempotent on its own output, so a value may be normalised twice safely.
"""

from transship.normalise.commodities import (
    edition_in_force,
    hs_chapter,
    hs_code,
    hs_description,
    hs_edition,
    hs_group,
    is_arms,
    is_watched,
)
from transship.normalise.dates import partial_date, year_of
from transship.normalise.military import (
    ml_categories,
    ml_category,
    ml_description,
    ml_subcategory,
)
from transship.normalise.money import (
    currency,
    parse_amount,
    parse_money,
    to_eur,
    to_usd,
    usd_per_eur,
)
from transship.normalise.quantities import (
    comtrade_qty_factor,
    comtrade_qty_unit,
    convert,
    parse_quantity,
    unit,
)
from transship.normalise.territories import (
    NON_STATE,
    ORGANISATION,
    UNKNOWN,
    WORLD,
    Territory,
    from_baci,
    from_comtrade,
    from_iso,
    from_name,
    is_non_state,
    lookup,
    territory_arrays,
)

__all__ = [
    "NON_STATE",
    "ORGANISATION",
    "UNKNOWN",
    "WORLD",
    "Territory",
    "comtrade_qty_factor",
    "comtrade_qty_unit",
    "convert",
    "currency",
    "edition_in_force",
    "from_baci",
    "from_comtrade",
    "from_iso",
    "from_name",
    "hs_chapter",
    "hs_code",
    "hs_description",
    "hs_edition",
    "hs_group",
    "is_arms",
    "is_non_state",
    "is_watched",
    "lookup",
    "ml_categories",
    "ml_category",
    "ml_description",
    "ml_subcategory",
    "parse_amount",
    "parse_money",
    "parse_quantity",
    "partial_date",
    "territory_arrays",
    "to_eur",
    "to_usd",
    "unit",
    "usd_per_eur",
    "year_of",
]
