"""What every validation harness shares: rank statistics, loading the data, withholding rows."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
from scipy.stats import rankdata, spearmanr

from transship.exc import InvalidInput
from transship.store import Store, connect


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman rank correlation; None below three points or for a constant series."""
    if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
        return None
    return float(spearmanr(a, b).statistic)


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """Area under the ROC curve: the probability that a positive scores above a negative,
    ties counting one half (the Mann-Whitney statistic). None without both classes."""
    if not positives or not negatives:
        return None
    ranks = rankdata(np.concatenate([np.asarray(positives), np.asarray(negatives)]))
    n1, n0 = len(positives), len(negatives)
    return float((ranks[:n1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def average_precision(ranked: list[tuple[float, bool]], n_true: int) -> float | None:
    """Average precision of a ranking (score, is a positive) against ``n_true`` positives
    (positives never ranked count as misses)."""
    if n_true == 0:
        return None
    ranked = sorted(ranked, key=lambda t: -t[0])
    hits = 0
    total = 0.0
    for k, (_, ok) in enumerate(ranked, start=1):
        if ok:
            hits += 1
            total += hits / k
    return total / n_true


def rounded(v: float | None, digits: int = 3) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), digits)


def mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(vals)) if vals else None


def open_source(source: Store | str | Path | Sequence[str | Path]) -> tuple[Store, bool]:
    """A store holding the data: the one given, or a temporary one the files are ingested
    into through the ordinary pipeline (readers sniff the format). The flag says whether
    the caller owns (and must close) it."""
    if isinstance(source, Store):
        return source, False
    from transship.ingest.pipeline import ingest_paths

    paths = [source] if isinstance(source, str | Path) else list(source)
    folder = Path(tempfile.mkdtemp(prefix="transship-validate-"))
    store = connect(folder / "validate.duckdb")
    results = ingest_paths(store, paths)
    failed = [r for r in results if r.status == "failed"]
    if failed or not results:
        store.close()
        reason = failed[0].message if failed else "no data files found"
        raise InvalidInput(f"cannot load validation data: {reason}")
    return store, True


def withhold(source: Store, flows: Sequence[str] = ("RX",)) -> Store:
    """An in-memory copy of the reported rows of ``trade_flows`` without the withheld flows
    (rows transship derived itself, ``value_basis = 'reconciled'``, are left out: they would
    become reported rows in the copy)."""
    keep = ", ".join(f"'{f}'" for f in flows)
    target = connect(":memory:")
    sql = (
        f"SELECT * FROM trade_flows WHERE flow NOT IN ({keep}) "
        "AND value_basis IS DISTINCT FROM 'reconciled'"
    )
    for batch in source.stream(sql):
        target.append("trade_flows", pa.Table.from_batches([batch]))
    return target
