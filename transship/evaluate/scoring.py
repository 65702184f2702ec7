"""Scoring arithmetic shared by every evaluation stage: rows, rankings and baselines.

A stage flags items (paths, territory-years, certificates, consignments) and, where its
detector gives a score, ranks them. Two figures come out of a ranking: precision, recall and
F1 of the items at or above the stage's fixed threshold (what a user reading the flagged
list meets), and the average precision of the whole ranking (what a user reading the list
top down meets, whatever threshold they pick). Baselines are rankings of the same kind of
item made by a simple rule, scored the same way in the same evaluation, so every figure has
a reference beside it: their average precision, and their precision and recall when they
flag as many items as the detector did (``k`` = the detector's flagged count).

Ties are broken pessimistically (a true item is ranked after every false item with the
same score): a detector that gives many items the same score gains nothing from the order
they happen to come in. Items the method never ranks count as found at no rank (they add
nothing to average precision), so a short list is not rewarded for leaving items out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Keys of ``EvalRow.to_dict`` since the first version: never renamed (issue 11, H2 contract).
STABLE_KEYS = ("stage", "noise", "precision", "recall", "f1", "support")


@dataclass(slots=True)
class Baseline:
    """A simple rule ranking the same items as the detector, scored the same way.

    ``precision_at_k`` / ``recall_at_k``: its top ``k`` items, ``k`` being how many the
    detector flagged at its threshold (same budget, so the figures compare directly).
    ``r_precision``: precision of its top R items, R = the number of true items."""

    name: str
    how: str
    average_precision: float | None
    precision_at_k: float | None
    recall_at_k: float | None
    k: int
    candidates: int
    r_precision: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "average_precision": self.average_precision,
            "r_precision": self.r_precision,
            "precision_at_k": self.precision_at_k,
            "recall_at_k": self.recall_at_k,
            "k": self.k,
            "candidates": self.candidates,
            "how": self.how,
        }


@dataclass(slots=True)
class EvalRow:
    """One stage at one noise level.

    ``to_dict`` is the ``--json`` interface: ``stage, noise, precision, recall, f1,
    support`` first (the original keys, never renamed), then ``average_precision`` (None
    where the detector gives no ranking), ``r_precision`` (precision of the top R, R =
    support), ``baselines`` ({name: figures}), ``data`` (what
    the row is scored on), ``candidates`` (items ranked), ``tp, fp, fn``, ``runs`` and
    ``f1_sd`` (over seeds, after ``--mean``) and ``note``."""

    stage: str
    noise: str
    precision: float
    recall: float
    f1: float
    support: int
    tp: int = 0
    fp: int = 0
    fn: int = 0
    note: str = ""
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    average_precision: float | None = None
    baselines: list[Baseline] = field(default_factory=list)
    data: str = ""
    candidates: int = 0
    runs: int = 1
    f1_sd: float | None = None
    r_precision: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "noise": self.noise,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "support": self.support,
            "average_precision": self.average_precision,
            "r_precision": self.r_precision,
            "baselines": {b.name: b.to_dict() for b in self.baselines},
            "data": self.data,
            "candidates": self.candidates,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "runs": self.runs,
            "f1_sd": self.f1_sd,
            "note": self.note,
        }


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def score(stage: str, noise: str, predicted: set[Any], actual: set[Any], note: str = "") -> EvalRow:
    """Precision, recall and F1 of a predicted set against the true one (0 when undefined)."""
    tp = len(predicted & actual)
    fp = len(predicted - actual)
    fn = len(actual - predicted)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return EvalRow(
        stage,
        noise,
        round(p, 4),
        round(r, 4),
        round(f1, 4),
        len(actual),
        tp,
        fp,
        fn,
        note,
        sorted(map(label, actual - predicted))[:20],
        sorted(map(label, predicted - actual))[:20],
    )


def label(item: Any) -> str:
    """A readable name for an item (``SRB-CZE-UKR 930690``, ``CZE 930690 2022``)."""
    if isinstance(item, tuple):
        return " ".join("-".join(x) if isinstance(x, tuple) else str(x) for x in item)
    return str(item)


def order(ranking: Mapping[Any, float], actual: set[Any]) -> list[bool]:
    """Hit flags of a ranking, best first; ties put misses before hits (pessimistic)."""
    items = sorted(ranking.items(), key=lambda kv: (-kv[1], kv[0] in actual, label(kv[0])))
    return [k in actual for k, _ in items]


def average_precision(hits: Iterable[bool], n_true: int) -> float | None:
    """Mean over the true items of the precision at each one's rank; true items never
    ranked contribute 0. None when nothing is true."""
    if n_true <= 0:
        return None
    found = 0
    total = 0.0
    for k, ok in enumerate(hits, start=1):
        if ok:
            found += 1
            total += found / k
    return total / n_true


def top_k(hits: list[bool], k: int, n_true: int) -> tuple[float | None, float | None]:
    """Precision and recall of the first ``k`` items of a ranking."""
    if k <= 0:
        return None, 0.0 if n_true else None
    got = sum(hits[:k])
    return got / k, (got / n_true if n_true else None)


def baseline(
    name: str, how: str, ranking: Mapping[Any, float], actual: set[Any], k: int
) -> Baseline:
    """Score a baseline's ranking: average precision, and precision/recall at ``k``."""
    hits = order(ranking, actual)
    p, r = top_k(hits, k, len(actual))
    return Baseline(
        name,
        how,
        _r(average_precision(hits, len(actual))),
        _r(p),
        _r(r),
        k,
        len(ranking),
        _r(top_k(hits, len(actual), len(actual))[0]),
    )


