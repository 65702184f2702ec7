"""The end user against its forces: does the end user's country field a weapon for the
certificate's calibre, and could it use the quantity in the certificate's period? Findings
``end_user.*``, weighed by the ``end_user_plausibility`` indicator; like every check of
``transship.risk.crosscheck`` they carry the store ``record_id`` values they rest on and say
what could not be checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from transship.exc import InvalidInput
from transship.normalise.military import calibre as canonical_calibre
from transship.risk.config import Weights
from transship.risk.holdings import SystemRow, any_holdings, fleet_estimate, holdings
from transship.risk.model import Finding
from transship.risk.store_index import StoreIndex
from transship.store import Store

_AMMO_WORDS = ("rocket", "mortar", "cartridge", "howitzer", "shell", "grenade")


def ammunition_word(text: str | None) -> str | None:
    """The ammunition kind a goods description names (``'122 mm Grad rockets'`` ->
    ``'rocket'``): narrows 122 mm rockets from 122 mm howitzer shells."""
    low = (text or "").lower()
    for word in _AMMO_WORDS:
        if word in low:
            return word
    return None


def plausibility_findings(
    store: Store | None,
    cert: Mapping[str, Any],
    evidence: list[str],
    weights: Weights,
    rows: list[SystemRow],
    index: StoreIndex | None = None,
) -> tuple[list[Finding], list[str]]:
    """Does the end user's country field a weapon for the calibre, and could it use the
    quantity in the certificate's period?"""
    cid = str(cert.get("certificate_id") or "")
    country = cert.get("end_user_country") or cert.get("final_destination")
    cal = cert.get("calibre")
    if not cal:
        return [], ["end-user plausibility: the certificate gives no calibre"]
    if not country:
        return [], ["end-user plausibility: no end-user country"]
    try:
        wanted = canonical_calibre(str(cal))
    except InvalidInput:
        return [], [f"end-user plausibility: calibre {cal!r} not understood"]
    word = ammunition_word(cert.get("goods_description"))
    what = f"{wanted} {word}" if word else wanted
    if not any_holdings(wanted, word, rows):
        return [], [f"end-user plausibility: the weapon-system table knows no system for {what}"]
    found = holdings(str(country), wanted, word, rows)
    code = str(country).upper()
    if not found:
        return [
            Finding(
                "end_user.no_weapon_system",
                "high",
                f"no weapon system firing {what} is known in {code}'s forces (weapon-system "
                "table, SIPRI deliveries 1995-2024 and the makers' states): the named end user "
                "could not use the goods. The table is partial; a missing country means "
                "'not known', so ask for the systems the ammunition is for",
                [*evidence, *sorted({r.ref for r in rows if r.calibre == wanted})[:8]],
                cid,
            )
        ], []
    verified = [h for h in found if h.verified]
    out: list[Finding] = []
    not_checked: list[str] = []
    if not verified:
        out.append(
            Finding(
                "end_user.capability_unverified",
                "medium",
                f"only an unverified assumption says {code} fields a weapon for {what} "
                f"({'; '.join(h.cite() for h in found)}); no SIPRI-recorded delivery and no "
                "home production supports it: ask for the systems the ammunition is for",
                [*evidence, *(h.row for h in found)],
                cid,
            )
        )
    quantity = cert.get("quantity")
    if store is None:
        not_checked.append("end-user quantity: no store to read SIPRI deliveries from")
        return out, not_checked
    if not quantity:
        not_checked.append("end-user quantity: the certificate gives no quantity")
        return out, not_checked
    fleet = fleet_estimate(store, str(country), found, index.arms if index else None)
    if fleet is None:
        not_checked.append(
            f"end-user quantity: no SIPRI-recorded delivery of {', '.join(h.weapon_system for h in found)} "
            f"to {code} in the store, so no fleet estimate"
        )
        return out, not_checked
    per = weights.use_per_system.get(word or "default", weights.use_per_system.get("default", 0))
    years = validity_years(cert.get("issue_date"), cert.get("valid_until"))
    ceiling = fleet.count * per * years
    if ceiling > 0 and float(quantity) > ceiling:
        systems = ", ".join(f"{n:,.0f} {s}" for s, n in sorted(fleet.by_system.items()))
        out.append(
            Finding(
                "end_user.quantity_beyond_use",
                "high",
                f"{float(quantity):,.0f} {word or 'rounds'} is more than {code}'s known fleet "
                f"({systems}, SIPRI deliveries: a floor) could fire in {years:g} year(s) at a "
                f"generous {per:,.0f} per weapon a year (an assumption, weights.yaml): "
                f"{ceiling:,.0f}",
                [
                    *evidence,
                    *fleet.record_ids[:20],
                    *(f"SIPRI AT deal {d}" for d in fleet.deals[:10]),
                ],
                cid,
            )
        )
    return out, not_checked


def validity_years(issued: Any, until: Any) -> float:
    """Years the certificate runs (at least 1; 1 when either date is missing)."""
    try:
        a, b = int(str(issued)[:4]), int(str(until)[:4])
    except (TypeError, ValueError):
        return 1.0
    return float(max(1, b - a))
