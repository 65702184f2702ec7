"""Token alignment: the known weak spots of logic-v2, hard negatives, explanations."""

from __future__ import annotations

import pytest

from transship.resolve.compare import compare_names, token_similarity
from transship.resolve.names import analyse


def score(a: str, b: str, kind: str = "ORG") -> float:
    return compare_names(analyse(a, kind), analyse(b, kind)).score  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # logic-v2 scores these 0.65 and 0.68 (below its 0.70): issue 13
        ("Yugoimport SDPR J.P.", "JUGOIMPORT-SDPR"),
        ("Krusik a.d. Valjevo", "Krušik AD"),
        ("Izhmash OJSC", "ОАО «Ижмаш»"),
        ("Крушик", "Krusik"),
        ("Prvi Partizan AD Užice", "Prvi Partizan"),
        ("Слобода а.д. Чачак", "SLOBODA AD CACAK"),
        ("Trayal Korporacija", "Trayal Corporation"),
    ],
)
def test_same_firm_in_other_spellings_matches(a: str, b: str) -> None:
    assert score(a, b) >= 0.7


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Sloboda Čačak", "Sloboda Trgovina"),
        ("Zastava Oružje", "Zastava Automobili"),
        ("Polska Grupa Zbrojeniowa", "Polska Grupa Energetyczna"),
        ("Tulskiy Oruzheinyi Zavod", "Tulskiy Patronnyi Zavod"),
        ("Rosoboronexport", "Rosoboronservis"),
        ("Zavod 9", "Zavod 12"),
    ],
)
def test_different_firms_sharing_words_do_not(a: str, b: str) -> None:
    assert score(a, b) < 0.7


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("VLADIMIR PUTIN", "PUTIN, Vladimir Vladimirovich", "PER"),
        ("Сергей Жуков", "Sergej Žukov", "PER"),
        ("J. Smith", "John Smith", "PER"),
        ("ABDULRAHMAN ALI", "ABDUL RAHMAN ALI", "PER"),
        ("AREFULLAHA REF GHAZI MOHAMMAD", "AREFULLAH AREF GHAZI MOHAMMAD", "PER"),
        ("ESTÊVÃO NA EMNA", "ESTÊVÃO NA MENA", "PER"),
        # ё in the Russian passport's romanisation (ICAO 9303: e) against BGN/PCGN (yo)
        ("Артём Жуков", "Artem Zhukov", "PER"),
        ("Фёдор Соловьёв", "Fedor Solovev", "PER"),
        ("Fyodor Solovyov", "Fedor Solov'ev", "PER"),
        ("Воробьёва Юлия Вячеславовна", "Vorobeva Iuliia Viacheslavovna", "PER"),
    ],
)
def test_person_variants_match(a: str, b: str, kind: str) -> None:
    assert score(a, b, kind) >= 0.7


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Aleksandar Vučić", "Andrej Vučić"),
        ("Bratislav Gašić", "Bratislav Gajić"),
        ("GEORGE BUSH", "HASWANI, George"),
        ("KIM YONG CHOL", "KIM SONG CHOL"),
    ],
)
def test_other_people_do_not(a: str, b: str) -> None:
    assert score(a, b, "PER") < 0.7


def test_word_order_does_not_matter() -> None:
    assert score("Concern Kalashnikov", "Kalashnikov Concern") == 1.0


def test_the_alignment_explains_the_score() -> None:
    result = compare_names(analyse("Krusik a.d. Valjevo", "ORG"), analyse("Krušik AD", "ORG"))
    steps = {p.how for p in result.pairs}
    assert steps == {"literal", "extra"}
    assert "valjevo (only in query" in result.detail
    # the score is the weighted share the alignment explains
    num = sum(p.score * p.weight for p in result.pairs if p.how != "extra")
    den = sum(p.weight for p in result.pairs)
    assert result.score == pytest.approx(num / den)


def test_token_similarity_kinds() -> None:
    assert token_similarity("krusik", "crusic", "krusik", "crusic") == (1.0, "literal")
    assert token_similarity("krushik", "crusic", "krusik", "crusic")[1] == "translit"
    assert token_similarity("j", "i", "john", "iohn")[1] == "initial"
    assert token_similarity("zavod", "zavod", "plant", "plant")[1] == "synonym"
    sim, how = token_similarity("abdurakhmanov", "abdurahmanov", "abdurahmanof", "abdurahmanof")
    assert how == "typo" and 0.5 < sim < 0.95
    assert token_similarity("9", "9", "12", "12")[0] == 0.0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # relatives named after the same father or family: another given name in front
        ("SADDAM HUSSEIN AL-TIKRITI", "RAGHAD SADDAM HUSSEIN AL-TIKRITI"),
        ("BARZAN IBRAHIM HASSAN AL-TIKRITI", "ALI BARZAN IBRAHIM HASAN AL-TIKRITI"),
        ("JALALUDDIN HAQQANI", "SIRAJUDDIN JALLALOUDINE HAQQANI"),
        ("TARAK BEN TAHER BEN FALEH OUNI HARZI", "ALI BEN TAHER BEN FALEH OUNI HARZI"),
        # the token written twice pairs in its own place, so the chain keeps its order
        ("IBRAHIM SABAWI IBRAHIM HASAN AL-TIKRITI", "SAB'AWI IBRAHIM HASSAN AL-TIKRITI"),
        # letters that only differ in length across a boundary are not a moved boundary
        ("UDAY SADDDAM HUSSEIN AL-TIKRITI", "QUSAY SADDAM HUSSEIN AL-TIKRITI"),
    ],
)
def test_relatives_sharing_a_name_chain_do_not_match(a: str, b: str) -> None:
    assert score(a, b, "PER") < 0.7
    assert score(b, a, "PER") < 0.7


