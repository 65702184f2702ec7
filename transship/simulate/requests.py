"""A population of licence requests whose diversion depends on latent facts.

The case's schemes are the alleged diversion, written as the report tells it; on their own they
make a poor test of a risk assessment, because every scheme licence is diverted by construction
and what gives most of them away is a flaw the simulator itself planted. Around them this module
writes the exporting country's ordinary flow of licence requests -- consignees in the countries
whose forces use the calibre, each request through a broker -- and decides which requests are
diverted from facts a licensing officer never sees directly but can infer from what is
published:

* **governance** of the consignee's country. The latent value is the published indicator (the
  governance table :mod:`transship.risk` ships, as a z-score) plus an error: published
  indicators measure governance with error. A country the table lacks gets a drawn value that
  nothing published shows. (Noise widens the other traces: the register's error and the
  statistics' reporting noise; the latent facts themselves, hence which requests are
  diverted, are the same at every noise level.)
* **the broker's history.** Each broker (the licence holder) has a latent propensity. It shows
  as earlier licence refusals under criterion 7 (written into the licence file, dated in the
  three years before the simulated period) and, as the years go by, as the broker's earlier
  diverted deals (onward customs records citing its certificates).
* **the consignee country's re-export record.** Each country has a latent re-export
  propensity; countries above the middle re-export the product every year to a destination of
  concern, so trade statistics show it (as re-exports or exports of foreign goods, with the
  country's reporting noise). A diverted request's own onward leg is undeclared (smuggled or
  handed to an armed group): no statistic and no customs record shows it, so nothing
  published after the request gives that request away.
* **quantity.** Each country's forces have a latent yearly need for the product, growing with
  the country's size (the statistics' gravity weight) and spread log-normally. Legitimate
  requests ask for part of a year's need (15 % of them, stockpile orders, for two to three
  years' need); diverted ones for about twice a year's need, so a request far beyond what
  the country imported before is suspicious but not proof.

* **delivery verification** is the issuing state's practice, not the request's: each
  consignee country (the state whose authority issues the certificate) has a latent rate
  ``sigmoid(DV_BASE + DV_GOV * governance + DV_SPREAD * z)`` at which its certificates
  accept a delivery-verification clause (about 40 % at average governance, the share the
  case's own contracts carry; more where administration is stronger). A diverted request's
  certificate carries the clause at its state's rate exactly like a legitimate one: the
  clause follows the state, never the truth label, so its absence is weak context, not a
  planted flag. These draws come from a generator spawned from the requests' own (no draw
  of the requests' stream moves).

The diversion probability is ``sigmoid(BASE + W_GOV * -governance + W_BROKER * broker +
W_REEXPORT * reexport)``; the weights are assumptions (module constants), said in
``docs/simulation.md``. No document flaw is planted on a diverted request: its certificate is a
genuine-looking paper naming the consignee country's forces as end user, and it is exactly as
sloppy as a legitimate one (``p_sloppy``), so document checks alone cannot rank these requests
above chance.

Every draw comes from the requests' own generator (stream 3), drawn in the same order at every
noise level (noise only scales errors), so low, medium and high share the same requests and
the same diversions: paired comparisons.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from statistics import NormalDist
from typing import Any

import numpy as np

from transship.exc import TransshipError
from transship.simulate.case import Case, Product, compatible_systems
from transship.simulate.records import SIM, RecordBuilder
from transship.simulate.register import FIRED_PER_SYSTEM, designation, register_rows

#: Requests a year from the exporting country (at every scale: they are documents, not trade).
REQUESTS_PER_YEAR = 40
#: Diversion model: logit = BASE + W_GOV * (-governance) + W_BROKER * broker + W_REEXPORT * r.
BASE = -1.5
W_GOV = 0.9
W_BROKER = 1.0
W_REEXPORT = 0.8
#: Error of the published governance indicator around the latent value (the same at every
#: noise level: the true governance, hence who diverts, must not move with the noise).
GOV_ERROR_SD = 0.45
#: Invented brokers beside the case's own brokers and state exporters in the exporting country.
EXTRA_BROKERS = 6
#: Yearly need of a country's forces for one product, EUR, at a gravity weight of 100 (GDP USD bn).
NEED_EUR_AT_100 = 0.5e6
#: Ratio of a diverted request to a year's need (log-normal around it).
DIVERTED_NEED_RATIO = 2.0
#: Share of legitimate requests that order two to three years' need at once (stockpiles).
MULTI_YEAR_SHARE = 0.15
#: Yearly re-exports of the product by a country with re-export propensity r > 0, EUR.
REEXPORT_EUR = 0.5e6
#: Where diverted requests and re-exports end up (those present among the simulated territories).
DESTINATIONS_OF_CONCERN = ("ua", "iq", "et", "ml", "bf", "az", "am", "ly", "sd", "ye", "sy")
#: Delivery-verification practice of the issuing state: sigmoid(DV_BASE + DV_GOV * governance
#: + DV_SPREAD * z) of its certificates carry the clause (assumptions: ~40 % at average
#: governance, as transship.simulate.legitimate's 0.4; states that verify do so more where
#: administration is stronger; a state-level spread so practice differs between neighbours).
DV_BASE = -0.4
DV_GOV = 0.5
DV_SPREAD = 0.8
DELIVERY_VERIFICATION = "delivery verification certificate received"
#: Refusals under criterion 7 written before the simulated period: Poisson(REFUSALS * e^broker).
REFUSALS = 0.5
TRUTH_KIND = "licence"
#: Truth rows of the background re-exports (routes and hubs the case does not allege).
REEXPORT_KIND = "reexport"


@dataclass(slots=True)
class Broker:
    party_id: str | None
    name: str
    latent: float
    refusals: int


def published_governance() -> dict[str, float]:
    """The governance indicator the risk stage ships, as a z-score per lowercase ISO2 (ISO3
    codes are mapped; empty when no table is shipped). Read from ``transship/data/governance.csv``: the first
    numeric column other than a year, standardised over the table's countries."""
    try:
        text = (resources.files("transship.data") / "governance.csv").read_text("utf-8")
    except (FileNotFoundError, OSError):
        return {}
    rows = [r for r in csv.DictReader(line for line in text.splitlines() if line[:1] != "#")]
    if not rows:
        return {}
    keys = list(rows[0])
    code = next(
        (k for k in keys if k.lower() in ("territory", "iso2", "country", "iso3", "code")), None
    )
    value_key = None
    for k in keys:
        if k == code or "year" in k.lower():
            continue
        if all(_number(r.get(k)) is not None for r in rows[:20] if r.get(k)):
            if any(r.get(k) for r in rows[:20]):
                value_key = k
                break
    if code is None or value_key is None:
        return {}
    values: dict[str, list[float]] = {}
    for r in rows:
        v = _number(r.get(value_key))
        c = str(r.get(code) or "").strip().lower()
        if v is not None and c:
            values.setdefault(c, []).append(v)
    if not values:
        return {}
    from transship.simulate.world import load_territories

    terr = load_territories()
    to2 = {terr.iso3[i].lower(): terr.iso2[i] for i in range(len(terr))}
    last = {to2.get(c, c): vs[-1] for c, vs in values.items()}
    arr = np.array(list(last.values()))
    if "rnk" in text.lower() and 0.0 <= float(arr.min()) and float(arr.max()) <= 100.0:
        # a percentile rank among all countries: its normal quantile is a z-score over the
        # world, not over the few countries a partial table lists
        normal = NormalDist()
        return {c: normal.inv_cdf(min(max(v / 100.0, 0.01), 0.99)) for c, v in last.items()}
    sd = float(arr.std()) or 1.0
    mean = float(arr.mean())
    return {c: (v - mean) / sd for c, v in last.items()}


