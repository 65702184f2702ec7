"""The outlook's part of ``transship demo``: the Serbia case's dependencies, its leverage
scenarios (10,000 runs) and its competing hypotheses, each figure with the claim and grade
it rests on. The claims are the seed report's (graded by the claims stage), not simulated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transship import cases
from transship.outlook import ach, dependencies, scenario
from transship.outlook.html import fmt
from transship.store import Store

RUNS = 10_000


def demo_section(store: Store, out_dir: Path) -> dict[str, Any]:
    case = cases.default_case()
    lines: list[str] = []
    deps = dependencies.run(case / "dependencies.yaml", store)
    for d in deps.dependencies[:3]:
        lines.append(
            f"{deps.target} depends on {d.supplier} for {d.item}: "
            + "; ".join(v.label() for v in d.values)
        )
    report = scenario.run(case / "scenarios.yaml", runs=RUNS, store=store)
    for s in report.scenarios:
        cost = s.impact("cost_to_target_eur")
        actor = s.impact("cost_to_actor_eur")
        top = s.sensitivity[0] if s.sensitivity else None
        lines.append(
            f"{s.title}: cost to Serbia EUR {fmt(cost.median)} (5-95 %: {fmt(cost.p5)} - {fmt(cost.p95)}), "
            f"to the supplier EUR {fmt(actor.median)}; most sensitive to {top['parameter'] if top else '-'}"
        )
        for c in s.comparisons:
            lines.append(
                f"  claim {c.claim.id} ({c.claim.grade}) says EUR {fmt(c.value)}: {c.percentile:.0%} of runs at or below it"
            )
    a = ach.run(case / "hypotheses.yaml", store)
    lead = a.scores.leader()
    titles = {h.id: h.title for h in a.hypotheses}
    lines.append(
        f"competing hypotheses: least inconsistent {lead['inconsistency']} ({titles.get(lead['inconsistency'], 'a tie')}); "
        + ", ".join(f"{h} {p:.2f}" for h, p in a.scores.posterior.items())
        + " posterior (likelihood view)"
    )
    flat = [it.id for it in a.items if it.consistent_with_all()]
    lines.append(
        f"{len(flat)} of {len(a.items)} evidence items are consistent with every hypothesis (not diagnostic)"
    )
    for drop in a.sensitivity[:2]:
        lines.append(
            f"  {drop['case']}: {drop['items_kept']} items left, changed: {drop['changed'] or 'nothing'}"
        )
    lines.append(f"details: transship outlook scenario|ach|dependencies {case}")
    return {
        "title": "Outlook: leverage and competing hypotheses (claims from the seed report, graded)",
        "lines": lines,
    }
