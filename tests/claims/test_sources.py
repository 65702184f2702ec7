"""The source registry: shipped rows are complete, names match longest alias first, a user
file extends and overrides it, and bad rows are named by line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from transship.claims.sources import (
    RELIABILITY,
    TYPES,
    default_registry,
    fold,
    load_registry,
)
from transship.exc import SourceFormatError


def test_shipped_rows_are_complete() -> None:
    reg = default_registry()
    assert len(reg.sources) >= 80
    for src in reg.sources.values():
        assert src.reliability in RELIABILITY, src.id
        assert (
            src.reliability_reason and src.reliability_reason != "no reason given in the registry"
        ), src.id
        assert src.type in TYPES, src.id
        assert src.exists in ("yes", "unverified", "no"), src.id


def test_what_each_source_can_assert() -> None:
    reg = default_registry()
    atdb = reg.get("sipri-atdb")
    # TIV, never euros; small arms and artillery ammunition outside its scope
    assert "TIV" in atdb.units and "EUR" not in atdb.units and "USD" not in atdb.units
    assert {"small_arms", "ammunition"} <= atdb.excludes
    svr = reg.get("svr")
    assert svr.type == "intelligence_service" and svr.party_to == "ru-ua"
    assert svr.reliability in ("D", "E")
    rzs = reg.get("rzs")
    assert rzs.type == "statistics_office" and rzs.country == "rs" and "RSD" in rzs.units
    assert reg.get("au-atmr").exists == "no"
    assert reg.get("un-panel-ukraine").exists == "no"
    # one family for a state's organs and media: not independent of each other
    assert {reg.get(i).independence_key for i in ("svr", "sputnik", "tass", "kremlin")} == {
        "state:ru"
    }
    assert "FK-3" in reg.get("casic").makes and "FK-3" not in reg.get("elbit").makes
    # the crowd counter publishes protest counts (a unit is not a topic)
    assert "protest" in reg.get("arhiv-skupova").publishes


def test_find_longest_alias_first_in_order_written() -> None:
    reg = default_registry()
    found = reg.find("Russian Foreign Intelligence Service (SVR), May 29, 2025, Sputnik")
    assert [m.source.id for m in found] == ["svr", "sputnik"]
    assert reg.match("SIPRI Arms Transfers Database, March 2024").id == "sipri-atdb"
    assert reg.match("according to SIPRI data").id == "sipri"
    assert reg.match("the Serbian Statistical Office").id == "rzs"
    assert reg.match("Aleksandar Vučić").id == reg.match("Aleksandar Vucic").id == "vucic"
    assert reg.match("Републички завод за статистику").id == "rzs"


def test_names_in_the_regions_languages_with_case_endings() -> None:
    reg = default_registry()
    assert reg.match("Prema pisanju Fajnenšel tajmsa").id == "ft"  # Serbian genitive
    assert reg.match("по данным Службы внешней разведки России").id == "svr"
    assert reg.match("Светска банка").id == "world-bank"
    assert reg.match("за даними Центру Разумкова").id == "razumkov"
    assert reg.match("Агенција Бета").id == "beta"
    # an ending is at most three letters, and never on a short alias
    assert reg.match("FTSE index").registered is False


def test_unknown_name_is_unregistered_f() -> None:
    src = default_registry().match("Institute of Imaginary Figures")
    assert src.reliability == "F" and not src.registered
    assert "cannot be judged" in src.reliability_reason


def test_fold() -> None:
    assert fold("Vučić’s  SIPRI-data") == "vucic s sipri data"


def test_user_file_extends_and_overrides(tmp_path: Path) -> None:
    extra = tmp_path / "mine.csv"
    extra.write_text(
        "id,name,aliases,type,country,reliability,reliability_reason,publishes,units\n"
        "# a comment line\n"
        "ft,Financial Times,FT;Financial Times,outlet,gb,A,our own track record of the FT,any,any\n"
        "my-desk,Our Desk,Desk notes,government,,C,internal notes,policy,any\n",
        encoding="utf-8",
    )
    reg = load_registry(extra)
    assert reg.get("ft").reliability == "A"
    assert reg.get("ft").origin == str(extra)
    assert reg.match("Desk notes, 2025").id == "my-desk"
    assert str(extra) in reg.files and len(reg.sources) == len(default_registry().sources) + 1


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("id,name,type,reliability\nx,X,outlet,Z\n", "reliability 'Z'"),
        ("id,name,type,reliability\nx,X,blog,B\n", "type 'blog'"),
        ("id,name,type\nx,X,outlet\n", "missing column"),
        ("id,name,type,reliability,colour\nx,X,outlet,B,red\n", "unknown column"),
        ("id,name,type,reliability\nx,X,outlet,B\nx,Y,outlet,C\n", "twice"),
    ],
)
def test_bad_user_file(tmp_path: Path, body: str, needle: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(body, encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        load_registry(bad)
    assert needle in err.value.message
    assert str(bad) in err.value.message


def test_missing_user_file(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError):
        load_registry(tmp_path / "nope.csv")


def test_setting_names_files_before_the_command_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``TRANSSHIP_SOURCES`` files come after the shipped rows and before ``--sources``."""
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(
        "id,name,type,reliability,reliability_reason\n"
        "desk,Our Desk,government,C,from the setting\n",
        encoding="utf-8",
    )
    second.write_text(
        "id,name,type,reliability,reliability_reason\n"
        "desk,Our Desk,government,B,from the command line\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("TRANSSHIP_SOURCES", f"{first}:")
    assert load_registry().get("desk").reliability == "C"
    reg = load_registry(second)
    assert reg.get("desk").reliability == "B"
    assert reg.files == ["transship/data/sources.csv", str(first), str(second)]
    monkeypatch.delenv("TRANSSHIP_SOURCES")
    assert "desk" not in load_registry().sources
