"""Claims against the store's data: consistent, contradicted, or outside the data's coverage.

A money claim with a territory and years is compared with the store's trade flows of the
same reporter, product (HS chapter 93) and years; the verdict names the rows compared, and a
store that holds no such rows says so (not the same as contradicted). :func:`check_data_all`
adds the other data a claim can be compared with: the EU's COARM reports for a money claim
about a member state's arms exports (:mod:`transship.claims.data_coarm`) and SIPRI's trade
register for a count of major weapons delivered (:mod:`transship.claims.data_sipri`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from transship.claims.corroborate import measure_family
from transship.claims.findings import Finding
from transship.claims.sourced import SourcedClaim

if TYPE_CHECKING:
    from transship.store import Store

_INDIRECT = re.compile(
    r"\b(indirect(ly)?|third (parties|countries|party)|intermediar|via|through|re-?export|"
    r"passed on|routed)\b",
    re.I,
)


@dataclass(slots=True)
class DataCheck:
    """A claim compared with the store's trade rows: verdict, the figures, the rows."""

    claim: str
    verdict: str
    explanation: str
    claim_usd: float | None = None
    data_usd: float | None = None
    query: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    record_ids: list[str] = field(default_factory=list)
    simulated: bool = False
    #: which data: ``trade`` (customs/Comtrade flows), ``coarm`` or ``sipri``
    data: str = "trade"
    #: the claim's figure and the data's, in ``unit`` (EUR for COARM, items for SIPRI; the
    #: trade check fills them in USD)
    claim_value: float | None = None
    data_value: float | None = None
    unit: str | None = None
    #: how the figures were compared (see each module's docstring and docs/claims.md)
    tolerance: str | None = None

    def __post_init__(self) -> None:
        if self.data == "trade":
            self.unit = self.unit or "USD"
            if self.claim_value is None:
                self.claim_value = self.claim_usd
            if self.data_value is None:
                self.data_value = self.data_usd
            self.tolerance = self.tolerance or "factor of two"

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "verdict": self.verdict,
            "explanation": self.explanation,
            "claim_usd": self.claim_usd,
            "data_usd": self.data_usd,
            "query": self.query,
            "rows": self.rows,
            "record_ids": self.record_ids,
            "simulated": self.simulated,
            "data": self.data,
            "claim_value": self.claim_value,
            "data_value": self.data_value,
            "unit": self.unit,
            "tolerance": self.tolerance,
        }


def claim_is_indirect(sc: SourcedClaim) -> bool:
    """Whether the claim is about goods passing through third countries (named, or said so)."""
    return bool(sc.via) or bool(_INDIRECT.search(sc.claim.text))


#: which check speaks for a claim when several do (its grade reads one): a verdict on rows
#: first, the most decisive first; ``outside_coverage`` last
_DECISIVE = {"contradicted": 0, "consistent": 1, "inconclusive": 2, "outside_coverage": 3}


def territory_code(code: str | None) -> str | None:
    """The store's territory code for a claim's place (ISO or name), None if unknown."""
    if not code:
        return None
    from transship.normalise.territories import lookup

    try:
        return str(lookup(code.lower()).code)
    except Exception:  # noqa: BLE001 - an unknown place matches no row
        return None


def check_data_all(sc: SourcedClaim, store: Store) -> list[DataCheck]:
    """Every comparison of the claim with the store's data: trade rows, COARM, SIPRI."""
    from transship.claims.data_coarm import check_coarm
    from transship.claims.data_sipri import check_sipri

    out = [dc for dc in (check_data(sc, store), check_coarm(sc, store), check_sipri(sc, store))]
    return [dc for dc in out if dc is not None]


def deciding(checks: list[DataCheck]) -> DataCheck | None:
    """The check that speaks for a claim's grade: a contradiction before a confirmation
    before an inconclusive comparison before 'outside coverage'; trade rows first on ties."""
    if not checks:
        return None
    order = {"trade": 0, "coarm": 1, "sipri": 2}
    return min(checks, key=lambda d: (_DECISIVE.get(d.verdict, 4), order.get(d.data, 3)))


