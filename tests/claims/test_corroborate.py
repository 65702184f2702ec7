"""Corroboration by independent origin: outlets relaying one report are one origin, a relay of
a relay is still that origin, an outlet repeating itself is not corroboration, a reaction to a
report is not a second witness, and a state's organs and media are one family."""

from __future__ import annotations

from typing import Any

from transship.claims.check import ClaimReport, check_claims
from transship.claims.model import Attribution, DocumentText, EntityRef, ExtractedClaim, Quantity


def batch(
    name: str, items: list[dict[str, Any]], publisher: str | None = None, date: str | None = None
) -> tuple[DocumentText, list[ExtractedClaim]]:
    """A document whose text is the claims' sentences, each claim spanning its sentence."""
    text, claims = "", []
    for it in items:
        start = len(text)
        text += it["text"] + " "
        amount = it.get("amount")
        cur = it.get("currency", "EUR")
        q = None
        if amount is not None:
            kind = it.get("kind", "money")
            q = Quantity(
                amount,
                amount,
                amount,
                it.get("unit", cur),
                kind,
                cur if kind == "money" else None,
                it.get("wording", f"{cur} {amount:,.0f}"),
            )
        claims.append(
            ExtractedClaim(
                claim_id=it["id"],
                document_id=f"doc:{name}",
                span=(start, start + len(it["text"])),
                text=it["text"],
                subject=[EntityRef("territory", s, s) for s in it.get("subject", ["rs"])],
                measure=it.get("measure", "exports"),
                quantity=q,
                period=it.get("period", ("2022", "2024")),
                attributed_to=[Attribution(n, d) for n, d in it.get("credit", [])],
                direction=it.get("direction", ("rs", "ua")),
            )
        )
    doc = DocumentText(f"doc:{name}", "0" * 64, name, date, publisher, "en", None, None, text)
    return doc, claims


FT = "Serbian ammunition worth EUR 800 million reached Ukraine through third countries"


def _group_of(report: ClaimReport, claim_id: str) -> dict[str, Any]:
    c = report.claim(claim_id)
    return next(g.to_dict() for g in report.groups if g.id == c.group)


def test_five_outlets_repeating_the_ft_are_one_origin() -> None:
    outlets = ["Kyiv Independent", "Rubryka", "STA", "Novinite", "Euractiv"]
    batches = [
        batch(
            f"d{i}",
            [
                {
                    "id": f"c{i}",
                    "text": FT,
                    "amount": 8e8,
                    "credit": [("Financial Times", "2024-06-22")],
                }
            ],
            publisher=o,
        )
        for i, o in enumerate(outlets)
    ]
    report = check_claims(batches)
    group = _group_of(report, "c0")
    assert sorted(group["members"]) == [f"c{i}" for i in range(5)]
    assert group["independent_origins"] == 1
    assert [o["source"] for o in group["origins"]] == ["ft"]
    # the chain of relay names each outlet after the FT
    relays = {lk["name"] for chain in group["origins"][0]["chains"] for lk in chain[1:]}
    assert {
        "Kyiv Independent",
        "Rubryka",
        "Slovenian Press Agency",
        "Novinite",
        "Euractiv",
    } <= relays
    assert all(report.claim(f"c{i}").origins == 1 for i in range(5))


def test_relay_of_a_relay_is_the_same_origin() -> None:
    # Rubryka cites the Kyiv Independent, which cites the FT: origin FT, two relays
    b = batch(
        "r",
        [
            {
                "id": "r1",
                "text": FT,
                "amount": 8e8,
                "credit": [("Financial Times via Kyiv Independent", "2024-06-22")],
            }
        ],
        publisher="Rubryka",
    )
    a = batch(
        "f",
        [{"id": "f1", "text": FT, "amount": 8e8, "credit": [("Financial Times", "2024-06-22")]}],
        publisher="Reuters",
    )
    report = check_claims([a, b])
    c = report.claim("r1")
    assert c.origin == "ft"
    assert [lk["role"] for lk in c.chain] == ["origin", "relay", "document"]
    assert _group_of(report, "r1")["independent_origins"] == 1


