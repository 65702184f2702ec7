"""What is known about the countries of a deal: hub and re-export evidence from the flows
stage, treaty commitments and governance (shipped tables).

Country evidence is context, not proof about this deal: a consignee in a country that passes
ammunition on, reports re-exports, stays outside the Arms Trade Treaty or scores low on
control of corruption raises the prior that goods sent there move on. Each function returns
an :class:`~transship.risk.model.Indicator` with its evidence (``trade_flows`` record ids,
shipped table rows), or one marked not checked with the reason.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from transship.exc import TransshipError
from transship.risk.crosscheck import StoreIndex, trade_rows
from transship.risk.model import Indicator
from transship.store import Store

#: Product used when the papers give no HS code: ammunition (HS 9306).
DEFAULT_PRODUCT = "9306"


def _table(name: str) -> list[tuple[int, dict[str, str]]]:
    text = resources.files("transship.data").joinpath(name).read_text(encoding="utf-8")
    lines = text.splitlines()
    numbered = [(n, ln) for n, ln in enumerate(lines, start=1) if not ln.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(ln for _, ln in numbered)))
    out = []
    for i, row in enumerate(reader, start=1):
        out.append((numbered[i][0], {k: (v or "").strip() for k, v in row.items() if k}))
    return out


@cache
def treaties() -> dict[str, tuple[int, dict[str, str]]]:
    """``transship/data/treaties.csv`` by territory code (line number, row)."""
    return {row["territory"]: (line, row) for line, row in _table("treaties.csv")}


@cache
def governance() -> dict[str, tuple[int, dict[str, str]]]:
    """``transship/data/governance.csv`` by territory code (line number, row)."""
    return {row["territory"]: (line, row) for line, row in _table("governance.csv")}


WASSENAAR = frozenset(code for code, (_, row) in treaties().items() if row["wassenaar"] == "true")


def treaty_indicator(country: str | None, weight: float) -> Indicator:
    """ATT, Wassenaar and EU Common Position commitments of the end-user country: each
    commitment missing adds to the value (ATT party 0, signatory 0.5, neither 1; Wassenaar
    participant 0, not 1; EU member 0, aligned 0.25, not aligned 1)."""
    if not country:
        return Indicator("treaty_commitments", 0.0, weight, 0.0, "no end-user country", [], False)
    code = country.lower()
    parts: list[tuple[str, float]] = []
    evidence: list[str] = []
    entry = treaties().get(code)
    if entry is not None:
        line, row = entry
        evidence.append(f"treaties.csv:{line}")
        att = row.get("att", "")
        if att:
            value = {"party": 0.0, "signatory": 0.5, "none": 1.0}.get(att, 1.0)
            note = " (recalled, not re-checked)" if row.get("att_assumption") == "true" else ""
            parts.append((f"ATT: {att}{note}", value))
        cp = row.get("eu_common_position", "")
        if cp:
            value = {"member": 0.0, "aligned": 0.25}.get(cp, 1.0)
            note = " (assumption)" if row.get("eu_cp_assumption") == "true" else ""
            parts.append((f"EU Common Position: {cp}{note}", value))
    wa = code in WASSENAAR
    parts.append(
        ("Wassenaar participant" if wa else "not a Wassenaar participant", 0.0 if wa else 1.0)
    )
    value = sum(v for _, v in parts) / len(parts)
    unknown = []
    if entry is None or not entry[1].get("att"):
        unknown.append("ATT status not recorded")
    if entry is None or not entry[1].get("eu_common_position"):
        unknown.append("EU Common Position alignment not recorded")
    text = f"{code.upper()}: " + "; ".join(p for p, _ in parts)
    if unknown:
        text += " (" + "; ".join(unknown) + ")"
    return Indicator("treaty_commitments", value, weight, 0.0, text, evidence)


def governance_indicator(country: str | None, weight: float) -> Indicator:
    """1 - the end-user country's WGI Control of Corruption percentile / 100."""
    if not country:
        return Indicator("governance", 0.0, weight, 0.0, "no end-user country", [], False)
    entry = governance().get(country.lower())
    if entry is None:
        return Indicator(
            "governance",
            0.0,
            weight,
            0.0,
            f"no governance figure for {country.upper()} in transship/data/governance.csv "
            "(the shipped WGI table is partial)",
            [],
            False,
        )
    line, row = entry
    pct = float(row["value"])
    return Indicator(
        "governance",
        max(0.0, min(1.0, 1 - pct / 100)),
        weight,
        0.0,
        f"{country.upper()} ranks at the {pct:.0f}th percentile of World Bank WGI Control of "
        f"Corruption ({row['year']}; 90% interval {float(row['lower']):.0f}-"
        f"{float(row['upper']):.0f})",
        [f"governance.csv:{line}", f"WGI {row['indicator']} {row['year']}"],
    )


