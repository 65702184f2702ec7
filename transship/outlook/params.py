"""Scenario parameters: each a distribution, its range from the claims behind it.

A parameter is written in one of these forms (YAML), and must say where it comes from:

* ``{fixed: 0.3, lever: true}`` - a lever the scenario sets (what is being asked);
* ``{claim: SO02, value: 2.4, spread: 0.05}`` - a claimed figure: uniform on
  ``value * (1 +- spread * f)``, where ``f`` widens with a weaker grade and fewer independent
  origins (:func:`transship.outlook.evidence.spread_factor`); ``shape: triangular`` puts the
  mode at the value; ``scale`` converts units (80 % -> 0.8 with ``scale: 0.01``);
* ``{dist: uniform|triangular|normal|lognormal, ..., assumption: "why"}`` - an assumption,
  said as such (``claim:`` may be given beside it as the figure it leans on).

``bounds: [low, high]`` truncates a distribution (out-of-range draws are drawn again, so the
shape inside the bounds is kept): a share cannot pass 1, a price cannot be negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from transship.outlook.evidence import Cited, spread_factor
from transship.outlook.files import fail, number

FloatArray = NDArray[np.float64]
DISTS = ("uniform", "triangular", "normal", "lognormal")


@dataclass(slots=True)
class Param:
    name: str
    dist: str  # fixed | uniform | triangular | normal | lognormal
    args: dict[str, float]
    lever: bool
    claim: Cited | None
    assumption: str | None
    bounds: tuple[float | None, float | None]
    #: How the range was made, in words (the widening rule applied, or the assumption).
    basis: str

    @property
    def uncertain(self) -> bool:
        return self.dist != "fixed"

    def draw(self, rng: np.random.Generator, n: int) -> FloatArray:
        out = self._raw(rng, n)
        lo, hi = self.bounds
        for _ in range(200):
            bad = np.zeros(n, dtype=bool)
            if lo is not None:
                bad |= out < lo
            if hi is not None:
                bad |= out > hi
            k = int(bad.sum())
            if not k:
                return out
            out[bad] = self._raw(rng, k)
        raise ValueError(
            f"parameter {self.name}: its distribution lies almost wholly outside its bounds"
        )

    def _raw(self, rng: np.random.Generator, n: int) -> FloatArray:
        a = self.args
        if self.dist == "fixed":
            return np.full(n, a["value"], dtype=np.float64)
        if self.dist == "uniform":
            return rng.uniform(a["low"], a["high"], n)
        if self.dist == "triangular":
            return rng.triangular(a["low"], a["mode"], a["high"], n)
        if self.dist == "normal":
            return rng.normal(a["mean"], a["sd"], n)
        return rng.lognormal(np.log(a["median"]), a["sigma"], n)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.dist,
            **{k: float(v) for k, v in self.args.items()},
            "lever": self.lever,
            "claim": self.claim.to_dict() if self.claim else None,
            "assumption": self.assumption,
            "bounds": list(self.bounds),
            "basis": self.basis,
        }


def _num(path: str, node: dict[str, Any], key: str) -> float:
    return number(path, node, key)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def parse(path: str, name: str, node: Any, claims: dict[str, Cited], parent: Any = None) -> Param:
    """One parameter from its YAML mapping; a one-line error naming file, line and field
    (``parent``: the mapping it sits in, for the line of a parameter that is not a mapping)."""
    where = parent if isinstance(parent, dict) else {}
    if _is_number(node):
        raise fail(
            path,
            where,
            name,
            "a bare number: say where it comes from ({fixed: x, lever: true}, {claim: ...} or {dist: ..., assumption: ...})",
        )
    if not isinstance(node, dict):
        raise fail(path, where, name, f"expected a mapping, got {node!r}")
    claim_id = node.get("claim")
    claim = None
    if claim_id is not None:
        claim = claims.get(str(claim_id))
        if claim is None:
            raise fail(
                path, node, "claim", f"{name}: no claim {claim_id!r} in the case's claims files"
            )
    assumption = node.get("assumption")
    lever = bool(node.get("lever", False))
    bounds_node = node.get("bounds")
    bounds: tuple[float | None, float | None] = (None, None)
    if bounds_node is not None:
        if not (isinstance(bounds_node, list) and len(bounds_node) == 2):
            raise fail(path, node, "bounds", f"{name}: expected [low, high]")
        bounds = (
            None if bounds_node[0] is None else float(bounds_node[0]),
            None if bounds_node[1] is None else float(bounds_node[1]),
        )
    if "fixed" in node:
        if not (lever or claim or assumption):
            raise fail(
                path,
                node,
                "fixed",
                f"{name}: a fixed value must be a lever, a claim or an assumption",
            )
        value = _num(path, node, "fixed")
        basis = (
            "lever set by the scenario"
            if lever
            else f"fixed at {value:g}"
            + (f" ({claim.id}, {claim.grade})" if claim else f": {assumption}")
        )
        return Param(name, "fixed", {"value": value}, lever, claim, assumption, bounds, basis)
    dist = node.get("dist")
    if dist is None and claim is not None and "value" in node:
        value = _num(path, node, "value") * (
            number(path, node, "scale") if "scale" in node else 1.0
        )
        spread = _num(path, node, "spread")
        if spread < 0:
            raise fail(path, node, "spread", f"{name}: a spread is not negative")
        f = spread_factor(claim)
        w = spread * f
        lo, hi = value * (1 - w), value * (1 + w)
        shape = node.get("shape", "uniform")
        if shape not in ("uniform", "triangular"):
            raise fail(path, node, "shape", f"{name}: uniform or triangular, not {shape!r}")
        args = {"low": min(lo, hi), "high": max(lo, hi)}
        if shape == "triangular":
            args["mode"] = value
        basis = (
            f"{claim.id} ({claim.grade}, {claim.origins} independent origin(s)): {value:g} "
            f"+- {spread:.0%} x {f:.2f} (grade and origins) = +- {w:.0%}, {shape}"
        )
        return Param(name, shape, args, lever, claim, assumption, bounds, basis)
    if dist not in DISTS:
        raise fail(
            path,
            node,
            "dist",
            f"{name}: one of fixed, {', '.join(DISTS)} (or claim + value + spread), not {dist!r}",
        )
    if not assumption:
        raise fail(
            path,
            node,
            "assumption",
            f"{name}: a distribution not derived from a claim must say why (assumption: ...)",
        )
    keys = {
        "uniform": ("low", "high"),
        "triangular": ("low", "mode", "high"),
        "normal": ("mean", "sd"),
        "lognormal": ("median", "sigma"),
    }[dist]
    args = {k: _num(path, node, k) for k in keys}
    if dist == "uniform" and args["low"] > args["high"]:
        raise fail(path, node, "low", f"{name}: low is above high")
    if dist == "triangular" and not args["low"] <= args["mode"] <= args["high"]:
        raise fail(path, node, "mode", f"{name}: expected low <= mode <= high")
    if dist in ("normal", "lognormal") and args.get("sd", args.get("sigma", 1.0)) < 0:
        raise fail(path, node, "sd" if dist == "normal" else "sigma", f"{name}: not negative")
    if dist == "lognormal" and args["median"] <= 0:
        raise fail(path, node, "median", f"{name}: a lognormal median is positive")
    basis = f"assumption: {assumption}" + (
        f" (leans on {claim.id}, {claim.grade})" if claim else ""
    )
    return Param(name, dist, args, lever, claim, str(assumption), bounds, basis)
