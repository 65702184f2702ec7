"""Route intervals mean what they say: the error model's fit and laws on known cases, the
capture-recapture arithmetic, no clamp on real data, and coverage of the stated 90 % on a
simulation's true flows beside the earlier fixed-sigma model, measured in the same run."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from transship.flows.route_coverage import measure_case, true_route, true_worlds
from transship.flows.route_errors import (
    ErrorModel,
    draw_law,
    fit_error_model,
    presence,
    report_law,
)
from transship.flows.routes import INTERVAL_LEVEL, find_routes
from transship.ingest.pipeline import ingest_file
from transship.simulate import run
from transship.simulate.truth import read_true_flows
from transship.store import Store, connect

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "serbia-2025"


def test_error_model_recovers_a_known_mixture() -> None:
    """Gaps of two sides, each off by a core error or (30 %) one eight times wider: the fit
    finds the tail from the gaps alone, and prefers it to a normal law."""
    rng = np.random.default_rng(3)
    n = 4000
    own = rng.uniform(0.1, 0.4, (2, n))  # each side's own scale
    wide = rng.random((2, n)) < 0.3
    err = rng.standard_normal((2, n)) * own * np.where(wide, 8.0, 1.0)
    d = err[1] - err[0]
    model = fit_error_model(d, own[0] * math.sqrt(2), own[1] * math.sqrt(2))
    assert 0.2 <= model.p <= 0.4
    assert 6.0 <= model.k <= 11.0
    assert 0.8 <= model.c <= 1.25
    assert model.log_lik > model.log_lik_normal + 0.1
    assert "tail share" in model.describe()


def test_two_reports_that_disagree_give_two_modes() -> None:
    """Agreeing reports: a narrow law near both. Reports a factor 100 apart: the truth is
    near one of them, not near their geometric mean (where the point estimate sits)."""
    model = ErrorModel(p=0.3, k=8.0, c=1.0, residuals=1000, log_lik=0.0, log_lik_normal=0.0)
    one = np.array([0.6])
    rng = np.random.default_rng(0)
    basis = np.array([1, 1], dtype=np.int8)
    x = np.array([100.0, 100.0])
    m = np.array([101.0, 10_000.0])
    law = report_law(basis, np.sqrt(x * m), x, m, *(np.repeat(one, 2),) * 2, np.zeros(2), model)
    draws = np.exp(draw_law(law, rng, 20_000))
    lo, hi = np.quantile(draws[:, 0], [0.05, 0.95])
    assert 40 < lo < 100 < hi < 250
    far = draws[:, 1]
    near_a_report = (np.abs(np.log(far / 100)) < 0.7) | (np.abs(np.log(far / 10_000)) < 0.7)
    near_the_mean = np.abs(np.log(far / 1_000)) < 0.5
    assert near_a_report.mean() > 0.6
    assert near_the_mean.mean() < 0.2


def test_presence_arithmetic() -> None:
    # regular pairs: 80 both, 10 exporter-only, 10 importer-only -> c_x = c_m = 8/9
    p = presence((80, 10, 10), (2, 8, 10), years_of_regular=100, seen=90)
    assert p.c_x == pytest.approx(8 / 9) and p.c_m == pytest.approx(8 / 9)
    # a real flow is one-sided r = 2 (8/9)(1/9) / (8/9)^2 = 1/4 as often as two-sided:
    # 2 two-sided isolated cells explain 0.5 of the 18 one-sided ones
    assert p.phantom == pytest.approx(17.5 / 18)
    q = (1 / 9) ** 2
    pi = 0.9 / (1 - q)
    assert p.hidden == pytest.approx(pi * q / (pi * q + 1 - pi))
    # no excess of one-sided cells: no phantom; nothing two-sided: nothing to estimate from
    assert presence((80, 10, 10), (8, 1, 1), 100, 90).phantom == 0.0
    assert presence((0, 5, 5), (0, 1, 1), 10, 9).hidden == 0.0


def test_real_wood_intervals_are_not_forced_around_the_point(
    shared_data: Path, tmp_path: Path
) -> None:
    """On the real Comtrade wood files some routes' point estimates rest on reports the
    model doubts, and their intervals are left where the model puts them."""
    folder = shared_data / "comtrade-hs2-oil-wood-sample"
    store = connect(tmp_path / "wood.duckdb")
    for year in (2015, 2016, 2017):
        ingest_file(store, folder / f"comtrade_wood_hs44_{year}.csv")
    routes = find_routes(store, "RUS", product="44", resamples=100, max_hops=2)
    assert len(routes) >= 50
    assert all(r.interval_level == INTERVAL_LEVEL and r.low <= r.high for r in routes)
    outside = [r for r in routes if not r.low <= r.share <= r.high]
    assert outside, "no interval excludes its point: is the clamp back?"
    assert all("tail share" in r.interval_detail for r in routes)
    store.close()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Path]:
    """The Serbia case at the calibrated (medium) noise, seed 11 (the interval model was
    developed on seed 5), reported Comtrade-style and ingested."""
    base = tmp_path_factory.mktemp("coverage")
    sim = base / "sim"
    run(CASE, sim, seed=11, scale=0.3, years="2020-2024", noise="medium")
    store = connect(base / "sim.duckdb")
    for f in sorted((sim / "data" / "comtrade").glob("*.csv")):
        ingest_file(store, f)
    return store, sim


@pytest.mark.slow
@pytest.mark.parametrize("noise", ["medium", "low"])
def test_coverage_of_the_stated_level(noise: str, tmp_path: Path) -> None:
    """Share of routes whose true value (the chain's attribution on the true flows) lies in
    the stated 90 % interval: in 0.75-0.98 for the fitted model, and above the earlier
    fixed-sigma model's on the same routes, at medium and low noise, seed 11 (the interval
    model was developed on seed 5). The harness of docs/validation.md on every third
    product, to keep the test short (the table has every product and three noise levels; on
    these products the model before the tail's direction covered 0.73 at low noise and
    0.79 at medium)."""
    out = measure_case(CASE, tmp_path, seed=11, noise=noise, every=3)
    fitted, baseline = out["fitted"], out["baseline"]
    assert fitted["routes"] == baseline["routes"] >= 200
    cov, base = fitted["value_coverage"], baseline["value_coverage"]
    assert 0.75 <= cov <= 0.98, f"coverage {cov:.3f} of the stated 90% (baseline {base:.3f})"
    assert cov > base


def test_true_route_is_the_chain_on_true_flows(simulated: tuple[Store, Path]) -> None:
    """The estimand: a direct route's true value is the true flow times the destination's
    true absorption, summed over the route's years."""
    store, sim = simulated
    truth = read_true_flows(sim)
    route = find_routes(store, "SRB", product="930690", resamples=0, max_hops=1)[0]
    world = true_worlds(truth, {"930690"})["930690"]
    share, value = true_route(route, world)
    o, d = (world.index[c] for c in route.path)
    expect = 0.0
    for y in route.years:
        ch = world.chain(y)
        assert ch is not None
        expect += float(ch.flows[o, d] * ch.absorb[d])
    assert value == pytest.approx(expect, rel=1e-9)
    assert 0 < share <= 1
