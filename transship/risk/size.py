"""The request's size against the end user's plausible need (the ``request_size`` indicator).

EU User's Guide to the Common Position, criterion 7: "the quantity ... of the goods in relation
to the end user's requirements"; the issue's real cases: "quantities beyond what a force can
use". The ``end_user.quantity_beyond_use`` finding says yes or no against a generous ceiling;
this indicator grades the size of every request, so a request for twice what the forces
could plausibly use ranks above one for a tenth of it even when neither crosses the ceiling.
Two measures, each from what the officer has in hand (never a simulator's truth or
parameters):

* **fleet**: the requested quantity over what the end user's forces could fire in the
  certificate's validity -- the fleet of systems for the calibre that the SIPRI register rows
  in the store record (:func:`transship.risk.holdings.fleet_estimate`, a floor) times the use
  per weapon and year of ``weights.yaml`` (``use_per_system``, the same assumption as the
  finding) times the years of validity;
* **history**: the request's licensed value over the median value of the same licensing
  authority's earlier *issued* licences for the same end-user country (the authority's own
  register, issued before this request; at least ``request_size.history_min`` of them): what
  that country usually orders.

Each ratio becomes a value in [0, 1] on a log scale, 0 at ``low`` times the reference and 1
at ``high`` times it (``weights.yaml``, ``request_size``); the indicator is the larger of the
measures that could be computed (either size alone is reason to ask), and it is not checked
when neither could. Monotone: a larger quantity or value never lowers it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import median
from typing import Any

from transship.exc import InvalidInput
from transship.normalise.military import calibre as canonical_calibre
from transship.risk.config import Weights
from transship.risk.end_user import ammunition_word, validity_years
from transship.risk.holdings import SystemRow, fleet_estimate, holdings
from transship.risk.model import Indicator
from transship.risk.store_index import StoreIndex
from transship.store import Store

CODE = "request_size"


def scaled(ratio: float, low: float, high: float) -> float:
    """``ratio`` on a log scale: 0 at ``low`` and below, 1 at ``high`` and above."""
    if not ratio > 0 or not high > low > 0:
        return 0.0
    return max(0.0, min(1.0, math.log(ratio / low) / math.log(high / low)))


def fleet_ratio(
    store: Store | None,
    record: Mapping[str, Any],
    weights: Weights,
    rows: list[SystemRow],
    index: StoreIndex | None,
) -> tuple[float, str, list[str]] | None:
    """Requested quantity / what the end user's recorded fleet could fire in the validity
    (ratio, explanation, evidence); None when there is no quantity, calibre or fleet."""
    quantity = record.get("quantity")
    country = record.get("end_user_country") or record.get("final_destination")
    if store is None or not quantity or not country or not record.get("calibre"):
        return None
    try:
        wanted = canonical_calibre(str(record["calibre"]))
    except InvalidInput:
        return None
    word = ammunition_word(record.get("goods_description"))
    found = holdings(str(country), wanted, word, rows)
    if not found:
        return None  # no weapon at all is the plausibility indicator's finding
    fleet = fleet_estimate(store, str(country), found, index.arms if index else None)
    if fleet is None or fleet.count <= 0:
        return None
    per = weights.use_per_system.get(word or "default", weights.use_per_system.get("default", 0))
    years = validity_years(
        record.get("issue_date") or record.get("issued_date"), record.get("valid_until")
    )
    use = fleet.count * per * years
    if use <= 0:
        return None
    ratio = float(quantity) / use
    text = (
        f"{float(quantity):,.0f} requested is {ratio:.2f} times what {str(country).upper()}'s "
        f"recorded fleet ({fleet.count:,.0f} weapons, SIPRI deliveries: a floor) could fire in "
        f"{years:g} year(s) at {per:,.0f} per weapon a year (weights.yaml)"
    )
    return ratio, text, [*fleet.record_ids[:10], *(f"SIPRI AT deal {d}" for d in fleet.deals[:5])]


def history_ratio(
    licence: Mapping[str, Any] | None, index: StoreIndex | None, minimum: int
) -> tuple[float, str, list[str]] | None:
    """Licensed value / median value of the authority's earlier issued licences for the same
    end-user country (ratio, explanation, evidence); None with fewer than ``minimum``."""
    if licence is None or index is None:
        return None
    value = licence.get("value_eur")
    country = licence.get("end_user_country") or licence.get("destination")
    when = str(licence.get("issued_date") or "")
    if not value or not country or not when:
        return None
    lid = licence.get("licence_id")
    earlier = [
        r
        for rs in index.licences_by_id.values()
        for r in rs[-1:]
        if r.get("licence_id") != lid
        and r.get("status") == "issued"
        and r.get("value_eur")
        and (r.get("end_user_country") or r.get("destination")) == country
        and r.get("authority_country") == licence.get("authority_country")
        and str(r.get("issued_date") or "9999") < when
    ]
    if len(earlier) < max(1, minimum):
        return None
    usual = median(float(r["value_eur"]) for r in earlier)
    if usual <= 0:
        return None
    ratio = float(value) / usual
    text = (
        f"EUR {float(value):,.0f} is {ratio:.2f} times the median of the {len(earlier)} "
        f"licences issued earlier for {str(country).upper()} (EUR {usual:,.0f})"
    )
    return ratio, text, [str(r["record_id"]) for r in earlier if r.get("record_id")][:10]


def request_size_indicator(
    store: Store | None,
    licence: Mapping[str, Any] | None,
    certificates: list[dict[str, Any]],
    weights: Weights,
    rows: list[SystemRow],
    index: StoreIndex | None,
) -> Indicator:
    """The ``request_size`` indicator (module docstring)."""
    cfg = weights.request_size
    record: dict[str, Any] = dict(certificates[0]) if certificates else {}
    for key, value in (licence or {}).items():
        if record.get(key) in (None, "") and value not in (None, ""):
            record[key] = value
    if licence is not None and licence.get("quantity"):
        record["quantity"] = licence["quantity"]  # the licensed quantity is the request
    parts: list[tuple[float, str, list[str]]] = []
    fleet = fleet_ratio(store, record, weights, rows, index)
    if fleet is not None:
        parts.append((scaled(fleet[0], cfg["fleet_low"], cfg["fleet_high"]), *fleet[1:]))
    hist = history_ratio(licence, index, int(cfg["history_min"]))
    if hist is not None:
        parts.append((scaled(hist[0], cfg["history_low"], cfg["history_high"]), *hist[1:]))
    weight = weights.indicators[CODE]
    if not parts:
        return Indicator(
            CODE,
            0.0,
            weight,
            0.0,
            "neither a recorded fleet for the end user's weapons nor enough earlier licences "
            f"for the country (at least {int(cfg['history_min'])}) to size the request against",
            [],
            False,
        )
    value = max(p[0] for p in parts)
    text = "; ".join(f"{p[1]} (counts {p[0]:.2f})" for p in parts)
    evidence = list(dict.fromkeys(e for p in parts for e in p[2]))
    return Indicator(CODE, value, weight, 0.0, text, evidence, True)


__all__ = ["CODE", "fleet_ratio", "history_ratio", "request_size_indicator", "scaled"]
