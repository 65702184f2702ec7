"""Partial dates kept at the precision the source gave (ISO prefixes).

A SIPRI order year, a Comtrade period ``202103`` and a licence dated ``04.03.2021.`` are all
dates, at different precisions. The store keeps them as ISO 8601 prefixes (``'2021'``,
``'2021-03'``, ``'2021-03-04'``), which sort and compare as text and never invent a day or
month the source did not state (the same rule as FollowTheMoney dates and ``prefixdate``).

Day-first is assumed for ``dd.mm.yyyy`` and ``dd/mm/yyyy`` (the European reports we read);
when the second number cannot be a month but the first can (``03/25/2021``), the text is
read month-first.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from transship.exc import InvalidInput

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan", "januar", "јануар"),
            ("february", "feb", "februar", "фебруар"),
            ("march", "mar", "mart", "март"),
            ("april", "apr", "април"),
            ("may", "maj", "мај"),
            ("june", "jun", "jun", "јун"),
            ("july", "jul", "jul", "јул"),
            ("august", "aug", "avgust", "август"),
            ("september", "sep", "sept", "septembar", "септембар"),
            ("october", "oct", "oktobar", "okt", "октобар"),
            ("november", "nov", "novembar", "новембар"),
            ("december", "dec", "decembar", "dec", "децембар"),
        ],
        start=1,
    )
    for name in names
}
_EMPTY = {"", "?", "-", "—", "n/a", "na", "none", "null", "unknown", "nan"}


def _check(year: int, month: int | None = None, day: int | None = None) -> str:
    if not 1000 <= year <= 2999:
        raise InvalidInput(f"year out of range: {year}")
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        raise InvalidInput(f"month out of range: {month}")
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError as exc:
        raise InvalidInput(f"not a date: {year}-{month}-{day}") from exc


def partial_date(value: str | int | float | date | datetime | None) -> str | None:
    """ISO prefix from ``2021``, ``'202103'``, ``'20210304'``, ``'2021-3-4'``,
    ``'04.03.2021'``, ``'4.3.2021.'``, ``'03/2021'``, ``'March 2021'``, ``date``/``datetime``,
    ``'2021-03-04T10:00:00Z'``. Empty or placeholder text (``''``, ``'?'``, ``'n/a'``) gives
    ``None``; SIPRI's trailing ``?`` (uncertain) is dropped. Idempotent.

    Raises :class:`InvalidInput` for text that is not a date.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        raise InvalidInput(f"not a date: {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidInput(f"not a date: {value!r}")
        value = int(value)
    text = str(value).strip().rstrip("?").strip()
    if text.lower() in _EMPTY:
        return None
    text = text.rstrip(".").strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]

    if text.isdigit():
        if len(text) == 4:
            return _check(int(text))
        if len(text) == 6:
            return _check(int(text[:4]), int(text[4:]))
        if len(text) == 8:
            return _check(int(text[:4]), int(text[4:6]), int(text[6:]))
        raise InvalidInput(f"not a date: {value!r}")

    iso = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2})(?:[T ].*)?)?", text) or re.fullmatch(
        r"(\d{4})[/.](\d{1,2})(?:[/.](\d{1,2}))?", text
    )
    if iso:
        return _check(int(iso[1]), int(iso[2]), int(iso[3]) if iso[3] else None)

    dmy = re.fullmatch(r"(\d{1,2})\s*[./]\s*(\d{1,2})\s*[./]\s*(\d{4})(?:[T ,].*)?", text)
    if dmy:
        first, second, year = int(dmy[1]), int(dmy[2]), int(dmy[3])
        if second > 12 and first <= 12:
            first, second = second, first
        return _check(year, second, first)

    my = re.fullmatch(r"(\d{1,2})\s*[./-]\s*(\d{4})", text)
    if my:
        return _check(int(my[2]), int(my[1]))

    words = re.fullmatch(r"(?:(\d{1,2})\.?\s+)?([^\W\d_]+)\.?,?\s+(\d{4})", text)
    if words and words[2].lower() in _MONTHS:
        day = int(words[1]) if words[1] else None
        return _check(int(words[3]), _MONTHS[words[2].lower()], day)

    raise InvalidInput(f"not a date: {value!r}")


def year_of(value: str | int | float | date | datetime | None) -> int | None:
    """Year of any value :func:`partial_date` reads, or ``None`` when it gives ``None``."""
    prefix = partial_date(value)
    return None if prefix is None else int(prefix[:4])


def precision(prefix: str) -> str:
    """``'year'``, ``'month'`` or ``'day'`` for an ISO prefix."""
    return {4: "year", 7: "month", 10: "day"}[len(partial_date(prefix) or "")]


__all__ = ["partial_date", "precision", "year_of"]
