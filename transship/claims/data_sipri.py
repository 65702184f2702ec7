"""A count of major weapons delivered against the store's SIPRI trade-register rows.

SIPRI's Arms Transfers Database (table ``arms_transfers``, one row per deal and delivery
year) records deliveries of major conventional weapons: supplier, recipient, designation,
description, number delivered (often an estimate), delivery year, and TIV, a volume index that
is not money. It does not record small arms, light weapons or most ammunition, and it is not
in euros or dollars: a money claim is never compared with it, and a count of rounds, shells,
unguided rockets or mortar bombs is outside its coverage.

A claim "X delivered N <weapons> (to Y) in <years>" is compared with the sum of
``number_delivered`` over the rows of supplier X (and recipient Y), the delivery years, and
the descriptions the claim's unit names (:data:`WEAPONS`: "howitzers" are SIPRI's
"self-propelled gun" and "towed gun", "tanks" its "tank", ...). A unit the table does not
name is outside the check's coverage (it would guess), not contradicted.

Tolerance (chosen before looking at any claim, documented in docs/claims.md): ``consistent``
when the claim is within 25% of SIPRI's number or within two items (small counts: 3 against
4); ``inconclusive`` within a factor of two, or consistent only when the years are widened by
one on each side (deliveries that straddle a year end, SIPRI's year estimates); ``contradicted``
beyond, including SIPRI recording none of those weapons for a supplier and years it covers
(SIPRI's numbers are often estimates; the rows say which).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from transship.claims.data_checks import DataCheck, territory_code
from transship.claims.sourced import SourcedClaim

if TYPE_CHECKING:
    from transship.store import Store

#: A claim's unit (regex on the unit word) -> SIPRI descriptions it counts (regex).
WEAPONS: tuple[tuple[str, str, str], ...] = (
    # (unit pattern, description pattern, what it is called in the explanation)
    (
        r"howitzers?|artillery (pieces|systems|guns)|self-propelled guns?|towed guns?|"
        r"гаубиц\w*|haubic\w*|хаубиц\w*",
        r"\b(self-propelled|towed) gun\b|howitzer",
        "artillery guns (self-propelled and towed)",
    ),
    (r"tanks?|танк\w*|tenkov\w*|czołg\w*", r"^(light )?tank$", "tanks"),
    (
        r"mlrs|multiple rocket launchers?|rocket launchers?",
        r"multiple rocket launcher",
        "multiple rocket launchers",
    ),
    (r"helicopters?|хеликоптер\w*|вертол\w*|helikopter\w*", r"helicopter", "helicopters"),
    (
        r"(fighter|combat|military) (jets|aircraft|planes)|fighter jets|fighters|jets",
        r"FGA aircraft|fighter aircraft|combat aircraft$",
        "combat aircraft",
    ),
    (r"aircraft|planes|airplanes", r"aircraft$", "aircraft"),
    (r"apcs?|armou?red personnel carriers?", r"armoured personnel carrier", "APCs"),
    (r"ifvs?|infantry fighting vehicles?", r"infantry fighting vehicle", "IFVs"),
    (r"armou?red vehicles?", r"armoured|infantry fighting vehicle|tank$|APC", "armoured vehicles"),
    (r"drones?|uavs?|bespilot\w*|беспилот\w*", r"\bUAV\b", "UAVs"),
    (r"missiles?|projektil\w*", r"missile", "missiles"),
    (
        r"air[- ]defen[cs]e systems?|sam systems?",
        r"SAM system|air defence system",
        "air defence systems",
    ),
    (r"mortars?|minobacač\w*", r"^mortar$", "mortars"),
    (r"radars?", r"radar", "radars"),
    (
        r"ships?|vessels?|patrol boats?|frigates?|corvettes?",
        r"ship|boat|frigate|corvette|vessel",
        "ships",
    ),
)

#: Units SIPRI does not record (small arms ammunition, shells, unguided rockets, tonnage).
NOT_RECORDED = re.compile(
    r"^(rounds?|shells?|rockets?|mortar bombs?|cartridges?|pieces|bullets?|grenades?|"
    r"mines?|tonnes?|tons?|t|bcm|rifles?|pistols?|guns? and rifles|small arms|"
    r"kalashnikovs?|ak-47s?|assault rifles?|machine guns?)$",
    re.I,
)

TOLERANCE_SHARE = 0.25  # consistent within 25%
TOLERANCE_ITEMS = 2  # or within two items
TOLERANCE_OUTER = 2.0  # inconclusive within a factor of two

_DELIVERY = re.compile(
    r"\b(deliver\w*|supplied|suppl(y|ies)|sent|sends|sending|transferr\w*|handed over|"
    r"gave|given|donat\w*|shipped|export\w*|isporu\w*|poslal\w*|испоруч\w*|постав\w*|"
    r"передал\w*|dostarcz\w*|przekaza\w*)",
    re.I,
)


def weapon_of(unit: str) -> tuple[str, str] | None:
    """(SIPRI description pattern, name) for a claim's unit, or None when none matches."""
    u = unit.strip().lower()
    for unit_re, desc_re, name in WEAPONS:
        if re.fullmatch(unit_re, u, re.I) or re.search(rf"\b({unit_re})$", u, re.I):
            return desc_re, name
    return None