@dataclass(slots=True)
class HubEvidence:
    """The best hub score of a territory for a product over the recent years."""

    code: str
    score: float
    kind: str
    year: int
    evidence: list[str] = field(default_factory=list)
    detail: str = ""


_HUBS: dict[tuple[str, str, str, str | None], dict[str, HubEvidence] | None] = {}


def store_state(store: Store) -> tuple[str, str]:
    """The store's path and the state of its data (last ingest run and when it finished):
    cached results are kept per state, so a store rebuilt at the same path (``transship
    demo``) or a new ingest is never answered from an older cache."""
    last = store.fetchall(
        "SELECT coalesce(max(run_id), 0), coalesce(CAST(max(finished) AS VARCHAR), '') "
        "FROM ingest_runs"
    )
    state = f"{last[0][0]}@{last[0][1]}" if last else "0"
    return str(getattr(store, "path", id(store))), state


def _run_key(store: Store) -> tuple[str, str]:
    return store_state(store)


def hub_dataset(store: Store) -> str | None:
    """The trade dataset hubs are read from: ``comtrade`` when present (both sides'
    reports), else the largest one; None when the store has no trade flows."""
    rows = store.fetchall(
        "SELECT dataset, count(*) AS n FROM trade_flows GROUP BY dataset ORDER BY n DESC"
    )
    names = [str(r[0]) for r in rows]
    if not names:
        return None
    return "comtrade" if "comtrade" in names else names[0]


def hub_table(
    store: Store, product: str, years: int, index: StoreIndex | None = None
) -> dict[str, HubEvidence] | None:
    """Best hub evidence per territory for ``product`` over the last ``years`` years of data
    (computed once per store state and product; None when the store has no trade flows)."""
    if index is not None and product in index.hubs:
        cached: dict[str, HubEvidence] | None = index.hubs[product]
        return cached
    dataset = hub_dataset(store)
    key = (*_run_key(store), product, dataset)
    if key in _HUBS:
        if index is not None:
            index.hubs[product] = _HUBS[key]
        return _HUBS[key]
    found = _compute_hubs(store, product, years, dataset)
    _HUBS[key] = found
    if index is not None:
        index.hubs[product] = found
    return found


def _compute_hubs(
    store: Store, product: str, years: int, dataset: str | None
) -> dict[str, HubEvidence] | None:
    if dataset is None:
        return None
    from transship.flows.hubs import hub_scores
    from transship.store.engine import open_engine

    last = store.fetchall(
        "SELECT max(year) FROM trade_flows WHERE dataset = ? AND hs_code LIKE ?",
        [dataset, product + "%"],
    )
    if not last or last[0][0] is None:
        return None
    end = int(last[0][0])
    try:
        found = hub_scores(
            open_engine("duckdb", store),
            product=product,
            years=(end - years + 1, end),
            dataset=dataset,
        )
    except TransshipError:
        return None
    best: dict[str, HubEvidence] = {}
    for h in found:
        for kind, score in h.scores.items():
            cur = best.get(h.code)
            if cur is None or score > cur.score:
                inds = h.indicators_by_kind.get(kind, [])
                ev = [i for ind in inds for i in ind.evidence][:30]
                strongest = sorted(inds, key=lambda i: -i.weight * i.value)[:2]
                detail = "; ".join(f"{i.name} {i.value:.2f}" for i in strongest)
                best[h.code] = HubEvidence(h.code, float(score), kind, h.year, ev, detail)
    return best


