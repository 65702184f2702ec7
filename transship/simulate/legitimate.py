"""Legitimate trade of the case: each demand line becomes one contract a year (a certificate
from the buyer, an export licence, shipments within the certificate), sloppy now and then.

Legitimate papers are sometimes sloppy (a missing signatory, a late delivery, a first shipment
declared to a neighbouring country), more so at higher noise, so a check that fires on every
flaw pays in precision.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from transship.simulate.case import Demand, Product
from transship.simulate.records import SIM, RecordBuilder


def legitimate(b: RecordBuilder, dem: Demand) -> None:
    """One contract a year per demand line; lines without a seller in the case reach the
    statistics only (their papers are outside the customs extract)."""
    product = b.case.products[dem.product]
    lo, hi = dem.annual_value_eur.low, dem.annual_value_eur.high
    for year in range(b.years[0], b.years[1] + 1):
        if dem.years and not dem.years[0] <= year <= dem.years[1]:
            continue
        annual = float(b.rng.uniform(lo, hi))
        if dem.seller is None:
            # Papers outside the data: the statistics see it, the customs extract does not.
            uv = float(b.rng.uniform(product.unit_value_eur.low, product.unit_value_eur.high))
            n = 12
            for k in range(n):
                d = date(year, k + 1, 15)
                b.flow(
                    d,
                    dem.seller_country,
                    dem.buyer_country,
                    dem.seller_country,
                    product,
                    annual / n / uv,
                    annual / n,
                )
            continue
        legit_contract(b, dem, product, year, annual)


def legit_contract(
    b: RecordBuilder, dem: Demand, product: Product, year: int, annual: float
) -> None:
    """A certificate, a licence and shipments within the certificate, with sloppiness at
    ``b.p_sloppy`` per kind (the false alarms a document check must live with)."""
    rng = b.rng
    seller = b.case.parties[dem.seller] if dem.seller else None
    exporter = seller.name if seller else f"Exporter in {b.cname(dem.seller_country)}{SIM}"
    n = (
        int(dem.consignments_per_year.value)
        if dem.consignments_per_year
        else int(np.clip(annual / 4e6, 1, 8))
    )
    uv = float(rng.uniform(product.unit_value_eur.low, product.unit_value_eur.high))
    qty_total = max(1.0, round(annual / uv))
    issued = date(year, 1, 1) + timedelta(days=int(rng.integers(0, 60)))
    cid = b.cert_id(dem.buyer_country, year)
    lid = b.lic_id(dem.seller_country, year)
    consignee = f"State procurement agency of {b.cname(dem.buyer_country)}{SIM}"
    end_user = f"Armed forces of {b.cname(dem.buyer_country)}{SIM}"
    cert = b.certificate(
        cid,
        product,
        qty_total,
        exporter,
        dem.seller_country,
        consignee,
        dem.buyer_country,
        end_user,
        dem.buyer_country,
        issued,
        lid,
    )
    flaws: list[str] = []
    if rng.random() < b.p_sloppy:
        cert["signatory"] = None
        flaws.append("missing_signatory")
    late = rng.random() < b.p_sloppy
    if late:
        cert["valid_until"] = (issued + timedelta(days=200)).isoformat()
        flaws.append("late_delivery")
    if rng.random() < 0.4:
        cert["delivery_verification"] = "delivery verification certificate received"
    detour = rng.random() < b.p_sloppy * 0.7
    lic = b.licence(
        lid,
        cert,
        product,
        qty_total * uv,
        issued + timedelta(days=int(rng.integers(5, 30))),
        dem.seller,
    )
    if not (b.in_years(issued)):
        return
    b.docs.certificates.append(cert)
    b.docs.licences.append(lic)
    # Split the contract into consignments that together stay within the certificate.
    weights = rng.dirichlet(np.full(n, 4.0))
    qtys = np.floor(weights * qty_total)
    ship_ids = []
    for k in range(n):
        q = float(qtys[k])
        if q <= 0:
            continue
        day = min(
            int(issued.toordinal() + 30 + k * 300 / n + rng.integers(0, 20)),
            date(year, 12, 31).toordinal(),
        )
        d = date.fromordinal(day)
        # Drawn whether used or not, so every noise level consumes the same draws.
        late_days, pick = int(rng.integers(5, 40)), float(rng.random())
        if late and k == n - 1:
            d = date.fromisoformat(cert["valid_until"]) + timedelta(days=late_days)
        declared = None
        if detour and k == 0:
            declared = b.neighbour(dem.buyer_country, pick)
            flaws.append("declared_destination_differs")
        s = b.shipment(
            d,
            product,
            q,
            q * uv,
            exporter,
            dem.seller_country,
            consignee,
            dem.buyer_country,
            dem.seller_country,
            (),
            "road",
            lid,
            cid,
            declared,
        )
        b.docs.shipments.append(s)
        ship_ids.append(s["shipment_id"])
        b.flow(d, dem.seller_country, dem.buyer_country, dem.seller_country, product, q, q * uv)
        b.docs.truth.append(
            {
                "simulated": True,
                "kind": "shipment",
                "id": s["shipment_id"],
                "diverted": False,
                "scheme": None,
                "demand": dem.id,
                "leg": 1,
                "origin": dem.seller_country,
                "via": [],
                "final_destination": dem.buyer_country,
            }
        )
    b.docs.truth.append(
        {
            "simulated": True,
            "kind": "certificate",
            "id": cid,
            "false": False,
            "reasons": [],
            "scheme": None,
            "demand": dem.id,
            "legitimate_flaws": flaws,
            "shipments": ship_ids,
        }
    )
