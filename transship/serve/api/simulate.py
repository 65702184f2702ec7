"""``GET /api/evaluate``: detection against the planted truth, for a simulated store.

`transship evaluate SIM_DIR` scores the detection stages against a simulation folder's
``truth.jsonl``. The server takes no folder from the client (a path parameter would let
anyone name any folder on the machine): it finds the simulation folders its own store was
filled from, the ones that hold the simulated source files the store recorded, with their
``manifest.json`` and truth beside them, and runs the library's evaluation on each (in a
temporary store of its own, as the CLI does without ``--db``: the served store is never
written). The evaluation takes as long as the CLI's (minutes on the demo: it ingests the
simulation's files into a store of its own and runs every stage), so no request waits for
it: the first starts it in a background thread and answers 202 with what it is doing, as
does every request until it ends; then the rows come, kept until a truth file changes
(docs/api.md, "Evaluation": why not kept in the store). A failed evaluation answers its
error once and starts again at the next request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from transship.evaluate import evaluate as run_evaluation
from transship.exc import NotFound
from transship.serve.deps import Format, Offset, Server, limit_param
from transship.serve.models import PAGE_RESPONSES, EvalItem, EvalRunning, Page
from transship.serve.responses import json_response, sliced_page
from transship.serve.state import Job
from transship.store import Store

router = APIRouter(tags=["simulation"])

#: Folders walked up from a simulated source file looking for its simulation folder.
MAX_DEPTH = 4


def simulation_folders(store: Store) -> list[Path]:
    """Simulation folders (``manifest.json`` and ``truth.jsonl``) the store's simulated
    sources came from, in the order first seen."""
    from transship.simulate.run import TRUTH

    folders: list[Path] = []
    for (path,) in store.fetchall(
        "SELECT path FROM sources WHERE simulated ORDER BY first_seen, path"
    ):
        here = Path(str(path)).parent
        for _ in range(MAX_DEPTH):
            if (here / TRUTH).is_file() and (here / "manifest.json").is_file():
                if here not in folders:
                    folders.append(here)
                break
            if here.parent == here:
                break
            here = here.parent
    return folders


def _truth_stamp(folder: Path) -> tuple[str, int, int]:
    from transship.simulate.run import TRUTH

    try:
        st = (folder / TRUTH).stat()
    except OSError:
        raise NotFound(f"the simulation folder {folder} has no {TRUTH} any more") from None
    return str(folder), st.st_size, st.st_mtime_ns


def evaluation_rows(
    folder: Path, progress: Callable[[str], None] | None = None
) -> list[dict[str, Any]]:
    """The evaluation of one simulation folder, each row labelled simulated."""
    rows = []
    for row in run_evaluation(folder, progress=progress):
        item = row.to_dict()
        item["simulated"] = True
        item["sim_dir"] = str(folder)
        rows.append(item)
    return rows


#: Seconds a client is asked to wait before asking again while the evaluation runs.
RETRY_AFTER_S = 5


def _evaluate_all(folders: list[Path], say: Callable[[str], None]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for folder in folders:
        prefix = f"{folder.name}: " if len(folders) > 1 else ""
        rows += evaluation_rows(folder, functools.partial(_prefixed, say, prefix))
    return rows


def _prefixed(say: Callable[[str], None], prefix: str, step: str) -> None:
    say(prefix + step)


def _running(job: Job) -> Response:
    body = {
        "status": "running",
        "message": "the evaluation runs in the background (it ingests the simulation into a "
        "store of its own and runs every detection stage: minutes on the demo); ask again",
        "started": job.started.isoformat(timespec="seconds"),
        "elapsed_s": job.elapsed_s,
        "step": job.step,
        "steps_done": list(job.steps_done),
        "retry_after_s": RETRY_AFTER_S,
    }
    return json_response(body, status=202, headers={"Retry-After": str(RETRY_AFTER_S)})


@router.get(
    "/api/evaluate",
    response_model=Page[EvalItem],
    responses={
        **PAGE_RESPONSES,
        202: {
            "description": "The evaluation is running (started by this request or an earlier "
            "one): what it is doing now; ask again after `Retry-After` seconds.",
            "model": EvalRunning,
        },
    },
    summary="Detection against truth (simulated store)",
)
async def evaluate(
    request: Request,
    server: Server,
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(100),
) -> Response:
    """Precision, recall and F1 of each detection stage against the planted truth of the
    simulation this store was built from (`transship evaluate`). SIMULATED data only: 404
    on a store with no simulated sources or whose simulation folder is gone. The first
    request starts the evaluation in the background and answers 202 with its progress
    (minutes on the demo: it is the CLI's whole evaluation); later requests get 202 until
    it is done, then the rows, kept until the simulation's truth file changes."""
    folders = await server.cached_read(("simulation-folders",), simulation_folders)
    if not folders:
        raise NotFound(
            "no simulation behind this store: /api/evaluate scores a store built from "
            "`transship simulate` output (e.g. `transship demo`) against its truth.jsonl"
        )
    key = ("evaluate", *(_truth_stamp(folder) for folder in folders))
    job = server.jobs.get(key, functools.partial(_evaluate_all, folders))
    if not job.done.is_set():
        return _running(job)
    if job.error is not None:
        raise job.error
    rows: list[dict[str, Any]] = job.result
    return sliced_page(
        request.url,
        rows,
        limit=limit,
        offset=offset,
        fmt=fmt,
        filename="evaluation",
        model=EvalItem,
    )
