"""Amounts of money as written in reports, and EUR/USD conversion with ECB annual rates.

Licence reports are typed by hand in many locales: ``1 162 575`` (space thousands),
``370,00 EUR`` (decimal comma), ``1,162,575.50`` (English), ``1.162.575,50`` (German/Serbian),
``1'162'575`` (Swiss). :func:`parse_amount` reads all of them without guessing the country.

Conversions use the arithmetic mean of the ECB euro reference rates per calendar year
(``transship/data/ecb_eur_usd_annual.csv``): annual report values are annual totals, so an
annual mean rate is the fair one. ECB reference rates are free to reuse with the source named.
"""

from __future__ import annotations

import re
from functools import cache

from transship.exc import InvalidInput, UnknownCode
from transship.normalise._tables import read_table

CURRENCIES: tuple[str, ...] = ("EUR", "USD")

_CURRENCY_WORDS: dict[str, str] = {
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "evra": "EUR",
    "evro": "EUR",
    "евра": "EUR",
    "евро": "EUR",
    "€": "EUR",
    "usd": "USD",
    "us$": "USD",
    "$": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "us dollars": "USD",
    "dolara": "USD",
    "долара": "USD",
}
_MULTIPLIERS: dict[str, float] = {
    "thousand": 1e3,
    "thousands": 1e3,
    "k": 1e3,
    "hiljada": 1e3,
    "хиљада": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "mln": 1e6,
    "mio": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "mil": 1e6,
    "miliona": 1e6,
    "milion": 1e6,
    "милиона": 1e6,
    "bn": 1e9,
    "billion": 1e9,
    "billions": 1e9,
    "mlrd": 1e9,
    "milijardi": 1e9,
    "милијарди": 1e9,
}
# Thousands separators that never mean a decimal point.
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f'’]+")
_WORDS = re.compile(r"us\$|[€$]|[^\W\d_]+", re.IGNORECASE)
_NUMBER = re.compile(r"[-+]?\d[\d.,\s\u00a0\u2007\u202f'’]*")


def currency(value: str) -> str:
    """ISO code from ``'EUR'``, ``'€'``, ``'euro'``, ``'US$'``, ``'usd'``... (only EUR and USD)."""
    key = str(value).strip().lower()
    if key.upper() in CURRENCIES:
        return key.upper()
    if key in _CURRENCY_WORDS:
        return _CURRENCY_WORDS[key]
    raise UnknownCode("currency", value)


def _grouped(integer: str, sep: str) -> bool:
    """``1,162,575``: first group 1-3 digits, the others exactly 3."""
    groups = integer.split(sep)
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def _digits(number: str) -> float:
    """Read one number whose separators may be spaces, commas or dots.

    Both comma and dot: the last one is the decimal mark. Only one kind, repeated: thousands.
    Only one kind, once, before exactly three digits (``1,000``, ``24.370``): thousands,
    because money with three decimals does not occur in the reports we read. Otherwise it is
    the decimal mark (``370,00``, ``1.5``).
    """
    sign = -1.0 if number.startswith("-") else 1.0
    number = _SPACES.sub("", number.lstrip("+-"))
    commas, dots = number.count(","), number.count(".")
    if commas and dots:
        decimal = "," if number.rfind(",") > number.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        integer, _, fraction = number.rpartition(decimal)
        if thousands in fraction or not _grouped(integer, thousands):
            raise InvalidInput(f"not a number: {number!r}")
        number = integer.replace(thousands, "") + "." + fraction
    elif commas + dots > 1:
        sep = "," if commas else "."
        if not _grouped(number, sep):
            raise InvalidInput(f"not a number: {number!r}")
        number = number.replace(sep, "")
    elif commas + dots == 1:
        sep = "," if commas else "."
        head, _, tail = number.partition(sep)
        if len(tail) == 3 and head not in ("", "0") and len(head) <= 3:
            number = head + tail
        else:
            number = head + "." + tail
    if not re.fullmatch(r"\d+(\.\d+)?", number):
        raise InvalidInput(f"not a number: {number!r}")
    return sign * float(number)


def parse_money(text: str | int | float) -> tuple[float, str | None]:
    """Amount and currency (``'EUR'``/``'USD'``, or ``None`` when none is written).

    ``'370,00 EUR'`` -> ``(370.0, 'EUR')``; ``'USD 1.2 million'`` -> ``(1200000.0, 'USD')``;
    ``'(1,000)'`` (accounting negative) -> ``(-1000.0, None)``.
    Raises :class:`InvalidInput` when the text is not exactly one amount.
    """
    if isinstance(text, bool):
        raise InvalidInput(f"not an amount: {text!r}")
    if isinstance(text, int | float):
        return float(text), None
    body = str(text).strip().replace("\u2212", "-")
    negative = body.startswith("(") and body.endswith(")")
    if negative:
        body = body[1:-1]
    found: list[str] = []
    multiplier = 1.0

    def take(match: re.Match[str]) -> str:
        nonlocal multiplier
        word = match.group(0).lower()
        if word in _CURRENCY_WORDS:
            found.append(_CURRENCY_WORDS[word])
        elif word.upper() in CURRENCIES:
            found.append(word.upper())
        elif word in _MULTIPLIERS:
            multiplier *= _MULTIPLIERS[word]
        else:
            raise InvalidInput(f"not an amount: {text!r}")
        return " "

    body = _WORDS.sub(take, body).strip().rstrip(".").strip()
    if len(set(found)) > 1 or not body or _NUMBER.fullmatch(body) is None:
        raise InvalidInput(f"not an amount: {text!r}")
    value = _digits(body)
    if negative:
        value = -value
    return value * multiplier, (found[0] if found else None)


def parse_amount(text: str | int | float) -> float:
    """Just the amount of :func:`parse_money` (``'1 162 575'`` -> ``1162575.0``)."""
    return parse_money(text)[0]


@cache
def _rates() -> dict[int, float]:
    return {
        int(r["year"]): float(r["usd_per_eur_mean"]) for r in read_table("ecb_eur_usd_annual.csv")
    }


def rate_years() -> tuple[int, int]:
    """First and last year with a shipped rate (the last may be a partial year)."""
    years = sorted(_rates())
    return years[0], years[-1]


def usd_per_eur(year: int) -> float:
    """Mean ECB reference rate of the year: US dollars for one euro (2022 -> 1.053049)."""
    rates = _rates()
    if year not in rates:
        first, last = rate_years()
        raise InvalidInput(f"no ECB EUR/USD rate for {year} (shipped: {first}-{last})")
    return rates[year]


def to_usd(amount: float, currency_code: str, year: int) -> float:
    """Amount in US dollars at the year's mean ECB rate."""
    code = currency(currency_code)
    if code == "USD":
        return float(amount)
    return float(amount) * usd_per_eur(year)


def to_eur(amount: float, currency_code: str, year: int) -> float:
    """Amount in euros at the year's mean ECB rate."""
    code = currency(currency_code)
    if code == "EUR":
        return float(amount)
    return float(amount) / usd_per_eur(year)


__all__ = [
    "CURRENCIES",
    "currency",
    "parse_amount",
    "parse_money",
    "rate_years",
    "to_eur",
    "to_usd",
    "usd_per_eur",
]
