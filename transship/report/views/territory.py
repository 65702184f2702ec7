"""A territory's page: its flows in and out by year and product (as it reports them, as its
partners report them, and reconciled), its main partners, its hub and mirror record, and
every source file whose rows speak of it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from transship.exc import NotFound
from transship.flows.chains import check_dataset, check_product
from transship.report.views.common import (
    flows_source,
    has_table,
    place,
    product_label,
    rows,
    years_text,
)
from transship.report.views.records import source_file
from transship.store import Store

#: Per table, the columns that name a country (store codes), and list columns.
COUNTRY_WHERE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "trade_flows": (("reporter", "partner"), ()),
    "arms_transfers": (("supplier", "recipient"), ()),
    "arms_tiv": (("supplier", "recipient"), ()),
    "licences": (("authority_country", "consignee_country", "end_user_country", "destination"), ()),
    "licence_stats": (("source_country", "destination", "origin_country"), ()),
    "shipments": (
        (
            "sender_country",
            "receiver_country",
            "origin_country",
            "departure_country",
            "destination_country",
            "trading_country",
        ),
        ("transit_countries",),
    ),
    "certificates": (
        ("exporter_country", "consignee_country", "end_user_country", "final_destination"),
        (),
    ),
    "claims": (("origin", "destination"), ("intermediaries",)),
}


def territory_view(
    store: Store, iso3: str, product: str | None = None, dataset: str | None = None
) -> dict[str, Any]:
    """Everything the store says about one territory (``iso3``: ISO3, ISO2 or a name)."""
    from transship.report.views.flows import hubs_view, mirror_view

    p = place(iso3)
    if p.code is None:
        raise NotFound(f"unknown territory {iso3!r}")
    product = check_product(product)
    dataset = check_dataset(dataset)
    code = p.code
    flows = _flows(store, code, product, dataset) if has_table(store, "trade_flows") else []
    years = {int(r["year"]) for r in flows}
    source, simulated = flows_source(store, dataset, years or None)
    hub_product = product or "93"
    hubs = hubs_view(store, product=hub_product, dataset=dataset, territory=code, limit=2000)
    mirror = mirror_view(store, product=product or "93", reporter=code, dataset=dataset, limit=50)
    products = sorted({r["hs4"] for r in flows})
    return {
        "territory": p.to_dict(),
        "query": {"product": product, "dataset": dataset},
        "simulated": simulated or hubs["simulated"] or mirror["simulated"],
        "source": source,
        "years": years_text(years),
        "flows": flows,
        "table": _pivot(flows),
        "by_year": _by_year(flows),
        "partners": _partners(store, code, product, dataset),
        "products": [{"code": c, "label": product_label(c)} for c in products],
        "hubs": hubs["hubs"],
        "hub_product": hub_product,
        "hub_indicators": hubs["indicators"],
        "mirror": mirror["gaps"],
        "sources": _sources(store, code),
    }


def _filters(product: str | None, dataset: str | None) -> tuple[str, list[Any]]:
    sql, params = "", []
    if product:
        sql += " AND hs_code LIKE ?"
        params.append(product + "%")
    if dataset:
        sql += " AND dataset = ?"
        params.append(dataset)
    return sql, params


def _flows(
    store: Store, code: str, product: str | None, dataset: str | None
) -> list[dict[str, Any]]:
    """Long format: dataset, simulated, year, hs4, direction (out/in), side (itself,
    partners, reconciled), value_usd, rows."""
    extra, params = _filters(product, dataset)
    return rows(
        store,
        "SELECT dataset, simulated, year, substr(hs_code, 1, 4) AS hs4, "
        "CASE WHEN (reporter = ? AND flow IN ('X', 'RX')) OR (partner = ? AND flow IN ('M', 'RM')) "
        "THEN 'out' ELSE 'in' END AS direction, "
        "CASE WHEN value_basis = 'reconciled' THEN 'reconciled' WHEN reporter = ? THEN 'itself' "
        "ELSE 'partners' END AS side, sum(value_usd) AS value_usd, count(*) AS rows "
        "FROM trade_flows WHERE (reporter = ? OR partner = ?) AND NOT partner_is_world "
        f"AND NOT partner_is_area{extra} GROUP BY ALL ORDER BY year, hs4, direction, side",
        [code] * 5 + params,
    )


def _pivot(flows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per dataset, year and product: out/in by who reported it."""
    table: dict[tuple[str, int, str], dict[str, Any]] = {}
    for r in flows:
        key = (str(r["dataset"]), int(r["year"]), str(r["hs4"]))
        row = table.setdefault(
            key,
            {
                "dataset": key[0],
                "year": key[1],
                "hs4": key[2],
                "product_label": product_label(key[2]),
                "simulated": False,
            },
        )
        row[f"{r['direction']}_{r['side']}"] = r["value_usd"]
        row["simulated"] = row["simulated"] or bool(r["simulated"])
    return list(table.values())


