"""The request population: diversion follows latent facts, and each fact leaves a trace an
officer can read (refusals, re-exports in the statistics, a register of the forces), while no
document flaw is planted on a diverted request."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from statistics import median
from typing import Any

import pytest

from transship.ingest.pipeline import ingest_paths
from transship.simulate import run
from transship.simulate.requests import published_governance
from transship.simulate.run import SimulationResult
from transship.store import Store

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "serbia-2025"
SMALL = {"seed": 11, "scale": 0.1, "years": "2021-2024"}


@pytest.fixture(scope="module")
def sims(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SimulationResult]:
    base = tmp_path_factory.mktemp("requests")
    return {
        n: run(CASE, base / n, noise=n, **SMALL)  # type: ignore[arg-type]
        for n in ("low", "high")
    }


def _truth(sim: SimulationResult) -> list[dict[str, Any]]:
    return [json.loads(x) for x in sim.truth_path.read_text("utf-8").splitlines()]


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text("utf-8").splitlines()[1:]))


def _requests(sim: SimulationResult) -> list[dict[str, Any]]:
    return [t for t in _truth(sim) if t["kind"] == "licence" and t["source"] == "request"]


def test_every_issued_licence_has_a_truth_row(sims: dict[str, SimulationResult]) -> None:
    sim = sims["low"]
    issued = {r["licence_id"] for r in _csv(sim.data_dir / "customs/licences.csv")}
    refused = {
        r["licence_id"]
        for r in _csv(sim.data_dir / "customs/licences.csv")
        if r["status"] == "refused"
    }
    rows = {t["id"]: t for t in _truth(sim) if t["kind"] == "licence"}
    assert set(rows) == issued - refused and refused
    # scheme licences are diverted, the case's own contracts are not, requests are mixed
    by_source: dict[str, set[bool]] = {}
    for t in rows.values():
        by_source.setdefault(t["source"], set()).add(t["diverted"])
    assert by_source == {"scheme": {True}, "demand": {False}, "request": {True, False}}
    assert sim.counts["licence_requests"] == len(rows)


def test_diversion_follows_the_latent_facts(sims: dict[str, SimulationResult]) -> None:
    reqs = _requests(sims["low"])
    share = sum(t["diverted"] for t in reqs) / len(reqs)
    assert 0.1 < share < 0.5, share

    def rate(key: str, high: bool) -> float:
        group = [t for t in reqs if (t["latent"][key] > 0) == high]
        return float(sum(bool(t["diverted"]) for t in group)) / len(group)

    assert rate("broker", True) > rate("broker", False)
    assert rate("reexport", True) > rate("reexport", False)
    assert rate("governance", False) > rate("governance", True)
    # diverted requests ask for more than the forces need, legitimate ones mostly less
    ratio = {
        d: median(
            t["latent"]["value_eur"] / t["latent"]["need_eur"] for t in reqs if t["diverted"] == d
        )
        for d in (True, False)
    }
    assert ratio[True] > 1.5 > 1.0 > ratio[False]


def test_noise_levels_share_requests_and_diversions(sims: dict[str, SimulationResult]) -> None:
    low, high = _requests(sims["low"]), _requests(sims["high"])
    assert [(t["id"], t["diverted"]) for t in low] == [(t["id"], t["diverted"]) for t in high]
    # the forces' register is measured with more error at high noise (same fleets drawn)
    regs = {n: _csv(sims[n].data_dir / "sipri/sipri_register_sim.csv") for n in ("low", "high")}
    assert regs["low"] and regs["high"]
    assert published_governance()


def test_no_document_flaw_is_planted_on_diverted_requests(
    sims: dict[str, SimulationResult],
) -> None:
    sim = sims["high"]
    truth = _truth(sim)
    requested = {t["id"] for t in truth if t["kind"] == "licence" and t["source"] == "request"}
    certs = _csv(sim.data_dir / "customs/certificates.csv")
    mine = [c for c in certs if c["licence_id"] in requested]
    diverted = {t["id"] for t in truth if t["kind"] == "licence" and t["diverted"]}
    for c in mine:
        # every essential element is there, whether the request was diverted or not, but for
        # the sloppiness legitimate papers share (a missing signatory)
        for name in ("issuing_authority", "end_use", "end_user", "valid_until"):
            assert c[name], (c["certificate_id"], name)
        assert c["non_reexport_clause"] == "true"
    missing = {
        d: [not c["signatory"] for c in mine if (c["licence_id"] in diverted) == d]
        for d in (True, False)
    }
    # the sloppiness rate is the same kind for both (not a planted tell): at high noise some
    # legitimate papers lack a signatory
    assert any(missing[False])


def test_traces_an_officer_can_read(sims: dict[str, SimulationResult], store: Store) -> None:
    sim = sims["low"]
    licences = _csv(sim.data_dir / "customs/licences.csv")
    refused = [r for r in licences if r["status"] == "refused"]
    assert refused and all(r["denial_criteria"] == "7" for r in refused)
    assert all(r["issued_date"][:4] < "2021" for r in refused)  # history before the period
    results = ingest_paths(store, [sim.data_dir])
    assert all(r.status == "ok" for r in results), [(r.file, r.message) for r in results]
    # the forces' register is stored as simulated SIPRI rows with the held systems' names
    rows = store.query(
        "SELECT recipient, designation, number_delivered, simulated, deal_id FROM arms_transfers"
    ).to_pylist()
    assert rows and all(r["simulated"] and int(r["deal_id"]) > 900_000_000 for r in rows)
    # a country's re-export propensity shows in the statistics: its exports of ammunition to
    # the destinations of concern, as either side reports them (a diverted request's own
    # onward leg is undeclared: no statistic shows it)
    from transship.simulate.requests import DESTINATIONS_OF_CONCERN

    concern = set(DESTINATIONS_OF_CONCERN) - {"ua"}
    seen = {
        str(a)
        for a, b in store.fetchall(
            "SELECT DISTINCT CASE WHEN flow IN ('X', 'RX') THEN reporter ELSE partner END, "
            "CASE WHEN flow IN ('X', 'RX') THEN partner ELSE reporter END "
            "FROM trade_flows WHERE hs_code LIKE '9306%'"
        )
        if str(b) in concern
    }
    latent = {t["consignee_country"]: t["latent"]["reexport"] for t in _requests(sim)}
    high = [c for c, r in latent.items() if r > 0]
    low = [c for c, r in latent.items() if r <= 0]
    assert high and low
    assert sum(c in seen for c in high) / len(high) > sum(c in seen for c in low) / len(low)


def test_delivery_verification_follows_the_issuing_state(
    sims: dict[str, SimulationResult],
) -> None:
    """The clause is on some certificates, diverted and legitimate alike, at the issuing
    state's rate: not on none (a finding that fires on every request says nothing) and not
    by the truth label (a planted flag)."""
    sim = sims["low"]
    reqs = {t["id"]: t for t in _requests(sim)}
    certs = [c for c in _csv(sim.data_dir / "customs/certificates.csv") if c["licence_id"] in reqs]
    has = {c["licence_id"]: bool(c["delivery_verification"]) for c in certs}
    for d in (True, False):
        group = [has[k] for k, t in reqs.items() if t["diverted"] == d and k in has]
        assert group and 0.1 < sum(group) / len(group) < 0.9, (d, sum(group), len(group))
    # states with a higher practice rate verify more often (the rate, not the label, decides)
    rate = {k: t["latent"]["delivery_verification_rate"] for k, t in reqs.items()}
    cut = median(rate.values())
    share = {
        hi: sum(has[k] for k in has if (rate[k] > cut) == hi)
        / max(1, sum(1 for k in has if (rate[k] > cut) == hi))
        for hi in (True, False)
    }
    assert share[True] > share[False], share
    # the same at every noise level (paired)
    high = {
        c["licence_id"]: bool(c["delivery_verification"])
        for c in _csv(sims["high"].data_dir / "customs/certificates.csv")
        if c["licence_id"] in reqs
    }
    assert high == has
