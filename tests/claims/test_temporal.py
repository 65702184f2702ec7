"""Dates as the temporal checks compare them: a period's end is its last day."""

from __future__ import annotations

from datetime import date

from transship.claims.temporal import as_date


def test_as_date_first_or_last_day() -> None:
    assert as_date("2024") == date(2024, 1, 1)
    assert as_date("2024", end=True) == date(2024, 12, 31)
    assert as_date("2024-02", end=True) == date(2024, 2, 29)
    assert as_date("2023-02", end=True) == date(2023, 2, 28)
    assert as_date("2024-06-22", end=True) == date(2024, 6, 22)
    assert as_date("mid-2024") is None
    assert as_date(None) is None
