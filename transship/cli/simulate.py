"""Commands of the simulate stage: `transship simulate` and `transship evaluate`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, TaskID

from transship.cli.common import (
    DbOption,
    JsonOption,
    emit_json,
    err_console,
    handle_errors,
    item_progress,
    open_store,
    print_table,
)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to `app`."""
    app.command("simulate")(simulate_cmd)
    app.command("evaluate")(evaluate_cmd)


def _progress() -> Progress:
    return item_progress("[bold]SIMULATED[/bold] ")


@handle_errors
def simulate_cmd(
    case: Annotated[Path, typer.Argument(help="Case folder (cases/NAME) or its case.yaml.")],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder to write (new, empty, or an earlier simulation)."),
    ],
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives identical files.")
    ] = 0,
    scale: Annotated[
        float,
        typer.Option(
            "--scale", help="Multiplies the background flow rows (1 = the case's flow_rows)."
        ),
    ] = 1.0,
    years: Annotated[
        str | None, typer.Option("--years", help="Years to simulate, e.g. 2019-2024.")
    ] = None,
    noise: Annotated[
        str,
        typer.Option(
            "--noise", help="Reporting noise: low, medium, high (the case's levels) or a factor."
        ),
    ] = "medium",
    json_out: JsonOption = False,
) -> None:
    """Simulate a case: SIMULATED trade statistics, customs records, licences and certificates
    with ground truth (truth.jsonl). Nothing written is real data, and every file says so."""
    from transship.simulate.run import run

    with _progress() as bar:
        task = bar.add_task("statistics", total=None)

        def step(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        result = run(case, out, seed=seed, scale=scale, years=years, progress=step, noise=noise)
    if json_out:
        emit_json(result.to_dict())
        return
    rows: list[dict[str, Any]] = [{"file": f["path"], "rows": f["rows"]} for f in result.files]
    print_table(
        rows,
        title=f"SIMULATED case {result.case} (seed {result.seed}, noise {result.noise}) in {out}",
    )
    c = result.counts
    err_console.print(
        f"SIMULATED: {c['flow_components']:,} flows, {c['comtrade_rows']:,} Comtrade rows, "
        f"{c['shipments']:,} shipments ({c['diverted_shipments']:,} diverted), "
        f"{c['certificates']:,} certificates "
        f"({c['false_certificates']:,} false). Ingest with `transship ingest {out}/data`; "
        f"score detection with `transship evaluate {out}`.",
        markup=False,
    )


@handle_errors
def evaluate_cmd(
    sim_dirs: Annotated[
        list[Path], typer.Argument(help="Folders written by `transship simulate`.")
    ],
    db: DbOption = None,
    mean: Annotated[
        bool, typer.Option("--mean", help="Average the folders per stage and noise level (seeds).")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Ingest simulated folders, run the detection stages that exist, and score them
    against each folder's truth.jsonl, per stage and noise level.

    Precision, recall and F1 at each stage's fixed threshold; average precision (AP) of its
    ranking; the same for simple baselines run in the same evaluation. Each row says what
    data it is scored on (--json: data, baselines). certificates:diverted is the row to read
    for papers; assessment:requests for the criterion-7 assessment (transship assess) ranking
    licence requests by diversion risk beside document checks alone, governance alone, value
    and random (docs/validation.md). Without --db each folder goes into a temporary store;
    a --db store takes one simulation (the flow stages read whole datasets)."""
    from transship.evaluate import evaluate, format_rows, mean_rows, stage_notes

    rows = []
    store = open_store(db) if db is not None else None
    try:
        for sim in sim_dirs:
            with _progress() as bar:
                task = bar.add_task(f"evaluate {sim.name}", total=None)

                def say(msg: str, bar: Progress = bar, task: TaskID = task) -> None:
                    bar.update(task, description=msg)

                rows.extend(evaluate(sim, store=store, progress=say))
    finally:
        if store is not None:
            store.close()
    if mean:
        rows = mean_rows(rows)
    if json_out:
        emit_json([r.to_dict() for r in rows])
        return
    print_table(format_rows(rows), title="Detection on SIMULATED data against truth.jsonl")
    for line in stage_notes(rows):
        err_console.print(line, highlight=False, markup=False)
