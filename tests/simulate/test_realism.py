"""Simulated statistics have the features real ones have, measured on the real Comtrade
sample in ../shared/data/comtrade-hs2-oil-wood-sample (read in place, never copied).

Bands (docs/simulation.md explains them): the real sample's two chapters (fuels, wood)
differ from each other by 0.06 in the share of one-sided flows, 0.01 in the median log mirror
ratio and 0.65 in its interquartile range. The simulation must be as close to the pooled
sample as the two chapters are to each other on the one-sided share, within about half the
chapter spread on the IQR, and within 0.05 on the median (the CIF/FOB margin, which the case
sets by assumption).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from transship.simulate import run
from transship.simulate.realism import (
    MirrorStats,
    real_side_moved,
    real_stats,
    simulated_side_moved,
    simulated_stats,
)

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "serbia-2025"


@pytest.fixture(scope="module")
def real(shared_data: Path) -> MirrorStats:
    return real_stats(shared_data / "comtrade-hs2-oil-wood-sample")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> MirrorStats:
    out = tmp_path_factory.mktemp("realism") / "sim"
    run(CASE, out, seed=11, scale=1.0)
    return simulated_stats(out)


def test_real_sample_measures_what_the_docs_say(real: MirrorStats) -> None:
    assert real.flows > 90_000
    assert 0.30 < real.one_sided_share < 0.40
    assert 0.05 < real.log_ratio_median < 0.13  # CIF/FOB margin shows in the median
    assert 0.9 < real.log_ratio_iqr < 1.3
    assert real.zero_qty_share == 1.0  # chapter totals carry no quantity


def test_share_of_flows_reported_by_one_side_only(
    real: MirrorStats, simulated: MirrorStats
) -> None:
    assert simulated.flows > 20_000
    assert abs(simulated.one_sided_share - real.one_sided_share) < 0.06


def test_log_mirror_ratio_distribution(real: MirrorStats, simulated: MirrorStats) -> None:
    assert abs(simulated.log_ratio_median - real.log_ratio_median) < 0.05
    assert abs(simulated.log_ratio_iqr - real.log_ratio_iqr) < 0.35
    # Fat tails: a tenth of flows disagree by a factor of five or more on each side.
    assert simulated.log_ratio_p10 < -1.3 and simulated.log_ratio_p90 > 1.5
    assert abs(simulated.log_ratio_p90 - real.log_ratio_p90) < 0.6
    assert abs(simulated.log_ratio_p10 - real.log_ratio_p10) < 0.6


def test_zero_quantities(real: MirrorStats, simulated: MirrorStats) -> None:
    # The real sample is chapter totals (no quantity by publication rule); simulated rows are
    # HS6 lines, which miss a quantity at the rate the case sets (qty_missing 0.08, jittered).
    assert real.zero_qty_share == 1.0
    assert 0.04 < simulated.zero_qty_share < 0.15


def test_the_low_side_of_a_wide_gap_is_the_one_that_moved(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """docs/simulation.md, "Which side moved": in the real sample the high side of a gap over
    twenty times sits near its own usual level and the low side has dropped (wide gaps are
    mostly under-reports); the simulation must agree. A symmetric tail (the simulator before
    2026-12-07) fails: its high side sat +2.0 above its usual level."""
    real = real_side_moved(shared_data / "comtrade-hs2-oil-wood-sample")
    assert real.pair_years > 3000
    assert real.low_median < -0.3 and abs(real.high_median) < 0.3
    out = tmp_path_factory.mktemp("side") / "sim"
    run(CASE, out, seed=11, scale=0.5, years="2019-2024")
    sim = simulated_side_moved(out)
    assert sim.pair_years > 200
    assert sim.low_median < -0.3 and abs(sim.high_median) < 0.3