def random_baseline(candidates: int, actual_in: int, n_true: int, k: int) -> Baseline:
    """What ranking the candidates at random is expected to score: average precision and
    precision at k equal the share of candidates that are true (the standard expectation,
    exact in the limit); recall at k is k times that share over all true items."""
    share = actual_in / candidates if candidates else None
    recall = (min(k, candidates) * share / n_true) if share is not None and n_true else None
    ap = share * actual_in / n_true if share is not None and n_true else None
    return Baseline(
        "random",
        "candidates in random order (expected value)",
        _r(ap),
        _r(share if k > 0 else None),
        _r(recall),
        k,
        candidates,
        _r(share),
    )


def ranked_row(
    stage: str,
    noise: str,
    ranking: Mapping[Any, float],
    actual: set[Any],
    threshold: float,
    *,
    baselines: Iterable[tuple[str, str, Mapping[Any, float]]] = (),
    universe: tuple[int, int] | None = None,
    note: str = "",
    data: str = "",
) -> EvalRow:
    """A stage row from a detector's ranking: precision/recall/F1 of the items scoring at
    least ``threshold``, average precision of the whole ranking, and each baseline's
    figures with ``k`` = the detector's flagged count. ``universe``: (candidates, true items
    among them) that a random pick would draw from, for the ``random`` row."""
    predicted = {k for k, v in ranking.items() if v >= threshold}
    row = score(stage, noise, predicted, actual, note)
    hits = order(ranking, actual)
    row.average_precision = _r(average_precision(hits, len(actual)))
    row.r_precision = _r(top_k(hits, len(actual), len(actual))[0])
    row.candidates = len(ranking)
    row.data = data
    k = len(predicted)
    for name, how, rank in baselines:
        row.baselines.append(baseline(name, how, rank, actual, k))
    if universe is not None:
        row.baselines.append(random_baseline(universe[0], universe[1], len(actual), k))
    return row


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def _sd(values: list[float]) -> float | None:
    if len(values) < 2:
        return None
    m = sum(values) / len(values)
    return round(math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)), 4)


def mean_rows(rows: list[EvalRow]) -> list[EvalRow]:
    """Average several runs (seeds) per stage and noise level: precision, recall, F1 and
    average precisions are means over runs (a run where a figure is undefined is left out
    of that mean), support and counts are totals, ``f1_sd`` the standard deviation of F1
    across runs. Order: first appearance."""
    groups: dict[tuple[str, str], list[EvalRow]] = {}
    for r in rows:
        groups.setdefault((r.stage, r.noise), []).append(r)
    out = []
    for (stage, noise), rs in groups.items():
        n = len(rs)
        names = [b.name for b in rs[0].baselines]
        merged: list[Baseline] = []
        for name in names:
            bs = [b for r in rs for b in r.baselines if b.name == name]
            merged.append(
                Baseline(
                    name,
                    bs[0].how,
                    _mean(b.average_precision for b in bs),
                    _mean(b.precision_at_k for b in bs),
                    _mean(b.recall_at_k for b in bs),
                    sum(b.k for b in bs),
                    sum(b.candidates for b in bs),
                    _mean(b.r_precision for b in bs),
                )
            )
        out.append(
            EvalRow(
                stage,
                noise,
                round(sum(r.precision for r in rs) / n, 4),
                round(sum(r.recall for r in rs) / n, 4),
                round(sum(r.f1 for r in rs) / n, 4),
                sum(r.support for r in rs),
                sum(r.tp for r in rs),
                sum(r.fp for r in rs),
                sum(r.fn for r in rs),
                f"mean of {n} runs; " + rs[0].note if n > 1 else rs[0].note,
                average_precision=_mean(r.average_precision for r in rs),
                baselines=merged,
                data=rs[0].data,
                candidates=sum(r.candidates for r in rs),
                runs=sum(r.runs for r in rs),
                f1_sd=_sd([r.f1 for r in rs]),
                r_precision=_mean(r.r_precision for r in rs),
            )
        )
    return out


def format_rows(rows: list[EvalRow]) -> list[dict[str, Any]]:
    """Rows for a human table: the figures, the counts behind them, and the baselines'
    average precision beside the detector's."""
    out = []
    for r in rows:
        base = "; ".join(
            f"{b.name} {b.average_precision:.2f}" if b.average_precision is not None else b.name
            for b in r.baselines
        )
        out.append(
            {
                **{k: getattr(r, k) for k in STABLE_KEYS},
                "tp": r.tp,
                "fp": r.fp,
                "fn": r.fn,
                "AP": r.average_precision,
                "baselines (AP)": base,
            }
        )
    return out


def stage_notes(rows: list[EvalRow]) -> list[str]:
    """One line per stage saying what it is scored on and what was counted."""
    seen: dict[str, str] = {}
    for r in rows:
        text = "; ".join(x for x in (r.data, r.note) if x)
        seen.setdefault(r.stage, text)
    return [f"{stage}: {text}" for stage, text in seen.items() if text]
