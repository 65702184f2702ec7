"""The capitalised-name finder of :mod:`transship.claims.entities` on the region's scripts.

Its capital class once spelled Latin Extended-A as the range ``Ā-Ž``, which holds the
lower-case letters between the capitals (ā, ć, š, ž), and nothing kept a name from starting
inside a word: "trećih" gave the party "ćih", "godišnje" gave "šnje", and "Krušik šalje"
ran on into the next word."""

from __future__ import annotations

import pytest

from transship.claims.entities import find_parties

SERBIAN = (
    "Krušik iz Valjeva i fabrika u Šapcu izvezli su municiju preko trećih zemalja, "
    "godišnje oko 5 miliona evra, a Ђуро Ђаковић šalje granate."
)


def test_no_party_starts_inside_a_word() -> None:
    names = [m.ref.text for m in find_parties(SERBIAN)]
    for word in SERBIAN.split():
        if word[0].islower():
            # no name is a piece of a lower-case word ("ćih", "šnje", "šalje")
            assert not [n for n in names if n in word], (word, names)
    assert names == ["Krušik", "Valjeva", "Šapcu", "Ђуро Ђаковић"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Krušik šalje granate.", "Krušik"),  # the name stops before a lower-case š-word
        ("Ugovor potpisuje Šabac Trade.", "Šabac Trade"),
        ("Ugovor potpisuje Čačak Promet d.o.o.", "Čačak Promet"),
        ("Isporuku je dogovorio Đorđe Žarković.", "Đorđe Žarković"),
        ("Снаряды поставлял Укроборонпром.", "Укроборонпром"),
        ("Гранате је продао Ћирић из Јумка.", "Ћирић"),
        ("Патроны выпускал Ґрунт.", "Ґрунт"),
    ],
)
def test_capitals_of_serbian_and_cyrillic_names_are_found(text: str, name: str) -> None:
    assert name in [m.ref.text for m in find_parties(text)]


def _parties_outside_products_dates_and_places(text: str) -> list[str]:
    from transship.claims.dates import find_dates
    from transship.claims.entities import find_products, find_territories

    taken = [(d.start, d.end) for d in find_dates(text)]
    taken += [(m.start, m.end) for m in find_territories(text) + find_products(text)]
    return [m.ref.text for m in find_parties(text, 0, None, taken)]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # a product or a date ends the name: the part before it is the party
        (
            "a $335 million deal with Israel’s Elbit Systems for PULS rocket artillery",
            ["Elbit Systems"],
        ),
        ("Kremlin spokesperson Dmitry Peskov’s February 25, 2025, acceptance", ["Dmitry Peskov"]),
        # the part after a territory, as before
        ("Bulgaria’s VMZ Sopot handles Serbian rockets", ["VMZ Sopot"]),
        # a territory, or what follows "of", belongs to the name: no piece of it is a party
        ("following the Novi Sad railway collapse", []),
        ("the National Bank of Serbia said", []),
    ],
)
def test_a_name_cut_by_a_product_date_or_territory(text: str, names: list[str]) -> None:
    assert _parties_outside_products_dates_and_places(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "hundreds of thousands of MLRS and howitzer shells",
        "сотни тысяч снарядов для РСЗО",
        "снаряди для РСЗВ",
    ],
)
def test_the_class_of_rocket_launcher_is_a_product(text: str) -> None:
    from transship.claims.entities import find_products

    assert "multiple rocket launchers" in [m.ref.id for m in find_products(text)]
