"""What a reconciled flow may really have been: the reporting-error model routes draw from.

Each side reports the true FOB value ``T`` with a multiplicative error: ``ln x = ln T + e_x``
(exporter) and ``ln m_fob = ln T + e_m`` (importer, CIF brought to FOB with the fitted
margin). Mirror ratios are fat-tailed (docs/simulation.md; the real Comtrade sample too):
most reports agree closely, a few are off by a factor of several. The model says so
directly: each side's error is ``s * eps`` with ``s`` the side's own scale and ``eps`` a
scale mixture of normals,

    eps ~ (1 - p) N(0, c^2) + p N(0, (c K)^2)

(a core of width ``c`` and, with probability ``p``, a tail ``K`` times wider). The tail has a
direction: a share ``down`` of its errors lowers a report (``-|w|``), the rest raises it
(``+|w|``), ``w ~ N(0, (c K)^2)``; ``down = 0.5`` is the symmetric tail. Real wide mirror gaps
are mostly under-reports (docs/simulation.md, "Which side moved"), so ``down`` is fitted, not
assumed: where two reports disagree widely, the side that moved is the one further from its
own usual level in the pair's other years (:func:`fit_direction`, the rule of
``transship.simulate.realism.real_side_moved``). The relative
scales come from ``transship.flows.reconcile`` (the fitted dispersions ``sigma_x[E]``,
``sigma_m[I]``, each side taken as ``sigma / sqrt(2)``: exporters and importers assumed
equally careful on average, the split the data cannot identify); ``p``, ``K`` and ``c``
are fitted by maximum likelihood on the observed mirror residuals ``d = ln m_fob - ln x``
of the scope, whose law under the model is a mixture of normals (each side core or tail; a
one-sided tail is drawn as :data:`TAIL_SLICES` normals, one per equal-probability slice of
the half-normal, each with its slice's mean and variance, so that every law stays a mixture
of normals). Nothing here reads a true value.

Given a cell's reports, the true value's law follows (:func:`report_law`):

* both sides: a mixture of the (core/tail x core/tail) precision-weighted means, each
  weighted by how well it explains the observed gap ``d``. Two reports that agree give a
  narrow law near both; two that disagree by far more than their cores allow give a
  two-humped law near each report (one of them erred), however the point estimate
  (``reconcile``'s weighted log mean) split the difference;
* one side only: that report times ``exp(-s * eps)`` (under a downward tail, a report
  that erred lies below the truth, so the law reaches up from it);
* a value reconciled elsewhere (BACI): a normal law of its ``log_sd``.

Trade between two territories is persistent, so the pair's reports in the other years of
the scope say what this year's value is likely to be: :class:`PairPrior`, a scale mixture
around their median, fitted on the cells whose two reports agree (there the deviation from
the other years is trade, not reporting error). :func:`with_prior` multiplies it in: a
one-sided report a hundred times the pair's usual level is then read as the likely error
it is, while a jump that both sides report stands.

:class:`Presence` says, by capture-recapture on the scope's cells, how likely a silent year
of a regular pair hid a flow and how likely a lone one-sided report of a pair seen in no
other year has no flow behind it.

``transship.flows.route_intervals`` draws flow matrices from these laws; route intervals are
the percentiles of the chain's attribution over the draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Fewest mirror residuals the mixture is fitted on (else the normal law: p = 0, c = 1).
MIN_RESIDUALS = 30
#: Residuals read by the fit at most (a deterministic stride over them above that).
FIT_RESIDUALS = 5_000
#: The fit's grid: tail share, tail width (times the core), core width (times sigma/sqrt 2).
GRID_P = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
GRID_K = (2.0, 3.0, 4.0, 6.0, 8.0, 11.0, 16.0)
GRID_C = tuple(float(v) for v in np.exp(np.linspace(math.log(0.25), math.log(2.5), 21)))
_LOG_2PI = math.log(2.0 * math.pi)
#: Normals a one-sided tail is drawn as (equal-probability slices of the half-normal).
TAIL_SLICES = 4
#: Grid steps (of ``c``, of ``K``) the refit with the tail's direction searches around the
#: symmetric fit (in development the full grid moved them at most two steps and one).
NEAR_STEPS = (3, 2)
#: A gap is wide when the fitted symmetric model gives its two reports less than this
#: chance of both being in their core.
WIDE_CORE = 0.1


def _half_normal_slices(j: int) -> tuple[tuple[float, float, float], ...]:
    """(weight, mean, sd) of ``j`` normals standing for ``|Z|``, ``Z ~ N(0, 1)``: one per
    slice of equal probability, with the slice's own mean and variance (so the mixture's
    mean and variance are the half-normal's)."""
    nd = NormalDist()
    out = []
    for i in range(j):
        a = nd.inv_cdf(0.5 + 0.5 * i / j)
        b = nd.inv_cdf(0.5 + 0.5 * (i + 1) / j) if i + 1 < j else math.inf
        mass = nd.cdf(b) - nd.cdf(a)
        pa, pb = nd.pdf(a), (nd.pdf(b) if math.isfinite(b) else 0.0)
        mean = (pa - pb) / mass
        bpb = b * pb if math.isfinite(b) else 0.0
        var = 1.0 + (a * pa - bpb) / mass - mean * mean
        out.append((1.0 / j, mean, math.sqrt(var)))
    return tuple(out)


