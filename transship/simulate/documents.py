"""The case's own trade, consignment by consignment: contracts, licences, end-user
certificates, customs declarations for every leg, the physical flows they add to the
statistics, and the ground truth (which consignment was diverted, via whom, which
certificate is false and why).

Legitimate consignments are what their papers say. Diverted ones go origin -> intermediaries
-> destination under a certificate naming the first intermediary (or a third country) as the
end user. Certificates of diverted consignments are all false in substance; some are also
visibly wrong (forged with a missing element, reused beyond their quantity, naming an end
user with no weapon system for the calibre) and those are what document checks can find.
Legitimate papers are sometimes sloppy too (a missing signatory, a late delivery), more so at
higher noise, so a check that fires on every flaw pays in precision.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from transship.normalise.money import usd_per_eur
from transship.simulate.case import Case, Demand, Party, Product, Scheme, compatible_systems
from transship.simulate.world import Territories

#: Share of onward legs (intermediary -> next country) whose customs record is in the data.
ONWARD_CUSTOMS_COVERAGE = 0.6
SIM = " (simulated)"


@dataclass(slots=True)
class FlowParts:
    """Physical movements the case adds to the statistics (one entry per leg)."""

    year: list[int] = field(default_factory=list)
    exp: list[int] = field(default_factory=list)
    imp: list[int] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)
    hs: list[str] = field(default_factory=list)
    value_usd: list[float] = field(default_factory=list)
    weight_kg: list[float] = field(default_factory=list)
    qty: list[float] = field(default_factory=list)

    def add(
        self, year: int, exp: int, imp: int, origin: int, hs: str, usd: float, kg: float, qty: float
    ) -> None:
        self.year.append(year)
        self.exp.append(exp)
        self.imp.append(imp)
        self.origin.append(origin)
        self.hs.append(hs)
        self.value_usd.append(usd)
        self.weight_kg.append(kg)
        self.qty.append(qty)


@dataclass(slots=True)
class Documents:
    shipments: list[dict[str, Any]] = field(default_factory=list)
    licences: list[dict[str, Any]] = field(default_factory=list)
    certificates: list[dict[str, Any]] = field(default_factory=list)
    truth: list[dict[str, Any]] = field(default_factory=list)
    flows: FlowParts = field(default_factory=FlowParts)


def _months(start: str, end: str) -> list[tuple[int, int]]:
    y, m = map(int, start.split("-"))
    ye, me = map(int, end.split("-"))
    out = []
    while (y, m) <= (ye, me):
        out.append((y, m))
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return out


def _random_day(rng: np.random.Generator, months: list[tuple[int, int]]) -> date:
    y, m = months[int(rng.integers(len(months)))]
    return date(y, m, int(rng.integers(1, calendar.monthrange(y, m)[1] + 1)))


class _Builder:
    def __init__(
        self,
        case: Case,
        terr: Territories,
        years: tuple[int, int],
        rng: np.random.Generator,
        noise: float,
    ):
        self.case = case
        self.terr = terr
        self.years = years
        self.rng = rng
        self.noise = noise
        self.docs = Documents()
        self.n_ship = self.n_cert = self.n_lic = 0
        # How likely each kind of legitimate sloppiness / visible forgery flaw is.
        self.p_sloppy = min(0.3, 0.03 * noise)
        self.p_visible_flaw = float(np.clip(0.9 - 0.2 * noise, 0.2, 0.95))

    # -- names ---------------------------------------------------------------------------
    def cname(self, iso2: str) -> str:
        return self.terr.names[self.terr.index(iso2)]

    def party_name(self, party_id: str | None, fallback: str) -> str:
        if party_id is None:
            return fallback
        return self.case.parties[party_id].name

    def forces(self, iso2: str) -> str:
        return f"Armed forces of {self.cname(iso2)} (declared end user, simulated)"

    def authority(self, iso2: str) -> str:
        return f"Ministry of Defence of {self.cname(iso2)}{SIM}"

    # -- ids -----------------------------------------------------------------------------
    def ship_id(self) -> str:
        self.n_ship += 1
        return f"SIM-SHP-{self.n_ship:06d}"

    def cert_id(self, country: str, year: int) -> str:
        self.n_cert += 1
        return f"SIM-EUC-{country.upper()}-{year}-{self.n_cert:05d}"

    def lic_id(self, country: str, year: int) -> str:
        self.n_lic += 1
        return f"SIM-LIC-{country.upper()}-{year}-{self.n_lic:05d}"

    def in_years(self, d: date) -> bool:
        return self.years[0] <= d.year <= self.years[1]

    # -- records -------------------------------------------------------------------------
    def certificate(
        self,
        cid: str,
        product: Product,
        qty: float,
        exporter: str,
        exp_country: str,
        consignee: str,
        cons_country: str,
        end_user: str,
        eu_country: str,
        issued: date,
        licence_id: str,
    ) -> dict[str, Any]:
        return {
            "certificate_id": cid,
            "exporter": exporter,
            "exporter_country": exp_country,
            "consignee": consignee,
            "consignee_country": cons_country,
            "end_user": end_user,
            "end_user_country": eu_country,
            "final_destination": eu_country,
            "goods_description": product.name,
            "hs_code": product.hs_code,
            "ml_category": product.ml_category,
            "calibre": product.calibre,
            "quantity": float(qty),
            "unit": product.unit,
            "end_use": "for the end user's own use; no re-export",
            "non_reexport_clause": True,
            "issuing_authority": self.authority(eu_country),
            "signatory": f"Signing officer {self.n_cert % 97 + 1}{SIM}",
            "issue_date": issued.isoformat(),
            "valid_until": (issued + timedelta(days=365)).isoformat(),
            "delivery_verification": None,
            "licence_id": licence_id,
            "simulated": True,
        }

    def licence(
        self,
        lid: str,
        cert: dict[str, Any],
        product: Product,
        value_eur: float,
        issued: date,
        exporter_party: str | None,
    ) -> dict[str, Any]:
        year = issued.year
        rate = usd_per_eur(min(max(year, 1999), 2025))
        return {
            "licence_id": lid,
            "authority_country": cert["exporter_country"],
            "licence_type": "export",
            "status": "issued",
            "exporter": cert["exporter"],
            "exporter_id": exporter_party,
            "consignee": cert["consignee"],
            "consignee_country": cert["consignee_country"],
            "end_user": cert["end_user"],
            "end_user_country": cert["end_user_country"],
            "destination": cert["consignee_country"],
            "ml_category": product.ml_category,
            "hs_code": product.hs_code,
            "goods_description": product.name,
            "calibre": product.calibre,
            "quantity": cert["quantity"],
            "unit": product.unit,
            "value": round(value_eur, 2),
            "currency": "EUR",
            "value_eur": round(value_eur, 2),
            "value_usd": round(value_eur * rate, 2),
            "issued_date": issued.isoformat(),
            "valid_until": (issued + timedelta(days=365)).isoformat(),
            "certificate_id": cert["certificate_id"],
            "denial_criteria": None,
            "simulated": True,
        }

    def shipment(
        self,
        d: date,
        product: Product,
        qty: float,
        value_eur: float,
        sender: str,
        s_country: str,
        receiver: str,
        r_country: str,
        origin: str,
        transit: tuple[str, ...],
        transport: str,
        licence_id: str | None,
        cert_id: str | None,
        declared_dest: str | None = None,
    ) -> dict[str, Any]:
        sid = self.ship_id()
        rate = usd_per_eur(min(max(d.year, 1999), 2025))
        return {
            "shipment_id": sid,
            "ccd_number": f"{s_country.upper()}{d.year}EX{self.n_ship:07d}",
            "direction": "export",
            "date": d.isoformat(),
            "year": d.year,
            "declarant": sender,
            "sender": sender,
            "sender_country": s_country,
            "receiver": receiver,
            "receiver_country": r_country,
            "origin_country": origin,
            "departure_country": s_country,
            "destination_country": declared_dest or r_country,
            "trading_country": r_country,
            "transit_countries": list(transit),
            "hs_code": product.hs_code,
            "ml_category": product.ml_category,
            "goods_description": product.name,
            "calibre": product.calibre,
            "quantity": float(qty),
            "unit": product.unit,
            "net_weight_kg": round(qty * product.unit_weight_kg.value, 1),
            "value": round(value_eur, 2),
            "currency": "EUR",
            "value_usd": round(value_eur * rate, 2),
            "licence_id": licence_id,
            "certificate_id": cert_id,
            "transport": transport,
            "simulated": True,
        }

    def flow(
        self,
        d: date,
        exp: str,
        imp: str,
        origin: str,
        product: Product,
        qty: float,
        value_eur: float,
    ) -> None:
        if not self.in_years(d):
            return
        t = self.terr
        rate = usd_per_eur(min(max(d.year, 1999), 2025))
        self.docs.flows.add(
            d.year,
            t.index(exp),
            t.index(imp),
            t.index(origin),
            product.hs_code,
            value_eur * rate,
            qty * product.unit_weight_kg.value,
            qty,
        )

    # -- legitimate trade ----------------------------------------------------------------
    def legitimate(self, dem: Demand) -> None:
        product = self.case.products[dem.product]
        lo, hi = dem.annual_value_eur.low, dem.annual_value_eur.high
        for year in range(self.years[0], self.years[1] + 1):
            if dem.years and not dem.years[0] <= year <= dem.years[1]:
                continue
            annual = float(self.rng.uniform(lo, hi))
            if dem.seller is None:
                # Papers outside the data: the statistics see it, the customs extract does not.
                uv = float(
                    self.rng.uniform(product.unit_value_eur.low, product.unit_value_eur.high)
                )
                n = 12
                for k in range(n):
                    d = date(year, k + 1, 15)
                    self.flow(
                        d,
                        dem.seller_country,
                        dem.buyer_country,
                        dem.seller_country,
                        product,
                        annual / n / uv,
                        annual / n,
                    )
                continue
            self.legit_contract(dem, product, year, annual)

    def legit_contract(self, dem: Demand, product: Product, year: int, annual: float) -> None:
        rng = self.rng
        seller = self.case.parties[dem.seller] if dem.seller else None
        exporter = seller.name if seller else f"Exporter in {self.cname(dem.seller_country)}{SIM}"
        n = (
            int(dem.consignments_per_year.value)
            if dem.consignments_per_year
            else int(np.clip(annual / 4e6, 1, 8))
        )
        uv = float(rng.uniform(product.unit_value_eur.low, product.unit_value_eur.high))
        qty_total = max(1.0, round(annual / uv))
        issued = date(year, 1, 1) + timedelta(days=int(rng.integers(0, 60)))
        cid = self.cert_id(dem.buyer_country, year)
        lid = self.lic_id(dem.seller_country, year)
        consignee = f"State procurement agency of {self.cname(dem.buyer_country)}{SIM}"
        end_user = f"Armed forces of {self.cname(dem.buyer_country)}{SIM}"
        cert = self.certificate(
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
        if rng.random() < self.p_sloppy:
            cert["signatory"] = None
            flaws.append("missing_signatory")
        late = rng.random() < self.p_sloppy
        if late:
            cert["valid_until"] = (issued + timedelta(days=200)).isoformat()
            flaws.append("late_delivery")
        if rng.random() < 0.4:
            cert["delivery_verification"] = "delivery verification certificate received"
        detour = rng.random() < self.p_sloppy * 0.7
        lic = self.licence(
            lid,
            cert,
            product,
            qty_total * uv,
            issued + timedelta(days=int(rng.integers(5, 30))),
            dem.seller,
        )
        if not (self.in_years(issued)):
            return
        self.docs.certificates.append(cert)
        self.docs.licences.append(lic)
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
                declared = self._neighbour(dem.buyer_country, pick)
                flaws.append("declared_destination_differs")
            s = self.shipment(
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
            self.docs.shipments.append(s)
            ship_ids.append(s["shipment_id"])
            self.flow(
                d, dem.seller_country, dem.buyer_country, dem.seller_country, product, q, q * uv
            )
            self.docs.truth.append(
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
        self.docs.truth.append(
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

    def _neighbour(self, iso2: str, u: float) -> str:
        """Another territory of the same region (a bonded warehouse or a port next door),
        picked by ``u`` in [0, 1)."""
        t = self.terr
        i = t.index(iso2)
        same = [k for k in range(len(t)) if t.region[k] == t.region[i] and k != i]
        return t.iso2[same[min(int(u * len(same)), len(same) - 1)]]

    # -- diversion -----------------------------------------------------------------------
    def scheme(self, s: Scheme) -> None:
        rng = self.rng
        case = self.case
        product = case.products[s.product]
        months = _months(s.start, s.end)
        n = max(1, round(s.consignments_per_year.value * len(months) / 12))
        mid_uv = (product.unit_value_eur.low + product.unit_value_eur.high) / 2
        if s.quantity is not None:
            total_qty = s.quantity.value
        else:
            assert s.value_eur is not None
            total_qty = s.value_eur.value / mid_uv
        weights = rng.lognormal(0.0, 0.35, n)
        qtys = np.maximum(1.0, np.round(total_qty * weights / weights.sum()))
        days = sorted(_random_day(rng, months) for _ in range(n))
        origin = s.legs[0].origin
        exporter_party = s.exporter or s.producer
        exporter = self.party_name(exporter_party, f"Exporter in {self.cname(origin)}{SIM}")
        first = s.legs[0]
        consignee = self.party_name(first.party, f"Consignee in {self.cname(first.to)}{SIM}")
        declared_eu = (
            case.parties[s.declared_end_user].name if s.declared_end_user else self.forces(first.to)
        )
        markup = s.markup.value if s.markup else 0.1
        onward_cites = s.onward_cites_certificate.value if s.onward_cites_certificate else 0.3
        lacking = self._lacking(product, exclude={origin, s.legs[-1].to})
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
                cid = self.cert_id(first.to, issued.year)
                lid = self.lic_id(origin, issued.year)
                eu, eu_country = declared_eu, first.to
                if kind == "no_compatible_system":
                    eu_country = lacking[int(rng.integers(len(lacking)))]
                    eu = self.forces(eu_country)
                cert = self.certificate(
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
                visible = rng.random() < self.p_visible_flaw
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
            if new_cert and self.in_years(d0):
                self.docs.certificates.append(cert)
                self.docs.licences.append(
                    self.licence(
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
                receiver = self.party_name(leg.party, f"Consignee in {self.cname(leg.to)}{SIM}")
                if j:
                    lag = leg.lag_days
                    d = d + timedelta(
                        days=int(rng.integers(int(lag.low), int(lag.high) + 1))
                        if lag
                        else int(rng.integers(7, 46))
                    )
                    leg_value *= 1 + markup
                self.flow(d, leg.origin, leg.to, origin, product, q, leg_value)
                record = j == 0 or rng.random() < ONWARD_CUSTOMS_COVERAGE
                cites = j == 0 or rng.random() < onward_cites
                if record and self.in_years(d):
                    sh = self.shipment(
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
                    self.docs.shipments.append(sh)
                    ship_ids.append(sh["shipment_id"])
                    self.docs.truth.append(
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
            self.docs.truth.append(
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

    def _lacking(self, product: Product, exclude: set[str]) -> list[str]:
        """Countries of the case with no known weapon system for the product's calibre."""
        if not product.calibre:
            return []
        countries = set(self.case.holdings) | {p.country for p in self.case.parties.values()}
        for d in self.case.legitimate:
            countries |= {d.seller_country, d.buyer_country}
        for s in self.case.schemes:
            countries |= set(s.path)
        return sorted(
            c
            for c in countries - exclude
            if not compatible_systems(self.case, c, product.calibre, product.ammunition)
        )


