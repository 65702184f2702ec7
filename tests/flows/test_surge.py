"""Difference-in-differences around a break: parsing, the post-period rule, recovery of a
planted effect, cancellation of common shocks, and equality with the two-way fixed-effects
regression it stands for."""

from __future__ import annotations

import numpy as np
import pytest

from transship.exc import InvalidInput
from transship.flows.surge import BreakDate, did, is_post, parse_break


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022", BreakDate(2022, 1)),
        ("2022-02", BreakDate(2022, 2)),
        ("2022-02-24", BreakDate(2022, 2)),
    ],
)
def test_parse_break(text: str, expected: BreakDate) -> None:
    assert parse_break(text) == expected
    assert str(parse_break("2022-2")) == "2022-02"


@pytest.mark.parametrize("bad", ["22-02", "2022-13", "February 2022", ""])
def test_parse_break_rejects(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_break(bad)


def test_post_period_rule() -> None:
    feb = BreakDate(2022, 2)
    assert not is_post("2021", feb)
    assert is_post("2022", feb)  # most of 2022 is after February
    assert not is_post("2022", BreakDate(2022, 9))  # most of it is before September
    assert is_post("2023", BreakDate(2022, 9))
    assert not is_post("2022-01", feb)
    assert is_post("2022-02", feb)


def _panel(
    rng: np.random.Generator, effect: float, shock: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    years = np.arange(2016, 2025)
    post = years >= 2022
    units = 12
    base = rng.lognormal(15, 1, (units, 1)) * np.exp(rng.normal(0, 0.1, (units, len(years))))
    base[:, post] *= np.exp(shock)  # a shock every cell shares (a price boom)
    base[0, post] *= np.exp(effect)
    return base, post


def test_planted_effect_is_recovered() -> None:
    rng = np.random.default_rng(1)
    values, post = _panel(rng, effect=1.5)
    res = did(values, post)
    assert res is not None
    assert res.estimate == pytest.approx(1.5, abs=0.25)
    assert res.z > 3
    assert res.placebo_p is not None and res.placebo_p <= 1 / 12 + 1e-9
    assert res.n_controls == 11 and res.n_pre == 6 and res.n_post == 3


def test_common_shock_cancels() -> None:
    rng = np.random.default_rng(2)
    values, post = _panel(rng, effect=0.0, shock=2.0)
    res = did(values, post)
    assert res is not None
    assert abs(res.estimate) < 0.3
    assert abs(res.z) < 2.5
    assert res.treated_post - res.treated_pre == pytest.approx(2.0, abs=0.3)


def test_new_route_from_nothing_counts_as_a_bounded_rise() -> None:
    values = np.full((6, 6), 1e6)
    values[0, :3] = 0.0  # the leg did not exist before the break
    post = np.array([False] * 3 + [True] * 3)
    res = did(values, post)
    assert res is not None
    # log(v + c) with c = 1 % of the median: about log(101), not log(1e6)
    assert res.estimate == pytest.approx(np.log(1e6 + 1e4) - np.log(1e4), rel=1e-6)


def test_no_periods_on_one_side_or_no_controls() -> None:
    assert did(np.ones((4, 5)), np.zeros(5, dtype=bool)) is None
    assert did(np.ones((1, 5)), np.array([0, 0, 1, 1, 1], dtype=bool)) is None
    assert did(np.zeros((3, 4)), np.array([0, 0, 1, 1], dtype=bool)) is None


def test_equals_two_way_fixed_effects_regression() -> None:
    rng = np.random.default_rng(7)
    values, post = _panel(rng, effect=0.8)
    res = did(values, post)
    assert res is not None
    units, periods = values.shape
    y = np.log(values + 0.01 * np.median(values)).ravel()
    cols = [np.ones(units * periods)]
    for u in range(1, units):
        cols.append(np.repeat(np.arange(units) == u, periods).astype(float))
    for t in range(1, periods):
        cols.append(np.tile(np.arange(periods) == t, units).astype(float))
    treat = np.zeros((units, periods))
    treat[0, post] = 1.0
    cols.append(treat.ravel())
    x = np.column_stack(cols)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    dof = len(y) - x.shape[1]
    cov = resid @ resid / dof * np.linalg.inv(x.T @ x)
    assert res.estimate == pytest.approx(coef[-1], abs=1e-9)
    assert res.se == pytest.approx(np.sqrt(cov[-1, -1]), rel=1e-6)
