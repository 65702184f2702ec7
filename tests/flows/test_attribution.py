"""The absorbing Markov chain behind route attribution: hand-computed cases, the
fundamental-matrix identity, the vectorised path enumeration against a brute force, and
the resampling of mirror alternatives."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from transship.flows import attribution as att


def _hub_world() -> np.ndarray:
    """A -> M (100), M -> D (80), M -> E (20): M is a pure hub (no production)."""
    f = np.zeros((4, 4))
    a, m, d, e = range(4)
    f[a, m] = 100.0
    f[m, d] = 80.0
    f[m, e] = 20.0
    return f


def test_hand_computed_shares_without_absorption_floor() -> None:
    chain = att.build_chain(_hub_world(), min_absorption=0.0)
    # M's supply is its imports (100): 80 % moves on to D, 20 % to E, nothing stays.
    assert chain.q[1, 2] == pytest.approx(0.8)
    assert chain.absorb[1] == pytest.approx(0.0, abs=1e-8)
    # D and E import and export nothing further: they absorb everything.
    assert chain.absorb[2] == pytest.approx(1.0)
    paths = {p.path: p.mass for p in att.enumerate_paths(chain, 0, None, 3, min_mass=0)}
    assert paths[(0, 1, 2)] == pytest.approx(0.8)
    assert paths[(0, 1, 3)] == pytest.approx(0.2)
    assert paths.get((0, 1), 0.0) == pytest.approx(0.0, abs=1e-8)


def test_absorption_floor_keeps_a_tenth_at_home() -> None:
    chain = att.build_chain(_hub_world(), min_absorption=0.1)
    # supply = exports / 0.9: M keeps 10 %, passes 72 % to D and 18 % to E.
    assert chain.supply[1] == pytest.approx(100 / 0.9)
    assert chain.absorb[1] == pytest.approx(0.1)
    masses = {p.path: p.mass for p in att.enumerate_paths(chain, 0, None, 3, min_mass=0)}
    assert masses[(0, 1)] == pytest.approx(0.1)
    assert masses[(0, 1, 2)] == pytest.approx(0.72)
    assert sum(masses.values()) == pytest.approx(1.0)


def test_known_production_overrides_the_proxy() -> None:
    f = _hub_world()
    prod = np.array([np.nan, 300.0, np.nan, np.nan])  # M also makes 300: its supply is 400
    chain = att.build_chain(f, production=prod)
    assert chain.supply[1] == pytest.approx(400.0)
    assert chain.q[1, 2] == pytest.approx(80 / 400)


def test_reported_world_imports_widen_supply() -> None:
    f = _hub_world()
    chain = att.build_chain(f, imports_reported=np.array([0, 200.0, 0, 0]), min_absorption=0.0)
    # M says it imported 200 in total: only half of what it had came from A.
    assert chain.imports[1] == pytest.approx(200.0)
    assert chain.q[1, 2] == pytest.approx(80 / 200)


def _random_flows(seed: int, n: int = 7, density: float = 0.5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = rng.lognormal(10, 1.5, (n, n)) * (rng.random((n, n)) < density)
    np.fill_diagonal(f, 0.0)
    return f


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (6, 6), elements=st.floats(0, 1e9)), st.floats(0.0, 0.5))
def test_chain_rows_are_probabilities(flows: np.ndarray, floor: float) -> None:
    chain = att.build_chain(flows, min_absorption=floor)
    assert (chain.q >= 0).all()
    assert (chain.absorb >= -1e-9).all()
    np.testing.assert_allclose(chain.q.sum(axis=1) + chain.absorb, 1.0, atol=1e-9)


def _dag(seed: int, n: int = 6) -> np.ndarray:
    """Flows only from lower to higher index: no cycles, so simple paths are all walks."""
    return np.triu(_random_flows(seed, n, 0.7), k=1)


@pytest.mark.parametrize("seed", range(5))
def test_paths_sum_to_the_fundamental_matrix_total_on_acyclic_trade(seed: int) -> None:
    chain = att.build_chain(_dag(seed))
    total = att.absorption_shares(chain, 0)
    by_dest = np.zeros(chain.q.shape[0])
    for p in att.enumerate_paths(chain, 0, None, max_hops=10, min_mass=0.0):
        by_dest[p.path[-1]] += p.mass
    np.testing.assert_allclose(by_dest, total, atol=1e-12)
    assert total.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(5))
def test_paths_never_exceed_the_total_with_cycles(seed: int) -> None:
    chain = att.build_chain(_random_flows(seed))
    total = att.absorption_shares(chain, 0)
    by_dest = np.zeros(chain.q.shape[0])
    for p in att.enumerate_paths(chain, 0, None, max_hops=3, min_mass=0.0):
        by_dest[p.path[-1]] += p.mass
    assert (by_dest <= total + 1e-12).all()
    assert total.sum() == pytest.approx(1.0)
    # N = (I - Q)^-1 agrees with the solve used for one origin.
    n_mat = att.fundamental(chain.q)
    v = att.start_vector(chain, 0)
    np.testing.assert_allclose(v @ n_mat * chain.absorb, total, atol=1e-12)


def _brute_force(chain: att.Chain, origin: int, max_hops: int) -> dict[tuple[int, ...], float]:
    n = chain.q.shape[0]
    v = att.start_vector(chain, origin)
    out: dict[tuple[int, ...], float] = {}
    others = [k for k in range(n) if k != origin]
    for hops in range(1, max_hops + 1):
        for mid in itertools.permutations(others, hops):
            path = (origin, *mid)
            mass = v[path[1]]
            for a, b in itertools.pairwise(path[1:]):
                mass *= chain.q[a, b]
            out[path] = float(mass * chain.absorb[path[-1]])
    return out


@pytest.mark.parametrize("seed", range(4))
def test_vectorised_enumeration_matches_brute_force(seed: int) -> None:
    chain = att.build_chain(_random_flows(seed, n=6))
    brute = {p: m for p, m in _brute_force(chain, 2, 3).items() if m > 0}
    fast = {p.path: p.mass for p in att.enumerate_paths(chain, 2, None, 3, min_mass=0.0)}
    fast = {p: m for p, m in fast.items() if m > 0}
    assert fast.keys() == brute.keys()
    for p, m in brute.items():
        assert fast[p] == pytest.approx(m)
    # with a destination: only paths ending there, none passing through it
    to4 = att.enumerate_paths(chain, 2, 4, 3, min_mass=0.0)
    assert to4 and all(p.path[-1] == 4 and 4 not in p.path[:-1] for p in to4)
    assert {p.path for p in to4 if p.mass > 0} == {p for p in brute if p[-1] == 4}


def test_pruning_drops_only_small_paths() -> None:
    chain = att.build_chain(_random_flows(11, n=9))
    full = att.enumerate_paths(chain, 0, None, 3, min_mass=0.0)
    pruned = att.enumerate_paths(chain, 0, None, 3, min_mass=1e-3)
    assert len(pruned) < len(full)
    assert all(p.mass >= 1e-3 for p in pruned)
    assert {p.path for p in full if p.mass >= 0.05} <= {p.path for p in pruned}


def test_path_masses_reproduce_enumeration() -> None:
    chain = att.build_chain(_random_flows(3))
    found = att.enumerate_paths(chain, 1, None, 3, min_mass=1e-4)
    paths = [p.path for p in found]
    start = att.start_vector(chain, 1)
    masses = att.path_masses(chain.q[None], chain.absorb[None], start[None], paths)[0]
    np.testing.assert_allclose(masses, [p.mass for p in found], rtol=1e-12)


def test_stacked_chains_match_single_chains() -> None:
    rng = np.random.default_rng(5)
    stack = np.stack([_random_flows(s) for s in range(3)])
    world = rng.lognormal(12, 1, 7)
    q, absorb, f = att.stacked_chains(stack.copy(), world)
    for s in range(3):
        one = att.build_chain(stack[s], world)
        np.testing.assert_allclose(q[s], one.q)
        np.testing.assert_allclose(absorb[s], one.absorb)


def test_resampling_picks_one_mirror_side_per_leg() -> None:
    x = np.array([[np.nan, 100.0, np.nan], [50.0, np.nan, np.nan], [np.nan, np.nan, np.nan]])
    m = np.array([[np.nan, 120.0, 30.0], [np.nan, np.nan, np.nan], [np.nan, np.nan, np.nan]])
    rng = np.random.default_rng(0)
    draws = att.resample_flows(x, m, rng, 400, noise=0.0)
    both = draws[:, 0, 1]
    assert set(np.unique(both)) == {100.0, 120.0}
    assert 0.35 < (both == 100.0).mean() < 0.65
    assert (draws[:, 1, 0] == 50.0).all()  # only the exporter reported
    assert (draws[:, 0, 2] == 30.0).all()  # only the importer reported
    assert (draws[:, 2, 2] == 0.0).all()
    noisy = att.resample_flows(x, m, rng, 2000, noise=0.2)[:, 1, 0]
    assert np.mean(noisy) == pytest.approx(50.0, rel=0.03)  # mean-preserving noise
    assert np.std(np.log(noisy)) == pytest.approx(0.2, rel=0.1)
