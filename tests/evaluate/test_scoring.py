"""The scoring arithmetic: set scores, rankings with pessimistic ties, baselines, means."""

from __future__ import annotations

import pytest

from transship.evaluate.scoring import (
    STABLE_KEYS,
    EvalRow,
    average_precision,
    baseline,
    mean_rows,
    order,
    random_baseline,
    ranked_row,
    score,
    top_k,
)


def test_score_arithmetic() -> None:
    r = score("x", "low", {1, 2, 3, 4}, {3, 4, 5})
    assert (r.tp, r.fp, r.fn, r.support) == (2, 2, 1, 3)
    assert r.precision == 0.5 and r.recall == pytest.approx(0.6667, abs=1e-4)
    assert r.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3), abs=1e-4)
    assert score("y", "low", set(), {1}).f1 == 0.0
    assert r.missed == ["5"] and r.false_alarms == ["1", "2"]


def test_json_keys_start_with_the_original_six() -> None:
    keys = list(score("x", "low", {1}, {1}).to_dict())
    assert tuple(keys[:6]) == STABLE_KEYS
    assert {"average_precision", "baselines", "data", "candidates"} <= set(keys)


def test_average_precision_by_hand() -> None:
    # hits at ranks 1 and 3 of 2 true items: (1/1 + 2/3) / 2
    assert average_precision([True, False, True], 2) == pytest.approx((1 + 2 / 3) / 2)
    # a true item never ranked adds nothing
    assert average_precision([True, False], 2) == pytest.approx(0.5)
    assert average_precision([], 0) is None


def test_ties_put_misses_first() -> None:
    ranking = {"a": 1.0, "b": 1.0, "c": 0.5}
    assert order(ranking, {"a"}) == [False, True, False]
    # a detector giving everything the same score gains nothing from input order
    flat = {k: 0.0 for k in "abcd"}
    assert average_precision(order(flat, {"a"}), 1) == pytest.approx(1 / 4)


def test_top_k_and_baseline_share_the_detectors_budget() -> None:
    assert top_k([True, False, True, True], 2, 4) == (0.5, 0.25)
    assert top_k([True], 0, 1) == (None, 0.0)
    b = baseline("size", "by size", {"a": 3.0, "b": 2.0, "c": 1.0}, {"b", "z"}, k=2)
    assert (b.precision_at_k, b.recall_at_k, b.k, b.candidates) == (0.5, 0.5, 2, 3)
    assert b.average_precision == pytest.approx((1 / 2) / 2)


def test_random_baseline_expectation() -> None:
    # 100 candidates, 10 of the 12 true items among them, detector flagged 20
    b = random_baseline(100, 10, 12, 20)
    assert b.precision_at_k == pytest.approx(0.1)
    assert b.recall_at_k == pytest.approx(20 * 0.1 / 12, abs=1e-4)
    assert b.average_precision == pytest.approx(0.1 * 10 / 12, abs=1e-4)


def test_ranked_row_scores_threshold_ranking_and_baselines_together() -> None:
    ranking = {"a": 0.9, "b": 0.8, "c": 0.1, "d": 0.05}
    row = ranked_row(
        "s",
        "low",
        ranking,
        {"a", "c", "e"},
        0.5,
        baselines=[("rev", "reversed", {k: -v for k, v in ranking.items()})],
        universe=(10, 2),
        data="somewhere",
    )
    assert (row.tp, row.fp, row.fn) == (1, 1, 2)
    assert row.average_precision == pytest.approx(round((1 + 2 / 3) / 3, 4))
    assert row.candidates == 4 and row.data == "somewhere"
    assert row.r_precision == pytest.approx(0.6667, abs=1e-4)  # a, b, c: two of three true
    rev = row.to_dict()["baselines"]["rev"]
    assert rev["k"] == 2 and rev["precision_at_k"] == 0.5  # top two reversed: d, c (c true)
    rev_hits = order({k: -v for k, v in ranking.items()}, {"a", "c", "e"})
    assert rev["average_precision"] == pytest.approx(
        round(average_precision(rev_hits, 3) or 0.0, 4)
    )
    assert row.to_dict()["baselines"]["random"]["precision_at_k"] == pytest.approx(0.2)


def test_mean_rows_averages_figures_and_baselines() -> None:
    rows: list[EvalRow] = []
    for f1, ap in ((0.5, 0.4), (0.7, None)):
        r = ranked_row("s", "low", {"a": 1.0}, {"a"}, 0.5, baselines=[("b", "x", {"a": 1.0})])
        r.f1, r.average_precision = f1, ap
        rows.append(r)
    (m,) = mean_rows(rows)
    assert m.runs == 2 and m.f1 == pytest.approx(0.6)
    assert m.f1_sd == pytest.approx(0.1414, abs=1e-4)
    assert m.average_precision == 0.4  # the run without the figure is left out
    assert m.baselines[0].average_precision == 1.0 and m.support == 2
