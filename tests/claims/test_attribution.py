"""Who the text credits, with that source's date, and which figure each credit covers."""

from __future__ import annotations

import pytest

from transship.claims.attribution import find_credits, parse_sources_cell


def credited(text: str, ref: str | None = None) -> list[list[tuple[str, str | None, str]]]:
    return [[(a.name, a.date, a.role) for a in c.names] for c in find_credits(text, ref)]


@pytest.mark.parametrize(
    ("text", "name", "date"),
    [
        (
            "Exports reached €1.34 billion, according to the SIPRI database, updated March 2024.",
            "SIPRI",
            "2024-03",
        ),
        (
            "A June 22, 2024, report by the Financial Times estimated exports at €800 million.",
            "Financial Times",
            "2024-06-22",
        ),
        ("Costs averaged €6.50 per hour in 2024, per Eurostat.", "Eurostat", None),
        (
            "The figures were confirmed, as reported by Euractiv on April 11, 2024.",
            "Euractiv",
            "2024-04-11",
        ),
        ("54% of Serbs oppose arms exports (Demostat, 2024).", "Demostat", "2024"),
        ("A 2024 Demostat poll indicated 62% of Serbs oppose sanctions.", "Demostat", "2024"),
        (
            "80% of gas came from Russia, according to Gazprom’s Annual Report for 2023.",
            "Gazprom",
            "2023",
        ),
        ("Izvoz je iznosio 1,6 milijardi evra, kako prenosi Tanjug.", "Tanjug", None),
        ("Према подацима Министарства трговине, извоз је растао.", "Министарства трговине", None),
        (
            "По данным Службы внешней разведки России, поставки шли через Чехию.",
            "Службы внешней разведки России",
            None,
        ),
        ("Згідно з оцінками Центру Разумкова, постачання зросли на 15%.", "Центру Разумкова", None),
        ("Według Financial Times serbska amunicja trafiła na Ukrainę.", "Financial Times", None),
        ("Износът е достигнал 1,7 млрд евро, съобщава Euractiv.", "Euractiv", None),
    ],
)
def test_cues_in_each_language(text: str, name: str, date: str | None) -> None:
    found = credited(text)
    assert found and found[0][0][:2] == (name, date), found


def test_relay_chains_name_the_origin_first() -> None:
    text = "Russia lost 65 artillery systems, per Oryx data cited by the Institute for the Study of War."
    assert credited(text) == [
        [("Oryx", None, "origin"), ("Institute for the Study of War", None, "relay")]
    ]
    svr = "According to a May 29, 2025, statement from Russia’s Foreign Intelligence Service (SVR), published via Sputnik, firms delivered shells."
    assert credited(svr) == [
        [
            ("Russia’s Foreign Intelligence Service (SVR)", "2025-05-29", "origin"),
            ("Sputnik", None, "relay"),
        ]
    ]


def test_an_acronym_or_an_amount_in_brackets_is_not_a_credit() -> None:
    assert credited("Russia’s Foreign Intelligence Service (SVR) alleges it.")[0][0][0] != "SVR"
    assert credited("contracts worth USD 865 million in 2017 (USD 698 million in 2016)") == []


def test_sources_cell() -> None:
    cell = "Financial Times, June 22, 2024; SIPRI Arms Transfers Database, March 2024; Oryx Data cited by Institute for the Study of War, 2024"
    got = [(a.name, a.date, a.role) for a in parse_sources_cell(cell, offset=100)]
    assert got == [
        ("Financial Times", "2024-06-22", "credited"),
        ("SIPRI Arms Transfers Database", "2024-03", "credited"),
        ("Oryx Data", "2024", "origin"),
        ("Institute for the Study of War", "2024", "relay"),
    ]
    first = parse_sources_cell(cell, offset=100)[0]
    assert (
        first.span is not None
        and cell[first.span[0] - 100 : first.span[1] - 100] == "Financial Times"
    )


def test_spans_are_document_offsets() -> None:
    text = "Exports were €5 million, per Eurostat."
    credit = find_credits(text, None, offset=1000)[0]
    span = credit.names[0].span
    assert span is not None and text[span[0] - 1000 : span[1] - 1000] == "Eurostat"


def test_a_speech_verb_that_is_a_plural_noun_is_not_a_credit() -> None:
    # the seed report: "... with recent involvement of unspecified African states, using ..."
    text = (
        "The SVR alleges that shipments go through Czechia, with recent involvement of "
        "unspecified African states, using falsified end-user certificates."
    )
    assert [n for c in credited(text) for n, _, _ in c] == ["SVR"]
    assert credited("Gulf states and others bought 5 tonnes.") == []
    # the verb is still a verb before "that"
    assert credited("The Ministry states that exports rose.") == [[("Ministry", None, "credited")]]


def test_a_speech_credit_then_a_relay_is_one_chain() -> None:
    # a relay of a relay: Novinite writing "the FT reported, as cited by Kyiv Independent"
    text = "EUR 800 million reached Ukraine, the Financial Times reported, as cited by Kyiv Independent."
    assert credited(text) == [
        [("Financial Times", None, "origin"), ("Kyiv Independent", None, "relay")]
    ]