#: ``|Z|`` as (weight, mean, sd) normals, the shape of a one-sided tail.
HALF_NORMAL = _half_normal_slices(TAIL_SLICES)


@dataclass(frozen=True, slots=True)
class ErrorModel:
    """The fitted law of one side's reporting error, in units of its own scale."""

    p: float  # share of reports in the wide tail
    k: float  # tail width over core width
    c: float  # core width (times sigma / sqrt 2)
    residuals: int  # mirror residuals fitted on
    log_lik: float  # per residual, at the fit
    log_lik_normal: float  # per residual, best normal law (p = 0): what the tail buys
    down: float = 0.5  # share of tail errors that lower a report (0.5: symmetric tail)
    wide: int = -1  # wide gaps ``down`` was read from (-1: direction not fitted)
    wide_down: int = 0  # of which the low side moved

    @property
    def fitted(self) -> bool:
        return self.residuals >= MIN_RESIDUALS

    @property
    def directed(self) -> bool:
        """Whether :func:`fit_direction` has been run (whatever it found)."""
        return self.wide >= 0

    def side(self) -> list[tuple[float, float, float]]:
        """One side's error law as (weight, mean, sd) normals, in units of the side's scale:
        the core, then the tail (one normal when symmetric, else :data:`TAIL_SLICES` below
        the report and as many above, weighted by ``down``)."""
        out = [(1.0 - self.p, 0.0, self.c)] if self.p < 1 else []
        if self.p <= 0:
            return out
        width = self.c * self.k
        if self.down == 0.5:
            return [*out, (self.p, 0.0, width)]
        for share, sign in ((self.down, -1.0), (1.0 - self.down, 1.0)):
            if share > 0:
                out += [
                    (self.p * share * w, sign * m * width, s * width) for w, m, s in HALF_NORMAL
                ]
        return out

    def describe(self) -> str:
        if not self.fitted:
            return f"normal law (only {self.residuals} pairs with both reports)"
        if not self.directed:
            way = "either way"
        else:
            way = (
                f"{self.down:.0%} of it lowering a report (the low side moved in "
                f"{self.wide_down} of {self.wide} wide gaps)"
            )
        return (
            f"core {self.c:.2f} x sigma/sqrt2, tail share {self.p:.2f} x{self.k:g} wider, "
            f"{way} (fitted on {self.residuals:,} mirror residuals; log-likelihood per pair "
            f"{self.log_lik:+.3f} against {self.log_lik_normal:+.3f} for a normal law)"
        )