def test_same_outlet_repeating_itself_later_is_not_corroboration() -> None:
    a = batch(
        "a",
        [{"id": "a1", "text": FT, "amount": 8e8, "credit": [("Financial Times", "2024-06-22")]}],
    )
    b = batch(
        "b",
        [{"id": "b1", "text": FT, "amount": 8e8, "credit": [("Financial Times", "2025-06-30")]}],
    )
    report = check_claims([a, b])
    group = _group_of(report, "a1")
    assert group["independent_origins"] == 1
    assert "not corroboration" in group["explanation"]
    assert report.claim("a1").credibility != 1


def test_the_outlets_own_piece_and_its_repeat_a_year_later() -> None:
    # the FT's own articles credit no one: the origin is the FT, dated by its documents
    own = [
        batch(f"o{i}", [{"id": f"o{i}", "text": FT, "amount": 8e8}], "Financial Times", d)
        for i, d in enumerate(("2024-06-22", "2025-06-20"))
    ]
    group = _group_of(check_claims(own), "o0")
    assert group["independent_origins"] == 1
    assert "repeated on 2024-06-22, 2025-06-20, which is not corroboration" in group["explanation"]


def test_two_independent_origins_confirm() -> None:
    a = batch(
        "a",
        [{"id": "a1", "text": FT, "amount": 8e8, "credit": [("Financial Times", "2024-06-22")]}],
    )
    # the same figure in US dollars at the 2024 ECB rate (1.0824): 866 million
    b = batch(
        "b",
        [
            {
                "id": "b1",
                "text": FT,
                "amount": 8.66e8,
                "currency": "USD",
                "credit": [("Reuters", "2024-07-01")],
            }
        ],
    )
    report = check_claims([a, b])
    assert _group_of(report, "a1")["independent_origins"] == 2
    assert report.claim("a1").credibility == 1 and report.claim("b1").credibility == 1
    assert "2 independent origins" in report.claim("a1").grade.credibility_reasons[0]


def test_a_reaction_is_not_a_second_witness() -> None:
    a = batch(
        "a",
        [{"id": "a1", "text": FT, "amount": 8e8, "credit": [("Financial Times", "2024-06-22")]}],
    )
    b = batch(
        "b",
        [
            {
                "id": "b1",
                "text": FT,
                "amount": 8e8,
                "credit": [
                    ("Aleksandar Vucic, responding to the Financial Times report", "2024-06")
                ],
            }
        ],
    )
    report = check_claims([a, b])
    group = _group_of(report, "b1")
    assert group["independent_origins"] == 1
    assert [lk["role"] for lk in report.claim("b1").chain][:2] == ["origin", "reaction"]
    assert "a reaction, not a second witness" in group["explanation"]


def test_a_states_organs_and_media_are_one_family_and_not_independent() -> None:
    text = "Serbian firms delivered about one million rounds to Ukraine"
    items = [("s", "SVR"), ("t", "TASS"), ("k", "Kremlin spokesman")]
    batches = [
        batch(
            n,
            [
                {
                    "id": n,
                    "text": text,
                    "amount": 1e6,
                    "kind": "count",
                    "unit": "rounds",
                    "wording": "one million rounds",
                    "credit": [(who, "2025-05-29")],
                }
            ],
        )
        for n, who in items
    ]
    report = check_claims(batches)
    group = _group_of(report, "s")
    assert len(group["origins"]) == 1 and group["independent_origins"] == 0
    assert "party to the conflict" in group["origins"][0]["why_not_independent"]
    assert report.claim("s").credibility == 4


def test_different_figures_are_different_groups() -> None:
    a = batch("a", [{"id": "a1", "text": FT, "amount": 8e8, "credit": [("Reuters", None)]}])
    b = batch("b", [{"id": "b1", "text": FT, "amount": 9.5e8, "credit": [("Euractiv", None)]}])
    report = check_claims([a, b])
    assert report.claim("a1").group != report.claim("b1").group


def test_same_currency_compared_as_written() -> None:
    # no year on one side: no exchange rate is guessed, EUR 1.2 bn is not EUR 1.34 bn
    a = batch(
        "a",
        [
            {
                "id": "a1",
                "text": FT,
                "amount": 1.34e9,
                "period": ("2023", "2023"),
                "credit": [("Reuters", None)],
            }
        ],
    )
    b = batch(
        "b",
        [{"id": "b1", "text": FT, "amount": 1.2e9, "period": None, "credit": [("Euractiv", None)]}],
    )
    report = check_claims([a, b])
    assert report.claim("a1").group != report.claim("b1").group
