"""The route baselines: every path with a positive value on each leg, scored two ways."""

from __future__ import annotations

import numpy as np

from transship.evaluate.routes import baseline_rankings

LABELS = ["AAA", "BBB", "CCC", "DDD"]


def test_every_path_of_two_and_three_legs_is_a_candidate() -> None:
    # AAA -> BBB -> CCC -> DDD, plus AAA -> CCC
    t = np.zeros((4, 4))
    t[0, 1], t[1, 2], t[2, 3], t[0, 2] = 10.0, 4.0, 7.0, 1.0
    bottleneck, ratio = baseline_rankings(t, LABELS, "930690")
    assert set(bottleneck) == {
        (("AAA", "BBB", "CCC"), "930690"),
        (("BBB", "CCC", "DDD"), "930690"),
        (("AAA", "CCC", "DDD"), "930690"),
        (("AAA", "BBB", "CCC", "DDD"), "930690"),
    }
    assert bottleneck[(("AAA", "BBB", "CCC", "DDD"), "930690")] == 4.0
    assert bottleneck[(("AAA", "CCC", "DDD"), "930690")] == 1.0
    assert set(ratio) == set(bottleneck)


def test_ratio_ranks_by_the_intermediary_then_the_smallest_leg() -> None:
    # BBB imports 10, exports 10 (ratio 1); CCC imports 2 and exports 20 (ratio 0.1)
    t = np.zeros((4, 4))
    t[0, 1], t[1, 3] = 10.0, 10.0  # AAA -> BBB -> DDD
    t[0, 2], t[2, 3] = 2.0, 20.0  # AAA -> CCC -> DDD
    bottleneck, ratio = baseline_rankings(t, LABELS, "930690", max_hops=2)
    via_b, via_c = (("AAA", "BBB", "DDD"), "930690"), (("AAA", "CCC", "DDD"), "930690")
    assert bottleneck[via_b] == 10.0 and bottleneck[via_c] == 2.0
    assert ratio[via_b] > ratio[via_c]


def test_no_path_revisits_a_territory() -> None:
    t = np.ones((3, 3))
    bottleneck, _ = baseline_rankings(t, LABELS[:3], "930690")
    assert all(len(set(p)) == len(p) for p, _ in bottleneck)
    assert len(bottleneck) == 6  # 3 x 2 orderings of three territories, two legs each
