"""``GET /api/evaluate``: detection against the planted truth, for a simulated store.

`transship evaluate SIM_DIR` scores the detection stages against a simulation folder's
``truth.jsonl``. The server takes no folder from the client (a path parameter would let
anyone name any folder on the machine): it finds the simulation folders its own store was
filled from, the ones that hold the simulated source files the store recorded, with their
``manifest.json`` and truth beside them, and runs the library's evaluation on each (in a
temporary store of its own, as the CLI does without ``--db``: the served store is never
written). The evaluation takes as long as the CLI's (seconds on the demo), once per
simulation folder and truth file: the result is kept until the truth file changes.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from transship.evaluate import evaluate as run_evaluation
from transship.exc import NotFound
from transship.serve.deps import Format, Offset, Server, limit_param
from transship.serve.models import PAGE_RESPONSES, EvalItem, Page
from transship.serve.responses import page_response
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


def evaluation_rows(folder: Path) -> list[dict[str, Any]]:
    """The evaluation of one simulation folder, each row labelled simulated."""
    rows = []
    for row in run_evaluation(folder):
        item = row.to_dict()
        item["simulated"] = True
        item["sim_dir"] = str(folder)
        rows.append(item)
    return rows


@router.get(
    "/api/evaluate",
    response_model=Page[EvalItem],
    responses=PAGE_RESPONSES,
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
    on a store with no simulated sources or whose simulation folder is gone."""

    async def build() -> Response:
        folders = await server.cached_read(("simulation-folders",), simulation_folders)
        if not folders:
            raise NotFound(
                "no simulation behind this store: /api/evaluate scores a store built from "
                "`transship simulate` output (e.g. `transship demo`) against its truth.jsonl"
            )
        rows: list[dict[str, Any]] = []
        for folder in folders:
            stamp = _truth_stamp(folder)
            rows += await server.cached(
                ("evaluate", *stamp), functools.partial(evaluation_rows, folder)
            )
        page = rows[offset : offset + limit]
        return page_response(
            request.url,
            page,
            limit=limit,
            offset=offset,
            total=len(rows),
            more=offset + len(page) < len(rows),
            fmt=fmt,
            filename="evaluation",
        )

    return await server.respond_cached(request, build)