NORMAL = ErrorModel(0.0, 1.0, 1.0, 0, float("nan"), float("nan"))


def _scales(sigma: FloatArray) -> FloatArray:
    """A side's own error scale from its fitted dispersion. ``reconcile``'s dispersions
    (mirror's, unsplit) measure the gap to every partner, so they hold the partners' errors
    too; with exporters and importers equally careful on average a side's own share is
    ``sigma / sqrt 2``. (Subtracting half the global variance instead, as ``reconcile``'s
    ``split`` does, fits the gaps about as well but covered worse: careful reporters hit
    its floor.) The fitted core width ``c`` absorbs any common error in the level."""
    return np.asarray(sigma, dtype=np.float64) / math.sqrt(2.0)


def _normal_density(d: FloatArray, var: FloatArray | float) -> FloatArray:
    return np.asarray(np.exp(-0.5 * d * d / var) / np.sqrt(2.0 * math.pi * var), dtype=np.float64)


def _mean_log(density: FloatArray) -> FloatArray:
    """Mean over rows (axis 0) of the log of each column's density."""
    return np.asarray(np.mean(np.log(np.maximum(density, 1e-300)), axis=0), dtype=np.float64)


_P = np.asarray(GRID_P, dtype=np.float64)


def fit_error_model(
    d: FloatArray,
    sigma_x: FloatArray,
    sigma_m: FloatArray,
    down: float = 0.5,
    near: ErrorModel | None = None,
) -> ErrorModel:
    """Maximum-likelihood ``p``, ``K``, ``c`` on the grid for the gaps ``d`` of pairs both
    sides report, with their fitted dispersions (see the module docstring), the tail's
    direction ``down`` given (the gaps alone hardly tell it: one side's report too low and
    the other's too high make the same gap; :func:`fit_direction` reads it). ``near``: search
    only the grid points within :data:`NEAR_STEPS` of its ``c`` and ``K`` (a refit that
    changes the tail's shape, not its size, stays near the first fit)."""
    ok = np.isfinite(d) & np.isfinite(sigma_x) & np.isfinite(sigma_m) & (sigma_x > 0)
    ok &= sigma_m > 0
    d, sigma_x, sigma_m = d[ok], sigma_x[ok], sigma_m[ok]
    n = int(d.size)
    if n < MIN_RESIDUALS:
        return ErrorModel(0.0, 1.0, 1.0, n, float("nan"), float("nan"))
    if n > FIT_RESIDUALS:
        keep = np.linspace(0, n - 1, FIT_RESIDUALS).astype(np.int64)
        d, sigma_x, sigma_m = d[keep], sigma_x[keep], sigma_m[keep]
    sx, sm = _scales(sigma_x), _scales(sigma_m)
    best = (-math.inf, 0.0, 1.0, 1.0)
    best_normal = -math.inf
    q = 1.0 - _P
    grid_c: tuple[float, ...] = GRID_C
    grid_k: tuple[float, ...] = GRID_K
    if near is not None:
        grid_c, grid_k = _near(GRID_C, near.c, NEAR_STEPS[0]), _near(GRID_K, near.k, NEAR_STEPS[1])
    for c in GRID_C:
        vx, vm = (c * sx) ** 2, (c * sm) ** 2
        core = _normal_density(d, vx + vm)
        normal = float(_mean_log(core[:, None])[0])
        best_normal = max(best_normal, normal)
        if normal > best[0]:
            best = (normal, 0.0, 1.0, c)
        if c not in grid_c:
            continue
        for k in grid_k:
            one, two = _tail_densities(d, c * sx, c * sm, k, down)
            # each column one tail share p: (1-p)^2 core + p(1-p) one tail + p^2 both
            mix = core[:, None] * q * q + one[:, None] * _P * q + two[:, None] * _P * _P
            lls = _mean_log(mix)
            j = int(np.argmax(lls[1:])) + 1  # p = 0 is the normal law, done above
            if lls[j] > best[0]:
                best = (float(lls[j]), float(_P[j]), k, c)
    ll, p, k, c = best
    return ErrorModel(p, k, c, n, ll, best_normal, down=down)


