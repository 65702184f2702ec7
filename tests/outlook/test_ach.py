"""ACH against a hand-computed matrix, the Serbia case's evidence, indicators, bad files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from transship.exc import SourceFormatError
from transship.outlook import ach, evidence

SMALL = """
case: .
hypotheses:
  - {id: H1, title: one}
  - {id: H2, title: two}
evidence:
  - {id: E1, relevance: high, text: a, ratings: {H1: C, H2: I}}
  - {id: E2, relevance: high, text: b, ratings: {H1: I, H2: C}}
  - {id: E3, relevance: high, text: c, ratings: {H1: II, H2: N}}
  - {id: E4, relevance: high, text: d, ratings: {H1: C, H2: N}}
"""


def test_scores_match_a_hand_computed_matrix(case: Path) -> None:
    path = case / "h.yaml"
    path.write_text(SMALL, encoding="utf-8")
    r = ach.run(path)
    assert r.scores.inconsistency == {"H1": 3.0, "H2": 1.0}
    # no claim: weight 0.5 x 0.5 = 0.25, relevance high 1.0
    assert r.scores.weighted == pytest.approx({"H1": 0.75, "H2": 0.25})
    # P(E|H) pulled toward 0.5: 0.25 * L + 0.375 -> C 0.55, I 0.45, II 0.40, N 0.50
    h1 = 0.55 * 0.45 * 0.40 * 0.55
    h2 = 0.45 * 0.55 * 0.50 * 0.50
    assert r.scores.posterior["H1"] == pytest.approx(h1 / (h1 + h2))
    assert r.scores.leader() == {"inconsistency": "H2", "weighted": "H2", "posterior": "H2"}
    diag = {it.id: it.diagnosticity() for it in r.items}
    assert diag == {"E1": 2.0, "E2": 2.0, "E3": 2.0, "E4": 1.0}
    assert [it.id for it in r.items if it.consistent_with_all()] == ["E4"]
    rows = list(csv.reader(io.StringIO(r.matrix_csv())))
    assert rows[0][:2] == ["item", "claim"] and rows[1][-3:-1] == ["C", "I"]
    assert rows[-3][0] == "inconsistency" and rows[-3][7:9] == ["3", "1"]


def test_dropping_every_item_is_a_tie_not_a_winner(case: Path) -> None:
    path = case / "h.yaml"
    path.write_text(SMALL, encoding="utf-8")
    r = ach.run(path)
    single = next(s for s in r.sensitivity if s["case"].startswith("single-origin"))
    assert single["items_kept"] == 0 and single["leader"]["posterior"] == "H1=H2"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("{H1: C, H2: I}}", "{H1: C}}"), "rate every hypothesis"),
        (("{H1: C, H2: I}}", "{H1: C, H2: X}}"), "'X' is not one of"),
        (("relevance: high, text: a", "relevance: huge, text: a"), "high, medium or low"),
        (("{id: H1, title: one}", "{id: H1, title: one, prior: 0.9}"), "priors"),
        (("text: a,", "claim: ZZ9, text: a,"), "no claim 'ZZ9'"),
    ],
)
def test_bad_hypotheses_files_name_line_and_field(
    case: Path, change: tuple[str, str], message: str
) -> None:
    path = case / "h.yaml"
    path.write_text(SMALL.replace(*change, 1), encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        ach.run(path)
    assert message in err.value.message and err.value.line is not None


def test_the_serbia_case_weights_by_grade_and_sees_its_indicators() -> None:
    case = Path(__file__).resolve().parents[2] / "cases" / "serbia-2025"
    r = ach.run(case / "hypotheses.yaml")
    assert {h.id for h in r.hypotheses} == {"H1", "H2", "H3", "H4"}
    for it in r.items:
        assert it.claim is not None and it.weight == pytest.approx(
            evidence.weight(it.claim) * ach.RELEVANCE[it.relevance]
        )
    weak = sum(1 for it in r.items if it.weak)
    dropped = next(s for s in r.sensitivity if s["case"].startswith("weak"))
    assert dropped["items_kept"] == len(r.items) - weak
    h4 = next(h for h in r.hypotheses if h.id == "H4")
    assert all(i["observed"] for i in h4.indicators)
    assert {e["claim"] for e in h4.indicators[0]["evidence"]} == {"SO18", "SO21"}
    assert sum(r.scores.posterior.values()) == pytest.approx(1.0)