def build_documents(
    case: Case, terr: Territories, years: tuple[int, int], rng: np.random.Generator, noise: float
) -> Documents:
    """Every case consignment, in case order (legitimate demand, then schemes)."""
    b = _Builder(case, terr, years, rng, noise)
    for dem in case.legitimate:
        b.legitimate(dem)
    for s in case.schemes:
        b.scheme(s)
    _merge_certificate_truth(b.docs)
    b.docs.truth.extend(_planted(case, b.docs, terr, years))
    return b.docs


def _merge_certificate_truth(docs: Documents) -> None:
    """One truth row per certificate (a reused one appears once per consignment: merge)."""
    merged: dict[str, dict[str, Any]] = {}
    rest = []
    for row in docs.truth:
        if row["kind"] != "certificate":
            rest.append(row)
            continue
        prev = merged.get(row["id"])
        if prev is None:
            merged[row["id"]] = row
            continue
        prev["reasons"] = sorted(set(prev["reasons"]) | set(row["reasons"]))
        prev["shipments"] = prev["shipments"] + row["shipments"]
        prev["quantity_used"] = max(prev.get("quantity_used", 0.0), row.get("quantity_used", 0.0))
    present = {c["certificate_id"] for c in docs.certificates}
    docs.truth = rest + [r for r in merged.values() if r["id"] in present]


def _planted(
    case: Case, docs: Documents, terr: Territories, years: tuple[int, int]
) -> list[dict[str, Any]]:
    """Routes and hubs the schemes plant: what the flow stages should find."""
    out: list[dict[str, Any]] = []
    iso3 = {terr.iso2[i]: terr.iso3[i] for i in range(len(terr))}
    for s in case.schemes:
        y0, y1 = max(int(s.start[:4]), years[0]), min(int(s.end[:4]), years[1])
        if y0 > y1:
            continue
        hs = case.products[s.product].hs_code
        out.append(
            {
                "simulated": True,
                "kind": "route",
                "scheme": s.id,
                "path": [iso3[c] for c in s.path],
                "product": hs,
                "years": [y0, y1],
                "description": s.description,
            }
        )
        for c in s.path[1:-1]:
            for y in range(y0, y1 + 1):
                out.append(
                    {
                        "simulated": True,
                        "kind": "hub",
                        "scheme": s.id,
                        "territory": iso3[c],
                        "product": hs,
                        "year": y,
                    }
                )
    return out


__all__ = ["Documents", "FlowParts", "Party", "build_documents"]