def _stored(store: Store) -> tuple[int, int] | None:
    try:
        row = store.fetchall(
            "SELECT min(delivery_year), max(delivery_year) FROM arms_transfers "
            "WHERE delivery_year IS NOT NULL"
        )
    except Exception:  # noqa: BLE001 - a store without the table holds no SIPRI rows
        return None
    if not row or row[0][0] is None:
        return None
    return int(row[0][0]), int(row[0][1])


def _close(claim: float, data: float) -> bool:
    return abs(claim - data) <= max(TOLERANCE_ITEMS, TOLERANCE_SHARE * data)


def check_sipri(sc: SourcedClaim, store: Store) -> DataCheck | None:
    """The claim against SIPRI's register, or None when it is not a count of items delivered
    by a supplier with years, or the store holds no SIPRI rows at all. Money claims are never
    compared with SIPRI (TIV is not money)."""
    q = sc.claim.quantity
    if not sc.dimension or not sc.dimension.startswith("count") or q is None:
        return None
    if not sc.years or not sc.origin_code:
        return None
    text = sc.claim.text
    if not (_DELIVERY.search(text) or sc.claim.measure in ("exports", "deliveries")):
        return None
    span = _stored(store)
    if span is None:
        return None
    value = q.value if q.value is not None else q.low
    if value is None:
        return None
    unit = (q.unit or "").strip()
    y0, y1 = sc.years
    supplier, recipient = territory_code(sc.origin_code), territory_code(sc.dest_code)
    query: dict[str, Any] = {
        "data": "sipri",
        "supplier": supplier or sc.origin_code,
        "recipient": recipient or "all recipients",
        "years": f"{y0}-{y1}" if y1 != y0 else str(y0),
        "unit": unit,
    }
    common: dict[str, Any] = {"data": "sipri", "claim_value": value, "unit": unit or "items"}

    def outside(why: str) -> DataCheck:
        return DataCheck(sc.id, "outside_coverage", why, query=query, **common)

    if NOT_RECORDED.match(unit) or not unit:
        held = store.fetchall(
            "SELECT record_id FROM arms_transfers WHERE supplier = ? AND delivery_year "
            "BETWEEN ? AND ?" + (" AND recipient = ?" if recipient else "") + " ORDER BY 1",
            [supplier, y0, y1, *([recipient] if recipient else [])],
        )
        dc = outside(
            f"SIPRI: the claim counts {unit or 'items it does not name'}; SIPRI's register "
            "records major conventional weapons only (not small arms, their ammunition, "
            "artillery shells or unguided rockets): a measure the data does not record, "
            f"outside its coverage (not contradicted). The register holds {len(held)} "
            f"delivery rows of {supplier} to {recipient or 'any recipient'} in {query['years']}, "
            "none of which could count them."
        )
        dc.record_ids = [r[0] for r in held][:40]
        return dc
    weapon = weapon_of(unit)
    if weapon is None:
        return outside(
            f"SIPRI: the claim counts {unit!r}, which this check does not map to a SIPRI "
            "weapon description (see WEAPONS in transship/claims/data_sipri.py): not compared."
        )
    desc_re, name = weapon
    query["weapons"] = name
    if y0 < span[0] or y1 > span[1]:
        return outside(
            f"SIPRI: the store's register covers deliveries {span[0]}-{span[1]}; the claim is "
            f"about {query['years']}: outside the data's coverage."
        )
    known = store.fetchall("SELECT count(*) FROM arms_transfers WHERE supplier = ?", [supplier])[0][
        0
    ]
    if not known:
        return outside(
            f"SIPRI: the register holds no deliveries by {sc.origin_code} at all: not a "
            "supplier it records, outside its coverage."
        )
    sql = (
        "SELECT record_id, deal_id, delivery_year, recipient, designation, description, "
        "number_delivered, number_delivered_uncertain, line, simulated FROM arms_transfers "
        "WHERE supplier = ? AND delivery_year BETWEEN ? AND ?"
    )
    params: list[Any] = [supplier, y0 - 1, y1 + 1]
    if recipient:
        sql += " AND recipient = ?"
        params.append(recipient)
    rows = [
        r
        for r in store.fetchall(sql + " ORDER BY delivery_year, record_id", params)
        if re.search(desc_re, r[5] or "", re.I)
    ]
    inside = [r for r in rows if y0 <= r[2] <= y1]
    total = sum(float(r[6] or 0.0) for r in inside)
    wide = sum(float(r[6] or 0.0) for r in rows)
    estimated = sum(1 for r in inside if r[7])
    shown = [
        {
            "record_id": r[0],
            "deal_id": r[1],
            "delivery_year": r[2],
            "recipient": r[3],
            "designation": r[4],
            "description": r[5],
            "number_delivered": r[6],
            "estimate": r[7],
            "line": r[8],
        }
        for r in inside[:40]
    ]
    designs = sorted({f"{r[4]} ({r[5]})" for r in inside})
    msg = (
        f"SIPRI trade register: {supplier} delivered {total:,.0f} {name} to "
        f"{recipient or 'all recipients'} in {query['years']} ({len(inside)} rows"
        f"{f', {estimated} of them SIPRI estimates' if estimated else ''}"
        f"{': ' + '; '.join(designs[:8]) if designs else ''}); the claim is {value:,.0f} {unit}"
    )
    if _close(value, total):
        verdict, why = "consistent", " (within 25% or two items)."
    elif _close(value, wide):
        verdict = "inconclusive"
        why = (
            f" (SIPRI counts {wide:,.0f} when the years are widened by one on each side: "
            "deliveries that straddle a year end, or SIPRI's year estimates)."
        )
    elif total > 0 and 1 / TOLERANCE_OUTER <= value / total <= TOLERANCE_OUTER:
        verdict, why = "inconclusive", f" (ratio {value / total:.2f}: within a factor of two)."
    elif total == 0:
        verdict = "contradicted"
        why = (
            f" (SIPRI records no {name} from {supplier} to {recipient or 'anyone'} in those "
            "years, though it covers them; SIPRI misses secret deliveries, so this is a "
            "contradiction of the register, not proof)."
        )
    else:
        verdict, why = "contradicted", f" (ratio {value / total:.2f}: more than a factor of two)."
    return DataCheck(
        sc.id,
        verdict,
        msg + why,
        None,
        None,
        query,
        shown,
        [r[0] for r in inside][:40],
        any(bool(r[9]) for r in inside),
        data="sipri",
        claim_value=value,
        data_value=total,
        unit=unit,
        tolerance="25% or two items",
    )