def hub_indicator(
    store: Store | None,
    countries: list[str],
    product: str,
    years: int,
    weight: float,
    index: StoreIndex | None = None,
) -> Indicator:
    """The highest hub score (conduit or entrepot) among the consignee's and the destination's
    countries for the product, in the flows stage's own terms."""
    if store is None:
        return Indicator("consignee_hub", 0.0, weight, 0.0, "no store", [], False)
    codes = [c.lower() for c in dict.fromkeys(countries) if c]
    if not codes:
        return Indicator("consignee_hub", 0.0, weight, 0.0, "no consignee country", [], False)
    table = hub_table(store, product, years, index)
    if table is None:
        return Indicator(
            "consignee_hub",
            0.0,
            weight,
            0.0,
            f"no trade statistics of HS {product} in the store: hub evidence not computed",
            [],
            False,
        )
    found = [table[c] for c in codes if c in table]
    if not found:
        return Indicator(
            "consignee_hub",
            0.0,
            weight,
            0.0,
            f"{', '.join(c.upper() for c in codes)}: no exports of HS {product} in the last "
            f"{years} years of data, so nothing passes on (score 0)",
            [],
        )
    top = max(found, key=lambda h: h.score)
    return Indicator(
        "consignee_hub",
        max(0.0, min(1.0, top.score)),
        weight,
        0.0,
        f"{top.code.upper()} scores {top.score:.2f} as "
        f"{'an' if top.kind[:1] in 'aeiou' else 'a'} {top.kind} hub for HS {product} in "
        f"{top.year} (flows stage; {top.detail})",
        top.evidence,
    )


def _routes(
    store: Store, origin: str, product: str, years: int, index: StoreIndex | None
) -> list[Any] | None:
    """The flows stage's routes of ``origin``'s exports of ``product`` over the last
    ``years`` years (no resampling: the assessment needs the shares, not their intervals);
    None when the store has no such flows. Cached per origin and product."""
    key = f"routes:{origin}:{product}"
    if index is not None and key in index.hubs:
        cached: list[Any] | None = index.hubs[key]
        return cached
    from transship.flows.routes import find_routes

    dataset = hub_dataset(store)
    found: list[Any] | None = None
    if dataset is not None:
        last = store.fetchall(
            "SELECT max(year) FROM trade_flows WHERE dataset = ? AND hs_code LIKE ?",
            [dataset, product + "%"],
        )
        if last and last[0][0] is not None:
            end = int(last[0][0])
            try:
                found = find_routes(
                    store,
                    origin,
                    product=product,
                    years=(end - years + 1, end),
                    resamples=0,
                    dataset=dataset,
                )
            except TransshipError:
                found = None
    if index is not None:
        index.hubs[key] = found
    return found


