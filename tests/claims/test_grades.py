"""Admiralty grades: reliability (of the origin) and credibility (of the information) judged
separately, each with reasons; a misattributed credit leaves the document's reliability."""

from __future__ import annotations

from tests.claims.test_corroborate import batch
from transship.claims.check import check_claims
from transship.claims.checks import DataCheck, sourced
from transship.claims.grades import CREDIBILITY_WORDS, grade
from transship.claims.sources import default_registry

SIPRI_EUR = "Serbia's arms exports reached EUR 1.34 billion in 2023, according to SIPRI."


def test_misattributed_figure_takes_the_documents_reliability() -> None:
    b = batch(
        "seed",
        [
            {
                "id": "s",
                "text": SIPRI_EUR,
                "amount": 1.34e9,
                "period": ("2023", "2023"),
                "direction": None,
                "credit": [("SIPRI Arms Transfers Database", "2024-03")],
            }
        ],
    )
    c = check_claims([b]).claim("s")
    # the document names no publisher: F; the credit to SIPRI cannot be right (TIV, not EUR)
    assert c.reliability == "F"
    assert any(
        "cannot be right" in r and "attribution.unit" in r for r in c.grade.reliability_reasons
    )
    assert c.credibility == 4
    assert any("could not have said it" in r and "TIV" in r for r in c.grade.credibility_reasons)
    # with a known publisher the document's own grade is what is left
    b2 = batch(
        "pub",
        [
            {
                "id": "p",
                "text": SIPRI_EUR,
                "amount": 1.34e9,
                "period": ("2023", "2023"),
                "direction": None,
                "credit": [("SIPRI", "2024-03")],
            }
        ],
        publisher="Newsweek",
    )
    assert check_claims([b2]).claim("p").reliability == "C"


def test_one_good_origin_is_probably_true() -> None:
    b = batch(
        "r",
        [
            {
                "id": "r",
                "text": "Serbia exported EUR 10 million of ammunition in 2019.",
                "amount": 1e7,
                "period": ("2019", "2019"),
                "direction": None,
                "credit": [("Reuters", "2020-02-01")],
            }
        ],
    )
    c = check_claims([b]).claim("r")
    assert (c.reliability, c.credibility) == ("B", 2)
    assert c.grade.label == "B2"
    assert "one origin (Reuters, B)" in c.grade.credibility_reasons[0]


def test_no_source_no_figure_cannot_be_judged() -> None:
    b = batch("n", [{"id": "n", "text": "Serbia is neutral.", "credit": []}])
    c = check_claims([b]).claim("n")
    assert c.credibility == 6 and c.reliability == "F"


def test_party_to_the_conflict_alone_is_doubtful() -> None:
    b = batch(
        "v",
        [
            {
                "id": "v",
                "text": "Serbian firms sent one million rounds to Ukraine.",
                "amount": 1e6,
                "kind": "count",
                "unit": "rounds",
                "wording": "one million",
                "credit": [("Russia's Foreign Intelligence Service (SVR)", "2025-05-29")],
            }
        ],
    )
    c = check_claims([b]).claim("v")
    assert (c.reliability, c.credibility) == ("D", 4)
    assert any("party to the conflict" in r for r in c.grade.credibility_reasons)
    assert c.origins == 0


def test_data_decides_credibility() -> None:
    doc, claims = batch(
        "d",
        [
            {
                "id": "d",
                "text": "Serbia exported EUR 10 million in 2022.",
                "amount": 1e7,
                "period": ("2022", "2022"),
                "direction": None,
                "credit": [("Reuters", "2023-01-01")],
            }
        ],
    )
    sc = sourced(claims[0], doc, default_registry())
    bad = DataCheck("d", "contradicted", "rows say USD 1 billion", 1.05e7, 1e9)
    good = DataCheck("d", "consistent", "rows say USD 11 million", 1.05e7, 1.1e7)
    assert grade(sc, [], 1, bad).credibility == 5
    assert grade(sc, [], 1, good).credibility == 1
    assert "consistent with the store's data" in grade(sc, [], 1, good).credibility_reasons[0]


def test_scales() -> None:
    assert CREDIBILITY_WORDS[1] == "confirmed" and CREDIBILITY_WORDS[6] == "cannot be judged"


def test_a_known_publishers_own_figure_is_possibly_true() -> None:
    # the FT's own article credits no one: its figure rests on the FT alone (3), while the
    # same sentence in a document with no publisher cannot be judged (6)
    item = {"id": "o", "text": "EUR 800 million reached Ukraine.", "amount": 8e8, "credit": []}
    own = check_claims([batch("o", [item], publisher="Financial Times")]).claim("o")
    assert (own.reliability, own.credibility) == ("B", 3)
    assert "credits no source" in own.grade.credibility_reasons[0]
    anon = check_claims([batch("a", [dict(item, id="a")])]).claim("a")
    assert (anon.reliability, anon.credibility) == ("F", 6)