def _hs_prefix(sc: SourcedClaim) -> str | None:
    """The HS code prefix the claim's product scope maps to (chapter 93: arms and ammunition)."""
    if sc.scope == "small_arms":
        return "930630"
    if sc.scope == "ammunition":
        return "9306"
    if sc.scope == "arms" or sc.topic == "arms_trade":
        return "93"
    return None


def check_data(sc: SourcedClaim, store: Store) -> DataCheck | None:
    """The claim against the store's trade flows: exports of ``origin`` (to ``destination``
    or to the world) of the claim's product over its years (its month, when it names one),
    in USD; for an import claim, imports of ``destination`` (from ``origin`` or the world).

    Verdicts: ``consistent`` (within a factor of 2: customs values and licence reports
    differ by valuation, timing and confidential rows), ``inconclusive`` (2-3),
    ``contradicted`` (beyond 3), ``outside_coverage`` (the store has no rows for the reporter,
    product and years, or the claim is about goods passing through third countries, which
    direct rows cannot show). Only money claims with a territory and years are compared."""
    if sc.dimension != "money" or sc.value_usd is None or not sc.years:
        return None
    imports = measure_family(sc.claim.measure) == "imports" or (
        sc.origin_code is None and sc.dest_code is not None
    )
    reporter = sc.dest_code if imports else sc.origin_code
    partner = sc.origin_code if imports else sc.dest_code
    if not reporter:
        return None
    flow, verb, prep = ("M", "imports", "from") if imports else ("X", "exports", "to")
    prefix = _hs_prefix(sc)
    y0, y1 = sc.years
    month = None
    if sc.claim.period and sc.claim.period[0] == sc.claim.period[1]:
        p0 = sc.claim.period[0] or ""
        month = p0[:7] if len(p0) >= 7 else None
    query = {
        "reporter": reporter,
        "partner": partner or "world",
        "product": prefix,
        "years": month or f"{y0}-{y1}",
        "flow": flow,
    }
    if prefix is None:
        return DataCheck(
            sc.id,
            "outside_coverage",
            "the claim is not about a traded product the store's flows classify (HS chapter "
            "93): nothing to compare.",
            sc.value_usd,
            query=query,
        )
    from transship.normalise.territories import lookup

    try:
        rep = lookup(reporter.lower())
    except Exception:  # noqa: BLE001
        return None
    part_code = None
    if partner:
        try:
            part_code = lookup(partner.lower()).code
        except Exception:  # noqa: BLE001
            part_code = None
    base_where = f"reporter = ? AND flow = '{flow}' AND year BETWEEN ? AND ? AND hs_code LIKE ?"
    base_params: list[Any] = [rep.code, y0, y1, prefix + "%"]
    if month:
        base_where += " AND period = ?"
        base_params.append(month)
    attempts: list[tuple[str, list[Any], str]] = []
    if part_code:
        attempts.append((base_where + " AND partner = ?", [*base_params, part_code], ""))
    else:
        attempts.append((base_where + " AND partner_is_world", base_params, ""))
        attempts.append(
            (
                base_where + " AND NOT partner_is_world AND NOT partner_is_area",
                base_params,
                " (no World rows: summed over partner countries)",
            )
        )
    rows: list[dict[str, Any]] = []
    summed = ""
    for where, params, note in attempts:
        sql = (
            "SELECT dataset, year, hs_code, count(*) AS n, sum(value_usd) AS usd, "
            "bool_or(simulated) AS simulated, list(record_id ORDER BY record_id)[1:20] AS ids "
            f"FROM trade_flows WHERE {where} GROUP BY dataset, year, hs_code "
            "ORDER BY dataset, year, hs_code"
        )
        cols = ("dataset", "year", "hs_code", "rows", "value_usd", "simulated", "ids")
        rows = [dict(zip(cols, r, strict=True)) for r in store.fetchall(sql, params)]
        if rows:
            summed = note
            break
    indirect = not imports and claim_is_indirect(sc)
    span = month or f"{y0}-{y1}"
    if not rows and indirect and partner:
        return DataCheck(
            sc.id,
            "outside_coverage",
            f"the claim is about goods reaching {partner} through third countries; the store "
            f"holds no direct {prefix} export rows of {reporter} to {partner} for "
            f"{span} either, and direct rows could not show it: compare routes "
            "(`transship routes`).",
            sc.value_usd,
            query=query,
        )
    if not rows:
        return DataCheck(
            sc.id,
            "outside_coverage",
            f"the store holds no {prefix} {verb[:-1]} rows of {reporter} {prep} "
            f"{partner or 'the world'} for {span}"
            f"{' (monthly rows)' if month else ''}: the claim can be neither confirmed nor "
            "contradicted here (not the same as contradicted).",
            sc.value_usd,
            query=query,
        )
    # one dataset, the most specific code level present, so levels are not added twice
    by_ds: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_ds.setdefault(r["dataset"], []).append(r)
    ds = max(by_ds, key=lambda k: (len({r["year"] for r in by_ds[k]}), k))
    chosen = by_ds[ds]
    level = max(len(r["hs_code"]) for r in chosen)
    chosen = [r for r in chosen if len(r["hs_code"]) == level]
    total = sum(r["value_usd"] or 0.0 for r in chosen)
    years_seen = sorted({r["year"] for r in chosen})
    simulated = any(r["simulated"] for r in chosen)
    ids = [i for r in chosen for i in (r["ids"] or [])][:40]
    shown = [
        {k: r[k] for k in ("dataset", "year", "hs_code", "rows", "value_usd", "simulated")}
        for r in chosen
    ]
    label = " (SIMULATED data)" if simulated else ""
    base = (
        f"{ds}{label}: {reporter} {verb} of HS {prefix}* {prep} {partner or 'the world'}"
        f"{summed} "
        f"in {month or ', '.join(map(str, years_seen))} add up to USD {total:,.0f} "
        f"({sum(r['rows'] for r in chosen)} rows at HS level {level}); the claim is USD "
        f"{sc.value_usd:,.0f}"
    )
    if indirect and partner:
        return DataCheck(
            sc.id,
            "outside_coverage",
            base + ". The claim is about goods reaching the destination through third "
            "countries, which direct rows cannot show: compare routes (`transship routes`).",
            sc.value_usd,
            total,
            query,
            shown,
            ids,
            simulated,
        )
    paper = re.search(r"\b(contracts?|licen[cs]es?|permits?|signed|orders?)\b", sc.claim.text, re.I)
    if paper or sc.claim.measure in ("contracts", "licences", "orders"):
        return DataCheck(
            sc.id,
            "outside_coverage",
            base + f". The claim counts {paper.group(1) if paper else sc.claim.measure}, not "
            "deliveries: trade rows record goods crossing a border, which can come years "
            "later or never.",
            sc.value_usd,
            total,
            query,
            shown,
            ids,
            simulated,
        )
    if not month and len(years_seen) < (y1 - y0 + 1):
        missing = sorted(set(range(y0, y1 + 1)) - set(years_seen))
        base += f"; years {', '.join(map(str, missing))} are missing from the store"
    ratio = (sc.value_usd / total) if total > 0 else float("inf")
    if total > 0 and 0.5 <= ratio <= 2.0:
        verdict, why = "consistent", f" (ratio {ratio:.2f}, within a factor of two)."
    elif total > 0 and 1 / 3 <= ratio <= 3.0:
        verdict, why = "inconclusive", f" (ratio {ratio:.2f}: between two and three times)."
    else:
        verdict = "contradicted"
        why = (
            f" (ratio {ratio:.2f}: more than three times apart)."
            if total > 0
            else " (the rows add up to zero)."
        )
    return DataCheck(sc.id, verdict, base + why, sc.value_usd, total, query, shown, ids, simulated)


def data_finding(dc: DataCheck) -> Finding:
    """A data check as a finding (``data.<verdict>``), so grades and the report see it."""
    severity = {"contradicted": "high", "inconclusive": "low", "consistent": "info"}.get(
        dc.verdict, "info"
    )
    return Finding(f"data.{dc.verdict}", severity, [dc.claim], dc.explanation, dc.to_dict())