def route_indicator(
    store: Store | None,
    origin: str | None,
    consignee: str | None,
    product: str,
    years: int,
    weight: float,
    index: StoreIndex | None = None,
) -> Indicator:
    """Of the exporter country's exports of the product that reach the consignee's country,
    the share the flows stage's routes carry onward to a third country (multi-hop
    attribution, docs/methods.md): the route this request would take, in the trade data."""
    name = "consignee_route"
    if store is None:
        return Indicator(name, 0.0, weight, 0.0, "no store", [], False)
    if not origin or not consignee:
        return Indicator(
            name, 0.0, weight, 0.0, "exporter's or consignee's country not given", [], False
        )
    from transship.normalise.territories import from_iso

    try:
        o3, c3 = from_iso(origin).iso3, from_iso(consignee).iso3
    except TransshipError:
        return Indicator(name, 0.0, weight, 0.0, "country code not understood", [], False)
    routes = _routes(store, origin, product, years, index)
    if routes is None:
        return Indicator(
            name,
            0.0,
            weight,
            0.0,
            f"no exports of HS {product} from {origin.upper()} in the store's trade statistics",
            [],
            False,
        )
    via = [r for r in routes if len(r.path) >= 2 and r.path[1] == c3]
    total = sum(float(r.share) for r in via)
    if total <= 0:
        return Indicator(
            name,
            0.0,
            weight,
            0.0,
            f"the routes of {o3}'s HS {product} exports do not reach {c3}: nothing to pass on",
            [],
            False,
        )
    onward = [r for r in via if len(r.path) > 2]
    share = sum(float(r.share) for r in onward) / total
    top = sorted(onward, key=lambda r: -float(r.share))[:3]
    ev = [i for r in top for leg in r.legs for i in leg.record_ids][:30]
    detail = "; ".join(f"{'>'.join(r.path)} {float(r.share):.1%}" for r in top)
    return Indicator(
        name,
        max(0.0, min(1.0, share)),
        weight,
        0.0,
        f"of {o3}'s HS {product} exports that reach {c3}, {share:.1%} move on to third "
        f"countries in the flows stage's routes"
        + (f" (largest, as shares of all {o3}'s exports: {detail})" if detail else ""),
        ev,
    )


def reexport_indicator(
    store: Store | None,
    countries: list[str],
    product: str,
    weight: float,
    index: StoreIndex | None = None,
) -> Indicator:
    """Re-exports (Comtrade flow RX) the consignee's country reports, as a share of its
    imports of the product over the years in the store."""
    if store is None:
        return Indicator("reexport_record", 0.0, weight, 0.0, "no store", [], False)
    codes = [c.lower() for c in dict.fromkeys(countries) if c]
    if not codes:
        return Indicator("reexport_record", 0.0, weight, 0.0, "no consignee country", [], False)
    rows: list[dict[str, Any]] = [
        r for r in trade_rows(store, product, index) if r["reporter"] in codes
    ]
    best: tuple[float, str, float, float, list[str]] | None = None
    for code in codes:
        rx = sum(float(r["usd"] or 0) for r in rows if r["reporter"] == code and r["flow"] == "RX")
        m = sum(float(r["usd"] or 0) for r in rows if r["reporter"] == code and r["flow"] == "M")
        if rx <= 0 and m <= 0:
            continue
        share = 1.0 if m <= 0 and rx > 0 else min(1.0, rx / m)
        ids = [
            str(i) for r in rows if r["reporter"] == code and r["flow"] == "RX" for i in r["ids"]
        ]
        if best is None or share > best[0]:
            best = (share, code, rx, m, ids[:30])
    if best is None:
        return Indicator(
            "reexport_record",
            0.0,
            weight,
            0.0,
            f"{', '.join(c.upper() for c in codes)}: no imports or re-exports of HS {product} "
            "reported in the store",
            [],
            False,
        )
    share, code, rx, m, ids = best
    return Indicator(
        "reexport_record",
        share,
        weight,
        0.0,
        f"{code.upper()} reports re-exports of HS {product} worth {rx:,.0f} USD against imports "
        f"of {m:,.0f} USD ({share:.0%})",
        ids,
    )


__all__ = [
    "DEFAULT_PRODUCT",
    "HubEvidence",
    "governance",
    "governance_indicator",
    "hub_dataset",
    "hub_indicator",
    "hub_table",
    "reexport_indicator",
    "route_indicator",
    "store_state",
    "treaties",
    "treaty_indicator",
]
