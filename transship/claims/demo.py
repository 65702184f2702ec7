"""The claims part of `transship demo`: the Serbia case's claims graded and checked.

Reads the shipped case's ``claims.jsonl`` (real sources, paraphrased), checks it against the
demo store (whose trade data are SIMULATED, and said to be), writes the full report as
``claims.html`` and ``claims.json`` beside the store, and returns the lines the demo prints:
the worst findings, the most repeated figure with its independent origins, the data checks.
Runs in about a second; extraction of free text is not part of it (the seed report lives
outside the repository, see docs/claims.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from transship.store import Store

#: Findings shown in the demo (the rest are in claims.html).
SHOWN = 6


def demo_section(store: Store, out_dir: Path) -> dict[str, Any]:
    """``{"title", "lines"}`` for the demo: the case's claims graded and checked."""
    from transship.cases import default_case
    from transship.claims.check import check_case
    from transship.cli.claims import write_html

    case = default_case()
    report = check_case(case, store)
    data = report.to_dict()
    out_dir.mkdir(parents=True, exist_ok=True)
    html, js = out_dir / "claims.html", out_dir / "claims.json"
    write_html(data, html)
    js.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    s = data["summary"]
    lines = [
        f"{s['claims']} claims from {case.name}/claims.jsonl graded (reliability A-F, "
        f"credibility 1-6, NATO AJP-2.1); {s['groups_with_several_claims']} figures stated "
        "more than once",
    ]
    worst = [f for f in report.findings if f.severity == "high"][:SHOWN]
    for f in worst:
        lines.append(
            f"{f.severity.upper()} {f.rule} [{', '.join(f.claims)}]: {_short(f.explanation)}"
        )
    repeated = max(report.groups, key=lambda g: len(g.members))
    if len(repeated.members) > 1:
        names = ", ".join(o.name for o in repeated.origins)
        lines.append(
            f"most repeated figure ({repeated.figure}): {len(repeated.members)} claims, "
            f"{repeated.independent_origins} independent origin(s): {names}"
        )
    if report.data_checks:
        counts: dict[str, int] = {}
        for d in report.data_checks:
            counts[d.verdict] = counts.get(d.verdict, 0) + 1
        label = " on SIMULATED trade data" if report.simulated else ""
        lines.append(
            "against the store"
            + label
            + ": "
            + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sorted(counts.items()))
        )
    lines.append(f"full report: {html} (JSON: {js}); `transship claims check --case {case}`")
    return {"title": "Claims: grades, independent origins, contradictions", "lines": lines}


def _short(text: str, n: int = 150) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
