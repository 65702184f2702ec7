"""What the store holds: tables, datasets, years, products, simulated or real, and for each
dataset its source and licence line (the home page and the report's first section)."""

from __future__ import annotations

from typing import Any

from transship.report.views.common import (
    SIMULATED_LICENCE,
    has_table,
    product_label,
    rows,
    source_info,
    years_text,
)
from transship.store import Store
from transship.store.db import FACT_TABLES

#: The year each fact table's rows are about (an expression over its columns).
YEAR_OF: dict[str, str] = {
    "trade_flows": "year",
    "arms_transfers": "coalesce(delivery_year, order_year)",
    "arms_tiv": "year",
    "licence_stats": "year",
    "shipments": "year",
    "licences": "TRY_CAST(substr(issued_date, 1, 4) AS INTEGER)",
    "certificates": "TRY_CAST(substr(issue_date, 1, 4) AS INTEGER)",
}
#: What each table is, in a user's words.
TABLE_TITLES: dict[str, str] = {
    "trade_flows": "bilateral trade statistics",
    "arms_transfers": "arms transfer register rows",
    "arms_tiv": "arms transfer values (SIPRI TIV)",
    "licences": "export licences",
    "licence_stats": "licence statistics",
    "shipments": "customs records",
    "certificates": "end-user certificates",
    "entities": "parties, sanctions and ownership (FtM entities)",
    "documents": "documents",
    "claims": "claims",
    "statements": "statements",
}


def holdings(store: Store) -> dict[str, Any]:
    """Per fact table and dataset: rows, simulated rows, years; the trade products; the
    sources (files) with their licence lines; ``simulated`` when any row is."""
    present = set(store.tables())
    tables: list[dict[str, Any]] = []
    for table in FACT_TABLES:
        if table not in present or table == "statements":
            continue
        cols = set(store.columns(table))
        year = YEAR_OF.get(table)
        year_sql = (
            f"min({year}) AS first_year, max({year}) AS last_year"
            if year and _columns_of(year) <= cols
            else "NULL AS first_year, NULL AS last_year"
        )
        found = rows(
            store,
            f'SELECT dataset, simulated, count(*) AS rows, {year_sql} FROM "{table}" '
            "GROUP BY ALL ORDER BY dataset, simulated",
        )
        for r in found:
            r["years"] = years_text(
                [y for y in (r.pop("first_year"), r.pop("last_year")) if y is not None]
            )
        if found:
            tables.append(
                {
                    "table": table,
                    "title": TABLE_TITLES.get(table, table),
                    "rows": sum(int(r["rows"]) for r in found),
                    "simulated_rows": sum(int(r["rows"]) for r in found if r["simulated"]),
                    "datasets": found,
                }
            )
    products = _products(store) if "trade_flows" in present else []
    sources = _sources(store) if "sources" in present else []
    return {
        "simulated": any(t["simulated_rows"] for t in tables),
        "tables": tables,
        "products": products,
        "sources": sources,
        "runs": _run_summary(store) if "ingest_runs" in present else {},
    }


def _columns_of(expr: str) -> set[str]:
    import re

    words = set(re.findall(r"[a-z_]+", expr))
    return words - {"coalesce", "try_cast", "substr", "as", "integer"}


def _products(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    """The HS headings with most rows (4 digits), with descriptions and value."""
    found = rows(
        store,
        "SELECT substr(hs_code, 1, 4) AS code, count(*) AS rows, "
        "sum(value_usd) FILTER (WHERE flow = 'X') AS export_value_usd, "
        "bool_or(simulated) AS simulated, min(year) AS first_year, max(year) AS last_year "
        "FROM trade_flows GROUP BY 1 ORDER BY rows DESC, code LIMIT ?",
        [limit],
    )
    for r in found:
        r["label"] = product_label(r["code"])
        r["years"] = years_text([r.pop("first_year"), r.pop("last_year")])
    return found


def _sources(store: Store) -> list[dict[str, Any]]:
    """One line per dataset and origin (simulated or real): files, rows, licence."""
    if has_table(store, "ingest_runs"):
        found = rows(
            store,
            "SELECT s.dataset, s.simulated, string_agg(DISTINCT s.format, ', ') AS formats, "
            "count(DISTINCT s.sha256) AS files, any_value(s.attribution) AS attribution, "
            "coalesce(sum(r.rows_loaded), 0) AS rows_loaded "
            "FROM sources s LEFT JOIN (SELECT sha256, max(rows_loaded) AS rows_loaded "
            "FROM ingest_runs WHERE status = 'ok' GROUP BY sha256) r ON r.sha256 = s.sha256 "
            "GROUP BY ALL ORDER BY s.simulated, s.dataset",
        )
    else:
        found = rows(
            store,
            "SELECT dataset, simulated, string_agg(DISTINCT format, ', ') AS formats, "
            "count(*) AS files, any_value(attribution) AS attribution, NULL AS rows_loaded "
            "FROM sources GROUP BY ALL ORDER BY simulated, dataset",
        )
    for r in found:
        info = source_info(r["dataset"], r.get("attribution"))
        r["source"] = info.name + (f" ({info.kind})" if info.kind else "")
        r["licence"] = SIMULATED_LICENCE if r["simulated"] else info.licence
        if r["simulated"]:
            r["source"] = f"SIMULATED data in the format of {r['source']}"
    return found


def _run_summary(store: Store) -> dict[str, Any]:
    found = rows(
        store,
        "SELECT count(*) AS runs, count(*) FILTER (WHERE status = 'failed') AS failed, "
        "coalesce(sum(rows_rejected), 0) AS rows_rejected, max(finished) AS last_finished "
        "FROM ingest_runs",
    )
    return found[0] if found else {}


__all__ = ["holdings"]
