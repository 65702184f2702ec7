"""Multi-hop attribution: a product's trade as an absorbing Markov chain.

Why a Markov chain: a territory that imports and exports the same product mixes what it
received with what it made. Under proportional mixing (the usual assumption in the
re-export literature when nothing better is known), any unit in M's supply leaves towards D
with probability ``exports(M->D) / supply(M)`` and stays in M (domestic absorption, the
absorbing state) with the rest. The share of A's exports that ends in D is then the
probability that a walk started on A's export basket is absorbed in D. Summing the
probability of every walk up to ``max_hops`` legs attributes that share to named paths; the
fundamental matrix ``N = (I - Q)^-1`` gives the total over walks of every length, so the
two can be checked against each other (and the part of the total that the enumerated paths
do not cover, cycles and longer walks, is reported rather than hidden).

Everything here is dense numpy on one country x country matrix per product and year
(about 250 x 250): no I/O, no store. ``transship.flows.routes`` feeds it.

``supply = imports + production``. Imports are the larger of the mirror-reconciled
bilateral sum and what the territory reports from World. Production is rarely known; when
it is not given it is proxied by net exports ``max(0, exports - imports)``, the least
production consistent with the exports, and every territory is assumed to keep at least
``MIN_ABSORPTION`` (10 %) of its supply for its own use, so that supply is at least
``exports / (1 - MIN_ABSORPTION)``. Without that floor a net exporter would absorb
nothing: no route could end there, and everything it imported would count as passed on.
Both are assumptions, stated in each route's detail; known production overrides them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.linalg

FloatArray = npt.NDArray[np.float64]

#: Leakage added when a closed set of territories would never absorb (degenerate data):
#: keeps ``I - Q`` invertible without changing any realistic result.
LEAK = 1e-9
#: Least share of its supply a territory is assumed to keep when its production is only
#: proxied (see the module notes).
MIN_ABSORPTION = 0.1


@dataclass(slots=True)
class Chain:
    """One product-year as an absorbing Markov chain over ``n`` territories.

    ``q[i, j]`` is the probability that a unit in i's supply moves to j; ``absorb[i]`` the
    probability that it stays in i. Rows of ``q`` plus ``absorb`` sum to one.
    """

    flows: FloatArray  # n x n, flows[i, j] = value shipped i -> j (USD)
    supply: FloatArray  # n, imports + production
    imports: FloatArray  # n
    production: FloatArray  # n
    q: FloatArray  # n x n transitions between territories
    absorb: FloatArray  # n, domestic absorption
    exports: FloatArray  # n, row sums of flows


def _supply(
    exports: FloatArray,
    imports: FloatArray,
    production: FloatArray | None,
    min_absorption: float,
) -> tuple[FloatArray, FloatArray]:
    """(production used, supply): known production where given (NaN = unknown), else the
    net-export proxy with the absorption floor; supply never below exports."""
    proxy = np.maximum(exports - imports, 0.0)
    floor = exports / (1.0 - min_absorption) if min_absorption < 1 else exports
    proxied_supply = np.maximum(imports + proxy, floor)
    if production is None:
        return proxied_supply - imports, proxied_supply
    known = np.isfinite(production) & (production >= 0)
    prod = np.where(known, np.nan_to_num(production), proxied_supply - imports)
    supply = np.maximum(imports + prod, exports)
    return prod, supply


def build_chain(
    flows: FloatArray,
    imports_reported: FloatArray | None = None,
    production: FloatArray | None = None,
    min_absorption: float = MIN_ABSORPTION,
) -> Chain:
    """The chain for one flow matrix.

    ``imports_reported``: each territory's own total imports (e.g. its World row); the
    bilateral column sum is used where it is larger or where nothing was reported.
    ``production``: known production; NaN or missing entries fall back to the net-export
    proxy with the ``min_absorption`` floor. Supply is never below exports, so no row of
    ``q`` can exceed one.
    """
    f = np.asarray(flows, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] != f.shape[1]:
        raise ValueError(f"flows must be square, got shape {f.shape}")
    f = np.where(np.isfinite(f) & (f > 0), f, 0.0)
    np.fill_diagonal(f, 0.0)
    exports = f.sum(axis=1)
    imports = f.sum(axis=0)
    if imports_reported is not None:
        rep = np.nan_to_num(np.asarray(imports_reported, dtype=np.float64), nan=0.0)
        imports = np.maximum(imports, np.maximum(rep, 0.0))
    prod, supply = _supply(exports, imports, production, min_absorption)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(supply[:, None] > 0, f / supply[:, None], 0.0)
    q *= 1.0 - LEAK
    absorb = 1.0 - q.sum(axis=1)
    return Chain(
        flows=f,
        supply=supply,
        imports=imports,
        production=prod,
        q=q,
        absorb=absorb,
        exports=exports,
    )


def fundamental(q: FloatArray) -> FloatArray:
    """``N = (I - Q)^-1``: expected visits to j of a walk started in i."""
    n = q.shape[0]
    return np.asarray(scipy.linalg.solve(np.eye(n) - q, np.eye(n)), dtype=np.float64)


def start_vector(chain: Chain, origin: int) -> FloatArray:
    """Where the origin's exports go first: its export basket, normalised to one."""
    row = chain.flows[origin]
    total = row.sum()
    return row / total if total > 0 else np.zeros_like(row)


