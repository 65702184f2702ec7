"""Dates as the temporal checks compare them: a period's end is its last day."""

from __future__ import annotations

from datetime import date

from tests.claims.test_corroborate import batch
from transship.claims.sourced import SourcedClaim, sourced
from transship.claims.sources import default_registry
from transship.claims.temporal import as_date, check_temporal


def test_as_date_first_or_last_day() -> None:
    assert as_date("2024") == date(2024, 1, 1)
    assert as_date("2024", end=True) == date(2024, 12, 31)
    assert as_date("2024-02", end=True) == date(2024, 2, 29)
    assert as_date("2023-02", end=True) == date(2023, 2, 28)
    assert as_date("2024-06-22", end=True) == date(2024, 6, 22)
    assert as_date("mid-2024") is None
    assert as_date(None) is None


def _claim(credits: list[tuple[str, str]]) -> SourcedClaim:
    doc, (claim,) = batch(
        "t",
        [
            {
                "id": "t",
                "text": "Capacity rose by 15% in 2023-2025.",
                "amount": 15.0,
                "kind": "percent",
                "unit": "percent",
                "currency": "",
                "measure": "capacity",
                "direction": None,
                "period": ("2023", "2025"),
                "credit": credits,
            }
        ],
    )
    return sourced(claim, doc, default_registry())


def test_sources_credited_together_are_judged_by_the_latest() -> None:
    # SR17: "Razumkov Centre, May 2025; Institute for the Study of War, 2024-09-30": which
    # said what is unknown, and the later one is dated within the period's last year
    together = _claim(
        [("Razumkov Centre", "2025-05"), ("Institute for the Study of War", "2024-09-30")]
    )
    (f,) = check_temporal(together, None, "")
    assert f.severity == "low" and "Razumkov" in f.explanation  # within the last year
    alone = _claim([("Institute for the Study of War", "2024-09-30")])
    (f,) = check_temporal(alone, None, "")
    assert f.rule == "temporal.source_before_period" and f.severity == "medium"
    # one of them named alone for the figure elsewhere in the document is its origin
    together.pinned = ("isw", "elsewhere")
    together.chain.sort(key=lambda lk: lk.source.id != "isw")
    (f,) = check_temporal(together, None, "")
    assert f.severity == "medium" and "Study of War" in f.explanation