def _near(grid: tuple[float, ...], value: float, steps: int) -> tuple[float, ...]:
    """The grid points within ``steps`` of the one nearest ``value``."""
    i = int(np.argmin(np.abs(np.log(np.asarray(grid)) - math.log(value))))
    return grid[max(0, i - steps) : i + steps + 1]


def _tail_densities(
    d: FloatArray, sx: FloatArray, sm: FloatArray, k: float, down: float
) -> tuple[FloatArray, FloatArray]:
    """Densities of the gap ``d = e_m - e_x`` when one side's error is in the tail (either
    side, summed) and when both are, for cores of widths ``sx``, ``sm`` and a tail ``k``
    times wider whose errors lower a report with probability ``down``."""
    vx, vm = sx * sx, sm * sm
    if down == 0.5:
        k2 = k * k
        one = _normal_density(d, vx * k2 + vm) + _normal_density(d, vx + vm * k2)
        return one, _normal_density(d, (vx + vm) * k2)
    tail = [
        (w * share, sign * mu * k, sd * k)
        for share, sign in ((down, -1.0), (1.0 - down, 1.0))
        if share > 0
        for w, mu, sd in HALF_NORMAL
    ]
    one = np.zeros_like(d)
    two = np.zeros_like(d)
    for w, mu, sd in tail:
        # the importer's tail moves d by +e_m, the exporter's by -e_x
        one += w * _normal_density(d - mu * sm, vx + (sd * sm) ** 2)
        one += w * _normal_density(d + mu * sx, (sd * sx) ** 2 + vm)
        for w2, mu2, sd2 in tail:
            two += (
                w * w2 * _normal_density(d - mu2 * sm + mu * sx, (sd * sx) ** 2 + (sd2 * sm) ** 2)
            )
    return one, two


def fit_direction(
    model: ErrorModel,
    d: FloatArray,
    sigma_x: FloatArray,
    sigma_m: FloatArray,
    moved_x: FloatArray,
    moved_m: FloatArray,
) -> ErrorModel:
    """Which way the tail goes, read from the data, then ``p``, ``K``, ``c`` refitted with it.

    For each gap ``d = ln m_fob - ln x`` of a pair both sides report, ``moved_x`` and
    ``moved_m`` are how far each side's report sits from that side's own usual level (the
    median of its reports of the same pair in the scope's other years; NaN where it has
    fewer than two). A gap is wide when ``model`` (fitted with a symmetric tail) gives its
    reports less than :data:`WIDE_CORE` chance of both being in their core; of the wide gaps
    with both usual levels known, the side further from its usual level is the side that
    erred, and ``down`` is the share where that is the low side, estimated as
    ``(low + 1) / (wide + 2)`` (a uniform prior: no gaps, a symmetric tail; a few, pulled
    toward it). Nothing here reads a true value; a pair whose trade really jumped in a year
    moves both sides alike and leaves the comparison to the reporting error."""
    ok = np.isfinite(d) & np.isfinite(sigma_x) & np.isfinite(sigma_m) & (sigma_x > 0)
    ok &= sigma_m > 0
    d, sigma_x, sigma_m, moved_x, moved_m = (a[ok] for a in (d, sigma_x, sigma_m, moved_x, moved_m))
    if not model.fitted or model.p <= 0:
        return replace(model, wide=0, wide_down=0)
    sym = replace(model, down=0.5)
    sx, sm = _scales(sigma_x), _scales(sigma_m)
    q = 1.0 - sym.p
    core = q * q * _normal_density(d, (sym.c * sx) ** 2 + (sym.c * sm) ** 2)
    one, two = _tail_densities(d, sym.c * sx, sym.c * sm, sym.k, 0.5)
    total = core + sym.p * q * one + sym.p * sym.p * two
    with np.errstate(divide="ignore", invalid="ignore"):
        wide = (core < WIDE_CORE * total) & np.isfinite(moved_x) & np.isfinite(moved_m)
    low_x = d[wide] > 0  # the importer's figure is the larger: the exporter's is low
    far_x = np.abs(moved_x[wide]) > np.abs(moved_m[wide])
    n_wide = int(wide.sum())
    n_down = int((low_x == far_x).sum())
    down = (n_down + 1.0) / (n_wide + 2.0)
    refit = fit_error_model(d, sigma_x, sigma_m, down, near=model)
    return replace(refit, wide=n_wide, wide_down=n_down)


