"""Matching quality on real fixtures, for any name scorer (issue 13, point 3).

Three measures, each for transship's matcher beside a plain rapidfuzz token-sort baseline
(and nomenklatura's logic-v2 when its scores were computed by
``benchmarks/screen_nomenklatura.py`` in its own environment):

(a) UN list, raw against "treated" spelling variants (683 pairs, OpenSanctions' candidate
    generation benchmark): every treated name is screened against all 683 raw names;
    recall of its own raw name, false matches with the others, precision and F1.
(b) OFAC's own scores for 170 name pairs (nomenklatura's fixture): Spearman rank
    correlation with OFAC's score (``-1``, "not returned at slider 80", ranks lowest), and
    agreement with OFAC's cut-off (a match at 80 or more).
(c) The labelled set of this field's names (:mod:`tests.resolve.labelled`): precision,
    recall and F1.

Thresholds: transship's is fixed at 0.70 (yente's default, never tuned here). The
baselines have no default, so each gets the threshold that maximises F1 on the ``dev``
half of (a) and (c) (even rows of (a), even parties of (c)), and is reported on the ``test``
half and on all; transship is reported at its fixed 0.70 and, for symmetry, at its own
dev-best threshold too.

Run ``python -m tests.resolve.quality`` for the table in docs/validation.md.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.resolve.labelled import pairs

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = "opensanctions-ftm-fixtures"
#: Where benchmarks/screen_nomenklatura.py writes logic-v2's scores.
NOMENKLATURA_JSON = ROOT / "benchmarks" / "out" / "screen_nomenklatura.json"
OFAC_CUTOFF = 80
THRESHOLD = 0.7

#: scores for a batch of (query, candidate, schema) pairs
PairScorer = Callable[[Sequence[tuple[str, str, str]]], np.ndarray]
#: scores of every query against every candidate (rows: queries)
MatrixScorer = Callable[[Sequence[str], Sequence[str], str], np.ndarray]


def shared_data() -> Path:
    import os

    env = os.environ.get("TRANSSHIP_SHARED")
    return (Path(env) if env else ROOT.parent / "shared") / "data"


def un_names(data: Path) -> tuple[list[str], list[str]]:
    """(raw, treated) full names, row by row."""
    folder = data / FIXTURES
    with (folder / "un_sanctions_positives_untreated.csv").open(encoding="utf-8") as fh:
        raw = [r["full_name"] for r in csv.DictReader(fh)]
    with (folder / "un_sanctions_positives_treated.csv").open(encoding="utf-8") as fh:
        treated = [r["full_name"] for r in csv.DictReader(fh)]
    assert len(raw) == len(treated) == 683
    return raw, treated


def ofac_rows(data: Path) -> list[tuple[str, str, int]]:
    with (data / FIXTURES / "ofac_name_matching_fixtures.csv").open(encoding="utf-8") as fh:
        return [
            (r["query_name"], r["result_name"], int(r["ofac_score"])) for r in csv.DictReader(fh)
        ]


# -- scorers ----------------------------------------------------------------------------------


def transship_pairs(batch: Sequence[tuple[str, str, str]]) -> np.ndarray:
    from transship.resolve.match import score_pair
    from transship.resolve.parties import party_from_properties, query_party

    out = np.zeros(len(batch))
    for i, (a, b, schema) in enumerate(batch):
        q = query_party("q", a, schema)
        c = party_from_properties("c", schema, {"name": [b]})
        out[i] = score_pair(q, c).score
    return out


def transship_matrix(queries: Sequence[str], candidates: Sequence[str], schema: str) -> np.ndarray:
    from transship.resolve.parties import party_from_properties, query_party
    from transship.resolve.screen import Screener

    parties = [
        party_from_properties(f"c{j}", schema, {"name": [n]}) for j, n in enumerate(candidates)
    ]
    screener = Screener(parties, exhaustive=True)
    qs = [query_party(f"q{i}", n, schema) for i, n in enumerate(queries)]
    out = np.zeros((len(queries), len(candidates)))
    index = {p.id: j for j, p in enumerate(parties)}
    for i, r in enumerate(screener.screen(qs, min_score=0.0)):
        for s in r.results:
            out[i, index[s.party.id]] = s.result.score
    return out


def rapidfuzz_pairs(batch: Sequence[tuple[str, str, str]]) -> np.ndarray:
    from rapidfuzz import fuzz, utils

    return np.array(
        [fuzz.token_sort_ratio(a, b, processor=utils.default_process) / 100 for a, b, _ in batch]
    )


def rapidfuzz_matrix(queries: Sequence[str], candidates: Sequence[str], schema: str) -> np.ndarray:
    from rapidfuzz import fuzz, process, utils

    m = process.cdist(
        queries,
        candidates,
        scorer=fuzz.token_sort_ratio,
        processor=utils.default_process,
        workers=1,
    )
    return np.asarray(m, dtype=float) / 100


# -- measures ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Counts:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def row(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "f1": round(self.f1, 3),
        }


def un_truth(raw: Sequence[str]) -> np.ndarray:
    """truth[i, j]: raw name j is the raw name of treated row i (duplicated raw names count)."""
    arr = np.array(raw, dtype=object)
    return arr[:, None] == arr[None, :]


def un_counts(scores: np.ndarray, truth: np.ndarray, threshold: float, rows: np.ndarray) -> Counts:
    s = scores[rows] >= threshold
    t = truth[rows]
    tp = int(np.sum(np.any(s & t, axis=1)))
    fn = int(len(rows) - tp)
    fp = int(np.sum(s & ~t))
    return Counts(tp, fp, fn)


def pair_counts(scores: np.ndarray, labels: np.ndarray, threshold: float) -> Counts:
    s = scores >= threshold
    return Counts(int(np.sum(s & labels)), int(np.sum(s & ~labels)), int(np.sum(~s & labels)))


def best_threshold(f1_at: Callable[[float], float]) -> float:
    """The threshold (0.30..0.99 by 0.01) with the highest F1 (ties: the lowest)."""
    grid = np.round(np.arange(0.30, 0.995, 0.01), 2)
    f1s = [f1_at(float(t)) for t in grid]
    return float(grid[int(np.argmax(f1s))])


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


@dataclass(slots=True)
class Scores:
    """One matcher's raw scores on the three sets."""

    name: str
    un: np.ndarray  # 683 x 683
    ofac: np.ndarray  # 170
    labelled: np.ndarray  # len(pairs())
    fixed_threshold: float | None  # a default threshold, when the matcher has one


