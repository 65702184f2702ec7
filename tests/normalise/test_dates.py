"""Partial dates as ISO prefixes."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transship.exc import InvalidInput
from transship.normalise.dates import partial_date, precision, year_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (2021, "2021"),
        ("2021", "2021"),
        (2021.0, "2021"),
        ("2021.0", "2021"),
        ("2021?", "2021"),
        ("202103", "2021-03"),
        (202103, "2021-03"),
        ("20210304", "2021-03-04"),
        ("2021-03", "2021-03"),
        ("2021-3", "2021-03"),
        ("2021-3-4", "2021-03-04"),
        ("2021-03-04T10:00:00Z", "2021-03-04"),
        ("2021-03-04 10:00", "2021-03-04"),
        ("2021/03/04", "2021-03-04"),
        ("2021.3", "2021-03"),
        ("04.03.2021", "2021-03-04"),
        ("4.3.2021.", "2021-03-04"),
        ("04/03/2021", "2021-03-04"),
        ("03/25/2021", "2021-03-25"),
        ("03/2021", "2021-03"),
        ("March 2021", "2021-03"),
        ("4 March 2021", "2021-03-04"),
        ("mart 2021", "2021-03"),
        ("4. mart 2021.", "2021-03-04"),
        (date(2021, 3, 4), "2021-03-04"),
        (datetime(2021, 3, 4, 23, 59), "2021-03-04"),
        (None, None),
        ("", None),
        ("?", None),
        ("n/a", None),
    ],
)
def test_partial_date(raw: object, expected: str | None) -> None:
    assert partial_date(raw) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["20211", "2021-13", "31.02.2021", "foo", "Mayday 2021", True])
def test_partial_date_rejects(bad: object) -> None:
    with pytest.raises(InvalidInput):
        partial_date(bad)  # type: ignore[arg-type]


_DAY = st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31))


@given(_DAY, st.sampled_from(["iso", "compact", "dotted", "slash", "month", "year", "words"]))
def test_partial_date_idempotent_and_consistent(day: date, form: str) -> None:
    text = {
        "iso": day.isoformat(),
        "compact": day.strftime("%Y%m%d"),
        "dotted": f"{day.day}.{day.month}.{day.year}.",
        "slash": day.strftime("%d/%m/%Y"),
        "month": day.strftime("%Y%m"),
        "year": str(day.year),
        "words": day.strftime("%d %B %Y"),
    }[form]
    once = partial_date(text)
    assert once is not None
    assert partial_date(once) == once
    assert day.isoformat().startswith(once)
    assert year_of(text) == day.year


def test_precision() -> None:
    assert precision("2021") == "year"
    assert precision("2021-03") == "month"
    assert precision("2021-03-04") == "day"
    assert year_of(None) is None