def absorption_shares(chain: Chain, origin: int) -> FloatArray:
    """Share of the origin's exports absorbed in each territory over walks of any length.

    ``v N R`` with ``R = diag(absorb)``: the fundamental-matrix total that path
    enumeration must approach from below.
    """
    v = start_vector(chain, origin)
    if not v.any():
        return v
    # v N = solve((I - Q)^T x = v^T): no explicit inverse needed.
    n = chain.q.shape[0]
    visits = scipy.linalg.solve((np.eye(n) - chain.q).T, v)
    return np.asarray(visits * chain.absorb, dtype=np.float64)


@dataclass(slots=True)
class PathMass:
    """One enumerated walk (territory indices, origin first) and its probability."""

    path: tuple[int, ...]
    mass: float


def enumerate_paths(
    chain: Chain,
    origin: int,
    destination: int | None = None,
    max_hops: int = 3,
    min_mass: float = 1e-6,
) -> list[PathMass]:
    """Simple paths origin -> ... -> end of at most ``max_hops`` legs with their mass.

    The mass of ``A -> M1 -> ... -> D`` is ``v[M1] * q[M1, M2] * ... * q[., D] * absorb[D]``
    (v the origin's export basket): the share of A's exports that ends in D along exactly
    this path. Paths never revisit a territory (cycles are left to the fundamental-matrix
    total); branches whose running mass falls below ``min_mass`` are pruned, which bounds
    the work at roughly ``1 / min_mass`` paths whatever the number of territories.
    """
    out = [
        PathMass(tuple(int(c) for c in row), float(m))
        for paths, masses in path_arrays(chain, origin, destination, max_hops, min_mass)
        for row, m in zip(paths.tolist(), masses.tolist(), strict=True)
    ]
    out.sort(key=lambda p: (-p.mass, p.path))
    return out


def path_arrays(
    chain: Chain,
    origin: int,
    destination: int | None = None,
    max_hops: int = 3,
    min_mass: float = 1e-6,
) -> list[tuple[npt.NDArray[np.int64], FloatArray]]:
    """:func:`enumerate_paths` as arrays: per path length, (paths x nodes, masses)."""
    if max_hops < 1:
        raise ValueError("max_hops must be at least 1")
    v = start_vector(chain, origin)
    q = chain.q
    absorb = chain.absorb
    # Breadth-first, one hop per step, vectorised over all live prefixes: ``prefix`` holds
    # the paths (rows), ``reach`` the probability of having walked each of them.
    first = np.flatnonzero((v >= min_mass) & (v > 0))
    first = first[first != origin]
    prefix = np.column_stack([np.full(len(first), origin), first]).astype(np.int64)
    reach = v[first]
    found_paths: list[npt.NDArray[np.int64]] = []
    found_mass: list[FloatArray] = []
    for hop in range(1, max_hops + 1):
        if len(prefix) == 0:
            break
        last = prefix[:, -1]
        mass = reach * absorb[last]
        keep = (mass >= min_mass) & (mass > 0)
        if destination is not None:
            keep &= last == destination
        if keep.any():
            found_paths.append(prefix[keep])
            found_mass.append(mass[keep])
        if hop == max_hops:
            break
        if destination is not None:
            live = last != destination
            prefix, reach, last = prefix[live], reach[live], last[live]
        step = reach[:, None] * q[last]  # (K, n)
        rows = np.arange(len(prefix))[:, None]
        step[rows, prefix] = 0.0  # no territory twice
        k_idx, nxt = np.nonzero((step >= min_mass) & (step > 0))
        if len(k_idx) > 4_000_000:
            raise ValueError("too many paths: raise min_mass or lower max_hops")
        prefix = np.column_stack([prefix[k_idx], nxt]).astype(np.int64)
        reach = step[k_idx, nxt]
    return list(zip(found_paths, found_mass, strict=True))


