"""Amounts as typed in licence reports, and EUR/USD at ECB annual rates."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transship.exc import InvalidInput, UnknownCode
from transship.normalise.money import (
    currency,
    parse_amount,
    parse_money,
    rate_years,
    to_eur,
    to_usd,
    usd_per_eur,
)


@pytest.mark.parametrize(
    ("text", "amount", "code"),
    [
        ("1 162 575", 1162575.0, None),
        ("370,00 EUR", 370.0, "EUR"),
        ("24 370,00", 24370.0, None),
        ("1,162,575.50", 1162575.5, None),
        ("1.162.575,50", 1162575.5, None),
        ("1'162'575", 1162575.0, None),
        ("1\u00a0162\u00a0575", 1162575.0, None),
        ("1\u202f162\u202f575,50 €", 1162575.5, "EUR"),
        ("60 600,00 USD", 60600.0, "USD"),
        ("14 343 EUR", 14343.0, "EUR"),
        ("€ 1.234,56", 1234.56, "EUR"),
        ("US$ 2.5 million", 2500000.0, "USD"),
        ("USD 1.2 mn", 1200000.0, "USD"),
        ("12,5 miliona evra", 12500000.0, "EUR"),
        ("1,000", 1000.0, None),
        ("24.370", 24370.0, None),
        ("1.5", 1.5, None),
        ("0,500", 0.5, None),
        ("(1,000)", -1000.0, None),
        ("-5", -5.0, None),
        ("30000.0", 30000.0, None),
        ("6554219.0", 6554219.0, None),
        (1200000.0, 1200000.0, None),
        (42, 42.0, None),
    ],
)
def test_parse_money(text: str | float, amount: float, code: str | None) -> None:
    assert parse_money(text) == (amount, code)
    assert parse_amount(text) == amount


@pytest.mark.parametrize(
    "bad", ["", "abc", "1,2,3", "1.2.3,4", "12 EUR USD", "1,0000,000", "ten", "—", "12 apples"]
)
def test_parse_money_rejects(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_money(bad)


def test_real_broker_values(shared_data: Path) -> None:
    """The value column of broker.csv parses (plain floats in clean rows)."""
    path = shared_data / "caat-eu-arms-exports" / "broker.csv"
    parsed = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) > 7 and not row[0].startswith("[") and row[7].strip():
                assert parse_amount(row[7]) >= 0
                parsed += 1
    assert parsed > 500
    # UK-brokered Serbian ammunition to Kenya, 2008 (SOURCE.md).
    assert parse_amount("1,162,575") == 1162575.0


@given(
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=99),
    st.sampled_from(["en", "de", "fr", "plain"]),
)
def test_formats_agree(units: int, cents: int, style: str) -> None:
    """The same amount written in four locales reads back the same."""
    grouped = f"{units:,}"
    text = {
        "en": f"{grouped}.{cents:02d}",
        "de": grouped.replace(",", ".") + f",{cents:02d}",
        "fr": grouped.replace(",", " ") + f",{cents:02d}",
        "plain": f"{units}.{cents:02d}",
    }[style]
    assert math.isclose(parse_amount(text), units + cents / 100, rel_tol=1e-12)


@given(st.integers(min_value=0, max_value=10**12))
def test_grouped_integers(units: int) -> None:
    for sep in (",", ".", " ", "'"):
        text = f"{units:,}".replace(",", sep)
        if units >= 1000 or sep == " ":
            assert parse_amount(text) == units


def test_currency() -> None:
    assert currency("eur") == "EUR"
    assert currency("€") == "EUR"
    assert currency("US$") == "USD"
    with pytest.raises(UnknownCode):
        currency("RSD")


def test_rates_match_shipped_source(shared_data: Path) -> None:
    path = shared_data / "reference" / "ecb_eur_usd_annual.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        assert usd_per_eur(int(row["year"])) == float(row["usd_per_eur_mean"])
    assert usd_per_eur(2022) == 1.053049
    assert rate_years() == (1999, 2026)
    with pytest.raises(InvalidInput):
        usd_per_eur(1995)


def test_conversions() -> None:
    assert to_usd(100, "EUR", 2021) == pytest.approx(118.274)
    assert to_usd(100, "USD", 2021) == 100
    assert to_eur(118.274, "usd", 2021) == pytest.approx(100)
    assert to_eur(5, "€", 1990) == 5  # same currency needs no rate
    with pytest.raises(UnknownCode):
        to_usd(1, "GBP", 2021)


@given(st.floats(min_value=0, max_value=1e12), st.integers(min_value=1999, max_value=2026))
def test_round_trip(amount: float, year: int) -> None:
    assert to_eur(to_usd(amount, "EUR", year), "USD", year) == pytest.approx(amount)
