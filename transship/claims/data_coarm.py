"""A money claim about an EU member state's arms exports against the store's COARM rows.

The EU's annual reports under Common Position 2008/944/CFSP (COARM, compiled by CAAT; table
``licence_stats``) give, per year, member state and destination, the value of licences issued
(category ``b``) and, for the states that report it, the value of actual exports (``c``), in
EUR; and, for 2008-2013, brokering licences (``kind = 'brokering'``). Only EU member states
report, so another country's exports are outside the data's coverage (it appears only as a
destination or as the origin of brokered goods).

Which measure and why: a claim of exports is compared with ``c`` (value exported), the same
concept in the same currency; a state and year with no ``c`` rows fall back to ``b`` (value
licensed), which is an upper bound that need not be used in the year (licences run several
years, many are never used), so against ``b`` a claim at or below the licensed value is
``consistent`` (it fits; the licences do not show shipment) and only a claim far above it is
``contradicted``. A claim of licences is compared with ``b``; a claim of brokering with the
brokering licences' licensed value.

Tolerance (chosen before looking at any claim, documented in docs/claims.md): against the same
measure, ``consistent`` within 25% either way (rounding, national reports that count on a
slightly different basis than the EU compilation, late corrections), ``inconclusive`` within
a factor of two, ``contradicted`` beyond; against licences as a bound, ``consistent`` up to
1.25 times the licensed value, ``inconclusive`` up to 3 times (licences of earlier years can
be used later), ``contradicted`` beyond.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from transship.claims.corroborate import measure_family
from transship.claims.data_checks import DataCheck, claim_is_indirect, territory_code
from transship.claims.sourced import SourcedClaim

if TYPE_CHECKING:
    from transship.store import Store

#: EU member states (ISO2, lower case) with the first and last year they report as members.
#: The United Kingdom left on 31 January 2020: its last COARM year is 2019.
EU_MEMBERS: dict[str, tuple[int, int]] = {
    **{c: (1958, 9999) for c in ("be", "de", "fr", "it", "lu", "nl")},
    **{c: (1973, 9999) for c in ("dk", "ie")},
    "gb": (1973, 2019),
    "gr": (1981, 9999),
    **{c: (1986, 9999) for c in ("es", "pt")},
    **{c: (1995, 9999) for c in ("at", "fi", "se")},
    **{c: (2004, 9999) for c in ("cy", "cz", "ee", "hu", "lv", "lt", "mt", "pl", "si", "sk")},
    **{c: (2007, 9999) for c in ("bg", "ro")},
    "hr": (2013, 9999),
}

TOLERANCE_SAME = 1.25  # consistent within 25% of the same measure
TOLERANCE_SAME_OUTER = 2.0  # inconclusive within a factor of two; contradicted beyond
TOLERANCE_BOUND = 1.25  # against licences as an upper bound: up to 1.25x is consistent
TOLERANCE_BOUND_OUTER = 3.0  # up to 3x inconclusive; contradicted beyond

_BROKER = re.compile(r"\bbroker", re.I)
_LICENCE = re.compile(r"\b(licen[cs]\w*|authori[sz]\w*|permits?|approv\w*)\b", re.I)
_REFUSED = re.compile(r"\b(refus\w*|denied|denials?|rejected)\b", re.I)


def is_member(iso2: str | None, year: int) -> bool:
    """Whether ``iso2`` reports to COARM as an EU member state in ``year``."""
    if not iso2 or iso2 not in EU_MEMBERS:
        return False
    first, last = EU_MEMBERS[iso2]
    return first <= year <= last


def _stored(store: Store) -> bool:
    try:
        return bool(store.fetchall("SELECT 1 FROM licence_stats LIMIT 1"))
    except Exception:  # noqa: BLE001 - a store without the table holds no COARM rows
        return False


def _verdict(ratio: float, bound: bool) -> tuple[str, str]:
    if bound:
        if ratio <= TOLERANCE_BOUND:
            return "consistent", (
                f" (ratio {ratio:.2f}: within the licensed value, which bounds exports but "
                "does not show they happened)."
            )
        if ratio <= TOLERANCE_BOUND_OUTER:
            return "inconclusive", (
                f" (ratio {ratio:.2f}: above the year's licences, within {TOLERANCE_BOUND_OUTER:g}"
                " times; licences of earlier years can be used later)."
            )
        return "contradicted", (
            f" (ratio {ratio:.2f}: more than {TOLERANCE_BOUND_OUTER:g} times what was licensed)."
        )
    if 1 / TOLERANCE_SAME <= ratio <= TOLERANCE_SAME:
        return "consistent", f" (ratio {ratio:.2f}, within 25%)."
    if 1 / TOLERANCE_SAME_OUTER <= ratio <= TOLERANCE_SAME_OUTER:
        return "inconclusive", f" (ratio {ratio:.2f}: between 25% and a factor of two apart)."
    return "contradicted", f" (ratio {ratio:.2f}: more than a factor of two apart)."


def check_coarm(sc: SourcedClaim, store: Store) -> DataCheck | None:
    """The claim against COARM rows, or None when it is not a money claim about a country's
    arms exports with years, or the store holds no COARM rows at all."""
    if sc.dimension != "money" or sc.value_eur is None or not sc.years or not sc.origin_code:
        return None
    if measure_family(sc.claim.measure) == "imports" and not sc.dest_code:
        return None
    if sc.topic not in ("arms_trade", "trade") and sc.scope not in (
        "arms",
        "ammunition",
        "small_arms",
    ):
        return None
    if not _stored(store):
        return None
    y0, y1 = sc.years
    text = sc.claim.text
    brokering = bool(_BROKER.search(text))
    exporter = territory_code(sc.origin_code)
    dest = territory_code(sc.dest_code) if sc.dest_code else None
    goods_origin: str | None = None
    if brokering and not is_member(exporter, y0):
        # "Serbian ammunition brokered by British firms to Kenya": the EU member is the broker
        for v in [
            *sc.via,
            *(k.split(":", 1)[1] for k in sc.subjects if k.startswith("territory:")),
        ]:
            cand = territory_code(v)
            if is_member(cand, y0):
                goods_origin, exporter = exporter, cand
                break
    kind = "brokering" if brokering else "export"
    status = "refused" if _REFUSED.search(text) else "issued"
    licences = brokering or bool(_LICENCE.search(text)) or sc.claim.measure == "licences"
    query: dict[str, Any] = {
        "data": "coarm",
        "kind": kind,
        "exporter": exporter or sc.origin_code,
        "destination": dest or "all destinations",
        "years": f"{y0}-{y1}" if y1 != y0 else str(y0),
    }
    if goods_origin:
        query["goods_origin"] = goods_origin
    claim_eur = sc.value_eur

    def outside(why: str) -> DataCheck:
        return DataCheck(
            sc.id,
            "outside_coverage",
            why,
            sc.value_usd,
            query=query,
            data="coarm",
            claim_value=claim_eur,
            unit="EUR",
        )

    members = [y for y in range(y0, y1 + 1) if is_member(exporter, y)]
    if not members:
        return outside(
            f"COARM: {sc.origin_code} is not an EU member state in {query['years']}; the EU annual "
            "reports record member states' licences and exports only (another country appears "
            "only as a destination): outside the data's coverage, not contradicted."
        )
    years = store.fetchall(
        "SELECT min(year), max(year), count(*) FROM licence_stats WHERE kind = ?", [kind]
    )[0]
    if not years[2]:
        held = store.fetchall(
            "SELECT kind, min(year), max(year) FROM licence_stats GROUP BY kind ORDER BY kind"
        )
        what = "; ".join(f"{k} {a}-{b}" for k, a, b in held)
        return outside(
            f"COARM: the store holds no {kind} rows (it holds {what}): the measure the claim "
            f"asserts ({'brokering licences' if brokering else 'exports or licences'}) is not "
            "recorded here, so the claim can be neither confirmed nor contradicted (CAAT's "
            "export.csv gives the export rows)."
        )
    if y0 < years[0] or y1 > years[1]:
        return outside(
            f"COARM: the store's {kind} rows cover {years[0]}-{years[1]}; the claim is about "
            f"{y0}-{y1}: outside the data's coverage."
        )
    if dest and not brokering and claim_is_indirect(sc):
        return outside(
            f"COARM: the claim is about goods reaching {sc.dest_code} through third countries; "
            "the EU reports name the licensed destination, so rows to that destination could "
            "not show it: outside the data's coverage."
        )
    if brokering:
        measures = ["value_licensed"]
    elif licences:
        measures = ["b"]
    else:
        measures = ["c", "b"]
    where = "kind = ? AND source_country = ? AND year BETWEEN ? AND ? AND measure = ?"
    rows: list[tuple[Any, ...]] = []
    used = measures[0]
    for m in measures:
        sql = (
            "SELECT record_id, year, destination, origin_country, ml_category, value, status, "
            f"line, simulated FROM licence_stats WHERE {where}"
        )
        params: list[Any] = [kind, exporter, y0, y1, m]
        if dest:
            sql += " AND destination = ?"
            params.append(dest)
        if brokering:
            sql += " AND status = ?"
            params.append(status)
            if goods_origin:
                sql += " AND list_contains(string_split(origin_country, ';'), ?)"
                params.append(goods_origin)
        rows = store.fetchall(sql + " ORDER BY year, destination, record_id", params)
        if rows:
            used = m
            break
    query["measure"] = used
    if not rows:
        return outside(
            f"COARM: no {kind} rows ({'/'.join(measures)}) of {exporter} to "
            f"{dest or 'any destination'} in {query['years']}: the state reported nothing the claim "
            "can be compared with (absent rows are not a zero), outside the data's coverage."
        )
    # a (year, destination) with a total row (no ML category) is counted by its total only
    totals = {(r[1], r[2]) for r in rows if r[4] is None and kind == "export"}
    chosen = [r for r in rows if not ((r[1], r[2]) in totals and r[4] is not None)]
    total = sum(float(r[5] or 0.0) for r in chosen)
    seen = sorted({r[1] for r in chosen})
    shown = [
        {
            "record_id": r[0],
            "year": r[1],
            "destination": r[2],
            "origin_country": r[3],
            "ml_category": r[4],
            "value_eur": r[5],
            "status": r[6],
            "line": r[7],
        }
        for r in chosen[:40]
    ]
    label = {
        "c": "value of exports (c)",
        "b": "value of licences issued (b)",
        "value_licensed": f"value of brokering licences {status}",
    }[used]
    msg = (
        f"COARM ({'brokering' if brokering else 'EU annual reports'}): {exporter} {label} to "
        f"{dest or 'all destinations'}"
        f"{f' of goods from {goods_origin}' if goods_origin else ''} in "
        f"{', '.join(map(str, seen))} add up to EUR {total:,.0f} ({len(chosen)} rows); the "
        f"claim is EUR {claim_eur:,.0f}"
    )
    if used == "b" and "c" in measures:
        msg += "; no value-of-exports (c) rows, so compared with licences as an upper bound"
    missing = sorted(set(range(y0, y1 + 1)) - set(seen))
    if missing:
        msg += f"; no rows for {', '.join(map(str, missing))}"
    bound = used == "b" and not licences
    if total <= 0:
        verdict, why = "contradicted", " (the rows add up to zero)."
    else:
        verdict, why = _verdict(claim_eur / total, bound)
    return DataCheck(
        sc.id,
        verdict,
        msg + why,
        sc.value_usd,
        None,
        query,
        shown,
        [r[0] for r in chosen][:40],
        any(bool(r[8]) for r in chosen),
        data="coarm",
        claim_value=claim_eur,
        data_value=total,
        unit="EUR",
        tolerance="bound" if bound else "same measure",
    )
