"""Outlook benchmark: the Serbia scenarios' Monte Carlo, vectorised, against a plain-Python loop.

What `transship outlook scenario` runs: :func:`transship.outlook.scenario.run_one` (every
parameter drawn at once with numpy, the model applied to the arrays) for each scenario of
``cases/serbia-2025/scenarios.yaml``, at ``--runs`` runs (100,000 by default, the issue's
size). The baseline, in the same run on the same draws: the same model one run at a time in
a plain-Python loop (:func:`transship.outlook.models.run_python`), whose results the
benchmark also checks are the same. Reading and grading the claims (the claims stage) is
done once before timing and reported apart: it is not the Monte Carlo.

    python benchmarks/outlook.py --smoke     # 10,000 runs (CI)
    python benchmarks/outlook.py             # 100,000 runs
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from transship.outlook.models import MODELS, run_python
from transship.outlook.params import parse
from transship.outlook.scenario import read

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "out"
CASE = ROOT / "cases" / "serbia-2025" / "scenarios.yaml"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--smoke", action="store_true", help="10,000 runs")
    args = ap.parse_args()
    runs = 10_000 if args.smoke else args.runs
    t0 = time.perf_counter()
    data, claims, _ = read(CASE)
    setup = time.perf_counter() - t0
    out = {
        "runs": runs,
        "claims_graded_s": round(setup, 3),
        "machine": platform.machine(),
        "scenarios": [],
    }
    total_vec = total_loop = 0.0
    for k, node in enumerate(data["scenarios"]):
        model = MODELS[node["model"]]
        spec = {**(node.get("levers") or {}), **(node.get("parameters") or {})}
        params = [parse(str(CASE), name, spec[name], claims) for name in model.parameters]
        c0, t0 = time.process_time(), time.perf_counter()
        rng = np.random.default_rng(k)
        draws = {p.name: p.draw(rng, runs) for p in params}
        result = model.run(draws)
        vec, vec_cpu = time.perf_counter() - t0, time.process_time() - c0
        lists = {name: v.tolist() for name, v in draws.items()}
        c0, t0 = time.process_time(), time.perf_counter()
        looped = run_python(model.name, lists)
        loop, loop_cpu = time.perf_counter() - t0, time.process_time() - c0
        same = all(np.allclose(result[name], looped[name]) for name in model.outputs)
        total_vec += vec_cpu
        total_loop += loop_cpu
        out["scenarios"].append({
            "id": node["id"], "vectorised_s": round(vec, 4), "vectorised_cpu_s": round(vec_cpu, 4),
            "python_loop_s": round(loop, 4), "python_loop_cpu_s": round(loop_cpu, 4),
            "speedup_cpu": round(loop_cpu / vec_cpu, 1) if vec_cpu else None, "same_results": same,
        })  # fmt: skip
        if not same:
            raise SystemExit(f"{node['id']}: the vectorised and plain-Python results differ")
    out["speedup_cpu_all"] = round(total_loop / total_vec, 1) if total_vec else None
    RESULTS.mkdir(exist_ok=True)
    name = "outlook-smoke.json" if args.smoke else "outlook.json"
    (RESULTS / name).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    for s in out["scenarios"]:
        print(
            f"{s['id']}: {runs:,} runs vectorised {s['vectorised_cpu_s']:.3f} CPU-s, "
            f"plain-Python loop {s['python_loop_cpu_s']:.2f} CPU-s ({s['speedup_cpu']}x)"
        )
    print(
        f"all scenarios: {out['speedup_cpu_all']}x the loop (CPU time); claims graded once in {setup:.1f} s"
    )


if __name__ == "__main__":
    main()
