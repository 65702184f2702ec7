"""`transship outlook dependencies|scenario|ach`: leverage and competing hypotheses (issue 16)."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from transship.cli.common import (
    DbOption,
    JsonOption,
    emit_json,
    handle_errors,
    open_store,
    print_table,
    say,
)
from transship.outlook import ach, dependencies, scenario
from transship.outlook.html import fmt, page

outlook_app = typer.Typer(
    help="Dependencies, leverage scenarios (Monte Carlo) and competing hypotheses (ACH) on graded claims.",
    no_args_is_help=True,
)
HtmlOption = Annotated[
    Path | None,
    typer.Option("--html", help="Write a self-contained HTML page.", show_default=False),
]


def register(app: typer.Typer) -> None:
    """Add this stage's commands to `app`."""
    app.add_typer(outlook_app, name="outlook")


def _store(db: Path | None) -> Any:
    """The store when ``--db`` is given (data checks, SQL values); otherwise none."""
    return open_store(db, read_only=True) if db is not None else nullcontext(None)


@outlook_app.command("dependencies")
@handle_errors
def deps(
    case: Annotated[Path, typer.Argument(help="Case folder (its dependencies.yaml) or the file.")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """A target's dependencies on suppliers, each value a graded claim or a row of the store."""
    with _store(db) as store:
        result = dependencies.run(dependencies.case_file(case, "dependencies.yaml"), store)
    if json_out:
        emit_json(result.to_dict())
        return
    rows = [
        {
            "kind": d.kind,
            "item": d.item,
            "supplier": d.supplier,
            "values": "; ".join(v.label() for v in d.values),
        }
        for d in result.dependencies
    ]
    print_table(rows, title=f"Dependencies of {result.target}")
    say("graph:", err=False)
    for e in result.graph()["edges"]:
        say(f"  {e['source']} --[{e['kind']}: {e['item']}]--> {e['target']}", err=False)


@outlook_app.command("scenario")
@handle_errors
def scenario_cmd(
    file: Annotated[
        Path, typer.Argument(help="Scenario file (YAML), or a case folder (its scenarios.yaml).")
    ],
    runs: Annotated[
        int | None, typer.Option("--runs", help="Monte Carlo runs (default: the file's).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed (default: the file's).")
    ] = None,
    html: HtmlOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Levers turned into impacts: median, 5-95 % interval, histogram, sensitivity, assumptions."""
    with _store(db) as store:
        report = scenario.run(
            dependencies.case_file(file, "scenarios.yaml"),
            runs,
            seed,
            store,
            None if json_out else say,
        )
    body = report.to_dict()
    if html is not None:
        html.write_text(page("Outlook: leverage scenarios", "scenario", body), encoding="utf-8")
    if json_out:
        emit_json(body)
        return
    for s in report.scenarios:
        rows = [
            {
                "impact": f"{i.name} ({i.unit})",
                "median": fmt(i.median),
                "5-95 %": f"{fmt(i.p5)} - {fmt(i.p95)}",
            }
            if i.unit != "share of runs"
            else {"impact": i.name, "median": f"{i.mean:.0%} of runs", "5-95 %": ""}
            for i in s.impacts
        ]
        print_table(rows, title=f"{s.title} [{s.runs:,} runs, seed {s.seed}]")
        top = ", ".join(f"{x['parameter']} {x['rho']:+.2f}" for x in s.sensitivity[:3])
        say(f"  most sensitive to: {top}", err=False)
        for c in s.comparisons:
            say(
                f"  {c.claim.id} ({c.claim.grade}) says {fmt(c.value)}: {c.percentile:.0%} of runs at or below it",
                err=False,
            )
    if html is not None:
        say(f"wrote {html}")


@outlook_app.command("ach")
@handle_errors
def ach_cmd(
    file: Annotated[
        Path, typer.Argument(help="Hypotheses file (YAML), or a case folder (its hypotheses.yaml).")
    ],
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write the matrix as CSV.", show_default=False)
    ] = None,
    html: HtmlOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Analysis of Competing Hypotheses: inconsistency (plain and weighted), likelihood view, sensitivity."""
    with _store(db) as store:
        report = ach.run(dependencies.case_file(file, "hypotheses.yaml"), store)
    body = report.to_dict()
    if csv is not None:
        csv.write_text(report.matrix_csv(), encoding="utf-8")
    if html is not None:
        html.write_text(page("Outlook: competing hypotheses", "ach", body), encoding="utf-8")
    if json_out:
        emit_json(body)
        return
    s = report.scores
    rows = [
        {
            "hypothesis": f"{h.id}: {h.title}",
            "inconsistency": s.inconsistency[h.id],
            "weighted": round(s.weighted[h.id], 2),
            "posterior": round(s.posterior[h.id], 3),
            "indicators seen": f"{sum(i['observed'] for i in h.indicators)}/{len(h.indicators)}",
        }
        for h in report.hypotheses
    ]
    print_table(rows, title="Competing hypotheses (lower inconsistency is better)")
    flat = [it.id for it in report.items if it.consistent_with_all()]
    if flat:
        say(f"consistent with every hypothesis (not diagnostic): {', '.join(flat)}", err=False)
    for x in report.sensitivity:
        say(
            f"{x['case']}: {x['items_kept']} items, leader {x['leader']}; changed: {x['changed'] or 'nothing'}",
            err=False,
        )
