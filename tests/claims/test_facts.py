"""What a claim is about: money at the ECB rate of its year, the words of its figure, its
topic and product scope; and the old single module still names the same objects."""

from __future__ import annotations

import pytest

from transship.claims import checks, facts, findings, sourced
from transship.claims.facts import (
    ecb_rate,
    money_values,
    quantity_wording,
    scope_of,
    topic_of,
    years_of,
)
from transship.claims.model import ExtractedClaim, Quantity
from transship.normalise.money import rate_years, usd_per_eur


def test_ecb_rate_takes_the_nearest_shipped_year() -> None:
    first, last = rate_years()
    assert ecb_rate(2022) == (2022, usd_per_eur(2022))
    assert ecb_rate(None) == (last, usd_per_eur(last))
    assert ecb_rate(first - 30) == (first, usd_per_eur(first))
    assert ecb_rate(last + 30) == (last, usd_per_eur(last))


def test_money_values_in_both_currencies() -> None:
    rate = usd_per_eur(2022)
    usd, eur = money_values(100.0, "EUR", 2022)
    assert eur == 100.0 and usd == pytest.approx(100.0 * rate)
    usd, eur = money_values(100.0, "USD", 2022)
    assert usd == 100.0 and eur == pytest.approx(100.0 / rate)
    assert money_values(100.0, "RSD", 2022) == (None, None)


def _claim(quantity: Quantity | None) -> ExtractedClaim:
    return ExtractedClaim("c", "doc:x", (0, 10), "Serbia exported shells.", quantity=quantity)


def test_quantity_wording() -> None:
    q = Quantity(8e8, 8e8, 8e8, "EUR", "money", "EUR", "EUR 800 million")
    assert quantity_wording(_claim(q)) == "EUR 800 million"
    assert quantity_wording(_claim(None)) == ""


def test_topic_scope_and_years() -> None:
    assert topic_of("Serbia exported 155 mm shells", "exports") == "arms_trade"
    assert topic_of("anything", "revenue") == "company"
    assert scope_of("7.62 mm rounds", []) == "small_arms"
    assert scope_of("155 mm shells", ["155mm"]) == "ammunition"
    assert years_of(("2022-02", "2024")) == (2022, 2024)
    assert years_of(None) is None


def test_the_old_module_names_the_same_objects() -> None:
    assert checks.sourced is sourced.sourced and checks.SourcedClaim is sourced.SourcedClaim
    assert checks.Finding is findings.Finding and checks.RULES is findings.RULES
    assert checks.territory_code is facts.territory_code
    missing = [name for name in checks.__all__ if not hasattr(checks, name)]
    assert missing == []
