"""The SQL routes read beside the reconciled pairs, composed from ``transship.flows.chains``.

Every relation is built from chains' scope (layer 1: the rows an analysis may use, one HS
level and one period kind per reporter, flow and year, the product filter applied in the
first scan); nothing here re-states those rules. World rows, which the bilateral scope
leaves out on purpose, are presented to the scope as one more partner
(:func:`world_imports_sql`), so the level and period choice is the scope's. DuckDB's
dialect, run unchanged on Spark (``transship.store.engine``).
"""

from __future__ import annotations

from transship.flows import chains
from transship.flows.chains import Years

#: Columns of ``trade_flows`` that :func:`chains.scope_sql` reads (a relation handed to it
#: as ``source`` must provide them).
SCOPE_COLUMNS = (
    "record_id",
    "reporter",
    "partner",
    "reporter_iso3",
    "partner_iso3",
    "flow",
    "year",
    "period",
    "value_usd",
    "qty",
    "qty_unit",
    "net_weight_kg",
    "simulated",
    "value_basis",
    "hs_code",
    "dataset",
    "partner_is_world",
    "partner_is_area",
)
#: Partner code given to World rows so that the bilateral scope keeps them (never a
#: territory code: codes are lower-case letters, digits and '-').
WORLD_PARTNER = "~world"


def _columns(overrides: dict[str, str]) -> str:
    return ", ".join(f"{overrides[c]} AS {c}" if c in overrides else c for c in SCOPE_COLUMNS)


def world_imports_sql(product: str | None, years: Years | None, dataset: str | None) -> str:
    """Each reporter's imports from World per product and year (``reporter, product, year,
    value, ids``), with the scope's level and period choice: the World rows are presented
    to :func:`chains.scope_sql` as one more partner, so a chapter total and its headings
    never add up here either."""
    source = (
        f"(SELECT {_columns({'partner': repr(WORLD_PARTNER), 'partner_is_world': 'false'})} "
        "FROM trade_flows WHERE partner_is_world AND flow = 'M') w"
    )
    scope = chains.scope_sql(product, years, dataset, flows=("M",), source=source)
    return (
        "SELECT reporter, product, year, sum(value_usd) AS value, "
        f"list_sort(array_agg(record_id)) AS ids FROM ({scope}) s GROUP BY reporter, product, year"
    )


def reexports_sql(product: str | None, years: Years | None, dataset: str | None) -> str:
    """Reported re-exports (flow RX) per reporter, partner, product and year."""
    scope = chains.scope_sql(product, years, dataset, flows=("RX",))
    return (
        "SELECT reporter, partner, product, year, sum(value_usd) AS value, "
        f"list_sort(array_agg(record_id)) AS ids FROM ({scope}) s "
        "GROUP BY reporter, partner, product, year"
    )


def monthly_sql(product: str | None, years: Years | None, dataset: str | None, legs: str) -> str:
    """Monthly values of the cells in relation ``legs`` (``src, dst``): the scope's rows
    of monthly periods (its bilateral filters), one HS level per reporter, flow and month,
    with the period read back from ``trade_flows`` by record id (the scope keeps no
    period column)."""
    source = "(SELECT * FROM trade_flows WHERE length(period) > 4) mo"
    scope = chains.scope_sql(product, years, dataset, source=source, dedup=False)
    return f"""
WITH base AS (
  SELECT s.record_id, s.flow, t.period, s.value_usd, s.reporter, s.level_key,
         CASE WHEN s.flow = 'X' THEN s.reporter ELSE s.partner END AS src,
         CASE WHEN s.flow = 'X' THEN s.partner ELSE s.reporter END AS dst
  FROM ({scope}) s JOIN trade_flows t ON t.record_id = s.record_id
), cells AS (
  SELECT b.*, min(b.level_key) OVER (PARTITION BY b.reporter, b.flow, b.period) AS lvl_min
  FROM base b JOIN {legs} l ON b.src = l.src AND b.dst = l.dst
)
SELECT src, dst, flow, period, sum(value_usd) AS value, list_sort(array_agg(record_id)) AS ids
FROM cells WHERE level_key = lvl_min GROUP BY src, dst, flow, period
"""


def reconciled_rows_sql(product: str | None, years: Years | None, dataset: str | None) -> str:
    """Pairs of rows that are reconciled values already (BACI files, stored
    ``transship reconcile`` runs): ``r_value`` and evidence per cell, through the scope."""
    source = "(SELECT * FROM trade_flows WHERE value_basis = 'reconciled') r"
    return chains.pairs_sql(chains.scope_sql(product, years, dataset, source=source))
