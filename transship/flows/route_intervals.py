"""Route intervals: how far a route's share and value move over plausible flow matrices.

The point estimate of a route comes from one flow matrix per year. Its interval comes from
``resamples`` other matrices drawn from what the data say about each cell's uncertainty, the
chain rebuilt on each, and the same paths' masses read off: the 5th and 95th percentiles of
share and value over the draws are the route's 90 % interval (:data:`INTERVAL_LEVEL`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from transship.flows import attribution as att
from transship.flows.route_data import ProductData

FloatArray = npt.NDArray[np.float64]

#: Multiplicative reporting noise (log-normal sigma) added in each resample.
REPORTING_NOISE = 0.10
#: The central probability of every route interval (5th to 95th percentile).
INTERVAL_LEVEL = 0.9


def route_intervals(
    pd: ProductData,
    o: int,
    years: list[int],
    paths: list[tuple[int, ...]],
    resamples: int,
    rng: np.random.Generator,
    noise: float,
    prod_vec: FloatArray | None,
    min_absorption: float,
    chunk: int = 50,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """5th and 95th percentiles of share and value over ``resamples`` plausible worlds."""
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
            alt_x, alt_m = pd.alternatives(y)
            flows = att.resample_flows(alt_x, alt_m, rng, s, noise)
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
    lo, hi = np.quantile(share_s, [0.05, 0.95], axis=0)
    vlo, vhi = np.quantile(value_s, [0.05, 0.95], axis=0)
    return lo, hi, vlo, vhi
