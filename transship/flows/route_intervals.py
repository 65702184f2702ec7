"""Route intervals: how far a route's share and value move over plausible flow matrices.

The point estimate of a route comes from one flow matrix per year: the reconciled values
(``transship.flows.reconcile``). Each of those values is uncertain in a way the fitted
reporting model states: ``ln(value)`` has standard deviation ``log_sd`` (both sides' own
reporting errors combined, or one side's where the other is silent). An interval draws
``resamples`` flow matrices, every cell independently ``value * exp(log_sd * z)`` with
``z ~ N(0, 1)`` (centred on the value on the log scale, where the reconciliation is
unbiased), rebuilds the chain on each and reads the same paths' masses off; the 5th and
95th percentiles of share and value over the draws are the route's interval, at the level
:data:`INTERVAL_LEVEL`. Nothing forces the interval to contain the point estimate: with a
nonlinear chain it need not, and where it does not, that is what the model says.

What the draws leave out, and coverage on simulated truth measures (docs/validation.md,
"Route intervals: coverage"): flows nobody reported (absent from every draw), partners
misattributed by a reporter, and the reported imports from World, which stay as reported.

``noise=<sigma>`` gives the earlier model, kept as the coverage baseline: each cell the
exporter's or the importer's figure at random (the importer's divided by the fixed
``chains.CIF_FACTOR``), times a log-normal error of that one sigma for every reporter.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from transship.flows import attribution as att
from transship.flows.route_data import ProductData, isolated
from transship.flows.route_errors import draw_law

FloatArray = npt.NDArray[np.float64]

#: The central probability of every route interval (5th to 95th percentile).
INTERVAL_LEVEL = 0.9
#: The sigma of the earlier fixed-noise model (``find_routes(noise=...)``'s usual baseline).
BASELINE_NOISE = 0.10
#: How the intervals were drawn, as the routes state it (``interval_model`` in JSON).
FITTED_MODEL = "fitted: each reconciled flow resampled from its log_sd"


def baseline_model(noise: float) -> str:
    return (
        f"baseline: exporter's or importer's figure at random (importer's / fixed CIF 1.05), "
        f"log-normal noise sigma {noise:g}"
    )


def draw_flows(
    pd: ProductData,
    year: int,
    rng: np.random.Generator,
    resamples: int,
    noise: float | None = None,
) -> FloatArray:
    """``resamples`` flow matrices for ``year`` (S, n, n): from each cell's fitted
    ``log_sd`` (``noise=None``), or the baseline model with that sigma."""
    if noise is not None:
        alt_x, alt_m = pd.mirror_alternatives(year)
        return att.resample_flows(alt_x, alt_m, rng, resamples, noise)
    value = pd.point(year)
    out = np.zeros((resamples, *value.shape))
    cells, law = pd.truth_law(year)
    if cells[0].size:
        drawn = np.exp(draw_law(law, rng, resamples))
        phantom = pd.presence.phantom
        one_sided = np.isin(pd.basis[year][cells], (2, 3)) & isolated(pd, year)[cells]
        if phantom > 0 and one_sided.any():
            empty = (rng.random(drawn.shape) < phantom) & one_sided[None, :]
            drawn = np.where(empty, 0.0, drawn)
        out[:, cells[0], cells[1]] = drawn
    hidden = pd.presence.hidden
    silent, prior = pd.silent_law(year)
    if hidden > 0 and silent[0].size:
        traded = rng.random((resamples, silent[0].size)) < hidden
        out[:, silent[0], silent[1]] = np.where(
            traded, np.exp(draw_law(prior, rng, resamples)), 0.0
        )
    return out


def route_intervals(
    pd: ProductData,
    o: int,
    years: list[int],
    paths: list[tuple[int, ...]],
    resamples: int,
    rng: np.random.Generator,
    noise: float | None,
    prod_vec: FloatArray | None,
    min_absorption: float,
    chunk: int = 50,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Lower and upper bounds (:data:`INTERVAL_LEVEL`) of share and value of each path
    over ``resamples`` drawn flow matrices per year (see the module docstring)."""
    k = len(paths)
    if resamples == 0 or k == 0:
        z = np.zeros(k)
        return z, z, z, z
    value_s = np.zeros((resamples, k))
    exports_s = np.zeros(resamples)
    for y in years:
        done = 0
        while done < resamples:
            s = min(chunk, resamples - done)
            flows = draw_flows(pd, y, rng, s, noise)
            q, absorb, f = att.stacked_chains(flows, pd.world_imports[y], prod_vec, min_absorption)
            row = f[:, o, :]
            tot = row.sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                start = np.where(tot[:, None] > 0, row / tot[:, None], 0.0)
            mass = att.path_masses(q, absorb, start, paths)
            value_s[done : done + s] += mass * tot[:, None]
            exports_s[done : done + s] += tot
            done += s
    with np.errstate(divide="ignore", invalid="ignore"):
        share_s = np.where(exports_s[:, None] > 0, value_s / exports_s[:, None], 0.0)
    tail = (1.0 - INTERVAL_LEVEL) / 2.0
    lo, hi = np.quantile(share_s, [tail, 1.0 - tail], axis=0)
    vlo, vhi = np.quantile(value_s, [tail, 1.0 - tail], axis=0)
    return lo, hi, vlo, vhi
