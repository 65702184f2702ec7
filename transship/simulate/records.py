"""The records the simulator writes for the case's own trade, and the builder that numbers them.

Licences, end-user certificates and customs declarations in transship's own formats (the store
columns of ``licences``, ``certificates`` and ``shipments``), the physical flows each leg adds
to the statistics (:class:`FlowParts`), and the ids and names every record gets. What the
records *say* is decided by :mod:`transship.simulate.legitimate` (ordinary contracts),
:mod:`transship.simulate.schemes` (the case's alleged diversion) and
:mod:`transship.simulate.requests` (the population of licence requests whose diversion depends
on latent facts); this module only builds the rows.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from transship.normalise.money import usd_per_eur
from transship.simulate.case import Case, Product
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
    #: Flows of the request population, reported with their own random stream so the case's
    #: and the background's reporting draws are the same with or without them.
    population_flows: FlowParts = field(default_factory=FlowParts)
    #: SIPRI-style register rows (:mod:`transship.simulate.register`); empty without requests.
    register: list[dict[str, Any]] = field(default_factory=list)


def months_between(start: str, end: str) -> list[tuple[int, int]]:
    y, m = map(int, start.split("-"))
    ye, me = map(int, end.split("-"))
    out = []
    while (y, m) <= (ye, me):
        out.append((y, m))
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return out


def random_day(rng: np.random.Generator, months: list[tuple[int, int]]) -> date:
    y, m = months[int(rng.integers(len(months)))]
    return date(y, m, int(rng.integers(1, calendar.monthrange(y, m)[1] + 1)))


class RecordBuilder:
    """Numbers and builds the records; holds the run's generator, noise and output."""

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
        population: bool = False,
    ) -> None:
        """A physical movement the statistics see (``population``: one of the request
        population's, kept apart for its own reporting draws)."""
        if not self.in_years(d):
            return
        t = self.terr
        rate = usd_per_eur(min(max(d.year, 1999), 2025))
        target = self.docs.population_flows if population else self.docs.flows
        target.add(
            d.year,
            t.index(exp),
            t.index(imp),
            t.index(origin),
            product.hs_code,
            value_eur * rate,
            qty * product.unit_weight_kg.value,
            qty,
        )

    def neighbour(self, iso2: str, u: float) -> str:
        """Another territory of the same region (a bonded warehouse or a port next door),
        picked by ``u`` in [0, 1)."""
        t = self.terr
        i = t.index(iso2)
        same = [k for k in range(len(t)) if t.region[k] == t.region[i] and k != i]
        return t.iso2[same[min(int(u * len(same)), len(same) - 1)]]