def _components(
    model: ErrorModel,
) -> list[tuple[float, tuple[float, float], tuple[float, float]]]:
    """(weight, x (mean, sd), m (mean, sd)) of every pair of the two sides' components."""
    sides = model.side()
    return [(wa * wb, (ma, ka), (mb, kb)) for wa, ma, ka in sides for wb, mb, kb in sides]


def _log_normal_pdf(d: FloatArray, var: FloatArray) -> FloatArray:
    return np.asarray(-0.5 * (d * d / var + np.log(var) + _LOG_2PI), dtype=np.float64)


Law = tuple[FloatArray, FloatArray, FloatArray]  # log weights, means, variances: (cells, comps)


def report_law(
    basis: npt.NDArray[np.int8],
    value: FloatArray,
    x: FloatArray,
    m_fob: FloatArray,
    sigma_x: FloatArray,
    sigma_m: FloatArray,
    log_sd: FloatArray,
    model: ErrorModel,
) -> Law:
    """The law of ``ln T`` the reports alone give (a flat prior), per cell (1-d arrays): a
    mixture of normals as (log weight, mean, variance), each (cells, components), unused
    components with weight -inf; the first component is both reports in their core.
    ``basis`` codes as ``route_data.BASIS``: 1 both, 2 exporter only, 3 importer only;
    anything else (or a side without a dispersion) a value reconciled elsewhere, normal with
    its ``log_sd``. A report ``r`` with error component (mean ``mu``, sd) says
    ``ln T ~ N(ln r - mu s, (sd s)^2)``: under a downward tail it reaches up from ``r``."""
    n = value.size
    pairs = [c for c in _components(model) if c[0] > 0]
    width = max(len(pairs), 1)
    logw = np.full((n, width), -np.inf)
    mean = np.zeros((n, width))
    var = np.ones((n, width))
    sx, sm = _scales(sigma_x), _scales(sigma_m)
    both = (basis == 1) & np.isfinite(sx) & np.isfinite(sm)
    if both.any():
        lx, lm = np.log(x[both]), np.log(m_fob[both])
        for k, (w, (mx, kx), (mm, km)) in enumerate(pairs):
            ex, em = lx - mx * sx[both], lm - mm * sm[both]  # each report, its error removed
            vx, vm = (kx * sx[both]) ** 2, (km * sm[both]) ** 2
            logw[both, k] = math.log(w) + _log_normal_pdf(em - ex, vx + vm)
            var[both, k] = 1.0 / (1.0 / vx + 1.0 / vm)
            mean[both, k] = var[both, k] * (ex / vx + em / vm)
    done = both.copy()
    sides = [s for s in model.side() if s[0] > 0]
    for code, report, scale in ((2, x, sx), (3, m_fob, sm)):
        one = (basis == code) & np.isfinite(scale)
        done |= one
        if not one.any():
            continue
        for k, (w, mu, sd) in enumerate(sides):
            logw[one, k] = math.log(w)
            mean[one, k] = np.log(report[one]) - mu * scale[one]
            var[one, k] = (sd * scale[one]) ** 2
    rest = ~done
    if rest.any():
        logw[rest, 0] = 0.0
        mean[rest, 0] = np.log(value[rest])
        var[rest, 0] = np.maximum(np.nan_to_num(log_sd[rest], nan=0.0) ** 2, 1e-12)
    return logw, mean, var


