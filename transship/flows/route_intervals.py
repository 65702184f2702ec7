"""Route intervals: where a route's share and value may lie, at a stated level.

The point estimate of a route comes from one flow matrix per year: the reconciled values
(``transship.flows.reconcile``). Its interval comes from ``resamples`` flow matrices drawn
from what the reports say each flow may really have been, the chain rebuilt on each and the
same paths' masses read off; the 5th and 95th percentiles of share and value over the draws
are the route's interval at :data:`INTERVAL_LEVEL` (90 %). Nothing forces the interval to
contain the point estimate: a value that rests on one wild report can sit outside its own
interval, and then the interval is what to read.

What each draw takes, per year (``transship.flows.route_errors`` has the laws and fits):

* a cell someone reported: its true value drawn from the reports under the fitted
  reporting-error model (a fat-tailed mixture fitted on the scope's mirror residuals, its
  tail's direction read from which side of a wide gap left its usual level: see
  :func:`directed_errors`), with
  the pair's reports in the other years as a prior, so that a year far from the pair's usual
  level, reported by one side or by two that disagree, is read as the likely error it is;
* a one-sided report of a pair seen in no other year: empty with the fitted chance that
  such a report has no flow behind it (capture-recapture on the scope's cells);
* a silent year of a pair that trades in at least two other years: a flow drawn from the
  pair prior, with the fitted chance that a silent year hid one;
* imports from World (the chain's supply floor) as reported, divided by the fitted margin.

Coverage of the stated level on simulated truth, beside the earlier model's, is in
docs/validation.md ("Route intervals: coverage"). ``noise=<sigma>`` gives that earlier model,
kept as the baseline: each cell the exporter's or the importer's figure at random (the
importer's divided by the fixed ``chains.CIF_FACTOR``), times a log-normal error of one sigma
for every reporter.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from transship.flows import attribution as att
from transship.flows.route_data import (
    BASIS,
    Cells,
    ProductData,
    isolated,
    log_reports,
    side_levels,
)
from transship.flows.route_errors import (
    ErrorModel,
    Law,
    draw_law,
    fit_direction,
    prior_law,
    with_prior,
)

FloatArray = npt.NDArray[np.float64]

#: The central probability of every route interval (5th to 95th percentile).
INTERVAL_LEVEL = 0.9
#: The sigma of the earlier fixed-noise model (``find_routes(noise=...)``'s usual baseline).
BASELINE_NOISE = 0.10
#: How the intervals were drawn, as the routes state it (``interval_model`` in JSON).
FITTED_MODEL = (
    "fitted: each flow drawn from its reports under the fitted fat-tailed reporting-error "
    "model (its tail's direction fitted), the pair's other years as prior; silent years and "
    "lone reports as fitted"
)


def baseline_model(noise: float) -> str:
    return (
        f"baseline: exporter's or importer's figure at random (importer's / fixed CIF 1.05), "
        f"log-normal noise sigma {noise:g}"
    )


def directed_errors(pd: ProductData) -> ErrorModel:
    """The product's reporting-error model with its tail's direction fitted
    (``route_errors.fit_direction`` on :func:`side_levels`), stored back on ``pd`` so that
    it is fitted once per loaded scope. ``route_data.load_flows`` fits it when it loads the
    data; a ``ProductData`` built otherwise gets it here on first use."""
    if not pd.errors.directed:
        pd.errors = fit_direction(pd.errors, *side_levels(pd))
    return pd.errors


def usual_level(pd: ProductData, year: int) -> FloatArray:
    """The centre of the pair prior for ``year``: the median, over the pair's other years
    (where it traded in at least two of them; NaN elsewhere), of each year's more credible
    report. Where both sides report a year, that is the one the fitted direction of the
    error tail favours: the higher when the tail mostly lowers reports (``down`` > 0.5: a
    report far off is an under-report, and the side that stays at its usual level is the
    higher one, as in the real sample's wide gaps, docs/simulation.md "Which side moved"),
    the lower when it mostly raises them, the mean of the two when it is symmetric. A year
    one side reports counts with that report; a value reconciled elsewhere with itself
    (when above zero).

    The plain median of all reports sits below the true level under a downward tail (the
    under-reports pull it down): on the simulated case, seed 5 at low noise, the truth sat
    +0.17 log above it on average, +0.12 above the median of reports each corrected by its
    side's error median (the centre until December 2026), +0.06 above this one; route
    coverage rose at unchanged width (docs/validation.md, "Route intervals: coverage")."""
    model = directed_errors(pd)
    centre = np.full((pd.n, pd.n), np.nan)
    prior = pd.prior_cells(year)
    if prior is None:
        return centre
    others, cells = prior
    elsewhere = BASIS.index("reconciled")
    logs: list[FloatArray] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for y in others:
            lx, lm = log_reports(pd.x[y][cells]), log_reports(pd.m[y][cells])
            if model.down > 0.5:
                both = np.fmax(lx, lm)
            elif model.down < 0.5:
                both = np.fmin(lx, lm)
            else:
                both = np.where(np.isfinite(lx) & np.isfinite(lm), (lx + lm) / 2, np.fmax(lx, lm))
            v = pd.value[y][cells]
            # a value reconciled elsewhere counts when there is one (a zero is no level: it
            # would count as log 1e-300 and drag the median down)
            rec = np.where(pd.basis[y][cells] == elsewhere, log_reports(v), np.nan)
            logs.append(np.where(np.isfinite(both), both, rec))
        centre[cells] = np.nanmedian(np.stack(logs), axis=0)
    return centre


def model_detail(pd: ProductData) -> str:
    """The fitted parameters behind a product's intervals, in words."""
    directed_errors(pd)
    return (
        f"errors: {pd.errors.describe()}; prior: {pd.prior.describe()}; "
        f"presence: {pd.presence.describe()}"
    )


@dataclass(slots=True)
class YearLaw:
    """One year's draw instructions: reported cells and their laws, which of them may be
    empty, silent cells and the law they would follow if a flow hid there."""

    cells: Cells
    law: Law
    lone: npt.NDArray[np.bool_]  # one-sided reports of isolated pairs (among ``cells``)
    silent: Cells
    silent_law: Law

    @classmethod
    def of(cls, pd: ProductData, year: int) -> YearLaw:
        # the reports' law times the pair prior, centred on the usual level under the
        # directed model; silent cells of pairs with a usual level drawn from the prior
        directed_errors(pd)  # report_law reads pd.errors
        cells, law = pd.report_law(year)
        centre = usual_level(pd, year)
        law = with_prior(law, centre[cells], pd.prior)
        lone = np.isin(pd.basis[year][cells], (2, 3)) & isolated(pd, year)[cells]
        silent = np.nonzero((pd.value[year] <= 0) & np.isfinite(centre))
        return cls(cells, law, lone, silent, prior_law(centre[silent], pd.prior))

    def draw(self, pd: ProductData, rng: np.random.Generator, resamples: int) -> FloatArray:
        """``resamples`` flow matrices (S, n, n)."""
        out = np.zeros((resamples, pd.n, pd.n))
        if self.cells[0].size:
            drawn = np.exp(draw_law(self.law, rng, resamples))
            if pd.presence.phantom > 0 and self.lone.any():
                empty = rng.random(drawn.shape) < pd.presence.phantom
                drawn = np.where(empty & self.lone[None, :], 0.0, drawn)
            out[:, self.cells[0], self.cells[1]] = drawn
        if pd.presence.hidden > 0 and self.silent[0].size:
            hid = rng.random((resamples, self.silent[0].size)) < pd.presence.hidden
            value = np.exp(draw_law(self.silent_law, rng, resamples))
            out[:, self.silent[0], self.silent[1]] = np.where(hid, value, 0.0)
        return out


def draw_flows(
    pd: ProductData,
    year: int,
    rng: np.random.Generator,
    resamples: int,
    noise: float | None = None,
    law: YearLaw | None = None,
) -> FloatArray:
    """``resamples`` flow matrices for ``year`` (S, n, n): from the fitted model
    (``noise=None``; ``law`` when already built for the year), or the baseline model with
    that sigma."""
    if noise is not None:
        alt_x, alt_m = pd.mirror_alternatives(year)
        return att.resample_flows(alt_x, alt_m, rng, resamples, noise)
    return (law or YearLaw.of(pd, year)).draw(pd, rng, resamples)


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
        law = YearLaw.of(pd, y) if noise is None else None
        done = 0
        while done < resamples:
            s = min(chunk, resamples - done)
            flows = draw_flows(pd, y, rng, s, noise, law)
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
