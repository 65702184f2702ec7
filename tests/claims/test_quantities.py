"""Quantities in the region's languages: money with scale words, counts, vague ranges; calibres apart."""

from __future__ import annotations

import pytest

from transship.claims.quantities import find_calibres, find_quantities, parse_number


def one(
    text: str, language: str | None = "en"
) -> tuple[float | None, float | None, float | None, str | None, str]:
    found = find_quantities(text, language)
    assert len(found) == 1, [q.quantity for q in found]
    q = found[0].quantity
    return q.value, q.low, q.high, q.unit, q.kind


@pytest.mark.parametrize(
    ("text", "language", "value", "unit"),
    [
        ("€1,2 mlrd", "sr-Latn", 1.2e9, "EUR"),
        ("1,6 milijardi evra", "sr-Latn", 1.6e9, "EUR"),
        ("800 млн евро", "ru", 8e8, "EUR"),
        ("$855m", "en", 8.55e8, "USD"),
        ("USD 409.05 million", "en", 4.0905e8, "USD"),
        ("5 milijardi dinara", "sr-Latn", 5e9, "RSD"),
        ("1,34 милијарди евра", "sr-Cyrl", 1.34e9, "EUR"),
        ("210 milijuna eura", "hr", 2.1e8, "EUR"),
        ("800 mln euro", "pl", 8e8, "EUR"),
        ("1,7 млрд євро", "uk", 1.7e9, "EUR"),
        ("CZK 18.24 billion", "en", 1.824e10, "CZK"),
        ("4.2 billion leva", "en", 4.2e9, "BGN"),
    ],
)
def test_money_in_each_language(text: str, language: str, value: float, unit: str) -> None:
    v, low, high, u, kind = one(text, language)
    assert (
        v == pytest.approx(value) and low == pytest.approx(value) and high == pytest.approx(value)
    )
    assert (u, kind) == (unit, "money")


@pytest.mark.parametrize(
    ("text", "value", "unit", "kind"),
    [
        ("2.8% of GDP", 2.8, "percent", "percent"),
        ("2,8 одсто", 2.8, "percent", "percent"),
        ("35 odsto", 35, "percent", "percent"),
        ("2.4 billion cubic meters of gas", 2.4, "bcm", "volume"),
        ("3.1 million tons of oil", 3.1e6, "tonnes", "mass"),
        ("100.000 granata", 1e5, "shells", "count"),
        ("approximately one million rounds", 1e6, "rounds", "count"),
        ("около миллиона патронов", 1e6, "rounds", "count"),
        ("200 rockets", 200, "rockets", "count"),
        ("65 artillery systems", 65, "artillery systems", "count"),
    ],
)
def test_units(text: str, value: float, unit: str, kind: str) -> None:
    v, _, _, u, k = one(text, "sr-Latn" if "." in text and "granata" in text else "en")
    assert v == pytest.approx(value) and (u, k) == (unit, kind)


def test_calibres_are_not_quantities() -> None:
    text = "Krusik makes 100,000 155mm shells, 122-мм снаряды and 7.62x39 rounds."
    calibres = [c.calibre for c in find_calibres(text)]
    assert calibres == ["155 mm", "122 mm", "7.62x39 mm"]
    found = find_quantities(text, "en")
    assert [(q.quantity.value, q.quantity.unit) for q in found] == [(100000.0, "shells")]
    assert find_quantities("122mm Grad rockets", "en") == []


def test_vague_amounts_are_ranges_with_their_wording() -> None:
    for text, language, unit in [
        ("hundreds of thousands of shells", "en", "shells"),
        ("сотни тысяч снарядов", "ru", "shells"),
        ("стотине хиљада метака", "sr-Cyrl", "rounds"),
        ("setki tysięcy pocisków", "pl", "shells"),
    ]:
        q = find_quantities(text, language)[0].quantity
        assert (q.value, q.low, q.high, q.unit, q.kind) == (None, 1e5, 1e6, unit, "range")
        assert q.wording == text


def test_ranges_and_qualifiers() -> None:
    assert one("275,000 to 325,000 protesters")[:4] == (None, 275000, 325000, "protesters")
    assert one("EUR 1.1-1.3 billion")[:4] == (None, 1.1e9, 1.3e9, "EUR")
    assert one("at least USD 1 billion")[:4] == (1e9, 1e9, None, "USD")
    assert one("by up to 30%")[:4] == (30, None, 30, "percent")


def test_years_decades_and_bare_numbers_are_not_quantities() -> None:
    assert find_quantities("In 2023 and in the 1990s, top 3 of them", "en") == []


def test_currency_carries_over_within_a_sentence() -> None:
    found = find_quantities("UAE about USD 110 m (27%), Cyprus 42.17 m, Bulgaria 24.80 m", "en")
    assert [(q.quantity.value, q.quantity.unit) for q in found] == [
        (1.1e8, "USD"),
        (27, "percent"),
        (4.217e7, "USD"),
        (2.48e7, "USD"),
    ]


def test_wording_and_span_point_at_the_text() -> None:
    text = "It was approximately €800 million in 2023."
    q = find_quantities(text, "en")[0]
    assert text[q.start : q.end] == q.quantity.wording == "approximately €800 million"


@pytest.mark.parametrize(
    ("raw", "language", "scaled", "value"),
    [
        ("1,200", "en", False, 1200),
        ("1.094", "en", True, 1.094),
        ("1.500", "sr-Latn", False, 1500),
        ("1,340", "sr-Latn", True, 1.34),
        ("1 162 575", "en", False, 1162575),
        ("1.234,5", "hr", False, 1234.5),
        ("18,24", "hr", True, 18.24),
    ],
)
def test_parse_number_by_language(raw: str, language: str, scaled: bool, value: float) -> None:
    assert parse_number(raw, language, scaled) == pytest.approx(value)