@dataclass(frozen=True, slots=True)
class PairPrior:
    """How far a flow's log value strays from its pair's other years: a scale mixture
    ``(1 - p) N(0, tau^2) + p N(0, (K tau)^2)``, fitted on the cells both sides report."""

    tau: float
    p: float
    k: float
    cells: int

    @property
    def fitted(self) -> bool:
        return self.cells >= MIN_RESIDUALS

    def describe(self) -> str:
        if not self.fitted:
            return f"no prior from other years (only {self.cells} cells to fit it on)"
        return (
            f"a pair's other years: median, deviation {self.tau:.2f} log points, "
            f"{self.p:.2f} of years {self.k:g}x further (fitted on {self.cells:,} cells)"
        )


NO_PRIOR = PairPrior(float("inf"), 0.0, 1.0, 0)
GRID_TAU = tuple(float(v) for v in np.exp(np.linspace(math.log(0.05), math.log(4.0), 25)))


def fit_pair_prior(deviation: FloatArray) -> PairPrior:
    """Maximum-likelihood scale mixture for ``ln V_y - median(ln V_other years)`` of cells
    whose two reports agree (so that the cell's own reporting error barely adds to it)."""
    r = deviation[np.isfinite(deviation)]
    n = int(r.size)
    if n < MIN_RESIDUALS:
        return PairPrior(float("inf"), 0.0, 1.0, n)
    if n > FIT_RESIDUALS:
        r = r[np.linspace(0, n - 1, FIT_RESIDUALS).astype(np.int64)]
    best = (-math.inf, 1.0, 0.0, 1.0)
    for tau in GRID_TAU:
        core = _normal_density(r, tau * tau)
        ll = float(_mean_log(core[:, None])[0])
        if ll > best[0]:
            best = (ll, tau, 0.0, 1.0)
        for k in GRID_K:
            wide = _normal_density(r, (k * tau) ** 2)
            lls = _mean_log(core[:, None] * (1.0 - _P) + wide[:, None] * _P)
            j = int(np.argmax(lls[1:])) + 1
            if lls[j] > best[0]:
                best = (float(lls[j]), tau, float(_P[j]), k)
    return PairPrior(best[1], best[2], best[3], n)


def prior_law(centre: FloatArray, prior: PairPrior) -> Law:
    """The pair prior alone, for cells no one reported (1-d ``centre``): the law of the
    log value the pair would have had, from its other years."""
    n = centre.size
    logw = np.full((n, 2), -np.inf)
    mean = np.repeat(centre[:, None], 2, axis=1)
    var = np.ones((n, 2))
    for k, (w, width) in enumerate(((1.0 - prior.p, prior.tau), (prior.p, prior.tau * prior.k))):
        if w > 0:
            logw[:, k] = math.log(w)
            var[:, k] = width * width
    return logw, mean, var


@dataclass(frozen=True, slots=True)
class Presence:
    """Whether a flow existed where the reports say nothing, or only one side speaks.

    Capture-recapture on the cells of *regular* pairs (reported in at least one other year
    of the scope): an exporter reports a flow its importer reports with probability
    ``c_x = both / (both + importer only)``, an importer one its exporter reports with
    ``c_m = both / (both + exporter only)``; reporting independently, the two sides both
    miss a flow with ``q = (1 - c_x)(1 - c_m)``.

    * ``hidden``: of the years of pairs that trade in at least two other years, a share
      ``f`` is reported, so such a pair trades in a year with ``pi = f / (1 - q)``, and a
      silent year hides a flow with ``pi q / (pi q + 1 - pi)``.
    * ``phantom``: a real flow is reported by one side only ``r = (c_x(1 - c_m) +
      c_m(1 - c_x)) / (c_x c_m)`` times as often as by both. Among the cells of *isolated*
      pairs (no report in any other year), one-sided cells beyond ``r`` times the two-sided
      ones are reports with no flow behind them (a partner misattributed, a typo): their
      share of the one-sided isolated cells is the chance that such a cell is empty.
      (Estimated at 0 when there is no excess: a probability is not negative.)"""

    c_x: float
    c_m: float
    observed: float  # f
    hidden: float  # P(flow | silent year of a pair trading in >= 2 other years)
    phantom: float  # P(no flow | one-sided report of an isolated pair)

    def describe(self) -> str:
        return (
            f"exporters report {self.c_x:.0%} and importers {self.c_m:.0%} of the flows the "
            f"other side reports; a silent year of a pair trading in at least two other years "
            f"hides a flow with probability {self.hidden:.0%}; a one-sided report of a pair "
            f"seen in no other year has no flow behind it with probability {self.phantom:.0%}"
        )


