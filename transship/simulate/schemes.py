"""The case's alleged diversion schemes, consignment by consignment.

Diverted consignments go origin -> intermediaries -> destination under a certificate naming
the first intermediary (or a third country) as the end user. Their certificates are all false
in substance; some are also visibly wrong (forged with a missing element, reused beyond their
quantity, naming an end user with no weapon system for the calibre) and those are what
document checks can find.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from transship.simulate.case import Product, Scheme, compatible_systems
from transship.simulate.records import (
    ONWARD_CUSTOMS_COVERAGE,
    SIM,
    RecordBuilder,
    months_between,
    random_day,
)


def scheme(b: RecordBuilder, s: Scheme) -> None:
    """Every consignment of one scheme, leg by leg, with its certificate and licence."""
    rng = b.rng
    case = b.case
    product = case.products[s.product]
    months = months_between(s.start, s.end)
    n = max(1, round(s.consignments_per_year.value * len(months) / 12))
    mid_uv = (product.unit_value_eur.low + product.unit_value_eur.high) / 2
    if s.quantity is not None:
        total_qty = s.quantity.value
    else:
        assert s.value_eur is not None
        total_qty = s.value_eur.value / mid_uv
    weights = rng.lognormal(0.0, 0.35, n)
    qtys = np.maximum(1.0, np.round(total_qty * weights / weights.sum()))
    days = sorted(random_day(rng, months) for _ in range(n))
    origin = s.legs[0].origin
    exporter_party = s.exporter or s.producer
    exporter = b.party_name(exporter_party, f"Exporter in {b.cname(origin)}{SIM}")
    first = s.legs[0]
    consignee = b.party_name(first.party, f"Consignee in {b.cname(first.to)}{SIM}")
    declared_eu = (
        case.parties[s.declared_end_user].name if s.declared_end_user else b.forces(first.to)
    )
    markup = s.markup.value if s.markup else 0.1
    onward_cites = s.onward_cites_certificate.value if s.onward_cites_certificate else 0.3
    lacking = lacking_countries(b, product, exclude={origin, s.legs[-1].to})
    last_cert: dict[str, Any] | None = None
    used: dict[str, float] = {}
    for k in range(n):
        d0 = days[k]
        q = float(qtys[k])
        uv = float(rng.uniform(product.unit_value_eur.low, product.unit_value_eur.high))
        value = q * uv
        u = rng.random()
        kind = "misleading"
        if u < s.forged.value:
            kind = "forged"
        elif u < s.forged.value + s.reused.value and last_cert is not None:
            kind = "reused"
        elif u < s.forged.value + s.reused.value + s.no_compatible_system.value and lacking:
            kind = "no_compatible_system"
        reasons = [kind]
        if kind == "reused":
            assert last_cert is not None
            cert = last_cert
            cid = cert["certificate_id"]
            lid = cert["licence_id"]
            new_cert = False
        else:
            issued = d0 - timedelta(days=int(rng.integers(20, 90)))
            cid = b.cert_id(first.to, issued.year)
            lid = b.lic_id(origin, issued.year)
            eu, eu_country = declared_eu, first.to
            if kind == "no_compatible_system":
                eu_country = lacking[int(rng.integers(len(lacking)))]
                eu = b.forces(eu_country)
            cert = b.certificate(
                cid,
                product,
                q,
                exporter,
                origin,
                consignee,
                first.to,
                eu,
                eu_country,
                issued,
                lid,
            )
            # Drawn for every new certificate, used for forged ones: the same seed then
            # plants the same consignments at every noise level (paired comparisons).
            visible = rng.random() < b.p_visible_flaw
            flaw = int(rng.integers(4))
            expired_days = int(rng.integers(10, 60))
            if kind == "forged" and visible:
                if flaw == 0:
                    cert["issuing_authority"] = None
                    reasons.append("missing_issuing_authority")
                elif flaw == 1:
                    cert["signatory"] = None
                    reasons.append("missing_signatory")
                elif flaw == 2:
                    cert["non_reexport_clause"] = None
                    cert["end_use"] = None
                    reasons.append("missing_end_use")
                else:
                    cert["valid_until"] = (d0 - timedelta(days=expired_days)).isoformat()
                    reasons.append("expired")
            if rng.random() < 0.3:
                cert["delivery_verification"] = "delivery verification certificate received"
            new_cert = True
            last_cert = cert
        used[cid] = used.get(cid, 0.0) + q
        if new_cert and b.in_years(d0):
            b.docs.certificates.append(cert)
            b.docs.licences.append(
                b.licence(
                    lid,
                    cert,
                    product,
                    value,
                    d0 - timedelta(days=int(rng.integers(1, 15))),
                    exporter_party,
                )
            )
        # Leg by leg: the statistics see every leg; the customs extract sees the first
        # and some onward ones.
        d = d0
        leg_value = value
        ship_ids: list[str] = []
        sender, s_country = exporter, origin
        for j, leg in enumerate(s.legs):
            receiver = b.party_name(leg.party, f"Consignee in {b.cname(leg.to)}{SIM}")
            if j:
                lag = leg.lag_days
                d = d + timedelta(
                    days=int(rng.integers(int(lag.low), int(lag.high) + 1))
                    if lag
                    else int(rng.integers(7, 46))
                )
                leg_value *= 1 + markup
            b.flow(d, leg.origin, leg.to, origin, product, q, leg_value)
            record = j == 0 or rng.random() < ONWARD_CUSTOMS_COVERAGE
            cites = j == 0 or rng.random() < onward_cites
            if record and b.in_years(d):
                sh = b.shipment(
                    d,
                    product,
                    q,
                    leg_value,
                    sender,
                    s_country,
                    receiver,
                    leg.to,
                    origin,
                    leg.transit,
                    leg.transport,
                    lid if j == 0 else None,
                    cid if cites else None,
                )
                b.docs.shipments.append(sh)
                ship_ids.append(sh["shipment_id"])
                b.docs.truth.append(
                    {
                        "simulated": True,
                        "kind": "shipment",
                        "id": sh["shipment_id"],
                        "diverted": True,
                        "scheme": s.id,
                        "consignment": f"{s.id}-{k + 1:03d}",
                        "leg": j + 1,
                        "origin": origin,
                        "via": list(s.path[1:-1]),
                        "final_destination": s.path[-1],
                        "certificate": cid,
                    }
                )
            sender, s_country = receiver, leg.to
        b.docs.truth.append(
            {
                "simulated": True,
                "kind": "certificate",
                "id": cid,
                "false": True,
                "reasons": reasons,
                "scheme": s.id,
                "consignment": f"{s.id}-{k + 1:03d}",
                "shipments": ship_ids,
                "quantity_used": used[cid],
                "quantity_certified": cert["quantity"],
            }
        )


def lacking_countries(b: RecordBuilder, product: Product, exclude: set[str]) -> list[str]:
    """Countries of the case with no known weapon system for the product's calibre."""
    if not product.calibre:
        return []
    countries = set(b.case.holdings) | {p.country for p in b.case.parties.values()}
    for d in b.case.legitimate:
        countries |= {d.seller_country, d.buyer_country}
    for s in b.case.schemes:
        countries |= set(s.path)
    return sorted(
        c
        for c in countries - exclude
        if not compatible_systems(b.case, c, product.calibre, product.ammunition)
    )
