"""Surges after a break, as a difference-in-differences against control cells.

Chupilkin, Javorcik & Plekhanov (2023, "The Eurasian roundabout") measure trade rerouted
after the 2022 sanctions by comparing, in logs, the change in an intermediary's exports of
a product to a destination with the change in its exports of that product elsewhere and of
other products to that destination. A rise that the controls share (a price boom, a
reporting change) cancels out; what is left is specific to the leg. Here the same estimate
is made for one leg at a time:

``y[u, t] = log(value + c)``, u the treated cell (M -> D, product P) and the controls
(M -> other destinations, P) and (M -> D, other products); ``beta`` is the two-way
fixed-effects coefficient of treated x post, which on a balanced panel with one treated
cell equals (treated post - pre) minus (mean control post - pre). The offset ``c`` is 1 %
of the median positive value in the panel: a leg that starts from nothing (the typical
new route) is kept, as a rise of about log(100) = 4.6 instead of an arbitrary log(10^7)
that ``log(1 + v)`` in dollars would give, and a control cell that one year nobody
reported does not swamp the variance.

Two standard errors: the OLS one from the two-way model's residuals, and a placebo one
(each control in turn treated as if it were the leg, Conley & Taber style), which does not
assume the one treated cell behaves like the rest. Scores use the larger.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from transship.exc import InvalidInput

FloatArray = npt.NDArray[np.float64]
#: The log offset as a share of the panel's median positive value (see the module notes).
OFFSET_SHARE = 0.01
_BREAK = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


@dataclass(frozen=True, slots=True)
class BreakDate:
    year: int
    month: int  # 1..12; a bare year means January

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_break(value: str) -> BreakDate:
    """``2022``, ``2022-02`` or ``2022-02-24`` -> BreakDate."""
    m = _BREAK.match(value.strip())
    if not m or not 1 <= int(m.group(2) or 1) <= 12:
        raise InvalidInput(f"break date {value!r}: expected YYYY, YYYY-MM or YYYY-MM-DD")
    return BreakDate(int(m.group(1)), int(m.group(2) or 1))


def is_post(period: str, brk: BreakDate) -> bool:
    """Whether a period (``2022`` or ``2022-05``) falls after the break.

    A year counts as after the break when most of it is: the break year itself is "after"
    for breaks in January to June.
    """
    year = int(period[:4])
    if len(period) >= 7:
        return (year, int(period[5:7])) >= (brk.year, brk.month)
    return year > brk.year or (year == brk.year and brk.month <= 6)


@dataclass(frozen=True, slots=True)
class DiD:
    """One leg's difference-in-differences, in log points."""

    estimate: float
    se: float  # OLS, two-way fixed effects
    placebo_se: float | None  # sd of the estimate over placebo-treated controls
    placebo_p: float | None  # share of placebo |estimates| at least as large
    treated_pre: float  # mean log(value + offset) of the leg before
    treated_post: float
    control_pre: float
    control_post: float
    n_controls: int
    n_pre: int
    n_post: int

    @property
    def z(self) -> float:
        """Estimate over the larger standard error (the conservative t-statistic)."""
        se = max(self.se, self.placebo_se or 0.0)
        if se <= 0:
            return math.copysign(math.inf, self.estimate) if self.estimate else 0.0
        return self.estimate / se

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["z"] = self.z if math.isfinite(self.z) else None
        return d


def _did_point(
    y: FloatArray, treated: int, post: npt.NDArray[np.bool_], controls: list[int]
) -> float:
    t = y[treated]
    c = y[controls].mean(axis=0)
    return float((t[post].mean() - t[~post].mean()) - (c[post].mean() - c[~post].mean()))


def did(values: FloatArray, post: npt.NDArray[np.bool_], treated: int = 0) -> DiD | None:
    """Difference-in-differences for row ``treated`` of ``values`` (cells x periods, USD).

    Missing values count as zero trade. ``None`` when there is no period on one side of the
    break or no control cell.
    """
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0)
    post = np.asarray(post, dtype=bool)
    n_units, n_periods = v.shape
    n_post = int(post.sum())
    n_pre = n_periods - n_post
    if n_units < 2 or n_post == 0 or n_pre == 0:
        return None
    v = np.maximum(v, 0.0)
    positive = v[v > 0]
    if positive.size == 0:
        return None
    offset = OFFSET_SHARE * float(np.median(positive))
    y = np.log(v + offset)
    controls = [u for u in range(n_units) if u != treated]
    beta = _did_point(y, treated, post, controls)

    # OLS standard error of the interaction in y = a_u + b_t + beta D + e (balanced panel).
    d = np.zeros_like(y)
    d[treated, post] = 1.0
    d_t = d - d.mean(axis=1, keepdims=True) - d.mean(axis=0, keepdims=True) + d.mean()
    y_t = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + y.mean()
    resid = y_t - beta * d_t
    dof = n_units * n_periods - n_units - n_periods + 1 - 1
    sxx = float((d_t**2).sum())
    if dof > 0 and sxx > 0:
        se = math.sqrt(float((resid**2).sum()) / dof / sxx)
    else:
        se = math.inf

    placebo_se: float | None = None
    placebo_p: float | None = None
    if len(controls) >= 3:
        placebo = np.array(
            [_did_point(y, c, post, [u for u in controls if u != c]) for c in controls]
        )
        placebo_se = float(placebo.std(ddof=1))
        placebo_p = float((np.sum(np.abs(placebo) >= abs(beta)) + 1) / (len(placebo) + 1))

    c = y[controls].mean(axis=0)
    return DiD(
        estimate=beta,
        se=se,
        placebo_se=placebo_se,
        placebo_p=placebo_p,
        treated_pre=float(y[treated, ~post].mean()),
        treated_post=float(y[treated, post].mean()),
        control_pre=float(c[~post].mean()),
        control_post=float(c[post].mean()),
        n_controls=len(controls),
        n_pre=n_pre,
        n_post=n_post,
    )
