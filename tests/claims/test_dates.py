"""Dates and periods in the region's languages, with spans; relative dates need the document's date."""

from __future__ import annotations

import pytest

from transship.claims.dates import date_like_spans, find_dates, period_of


def spans(text: str, ref: str | None = None) -> list[tuple[str, str | None, str | None, str]]:
    return [(d.text, d.first, d.last, d.kind) for d in find_dates(text, ref)]


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("12. marta 2017", "2017-03-12"),
        ("12. marta 2017. godine", "2017-03-12"),
        ("5. jun 2025.", "2025-06-05"),
        ("12 марта 2024 года", "2024-03-12"),
        ("11 червня 2024 року", "2024-06-11"),
        ("3 октомври 2023", "2023-10-03"),
        ("22 lutego 2022", "2022-02-22"),
        ("14. listopada 2016.", "2016-10-14"),
        ("May 29, 2025", "2025-05-29"),
        ("29 May 2025", "2025-05-29"),
        ("22.06.2024.", "2024-06-22"),
        ("2024-06-22", "2024-06-22"),
    ],
)
def test_days_in_each_language(text: str, first: str) -> None:
    found = find_dates(text)
    assert [(d.first, d.last) for d in found] == [(first, first)]
    assert found[0].start == 0


def test_genitive_day_month_without_year_uses_the_document_date() -> None:
    assert spans("Встреча 12 марта прошла", "2025-05-29") == [
        ("12 марта", "2025-03-12", "2025-03-12", "day")
    ]
    # after the document's date: the year before
    assert find_dates("12. decembra je potpisan", "2025-05-29")[0].first == "2024-12-12"
    # never guessed without one, but never a quantity either
    assert find_dates("12 марта прошла") == []
    assert date_like_spans("12 марта прошла") == [(0, 8)]


def test_relative_dates() -> None:
    assert spans("prošle godine", "2024-06-23") == [("prošle godine", "2023", "2023", "relative")]
    assert spans("в прошлом году", "2025-02-01")[0][1:3] == ("2024", "2024")
    assert spans("w ubiegłym roku", "2024-06-24")[0][1:3] == ("2023", "2023")
    assert spans("last month", "2024-01-15")[0][1:3] == ("2023-12", "2023-12")
    assert find_dates("prošle godine") == []


def test_periods() -> None:
    assert spans("in 2023-2024") == [("2023-2024", "2023", "2024", "range")]
    assert spans("in September-October 2024")[0][1:3] == ("2024-09", "2024-10")
    assert spans("since 2014")[0][1:4] == ("2014", None, "since")
    assert spans("od februara 2022. godine")[0][1:4] == ("2022-02", None, "since")
    assert spans("by 2024")[0][1:4] == (None, "2024", "until")
    assert spans("between 2016 and 2017")[0][1:3] == ("2016", "2017")
    assert period_of(find_dates("2023 and 2024")) == ("2023", "2024")


def test_may_the_verb_is_not_a_month() -> None:
    assert find_dates("exports may 12 times exceed") == []
    assert find_dates("in May 2024")[0].first == "2024-05"
