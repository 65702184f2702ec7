"""`transship outlook scenario`: levers turned into impacts by Monte Carlo, with sensitivity.

A scenario file (YAML) names the case whose claims it cites, and scenarios, each a model
(:mod:`transship.outlook.models`) with its levers and parameters (:mod:`.params`). A run
draws every parameter ``runs`` times at once (numpy, seeded), applies the model to the
arrays, and reports for each impact the median, the 5-95 % interval, the mean and a
histogram; the sensitivity of the headline impact to each uncertain parameter as Spearman's
rank correlation over the runs; the claims compared with the model's result (where a claim
states the impact itself); and every parameter's basis (claim and grade, or assumption).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from transship.exc import InvalidInput
from transship.outlook import evidence
from transship.outlook.files import fail, load, need, number
from transship.outlook.models import MODELS, Model
from transship.outlook.params import FloatArray, Param, parse

HEADLINE = "cost_to_target_eur"
BINS = 20
MAX_RUNS = 10_000_000


@dataclass(slots=True)
class Impact:
    name: str
    unit: str
    median: float
    p5: float
    p95: float
    mean: float
    histogram: dict[str, list[float]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "median": self.median,
            "p5": self.p5,
            "p95": self.p95,
            "mean": self.mean,
            "histogram": self.histogram,
        }


@dataclass(slots=True)
class Comparison:
    """A claim that states an impact, placed in the model's distribution."""

    impact: str
    claim: evidence.Cited
    value: float
    percentile: float  # share of runs at or below the claimed value

    def to_dict(self) -> dict[str, Any]:
        return {
            "impact": self.impact,
            "claim": self.claim.to_dict(),
            "value": self.value,
            "percentile": self.percentile,
        }


@dataclass(slots=True)
class ScenarioResult:
    id: str
    title: str
    model: str
    runs: int
    seed: int
    parameters: list[Param]
    impacts: list[Impact]
    #: Spearman's rho of each uncertain parameter with the headline impact, largest |rho| first.
    sensitivity: list[dict[str, Any]]
    comparisons: list[Comparison] = field(default_factory=list)

    def impact(self, name: str) -> Impact:
        return next(i for i in self.impacts if i.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "model": self.model,
            "runs": self.runs,
            "seed": self.seed,
            "impacts": [i.to_dict() for i in self.impacts],
            "sensitivity": self.sensitivity,
            "comparisons": [c.to_dict() for c in self.comparisons],
            "parameters": [p.to_dict() for p in self.parameters],
            "assumptions": [p.basis for p in self.parameters if p.assumption],
        }


@dataclass(slots=True)
class ScenarioReport:
    file: str
    case: str
    scenarios: list[ScenarioResult]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "case": self.case,
            "scenarios": [s.to_dict() for s in self.scenarios],
            "widening_rule": (
                "a claimed figure's stated spread is multiplied by a reliability factor "
                f"{evidence.RELIABILITY_SPREAD}, a credibility factor {evidence.CREDIBILITY_SPREAD} "
                "and sqrt(2 / (1 + independent origins))"
            ),
        }


def summarise(name: str, unit: str, x: FloatArray) -> Impact:
    counts, edges = np.histogram(x, bins=BINS)
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return Impact(
        name, unit, float(p50), float(p5), float(p95), float(x.mean()),
        {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
    )  # fmt: skip


def sensitivity(
    draws: dict[str, FloatArray], params: list[Param], y: FloatArray
) -> list[dict[str, Any]]:
    """Spearman's rho of each uncertain parameter with ``y`` (ranks computed once each)."""
    out = []
    ry = stats.rankdata(y)
    for p in params:
        if not p.uncertain:
            continue
        rx = stats.rankdata(draws[p.name])
        rho = float(np.corrcoef(rx, ry)[0, 1]) if np.std(ry) > 0 and np.std(rx) > 0 else 0.0
        out.append({"parameter": p.name, "rho": rho, "basis": p.basis})
    return sorted(out, key=lambda r: -abs(r["rho"]))


def run_one(
    model: Model, params: list[Param], runs: int, seed: int
) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
    rng = np.random.default_rng(seed)
    draws = {p.name: p.draw(rng, runs) for p in params}
    return draws, model.run(draws)


def read(
    path: str | Path, store: Any = None
) -> tuple[dict[str, Any], dict[str, evidence.Cited], Path]:
    """The scenario or hypotheses file, and the graded claims of the case it names."""
    data = load(path)
    base = Path(path).parent
    case = base / str(data.get("case", "."))
    extra = [case / str(f) for f in (data.get("claims") or [])]
    return data, evidence.graded(case, extra, store), case


def run(
    path: str | Path,
    runs: int | None = None,
    seed: int | None = None,
    store: Any = None,
    progress: Callable[[str], None] | None = None,
) -> ScenarioReport:
    data, claims, case = read(path, store)
    file = str(path)
    n = runs if runs is not None else int(data.get("runs", 10_000))
    if not 1 <= n <= MAX_RUNS:
        raise InvalidInput(f"--runs {n}: between 1 and {MAX_RUNS:,}")
    s = seed if seed is not None else int(data.get("seed", 0))
    results = []
    for k, node in enumerate(need(file, data, "scenarios", list)):
        sid = str(need(file, node, "id", str))
        model_name = need(file, node, "model", str)
        model = MODELS.get(model_name)
        if model is None:
            raise fail(
                file, node, "model", f"unknown model {model_name!r} (one of {', '.join(MODELS)})"
            )
        spec = {**(node.get("levers") or {}), **(node.get("parameters") or {})}
        missing = [m for m in model.parameters if m not in spec]
        if missing:
            raise fail(
                file,
                node,
                "parameters",
                f"scenario {sid}: model {model_name} needs {', '.join(missing)}",
            )
        unknown = [m for m in spec if m not in model.parameters and not m.startswith("__")]
        if unknown:
            raise fail(
                file,
                node,
                "parameters",
                f"scenario {sid}: {model_name} has no parameter {unknown[0]!r}",
            )
        levers = node.get("levers") or {}
        params = [
            parse(
                file, name, spec[name], claims, levers if name in levers else node.get("parameters")
            )
            for name in model.parameters
        ]
        if progress:
            progress(f"scenario {sid}: {n:,} runs")
        draws, out = run_one(model, params, n, s + k)
        impacts = [summarise(name, unit, out[name]) for name, unit in model.outputs.items()]
        comparisons = []
        for cmp_node in node.get("compare") or []:
            impact = need(file, cmp_node, "impact", str)
            if impact not in out:
                raise fail(file, cmp_node, "impact", f"{model_name} has no impact {impact!r}")
            cid = str(need(file, cmp_node, "claim", str))
            if cid not in claims:
                raise fail(file, cmp_node, "claim", f"no claim {cid!r} in the case's claims files")
            value = number(file, cmp_node, "value")
            comparisons.append(
                Comparison(impact, claims[cid], value, float((out[impact] <= value).mean()))
            )
        results.append(
            ScenarioResult(
                sid,
                str(node.get("title", sid)),
                model_name,
                n,
                s + k,
                params,
                impacts,
                sensitivity(draws, params, out[HEADLINE]),
                comparisons,
            )  # fmt: skip
        )
    return ScenarioReport(file, str(case), results)