def test_another_given_name_in_front_is_explained() -> None:
    result = compare_names(
        analyse("SADDAM HUSSEIN AL-TIKRITI", "PER"),
        analyse("RAGHAD SADDAM HUSSEIN AL-TIKRITI", "PER"),
    )
    assert "another given name in front (raghad, list)" in result.detail


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("SABAWI IBRAHIM HASAN AL-TIKRITI, SA'D", "SA'D SABAWI IBRAHIM HASAN AL-TIKRITI"),
        ("PUTIN, Vladimir Vladimirovich", "Vladimir Putin"),
        ("Zhukov Sergei", "Sergei Zhukov"),
        # a transposition across a digraph (skeletons lacahl / lahal) and in short tokens
        ("MOHAMED LAKAHL", "MOHAMED LAKHAL"),
        ("ABDUL RAUF KAHDEM", "ABDUL RAUF KHADEM"),
        ("KIM SKO CHOL", "KIM SOK CHOL"),
        ("ADB-AL-HAMID AL-MASLI", "ABD-AL-HAMID AL-MASLI"),
    ],
)
def test_same_person_in_other_orders_and_slips_matches(a: str, b: str) -> None:
    assert score(a, b, "PER") >= 0.7


def test_family_comma_given_is_put_in_its_own_order() -> None:
    assert analyse("PUTIN, Vladimir Vladimirovich", "PER").tokens == (
        "vladimir",
        "vladimirovich",
        "putin",
    )
    # only persons: a firm's comma is not a name order
    assert analyse("Krusik, a.d.", "ORG").tokens == ("krusik",)


def test_russian_names_in_six_romanisations() -> None:
    """200 Russian names (tests/resolve/romanisations.py) in Cyrillic and six systems: the
    share of each pair of writings that scores 0.70 or more, beside rapidfuzz's token-sort
    ratio at 70 (which cannot read Cyrillic at all). Figures in docs/resolve.md."""
    import itertools
    import json
    from pathlib import Path

    from rapidfuzz import fuzz, utils

    rows = json.loads(Path(__file__).with_name("romanisations.json").read_text("utf-8"))
    systems = list(rows[0])
    ours: dict[tuple[str, str], float] = {}
    base: dict[tuple[str, str], float] = {}
    for a, b in itertools.combinations(systems, 2):
        ours[a, b] = sum(score(r[a], r[b], "PER") >= 0.7 for r in rows) / len(rows)
        base[a, b] = sum(
            fuzz.token_sort_ratio(r[a], r[b], processor=utils.default_process) >= 70 for r in rows
        ) / len(rows)
    for system in ("BGN/PCGN", "passport ICAO 9303", "passport MVD 310", "Wikipedia"):
        assert ours["Cyrillic", system] == 1.0, system
    assert ours["Cyrillic", "scientific"] >= 0.98  # x for х: Xruščëva
    # ISO 9's â and û for я and ю (Vâčeslav, Ûdin) are read as ya, yu (0.815 before)
    assert ours["Cyrillic", "ISO 9"] == 1.0
    for system in ("BGN/PCGN", "passport ICAO 9303", "passport MVD 310", "Wikipedia"):
        assert ours["ISO 9", system] == 1.0, system
    assert base["Cyrillic", "BGN/PCGN"] == 0.0
    latin = [k for k in ours if "Cyrillic" not in k]
    assert sum(ours[k] for k in latin) / len(latin) > sum(base[k] for k in latin) / len(latin) + 0.1


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("Vâčeslav Ûdin", "Вячеслав Юдин", "PER"),
        ("Vâčeslav Ûdin", "Vyacheslav Yudin", "PER"),
        ("Darʹâ Ûdina", "Dar'ya Yudina", "PER"),
        ("Âkov Pâtakov", "Yakov Pyatakov", "PER"),  # â at a word's start: ISO 9
        ("Ûlìâ Timošenko", "Юлія Тимошенко", "PER"),  # Ukrainian ISO 9 (ì for і)
        ("Bolgarskaâ oružejnaâ kompaniâ", "Болгарская оружейная компания", "ORG"),
    ],
)
def test_iso9_iotated_vowels_read_as_other_systems_write_them(a: str, b: str, kind: str) -> None:
    assert score(a, b, kind) >= 0.9


@pytest.mark.parametrize(
    "text",
    ["Nguyễn Văn Lâm", "Lâm Minh", "Câmpeanu Ion", "Kâzım Karabekir", "Château Lâtour"],
)
def test_circumflex_of_other_languages_is_not_read_as_iso9(text: str) -> None:
    from transship.resolve.names import iso9_readings

    assert iso9_readings(text) == text
    assert score(text, text.replace("â", "a").replace("ı", "i"), "PER") >= 0.9
