"""Military List categories and the weapon-systems table."""

from __future__ import annotations

import ast
import csv
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transship.exc import InvalidInput, UnknownCode
from transship.normalise.military import (
    ML_CATEGORIES,
    calibre,
    known_operator,
    ml_categories,
    ml_category,
    ml_description,
    ml_short,
    ml_subcategory,
    weapon_systems,
)
from transship.normalise.territories import from_iso


@pytest.mark.parametrize(
    ("raw", "category", "sub"),
    [
        ("ML 4", "ML4", None),
        ("ml4", "ML4", None),
        ("4", "ML4", None),
        (4, "ML4", None),
        ("ML04", "ML4", None),
        ("ML4a", "ML4", "ML4.a"),
        ("ML 3a", "ML3", "ML3.a"),
        ("ML 1 a.", "ML1", "ML1.a"),
        ("ML6b1", "ML6", "ML6.b.1"),
        ("ML13d1", "ML13", "ML13.d.1"),
        ("ML10.b.1", "ML10", "ML10.b.1"),
        ("ML22", "ML22", None),
        ("Category ML3", "ML3", None),
        ("EU ML 8", "ML8", None),
    ],
)
def test_ml_category(raw: str | int, category: str, sub: str | None) -> None:
    assert ml_category(raw) == category
    assert ml_subcategory(raw) == sub


@pytest.mark.parametrize("bad", ["ML23", "ML0", "0", "PL5001", "Training", "", "ML4 foo", "ML4 1"])
def test_ml_category_rejects(bad: str) -> None:
    with pytest.raises(UnknownCode):
        ml_category(bad)


_ML_TEXT = st.builds(
    lambda prefix, number, space, sub: f"{prefix}{space}{number}{sub}",
    st.sampled_from(["ML", "ml", "Ml", ""]),
    st.integers(1, 22),
    st.sampled_from(["", " "]),
    st.sampled_from(["", "a", "b1", ".c", " d.2", "a.1.b"]),
)


@given(_ML_TEXT)
def test_ml_normalisers_idempotent(text: str) -> None:
    category = ml_category(text)
    assert ml_category(category) == category
    assert category in ML_CATEGORIES
    sub = ml_subcategory(text)
    if sub is not None:
        assert ml_subcategory(sub) == sub
        assert ml_category(sub) == category
        assert sub.startswith(category + ".")


def test_ml_lists() -> None:
    assert ml_categories("ML1; ML3") == ["ML1", "ML3"]
    assert ml_categories("ML 2\nML 3\nML 12") == ["ML2", "ML3", "ML12"]
    assert ml_categories("ML13c; ML13d") == ["ML13"]
    assert ml_categories("") == []


def test_ml_descriptions() -> None:
    assert len(ML_CATEGORIES) == 22
    for category in ML_CATEGORIES:
        assert ml_description(category)
        assert ml_short(category)
    assert ml_short("ML 3") == "ammunition"
    assert "missiles" in ml_description("ML4")


def test_ml_list_agrees_with_caat_ratings(shared_data: Path) -> None:
    path = shared_data / "reference" / "military_list_ratings_caat_uk.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        ratings = {row["rating"] for row in csv.DictReader(handle)}
    assert {r for r in ratings if re.fullmatch(r"ML\d+", r)} == set(ML_CATEGORIES)