def path_masses(
    q: FloatArray,
    absorb: FloatArray,
    start: FloatArray,
    paths: list[tuple[int, ...]],
) -> FloatArray:
    """Masses of fixed paths under a stack of resampled chains, vectorised.

    ``q``: (S, n, n); ``absorb``, ``start``: (S, n). Returns (S, len(paths)). Paths of
    different lengths are padded with a self-step of probability one.
    """
    s = q.shape[0]
    if not paths:
        return np.zeros((s, 0))
    longest = max(len(p) for p in paths)
    idx = np.array([list(p) + [p[-1]] * (longest - len(p)) for p in paths], dtype=np.int64)
    mass = start[:, idx[:, 1]]
    for step in range(1, longest - 1):
        a, b = idx[:, step], idx[:, step + 1]
        leg = q[:, a, b]
        mass = mass * np.where(a == b, 1.0, leg)
    last = idx[:, -1]
    return np.asarray(mass * absorb[:, last], dtype=np.float64)


def resample_flows(
    exporter_reported: FloatArray,
    importer_reported: FloatArray,
    rng: np.random.Generator,
    resamples: int,
    noise: float = 0.1,
) -> FloatArray:
    """``resamples`` plausible flow matrices from the two mirror alternatives.

    Each leg takes, at random, the exporter's or the importer's figure (importer figures
    already FOB-adjusted by the caller; where only one exists it is used), then a
    multiplicative log-normal reporting error with sigma ``noise``. Returns (S, n, n).
    NaN marks a figure that was not reported.
    """
    x = np.asarray(exporter_reported, dtype=np.float64)
    m = np.asarray(importer_reported, dtype=np.float64)
    has_x = np.isfinite(x)
    has_m = np.isfinite(m)
    n = x.shape[0]
    pick_x = rng.random((resamples, n, n)) < 0.5
    use_x = has_x & (pick_x | ~has_m)
    base = np.where(use_x, np.nan_to_num(x), np.nan_to_num(m))
    if noise > 0:
        base = base * rng.lognormal(mean=-0.5 * noise * noise, sigma=noise, size=base.shape)
    return np.asarray(base, dtype=np.float64)


def stacked_chains(
    flows: FloatArray,
    imports_reported: FloatArray | None = None,
    production: FloatArray | None = None,
    min_absorption: float = MIN_ABSORPTION,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``build_chain`` over a stack (S, n, n): returns (q, absorb, start-ready flows)."""
    f = np.where(np.isfinite(flows) & (flows > 0), flows, 0.0)
    s, n, _ = f.shape
    f[:, np.arange(n), np.arange(n)] = 0.0
    exports = f.sum(axis=2)
    imports = f.sum(axis=1)
    if imports_reported is not None:
        rep = np.nan_to_num(np.asarray(imports_reported, dtype=np.float64), nan=0.0)
        imports = np.maximum(imports, np.maximum(rep, 0.0)[None, :])
    given = None if production is None else np.asarray(production, dtype=np.float64)[None, :]
    _prod, supply = _supply(exports, imports, given, min_absorption)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(supply[:, :, None] > 0, f / supply[:, :, None], 0.0)
    q *= 1.0 - LEAK
    absorb = 1.0 - q.sum(axis=2)
    return q, absorb, f