def compute(
    name: str,
    matrix: MatrixScorer,
    pair: PairScorer,
    fixed_threshold: float | None,
    data: Path | None = None,
) -> Scores:
    data = data or shared_data()
    raw, treated = un_names(data)
    un = matrix(treated, raw, "Person")
    ofac = pair([(q, r, "LegalEntity") for q, r, _ in ofac_rows(data)])
    lab = pair([(p.query, p.candidate, p.schema) for p in pairs()])
    return Scores(name, un, ofac, lab, fixed_threshold)


def evaluate(s: Scores, data: Path | None = None) -> dict[str, object]:
    """The quality table's row for one matcher."""
    data = data or shared_data()
    raw, _ = un_names(data)
    truth = un_truth(raw)
    n = len(raw)
    dev_rows, test_rows, all_rows = np.arange(0, n, 2), np.arange(1, n, 2), np.arange(n)
    labelled = pairs()
    labels = np.array([p.same for p in labelled])
    dev = np.array([p.split == "dev" for p in labelled])
    test = ~dev
    ofac = ofac_rows(data)
    ofac_scores = np.array([max(o, 0) for _, _, o in ofac], dtype=float)
    ofac_match = ofac_scores >= OFAC_CUTOFF

    un_dev_t = best_threshold(lambda t: un_counts(s.un, truth, t, dev_rows).f1)
    lab_dev_t = best_threshold(lambda t: pair_counts(s.labelled[dev], labels[dev], t).f1)
    thresholds: dict[str, dict[str, float]] = {"dev_best": {"un": un_dev_t, "labelled": lab_dev_t}}
    if s.fixed_threshold is not None:
        ft = s.fixed_threshold
        thresholds["fixed"] = {"un": ft, "labelled": ft}
    out: dict[str, object] = {"matcher": s.name, "thresholds": thresholds}
    for mode, ts in thresholds.items():
        out[mode] = {
            "un_test": un_counts(s.un, truth, ts["un"], test_rows).row(),
            "un_all": un_counts(s.un, truth, ts["un"], all_rows).row(),
            "labelled_test": pair_counts(s.labelled[test], labels[test], ts["labelled"]).row(),
            "labelled_all": pair_counts(s.labelled, labels, ts["labelled"]).row(),
            "ofac_agreement": round(float(np.mean((s.ofac >= ts["un"]) == ofac_match)), 3),
        }
    out["ofac_spearman"] = round(spearman(s.ofac, ofac_scores), 3)
    return out


def load_nomenklatura() -> Scores | None:
    """logic-v2's scores, if benchmarks/screen_nomenklatura.py has written them."""
    if not NOMENKLATURA_JSON.exists():
        return None
    data = json.loads(NOMENKLATURA_JSON.read_text())
    un = np.zeros(tuple(data["un_shape"]))
    for i, j, s in data["un"]:
        un[i, j] = s
    return Scores(
        f"nomenklatura {data['version']} logic-v2",
        un,
        np.asarray(data["ofac"], dtype=float),
        np.asarray(data["labelled"], dtype=float),
        0.7,
    )


def main(argv: Sequence[str]) -> None:
    rows = [
        evaluate(compute("transship", transship_matrix, transship_pairs, THRESHOLD)),
        evaluate(compute("rapidfuzz token_sort_ratio", rapidfuzz_matrix, rapidfuzz_pairs, None)),
    ]
    nk = load_nomenklatura()
    if nk is not None:
        rows.append(evaluate(nk))
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