def test_every_caat_broker_rating_parses(shared_data: Path) -> None:
    """The ML column of broker.csv, clean rows and the Python-repr rows of 2012-2013.

    UK national ratings (``PL5017``, ``NLR``) are skipped. ``ML134`` and ``ML123`` (2013, lost
    separators), ``MLc`` and "Multiple categories" cannot be read safely and must be refused,
    not guessed (readers keep the text in ``ml_orig``).
    """
    path = shared_data / "caat-eu-arms-exports" / "broker.csv"
    values: list[str] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            # Column 9 holds ratings; in misaligned rows it holds counts ('110'): skip those.
            if len(row) > 8 and not row[0].startswith("[") and "ML" in row[8].upper():
                values.append(row[8])
    text = path.read_text(encoding="utf-8")
    buffer = ""
    for line in text.split("\n"):
        if not (line.startswith("[") or buffer):
            continue
        buffer += line + "\n"
        try:
            record = ast.literal_eval(buffer.strip())
        except SyntaxError:
            continue
        buffer = ""
        values += [v for v in record[5] if v.strip()]
    assert len(values) > 600
    refused = set()
    found = 0
    for value in values:
        try:
            categories = ml_categories(value)
        except UnknownCode as exc:
            refused.add(str(exc.value))
            continue
        found += len(categories)
        assert set(categories) <= set(ML_CATEGORIES)
    assert refused == {"ML134", "ML123", "MLC", "MULTIPLE CATEGORIES", "MLMULTIPLE CATEGORIES"}
    assert ml_category("MLMl1") == "ML1"  # doubled prefix, 2013 Cyprus row
    assert found > 800
    glued = "ML11a; ML14; ML1a; ML2a; ML6aPL5017"
    assert ml_categories(glued) == ["ML11", "ML14", "ML1", "ML2", "ML6"]
    assert ml_categories("ML2, 14, 18, 21, 22") == ["ML2", "ML14", "ML18", "ML21", "ML22"]
    assert ml_categories("ML1a; ML1d; PL5017; ML3a") == ["ML1", "ML3"]


# --- calibres and weapon systems ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("122mm", "122 mm"),
        ("122 mm", "122 mm"),
        (155, "155 mm"),
        ("7,62x39", "7.62x39 mm"),
        ("7.62 x 39 mm", "7.62x39 mm"),
        ("7.62x54R", "7.62x54R"),
        ("7.62 x 54 R", "7.62x54R"),
        ("12.7×108mm", "12.7x108 mm"),
        ("12,7 mm x 108", "12.7x108 mm"),
        (".50 BMG", "12.7x99 mm"),
        ("5.56 NATO", "5.56x45 mm"),
    ],
)
def test_calibre(raw: str | int, expected: str) -> None:
    assert calibre(raw) == expected
    assert calibre(expected) == expected


def test_calibre_rejects() -> None:
    for bad in ("big", "", "x39"):
        with pytest.raises(InvalidInput):
            calibre(bad)


REQUIRED = {
    "122 mm": ["BM-21 Grad", "RM-70", "D-30", "2S1 Gvozdika"],
    "155 mm": ["M777", "CAESAR", "PzH 2000", "Nora B-52", "Zuzana 2", "AHS Krab", "AS-90", "M109"],
    "152 mm": ["D-20", "2S3 Akatsiya", "Dana"],
    "120 mm": ["2B11"],
    "82 mm": ["2B14"],
    "60 mm": ["M224"],
    "7.62x39 mm": ["AK-47"],
    "7.62x54R": ["PKM"],
    "5.56x45 mm": ["M16"],
    "12.7x108 mm": ["DShK"],
    "40 mm": ["M203", "GP-25"],
}


@pytest.mark.parametrize(("cal", "systems"), sorted(REQUIRED.items()))
def test_required_systems_present(cal: str, systems: list[str]) -> None:
    names = " | ".join(w.weapon_system for w in weapon_systems(cal))
    for system in systems:
        assert system in names, (cal, system)


def test_weapon_table_rows_are_valid() -> None:
    rows = weapon_systems()
    assert len(rows) > 60
    for row in rows:
        assert calibre(row.calibre) == row.calibre, row
        assert row.ammunition and row.weapon_system and row.operators, row
        for code in row.operators:
            assert from_iso(code).code == code and from_iso(code).is_country, (row, code)
        assert len(set(row.operators)) == len(row.operators), row
    assert any(r.assumption for r in rows)


def test_known_operator() -> None:
    # Kenya operates Nora B-52 (155 mm) but no known 152 mm system: a flag for later stages.
    assert [w.weapon_system for w in known_operator("ke", "155mm")] == ["Nora B-52"]
    assert known_operator("ke", "152 mm") == ()
    assert known_operator("rs", "122 mm", "howitzer")
    assert not known_operator("rs", "122 mm", "rocket")
    assert known_operator("UA", "155 mm")
