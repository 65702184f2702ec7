"""The route intervals' reporting-error law with a directed tail: the half-normal drawn as
normals, the direction read from which side left its usual level, the law of a lone report
under a downward tail, and the fit on the real Comtrade wood sample."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from transship.flows.route_data import BASIS, load_flows
from transship.flows.route_errors import (
    HALF_NORMAL,
    ErrorModel,
    draw_law,
    fit_direction,
    fit_error_model,
    report_law,
)
from transship.flows.route_intervals import directed_errors, usual_level
from transship.ingest.pipeline import ingest_file
from transship.store import connect
from transship.store.engine import DuckDBEngine

from .flowdata import generated_store


def test_half_normal_slices_keep_its_mean_and_variance() -> None:
    weights = np.array([w for w, _, _ in HALF_NORMAL])
    means = np.array([m for _, m, _ in HALF_NORMAL])
    sds = np.array([s for _, _, s in HALF_NORMAL])
    assert weights.sum() == pytest.approx(1.0)
    mean = float((weights * means).sum())
    var = float((weights * (sds**2 + means**2)).sum()) - mean**2
    assert mean == pytest.approx(math.sqrt(2 / math.pi), rel=1e-9)
    assert var == pytest.approx(1 - 2 / math.pi, rel=1e-9)
    # its median is the half-normal's (0.674) to within a few hundredths
    rng = np.random.default_rng(0)
    pick = rng.choice(len(HALF_NORMAL), 200_000, p=weights)
    draws = means[pick] + sds[pick] * rng.standard_normal(pick.size)
    assert float(np.median(draws)) == pytest.approx(0.6745, abs=0.03)


def _case(down: float, seed: int = 3) -> tuple[np.ndarray, ...]:
    """Pairs reported five years by both sides, each side off by its own core error or (30 %)
    a tail eight times wider, lowering the report with probability ``down``; the pair's trade
    moves a little from year to year. Returns what ``fit_direction`` reads."""
    rng = np.random.default_rng(seed)
    pairs, years = 1500, 5
    own = rng.uniform(0.1, 0.4, (2, pairs))
    level = rng.normal(10, 2, pairs)[:, None] + rng.normal(0, 0.2, (pairs, years))

    def side(s: np.ndarray) -> np.ndarray:
        e = rng.standard_normal((pairs, years)) * s[:, None]
        wide = rng.random((pairs, years)) < 0.3
        sign = np.where(rng.random((pairs, years)) < down, -1.0, 1.0)
        return np.where(wide, sign * np.abs(e) * 8.0, e)

    lx, lm = level + side(own[0]), level + side(own[1])

    def moved(logs: np.ndarray) -> np.ndarray:
        out = np.empty_like(logs)
        for t in range(years):
            out[:, t] = logs[:, t] - np.median(np.delete(logs, t, axis=1), axis=1)
        return out.ravel()

    sx = np.repeat(own[0], years) * math.sqrt(2)
    sm = np.repeat(own[1], years) * math.sqrt(2)
    return (lm - lx).ravel(), sx, sm, moved(lx), moved(lm)


def test_direction_of_a_one_sided_tail_is_read_from_the_sides_usual_levels() -> None:
    """Every tail error lowers a report: the gaps alone cannot say so, the sides' usual
    levels can. The fit finds most of the tail downward (trade moving within the pair and
    core errors blur a few gaps toward a symmetric reading), keeps the tail's size, and the
    directed law fits the gaps better than the symmetric one."""
    d, sx, sm, mx, mm = _case(down=1.0)
    sym = fit_error_model(d, sx, sm)
    assert not sym.directed and "either way" in sym.describe()
    model = fit_direction(sym, d, sx, sm, mx, mm)
    assert model.directed and model.wide > 1000
    assert model.down >= 0.85
    assert 0.2 <= model.p <= 0.4 and 6.0 <= model.k <= 11.0 and 0.8 <= model.c <= 1.25
    assert model.log_lik > sym.log_lik
    assert "lowering a report" in model.describe()


def test_a_symmetric_tail_is_found_symmetric() -> None:
    d, sx, sm, mx, mm = _case(down=0.5, seed=4)
    model = fit_direction(fit_error_model(d, sx, sm), d, sx, sm, mx, mm)
    assert 0.4 <= model.down <= 0.6


def test_no_gaps_no_direction() -> None:
    """Without wide gaps whose sides have usual levels the tail stays symmetric."""
    d, sx, sm, mx, mm = _case(down=1.0)
    nan = np.full_like(mx, np.nan)
    model = fit_direction(fit_error_model(d, sx, sm), d, sx, sm, nan, nan)
    assert model.wide == 0 and model.down == 0.5


def test_a_lone_report_under_a_downward_tail_reaches_up() -> None:
    """One side's report, the tail lowering reports: the truth may lie far above the report
    and hardly below it; with a symmetric tail, as far either way."""
    rng = np.random.default_rng(0)
    one = np.array([2, 3], dtype=np.int8)
    x = np.array([100.0, np.nan])
    m = np.array([np.nan, 100.0])
    s = np.array([0.4, 0.4])
    base = {"p": 0.3, "k": 8.0, "c": 1.0, "residuals": 1000, "log_lik": 0.0}
    for down, check in ((1.0, "down"), (0.5, "sym")):
        model = ErrorModel(**base, log_lik_normal=0.0, down=down, wide=100)
        law = report_law(one, np.array([100.0, 100.0]), x, m, s, s, np.zeros(2), model)
        draws = draw_law(law, rng, 40_000) - math.log(100.0)
        lo, hi = np.quantile(draws, [0.05, 0.95], axis=0)
        if check == "down":
            assert (hi > 1.5).all() and (lo > -0.6).all() and (hi > 3 * -lo).all()
        else:
            assert np.allclose(hi, -lo, rtol=0.15)


def test_real_wood_tail_is_mostly_downward(shared_data: Path, tmp_path: Path) -> None:
    """On the real Comtrade wood files, as in docs/simulation.md ("Which side moved"): of the
    wide mirror gaps, the low side left its usual level more often than the high one. The
    share is recorded in the model's description (docs/validation.md)."""
    folder = shared_data / "comtrade-hs2-oil-wood-sample"
    store = connect(tmp_path / "wood.duckdb")
    for year in (2015, 2016, 2017):
        ingest_file(store, folder / f"comtrade_wood_hs44_{year}.csv")
    pd = load_flows(DuckDBEngine(store), "44")["44"]
    model = directed_errors(pd)
    assert model.wide >= 500
    assert model.down > 0.55, model.describe()
    assert 0.05 <= model.p <= 0.5
    store.close()