CERTAIN = Presence(1.0, 1.0, 1.0, 0.0, 0.0)


def presence(
    regular: tuple[int, int, int],
    isolated: tuple[int, int, int],
    years_of_regular: int,
    seen: int,
) -> Presence:
    """:class:`Presence` from cell counts: ``regular`` and ``isolated`` as (both, exporter
    only, importer only) cells; ``years_of_regular`` cell-years of pairs trading in at least
    two other years, ``seen`` of them reported by some side."""
    both, x_only, m_only = regular
    if both == 0:
        return CERTAIN
    c_x = both / (both + m_only)
    c_m = both / (both + x_only)
    q = (1.0 - c_x) * (1.0 - c_m)
    hidden = 0.0
    f = seen / years_of_regular if years_of_regular else 1.0
    if years_of_regular and q < 1:
        pi = min(1.0, f / (1.0 - q))
        hidden = pi * q / (pi * q + 1.0 - pi) if pi * q + 1.0 - pi > 0 else 0.0
    i_both, i_x, i_m = isolated
    one = i_x + i_m
    r = (c_x * (1.0 - c_m) + c_m * (1.0 - c_x)) / (c_x * c_m)
    phantom = max(0.0, one - r * i_both) / one if one else 0.0
    return Presence(c_x, c_m, f, hidden, phantom)


def with_prior(law: Law, centre: FloatArray, prior: PairPrior) -> Law:
    """The reports' law times the pair prior centred on ``centre`` (NaN: no prior for that
    cell, its law unchanged): each (report, prior) pair of components is one normal."""
    logw, mean, var = law
    has = np.isfinite(centre)
    if not prior.fitted or not has.any():
        return law
    parts_w: list[FloatArray] = []
    parts_m: list[FloatArray] = []
    parts_v: list[FloatArray] = []
    for w, width in ((1.0 - prior.p, prior.tau), (prior.p, prior.tau * prior.k)):
        if w <= 0:
            continue
        t2 = width * width
        mu = np.where(has, centre, 0.0)[:, None]
        post_v = 1.0 / (1.0 / var + 1.0 / t2)
        post_m = post_v * (mean / var + mu / t2)
        post_w = logw + math.log(w) + _log_normal_pdf(mean - mu, var + t2)
        parts_w.append(np.where(has[:, None], post_w, logw if not parts_w else -np.inf))
        parts_m.append(np.where(has[:, None], post_m, mean))
        parts_v.append(np.where(has[:, None], post_v, var))
    return np.hstack(parts_w), np.hstack(parts_m), np.hstack(parts_v)


def draw_law(law: Law, rng: np.random.Generator, draws: int) -> FloatArray:
    """``draws`` samples from each cell's mixture (draws, cells)."""
    logw, mean, var = law
    n = logw.shape[0]
    if n == 0:
        return np.zeros((draws, 0))
    w = np.exp(logw - logw.max(axis=1, keepdims=True))
    cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    u = rng.random((draws, n))
    pick = np.minimum((u[:, :, None] > cum[None, :, :]).sum(axis=2), logw.shape[1] - 1)
    cols = np.arange(n)[None, :]
    z = rng.standard_normal((draws, n))
    return np.asarray(mean[cols, pick] + np.sqrt(var[cols, pick]) * z, dtype=np.float64)
