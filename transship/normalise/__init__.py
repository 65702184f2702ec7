"""Pure normalisers: territories, HS codes, Military List categories, money, quantities, dates.

No I/O apart from reading the small reference tables in ``transship/data`` once (cached).
Every function is idempotent on its own output, so a value may be normalised twice safely.
"""

from transship.normalise.commodities import (
    hs_chapter,
    hs_code,
    hs_description,
    hs_edition,
    is_arms,
)
from transship.normalise.military import ml_category, ml_description, ml_subcategory
from transship.normalise.territories import (
    UNKNOWN,
    WORLD,
    Territory,
    from_baci,
    from_comtrade,
    from_iso,
    from_name,
    lookup,
    territory_arrays,
)

__all__ = [
    "UNKNOWN",
    "WORLD",
    "Territory",
    "from_baci",
    "from_comtrade",
    "from_iso",
    "from_name",
    "hs_chapter",
    "hs_code",
    "hs_description",
    "hs_edition",
    "is_arms",
    "lookup",
    "ml_category",
    "ml_description",
    "ml_subcategory",
    "territory_arrays",
]
