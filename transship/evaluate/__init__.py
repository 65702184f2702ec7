"""Evaluation: detection stages scored against a simulation's answer key.

Downstream of the detectors (flows, risk) and of the simulator: it ingests what a simulation
published, runs the detectors on the store, and only then reads ``truth.jsonl`` to score
them. Nothing upstream imports this package.

Public API::

    evaluate(sim_dir, store=None, noise=None, progress=None) -> list[EvalRow]
    mean_rows(rows) -> list[EvalRow]          # average over seeds per stage and noise
    format_rows(rows), stage_notes(rows)      # for the CLI's table and notes
    score(stage, noise, predicted, actual)    # precision/recall/F1 of two sets
    read_truth(sim_dir) -> list[dict]

``EvalRow.to_dict()`` is the ``transship evaluate --json`` row: ``stage, noise, precision,
recall, f1, support`` (never renamed), then ``average_precision``, ``baselines``, ``data``,
``candidates``, ``tp``, ``fp``, ``fn``, ``runs``, ``f1_sd``, ``note``. Stages and what each
is scored on: :mod:`transship.evaluate.run`; the criterion-7 assessment's rows
(``assessment:licences``, ``assessment:requests``): :mod:`transship.evaluate.diversion`.
"""

from __future__ import annotations

from transship.evaluate.hubs import HUB_THRESHOLD
from transship.evaluate.routes import ROUTE_THRESHOLD
from transship.evaluate.run import evaluate
from transship.evaluate.scoring import (
    Baseline,
    EvalRow,
    average_precision,
    format_rows,
    mean_rows,
    score,
    stage_notes,
)
from transship.evaluate.truth import read_truth

__all__ = [
    "HUB_THRESHOLD",
    "ROUTE_THRESHOLD",
    "Baseline",
    "EvalRow",
    "average_precision",
    "evaluate",
    "format_rows",
    "mean_rows",
    "read_truth",
    "score",
    "stage_notes",
]