def test_usual_level_takes_each_years_report_the_tails_direction_favours(tmp_path: Path) -> None:
    """Per other year, the higher of two reports under a tail that lowers reports, the lower
    under one that raises them, their log mean when the tail is symmetric; then the median
    over the years. Same cells as the pair centre (pairs trading in two other years)."""
    store = generated_store(tmp_path / "g.duckdb")
    pd = load_flows(DuckDBEngine(store), "930610")["930610"]
    y = pd.years[-1]
    plain = pd.pair_centre(y)
    pd.errors = replace(pd.errors, down=0.5, wide=0)
    mean = usual_level(pd, y)
    pd.errors = replace(pd.errors, p=0.3, k=8.0, down=1.0, wide=100)
    high = usual_level(pd, y)
    pd.errors = replace(pd.errors, down=0.0)
    low = usual_level(pd, y)
    has = np.isfinite(plain)
    assert has.sum() > 10
    for c in (mean, high, low):
        assert np.array_equal(np.isfinite(c), has)
    assert (high[has] >= mean[has] - 1e-9).all() and (high[has] > mean[has] + 1e-6).any()
    assert (low[has] <= mean[has] + 1e-9).all() and (low[has] < mean[has] - 1e-6).any()
    # one cell by hand: the median over the other years of the larger log report
    i, j = map(int, np.argwhere(has & (np.abs(high - mean) > 1e-6))[0])
    per_year = []
    for v in pd.years:
        if v == y:
            continue
        reports = [r for r in (pd.x[v][i, j], pd.m[v][i, j]) if np.isfinite(r) and r > 0]
        if reports:
            per_year.append(math.log(max(reports)))
        elif pd.basis[v][i, j] == BASIS.index("reconciled"):
            per_year.append(math.log(pd.value[v][i, j]))
    assert high[i, j] == pytest.approx(float(np.median(per_year)))
    store.close()


def test_usual_level_skips_a_zero_reconciled_elsewhere(tmp_path: Path) -> None:
    """A year whose value was reconciled elsewhere as zero, with no report, is no level: the
    centre is the median of the other years, not dragged to log 1e-300."""
    store = generated_store(tmp_path / "g.duckdb")
    pd = load_flows(DuckDBEngine(store), "930610")["930610"]
    pd.errors = replace(pd.errors, p=0.3, k=8.0, down=1.0, wide=100)
    y = pd.years[-1]
    others = [v for v in pd.years if v != y]
    before = usual_level(pd, y)
    reported = sum(
        (np.isfinite(pd.x[v]) & (pd.x[v] > 0)) | (np.isfinite(pd.m[v]) & (pd.m[v] > 0))
        for v in others
    )
    i, j = map(int, np.argwhere(np.isfinite(before) & (reported >= 3))[0])
    v0 = next(v for v in others if pd.x[v][i, j] > 0 or pd.m[v][i, j] > 0)
    pd.x[v0][i, j] = pd.m[v0][i, j] = np.nan
    pd.value[v0][i, j] = 0.0
    pd.basis[v0][i, j] = BASIS.index("reconciled")
    after = usual_level(pd, y)
    per_year = []
    for v in others:
        reports = [r for r in (pd.x[v][i, j], pd.m[v][i, j]) if np.isfinite(r) and r > 0]
        if reports:
            per_year.append(math.log(max(reports)))
        elif v != v0 and pd.basis[v][i, j] == BASIS.index("reconciled"):
            per_year.append(math.log(pd.value[v][i, j]))
    assert len(per_year) >= 2
    assert after[i, j] == pytest.approx(float(np.median(per_year)))
    store.close()