def _by_year(flows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per year: exports and imports summed over products, by who reported them."""
    acc: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in flows:
        acc[int(r["year"])][f"{r['direction']}_{r['side']}"] += float(r["value_usd"] or 0.0)
    return [{"year": y, **dict(v)} for y, v in sorted(acc.items())]


def _partners(
    store: Store, code: str, product: str | None, dataset: str | None, limit: int = 10
) -> dict[str, list[dict[str, Any]]]:
    extra, params = _filters(product, dataset)
    found = rows(
        store,
        "SELECT CASE WHEN (reporter = ? AND flow IN ('X', 'RX')) OR (partner = ? AND flow IN ('M', 'RM')) "
        "THEN 'out' ELSE 'in' END AS direction, "
        "CASE WHEN reporter = ? THEN coalesce(partner_iso3, partner) ELSE coalesce(reporter_iso3, reporter) END AS partner, "
        "sum(value_usd) AS value_usd, count(*) AS rows, min(year) AS first_year, max(year) AS last_year "
        "FROM trade_flows WHERE (reporter = ? OR partner = ?) AND NOT partner_is_world "
        f"AND NOT partner_is_area{extra} GROUP BY ALL ORDER BY value_usd DESC NULLS LAST",
        [code] * 5 + params,
    )
    out: dict[str, list[dict[str, Any]]] = {"out": [], "in": []}
    for r in found:
        lst = out[str(r["direction"])]
        if len(lst) < limit:
            r["label"] = place(r["partner"]).label
            r["years"] = years_text([r.pop("first_year"), r.pop("last_year")])
            lst.append(r)
    return out


def _sources(store: Store, code: str) -> list[dict[str, Any]]:
    """Files with rows that name the territory, per table: rows, dataset, licence."""
    present = set(store.tables())
    counts: list[dict[str, Any]] = []
    for table, (cols, lists) in COUNTRY_WHERE.items():
        if table not in present:
            continue
        have = set(store.columns(table))
        conds = [f"{c} = ?" for c in cols if c in have]
        conds += [f"list_contains({c}, ?)" for c in lists if c in have]
        if not conds:
            continue
        found = rows(
            store,
            f'SELECT source_sha256, count(*) AS rows FROM "{table}" WHERE '
            + " OR ".join(conds)
            + " GROUP BY 1 ORDER BY rows DESC",
            [code] * len(conds),
        )
        for r in found:
            r["table"] = table
        counts.extend(found)
    if "parties" in present:
        found = rows(
            store,
            "SELECT e.source_sha256, count(*) AS rows FROM parties p "
            "JOIN entities e ON e.record_id = p.record_id "
            "WHERE list_contains(p.countries, ?) GROUP BY 1",
            [code],
        )
        for r in found:
            r["table"] = "entities"
        counts.extend(found)
    out = []
    for c in counts:
        f = source_file(store, str(c["source_sha256"])) or {}
        out.append(
            {
                "table": c["table"],
                "rows": c["rows"],
                "sha256": c["source_sha256"],
                "name": f.get("name"),
                "path": f.get("path"),
                "dataset": f.get("dataset"),
                "format": f.get("format"),
                "simulated": bool(f.get("simulated")),
                "source": f.get("source"),
                "licence": f.get("licence"),
            }
        )
    return out


__all__ = ["territory_view"]
