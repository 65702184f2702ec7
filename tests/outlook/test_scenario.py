"""Scenario runs against closed forms: fixed parameters equal their arithmetic, a uniform
parameter's interval matches its analytic quantiles, seeds reproduce, bad files are named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from transship.exc import SourceFormatError
from transship.outlook import evidence, scenario
from transship.outlook.models import MODELS, run_python

FIXED = """
case: .
runs: {runs}
seed: 3
scenarios:
  - id: s1
    model: gas_cut
    levers:
      cut_share: {{fixed: 0.5, lever: true}}
      months: {{fixed: 12, lever: true}}
    parameters:
      volume_bcm: {{fixed: 2.0, claim: T1}}
      paid_eur: {paid}
      spare_bcm: {{fixed: 0.4, assumption: test}}
      lead_months: {{fixed: 3, assumption: test}}
      premium_share: {{fixed: 0.5, assumption: test}}
      shortage_multiplier: {{fixed: 2, assumption: test}}
      resale_share: {{fixed: 0.25, assumption: test}}
      gdp_eur: {{fixed: 5.0e10, assumption: test}}
"""


def write(case: Path, paid: str = "{fixed: 1.0e9, claim: T2}", runs: int = 1000) -> Path:
    path = case / "scenarios.yaml"
    path.write_text(FIXED.format(paid=paid, runs=runs), encoding="utf-8")
    return path


def test_fixed_parameters_equal_their_arithmetic(case: Path) -> None:
    r = scenario.run(write(case)).scenarios[0]
    # cut 1.0 bcm/yr; 3 months waiting: 0.25 unmet; then 9 months: 0.4*0.75 = 0.3 replaced,
    # 0.6*0.75 = 0.45 unmet; price EUR 0.5 bn per bcm.
    assert r.impact("replaced_bcm").median == pytest.approx(0.3)
    assert r.impact("unmet_bcm").median == pytest.approx(0.7)
    cost = 0.3 * 0.5e9 * 0.5 + 0.7 * 0.5e9 * 2
    assert r.impact("cost_to_target_eur").p5 == pytest.approx(cost)
    assert r.impact("cost_to_target_eur").p95 == pytest.approx(cost)
    assert r.impact("cost_to_actor_eur").median == pytest.approx(1.0 * 0.5e9 * 0.75)
    assert r.impact("share_of_gdp_pct").median == pytest.approx(cost / 5e10 * 100)
    assert r.impact("covered").mean == 0.0
    assert r.sensitivity == []  # nothing uncertain


def test_a_uniform_parameter_has_its_analytic_quantiles(case: Path) -> None:
    path = write(case, "{dist: uniform, low: 0.6e9, high: 1.4e9, assumption: test}", runs=200_000)
    r = scenario.run(path).scenarios[0]
    # cost is linear in paid: cost = paid / 2.0 * (0.3 * 0.5 + 0.7 * 2) = paid * 0.775
    for q, got in (
        (0.05, r.impact("cost_to_target_eur").p5),
        (0.95, r.impact("cost_to_target_eur").p95),
    ):
        want = (0.6e9 + q * 0.8e9) * 0.775
        assert got == pytest.approx(want, rel=0.01)
    assert r.sensitivity[0]["parameter"] == "paid_eur" and r.sensitivity[0]["rho"] == pytest.approx(
        1.0
    )


def test_seeds_reproduce_and_differ(case: Path) -> None:
    path = write(case, "{dist: uniform, low: 0.6e9, high: 1.4e9, assumption: test}")
    a = scenario.run(path, seed=11).scenarios[0].impact("cost_to_target_eur")
    b = scenario.run(path, seed=11).scenarios[0].impact("cost_to_target_eur")
    c = scenario.run(path, seed=12).scenarios[0].impact("cost_to_target_eur")
    assert a.to_dict() == b.to_dict() and a.median != c.median


def test_the_vectorised_model_is_the_plain_python_one() -> None:
    rng = np.random.default_rng(0)
    for name, model in MODELS.items():
        draws = {p: rng.uniform(0.1, 3.0, 500) for p in model.parameters}
        draws["months"] = rng.uniform(0, 12, 500)
        vec = model.run(draws)
        loop = run_python(name, {k: v.tolist() for k, v in draws.items()})
        for k in model.outputs:
            assert np.allclose(vec[k], loop[k]), (name, k)


def test_claimed_ranges_widen_with_the_grade(case: Path) -> None:
    path = write(case, "{claim: T2, value: 1.0e9, spread: 0.1}")
    r = scenario.run(path).scenarios[0]
    paid = next(p for p in r.parameters if p.name == "paid_eur")
    c = paid.claim
    assert c is not None
    w = 0.1 * evidence.spread_factor(c)
    assert paid.args == pytest.approx({"low": 1e9 * (1 - w), "high": 1e9 * (1 + w)})
    weak = evidence.Cited("X", "", "E", 5, 1, None, "", "", (0, 0))
    strong = evidence.Cited("Y", "", "A", 1, 3, None, "", "", (0, 0))
    assert (
        evidence.spread_factor(weak) > evidence.spread_factor(c) >= evidence.spread_factor(strong)
    )


@pytest.mark.parametrize(
    ("paid", "message"),
    [
        ("1.0e9", "a bare number"),
        ("{dist: uniform, low: 1, high: 2}", "must say why"),
        ("{claim: NOPE, value: 1, spread: 0.1}", "no claim 'NOPE'"),
        ("{dist: triangular, low: 1, mode: 5, high: 2, assumption: x}", "low <= mode <= high"),
        ("{dist: gamma, low: 1, assumption: x}", "one of fixed"),
    ],
)
def test_bad_parameters_name_the_file_line_and_field(case: Path, paid: str, message: str) -> None:
    with pytest.raises(SourceFormatError) as err:
        scenario.run(write(case, paid))
    assert message in err.value.message and "scenarios.yaml" in err.value.message
    assert err.value.line is not None


def test_a_missing_parameter_and_broken_yaml(case: Path) -> None:
    path = write(case)
    path.write_text(
        path.read_text().replace("      gdp_eur: {fixed: 5.0e10, assumption: test}\n", "")
    )
    with pytest.raises(SourceFormatError, match="needs gdp_eur"):
        scenario.run(path)
    path.write_text("scenarios: [\n  - id: x\n")
    with pytest.raises(SourceFormatError, match="not valid YAML") as err:
        scenario.run(path)
    assert err.value.line is not None


def test_the_serbia_case_runs_and_cites_its_claims() -> None:
    case = Path(__file__).resolve().parents[2] / "cases" / "serbia-2025"
    report = scenario.run(case / "scenarios.yaml", runs=5000)
    gas = report.scenarios[0]
    assert gas.id == "gas-cut-30"
    cited = {p.claim.id for p in gas.parameters if p.claim}
    assert {"SO02", "SO04", "SO05"} <= cited
    assert all(p.claim or p.assumption or p.lever for p in gas.parameters)
    cost = gas.impact("cost_to_target_eur")
    assert cost.p5 < cost.median < cost.p95
    assert gas.comparisons and gas.comparisons[0].claim.id == "SO06"
