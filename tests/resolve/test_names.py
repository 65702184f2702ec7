"""Name analysis: transliteration, skeletons, the region's legal forms, token weights."""

from __future__ import annotations

import pytest

from transship.resolve.names import WEIGHT_PLACE, analyse
from transship.resolve.spelling import skeleton


@pytest.mark.parametrize(
    "spellings",
    [
        ["Krušik", "Krusik", "Крушик", "KRUSIK"],
        ["Yugoimport", "Jugoimport", "Југоимпорт"],
        ["Zhukov", "Žukov", "Жуков", "Zukov"],
        ["Sergei", "Sergey", "Sergej", "Сергей"],
        ["Čačak", "Cacak", "Чачак", "Chachak"],
        ["Užice", "Uzice", "Ужице", "Uzhitse"],
        ["Tsvetan", "Cvetan", "Цветан"],
        ["Shchukin", "Щукин", "Ščukin"],
        ["Abdullah", "Abdulah"],
        ["Viktor", "Victor"],
        ["Husiev", "Husyev", "Гусєв"],
        # ё: BGN/PCGN and rigour write yo, the passport (ICAO 9303) and ISO 9 e / ë
        ["Artyom", "Artiom", "Artem", "Artëm", "Артём", "Артем"],
        ["Solovyov", "Solov'ev", "Solovev", "Solovʹëv", "Соловьёв"],
        ["Fyodor", "Fedor", "Fëdor", "Фёдор", "Федор"],
    ],
)
def test_romanisations_share_one_skeleton(spellings: list[str]) -> None:
    keys = {analyse(s, "PER").skeletons for s in spellings}
    assert len(keys) == 1, keys


def test_numbers_keep_their_digits() -> None:
    assert skeleton("12") == "12"
    assert analyse("Zavod 9", "ORG").tokens == ("zavod", "9")


@pytest.mark.parametrize(
    ("name", "tokens", "legal"),
    [
        ("Krušik a.d. Valjevo", ("krusik", "valjevo"), ("JSC",)),
        ("KRUSIK AD VALJEVO", ("krusik", "valjevo"), ("JSC",)),
        ("Sloboda Trgovina d.o.o.", ("sloboda", "trgovina"), ("LLC",)),
        ("Yugoimport SDPR J.P.", ("yugoimport", "sdpr"), ("STATE",)),
        ("ОАО «Ижмаш»", ("izhmash",), ("JSC",)),
        ("Izhmash OJSC", ("izhmash",), ("JSC",)),
        ("PAO Rostelekom", ("rostelekom",), ("JSC",)),
        ("ООО Ромашка", ("romashka",), ("LLC",)),
        ("ZAO Beltechexport", ("beltechexport",), ("JSC",)),
        ("Excalibur Army s.r.o.", ("excalibur", "army"), ("LLC",)),
        ("Explosia a.s.", ("explosia",), ("JSC",)),
        ("Polska Grupa Zbrojeniowa Sp. z o.o.", ("polska", "grupa", "zbrojeniowa"), ("LLC",)),
        ("Emco EOOD", ("emco",), ("LLC",)),
        ("Arsenal AD", ("arsenal",), ("JSC",)),
        ("Rheinmetall GmbH", ("rheinmetall",), ("LLC",)),
        ("Zala Aero JSC", ("zala", "aero"), ("JSC",)),
        ("Zala Aero LLC", ("zala", "aero"), ("LLC",)),
        ("Открытое акционерное общество Ижмаш", ("izhmash",), ("JSC",)),
    ],
)
def test_legal_forms_of_the_region_leave_the_name(
    name: str, tokens: tuple[str, ...], legal: tuple[str, ...]
) -> None:
    form = analyse(name, "ORG")
    assert form.tokens == tokens
    assert form.legal == legal


def test_ambiguous_forms_stay_words_in_the_middle_of_a_name() -> None:
    # "Ko Ad Tae": "ad" is no legal form here (not at an edge, no dots, no place after it)
    assert analyse("Ko Ad Tae", "ORG").tokens == ("ko", "ad", "tae")
    assert analyse("Ko Ad Tae", "ORG").legal == ()


def test_persons_keep_every_token() -> None:
    assert analyse("Ao Ad", "PER").tokens == ("ao", "ad")
    assert analyse("AO", "ORG").tokens == ("ao",)  # a name that is only a form keeps it


def test_places_and_generic_words_weigh_less() -> None:
    form = analyse("Krušik Valjevo Zavod", "ORG")
    weights = dict(zip(form.tokens, form.weights, strict=True))
    assert weights["krusik"] == 1.0
    assert weights["valjevo"] == WEIGHT_PLACE
    assert weights["zavod"] < 0.5


def test_cyrillic_words_read_by_the_letter_table_as_rigour_reads_them() -> None:
    """Words of Russian letters take a table built from rigour's own letters; rigour reads
    them the same (and the words the table leaves to rigour stay rigour's)."""
    import json
    from pathlib import Path

    from transship.resolve.names import _name_tokens, _word_tokens

    rows = json.loads(Path(__file__).with_name("romanisations.json").read_text("utf-8"))
    words = {w for r in rows for w in r["Cyrillic"].split()}
    words |= set("Крушик ЩЕРБАКОВ Подъячев Ёлка Дмитрий Красный Ђорђе Цјица Ігорьович".split())
    for w in sorted(words):
        assert _word_tokens(w) == tuple(_name_tokens(w)), w