def _number(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


class RequestPopulation:
    """Writes the requests into ``b.docs`` (call :meth:`write` once, after the schemes)."""

    def __init__(self, b: RecordBuilder, rng: np.random.Generator) -> None:
        self.b = b
        self.rng = rng
        case = b.case
        self.origin: str = _main_origin(case) or ""
        self.products = [p for p in case.products.values() if p.calibre]
        t = b.terr
        present = set(t.iso2)
        # the case's own destinations are left to the case's schemes: the population's
        # diversions must not pose as (or hide) the routes the case plants
        ends = {s.path[-1] for s in case.schemes}
        self.concern = [
            c
            for c in DESTINATIONS_OF_CONCERN
            if c in present and c != self.origin and c not in ends
        ]
        n = len(t)
        published = published_governance()
        # Latent facts, one draw per territory in territory order (fixed at every noise level).
        z_gov_error = rng.standard_normal(n)
        z_unpublished = rng.standard_normal(n)
        self.reexport = rng.standard_normal(n)
        self.need_spread = rng.standard_normal(n)
        self.governance = np.array(
            [
                published[t.iso2[i]] + GOV_ERROR_SD * z_gov_error[i]
                if t.iso2[i] in published
                else z_unpublished[i]
                for i in range(n)
            ]
        )
        self.published = published
        # the issuing states' delivery-verification practice, from a spawned generator so
        # that no draw of the requests' own stream moves (spawning does not advance it)
        self.dv_rng = rng.spawn(1)[0]
        z_dv = self.dv_rng.standard_normal(n)
        self.verification_rate = 1.0 / (
            1.0 + np.exp(-(DV_BASE + DV_GOV * self.governance + DV_SPREAD * z_dv))
        )
        self.brokers = self._brokers(case)

    def _brokers(self, case: Case) -> list[Broker]:
        own = [
            p
            for p in case.parties.values()
            if p.country == self.origin and {"broker", "state_exporter"} & set(p.roles)
        ]
        z = self.rng.standard_normal(len(own) + EXTRA_BROKERS)
        refusals = self.rng.poisson(REFUSALS * np.exp(z))
        out = [Broker(p.id, p.name, float(z[i]), int(refusals[i])) for i, p in enumerate(own)]
        country = self.b.cname(self.origin)
        for k in range(EXTRA_BROKERS):
            i = len(own) + k
            out.append(
                Broker(None, f"{country} Trade Agency {k + 1}{SIM}", float(z[i]), int(refusals[i]))
            )
        return out

    def candidates(self, product: Product) -> list[int]:
        """Territories whose forces are known to field a system for the calibre (shipped
        table or the case's holdings): legitimate buyers an officer would not refuse on sight."""
        t = self.b.terr
        out = []
        for i in range(len(t)):
            c = t.iso2[i]
            if c == self.origin or c in self.concern:
                continue
            assert product.calibre is not None
            if compatible_systems(self.b.case, c, product.calibre, product.ammunition):
                out.append(i)
        return out

    def need_eur(self, i: int) -> float:
        """Latent yearly need of territory ``i``'s forces for one product (EUR)."""
        gdp = float(self.b.terr.gdp[i])
        return float(NEED_EUR_AT_100 * (gdp / 100.0) ** 0.5 * math.exp(0.5 * self.need_spread[i]))

    def write(self) -> None:
        if not self.origin or not self.products or not self.concern:
            return
        b, rng = self.b, self.rng
        self._refusals()
        pools = {p.id: self.candidates(p) for p in self.products}
        for year in range(b.years[0], b.years[1] + 1):
            self._reexports(year)
            for _ in range(REQUESTS_PER_YEAR):
                # every draw made whatever is used, so all noise levels stay paired
                pi = int(rng.integers(len(self.products)))
                u_country, bi = float(rng.random()), int(rng.integers(len(self.brokers)))
                u_div, z_qty, u_day = (
                    float(rng.random()),
                    float(rng.standard_normal()),
                    rng.random(),
                )
                u_dest, u_onward, u_cite = float(rng.random()), rng.random(), rng.random()
                u_sloppy, u_firm = float(rng.random()), int(rng.integers(3))
                u_multi = float(rng.random())
                product = self.products[pi]
                pool = pools[product.id]
                if not pool:
                    continue
                w = np.sqrt(b.terr.gdp[pool])
                ci = pool[
                    min(int(np.searchsorted(np.cumsum(w / w.sum()), u_country)), len(pool) - 1)
                ]
                self._request(
                    year,
                    product,
                    ci,
                    self.brokers[bi],
                    u_div,
                    z_qty,
                    float(u_day),
                    u_dest,
                    float(u_onward),
                    float(u_cite),
                    u_sloppy,
                    u_firm,
                    u_multi,
                )
        self._register(pools)

    def probability(self, ci: int, broker: Broker) -> float:
        logit = (
            BASE
            - W_GOV * float(self.governance[ci])
            + W_BROKER * broker.latent
            + W_REEXPORT * float(self.reexport[ci])
        )
        return 1.0 / (1.0 + math.exp(-logit))

    def _request(
        self,
        year: int,
        product: Product,
        ci: int,
        broker: Broker,
        u_div: float,
        z_qty: float,
        u_day: float,
        u_dest: float,
        u_onward: float,
        u_cite: float,
        u_sloppy: float,
        u_firm: int,
        u_multi: float,
    ) -> None:
        b = self.b
        country = b.terr.iso2[ci]
        p = self.probability(ci, broker)
        diverted = u_div < p
        need = self.need_eur(ci)
        if diverted:
            value = need * DIVERTED_NEED_RATIO * math.exp(0.5 * z_qty)
        else:
            value = need * (0.2 + 0.8 / (1.0 + math.exp(-z_qty)))
            if u_multi < MULTI_YEAR_SHARE:  # a stockpile order for several years' need
                value *= 2.0 + u_multi / MULTI_YEAR_SHARE
        uv = (product.unit_value_eur.low + product.unit_value_eur.high) / 2
        qty = max(1.0, round(value / uv))
        issued = date(year, 1, 1) + timedelta(days=int(u_day * 300))
        cid = b.cert_id(country, year)
        lid = b.lic_id(self.origin, year)
        firms = (
            f"State procurement agency of {b.cname(country)}{SIM}",
            f"{b.cname(country)} Defence Supply Ltd{SIM}",
            f"{b.cname(country)} Security Logistics{SIM}",
        )
        consignee = firms[u_firm]
        cert = b.certificate(
            cid,
            product,
            qty,
            broker.name,
            self.origin,
            consignee,
            country,
            b.forces(country),
            country,
            issued,
            lid,
        )
        # one draw per request in request order (paired noise levels): the issuing state's
        # practice decides, whatever the request's fate
        if float(self.dv_rng.random()) < float(self.verification_rate[ci]):
            cert["delivery_verification"] = DELIVERY_VERIFICATION
        flaws: list[str] = []
        if u_sloppy < b.p_sloppy:
            cert["signatory"] = None
            flaws.append("missing_signatory")
        lic = b.licence(lid, cert, product, qty * uv, issued + timedelta(days=10), broker.party_id)
        b.docs.certificates.append(cert)
        b.docs.licences.append(lic)
        d = issued + timedelta(days=40)
        ship = b.shipment(
            d,
            product,
            qty,
            qty * uv,
            broker.name,
            self.origin,
            consignee,
            country,
            self.origin,
            (),
            "road",
            lid,
            cid,
        )
        b.docs.shipments.append(ship)
        b.flow(d, self.origin, country, self.origin, product, qty, qty * uv, population=True)
        ship_ids = [ship["shipment_id"]]
        dest = None
        if diverted:
            # the goods leave the consignee's country undeclared (smuggled, or handed to an
            # armed group): neither the statistics nor a customs record see the onward leg,
            # so nothing published after the request gives it away; u_onward and u_cite are
            # drawn all the same (paired runs)
            dest = self.concern[min(int(u_dest * len(self.concern)), len(self.concern) - 1)]
        for k, sid in enumerate(ship_ids):
            b.docs.truth.append(
                {
                    "simulated": True,
                    "kind": "shipment",
                    "id": sid,
                    "diverted": diverted,
                    "scheme": None,
                    "request": lid,
                    "consignment": f"REQ-{lid}" if diverted else None,
                    "leg": k + 1,
                    "origin": self.origin,
                    "via": [country] if diverted else [],
                    "final_destination": dest if diverted else country,
                    "certificate": cid,
                }
            )
        b.docs.truth.append(
            {
                "simulated": True,
                "kind": "certificate",
                "id": cid,
                "false": diverted,
                "reasons": ["misleading"] if diverted else [],
                "scheme": None,
                "request": lid,
                "legitimate_flaws": [] if diverted else flaws,
                "planted_flaws": flaws if diverted else [],
                "shipments": ship_ids,
                "quantity_used": qty,
                "quantity_certified": qty,
            }
        )
        b.docs.truth.append(
            {
                "simulated": True,
                "kind": TRUTH_KIND,
                "id": lid,
                "diverted": diverted,
                "source": "request",
                "probability": round(p, 4),
                "consignee_country": country,
                "broker": broker.name,
                "latent": {
                    "governance": round(float(self.governance[ci]), 4),
                    "governance_published": (
                        round(self.published[country], 4) if country in self.published else None
                    ),
                    "broker": round(broker.latent, 4),
                    "reexport": round(float(self.reexport[ci]), 4),
                    "need_eur": round(need, 2),
                    "delivery_verification_rate": round(float(self.verification_rate[ci]), 4),
                    "value_eur": round(qty * uv, 2),
                },
                "final_destination": dest,
            }
        )

    def _register(self, pools: dict[str, list[int]]) -> None:
        """The forces' weapons as a SIPRI-style register shows them (a floor), drawn after
        every request so the requests' draws do not depend on it."""
        from transship.normalise.territories import from_iso, from_name

        b = self.b
        fleets: list[tuple[str, str, str, float]] = []
        names: dict[str, str] = {}
        for product in self.products:
            assert product.calibre is not None
            uv = (product.unit_value_eur.low + product.unit_value_eur.high) / 2
            per = FIRED_PER_SYSTEM.get(product.ammunition, FIRED_PER_SYSTEM[None])
            for i in pools[product.id]:
                c = b.terr.iso2[i]
                systems = [
                    s
                    for s in compatible_systems(b.case, c, product.calibre, product.ammunition)
                    if designation(s)
                ]
                if not systems:
                    continue
                try:
                    name = from_iso(c).name
                    if from_name(name).code != c:
                        continue
                except TransshipError:
                    continue
                names[c] = name
                count = self.need_eur(i) / uv / per
                fleets.append((c, systems[0], f"launcher or gun for {product.name}", count))
        b.docs.register.extend(register_rows(fleets, names, b.years[0] - 3, self.rng, b.noise))

    def _refusals(self) -> None:
        """Earlier refusals under criterion 7: the broker's visible history."""
        b = self.b
        y0 = b.years[0]
        for k, broker in enumerate(self.brokers):
            for j in range(broker.refusals):
                product = self.products[(k + j) % len(self.products)]
                country = self.concern[(k * 3 + j) % len(self.concern)]
                issued = date(y0 - 1 - j % 3, 1 + (k + j) % 12, 10)
                lid = b.lic_id(self.origin, issued.year)
                b.docs.licences.append(
                    {
                        "licence_id": lid,
                        "authority_country": self.origin,
                        "licence_type": "export",
                        "status": "refused",
                        "exporter": broker.name,
                        "exporter_id": broker.party_id,
                        "consignee": f"Consignee in {b.cname(country)}{SIM}",
                        "consignee_country": country,
                        "end_user": b.forces(country),
                        "end_user_country": country,
                        "destination": country,
                        "ml_category": product.ml_category,
                        "hs_code": product.hs_code,
                        "goods_description": product.name,
                        "calibre": product.calibre,
                        "issued_date": issued.isoformat(),
                        "denial_criteria": "7",
                        "simulated": True,
                    }
                )

    def _reexports(self, year: int) -> None:
        """Countries with a re-export propensity above the middle pass the product on every
        year (foreign goods, so importers may report them against the producer)."""
        b = self.b
        t = b.terr
        producers = [self.origin]
        for i in range(len(t)):
            r = float(self.reexport[i])
            c = t.iso2[i]
            if r <= 0 or c == self.origin or c in self.concern:
                continue
            product = self.products[(i + year) % len(self.products)]
            dest = self.concern[(i + year) % len(self.concern)]
            value = REEXPORT_EUR * math.exp(1.5 * r)
            uv = (product.unit_value_eur.low + product.unit_value_eur.high) / 2
            when = date(year, 6, 30)
            b.flow(when, c, dest, producers[0], product, value / uv, value, population=True)
            if b.in_years(when):
                # a real onward route, but not one the case alleges: the flow stages'
                # validation neither credits nor charges a detector for it (docs/validation.md)
                b.docs.truth.append(
                    {
                        "simulated": True,
                        "kind": REEXPORT_KIND,
                        "path": [t.iso3[t.index(x)] for x in (producers[0], c, dest)],
                        "territory": t.iso3[i],
                        "product": product.hs_code,
                        "year": year,
                        "value_eur": round(value, 2),
                    }
                )


def _main_origin(case: Case) -> str | None:
    """The country most of the case's schemes start from (the exporting state)."""
    counts: dict[str, int] = {}
    for s in case.schemes:
        counts[s.path[0]] = counts.get(s.path[0], 0) + 1
    if not counts:
        return None
    return max(sorted(counts), key=lambda c: counts[c])


def write_requests(b: RecordBuilder, rng: np.random.Generator) -> None:
    """The request population of ``b``'s case, into ``b.docs`` (module docstring)."""
    RequestPopulation(b, rng).write()


__all__ = ["RequestPopulation", "published_governance", "write_requests"]
