"""Screening lists: the real FtM fixtures, datasets in the store, and bad lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from transship.exc import NotFound, SourceFormatError
from transship.ingest.pipeline import ingest_file
from transship.resolve.lists import load_lists, read_ftm_file, read_store_dataset
from transship.store import Store

ZALA = "opensanctions-ftm-fixtures/zala_entities.ftm.jsonl"


def test_reads_the_zala_cluster(shared_data: Path) -> None:
    lst = read_ftm_file(shared_data / ZALA)
    by_id = {p.id: p for p in lst.parties}
    kalashnikov = by_id["NK-nR5AXM9AVPq4pQaSPSaVam"]
    assert kalashnikov.schema == "Company"
    assert "Kalashnikov Concern" in kalashnikov.names
    assert kalashnikov.identifiers["inn"] == frozenset({"1832090230"})
    assert "ru" in kalashnikov.countries
    path, line = kalashnikov.origin.rsplit(":", 1)
    assert path == str(shared_data / ZALA) and int(line) > 0
    # ownership edges and sanctions come along (they explain listings and ownership)
    assert any(e.schema == "Ownership" and e.percentage is not None for e in lst.edges)
    assert lst.sanctions
    assert {p.schema for p in lst.parties} <= {"Company", "Person", "Organization"}


def _write(tmp_path: Path, lines: list[object]) -> Path:
    path = tmp_path / "list.ftm.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    return path


GOOD = {"id": "a", "schema": "Company", "properties": {"name": ["Krušik AD"]}}


@pytest.mark.parametrize(
    ("bad", "column", "reason"),
    [
        ('{"id": "b", "schema": "Company", ', None, "not valid JSON"),
        (
            {"id": "b", "schema": "Compani", "properties": {"name": ["X"]}},
            "schema",
            "unknown FtM schema",
        ),
        ({"schema": "Company", "properties": {"name": ["X"]}}, "id", "no id"),
        (
            {"id": "b", "schema": "Company", "properties": {"country": ["rs"]}},
            "name",
            "without any name",
        ),
    ],
)
def test_a_bad_line_fails_the_list_naming_file_line_and_field(
    tmp_path: Path, bad: object, column: str | None, reason: str
) -> None:
    path = _write(tmp_path, [GOOD, bad])
    with pytest.raises(SourceFormatError) as err:
        read_ftm_file(path)
    assert err.value.line == 2
    assert err.value.column == column
    assert reason in err.value.reason
    assert str(path) in err.value.message


def test_unknown_properties_only_lose_their_value(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [{"id": "a", "schema": "Company", "properties": {"name": ["X"], "favouriteColour": ["b"]}}],
    )
    lst = read_ftm_file(path)
    assert lst.dropped_values == 1
    assert lst.parties[0].names == ("X",)


def test_a_list_without_parties_is_an_error(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [{"id": "o", "schema": "Ownership", "properties": {"owner": ["a"], "asset": ["b"]}}],
    )
    with pytest.raises(SourceFormatError, match="no parties"):
        read_ftm_file(path)


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        load_lists([str(tmp_path / "nope.ftm.jsonl")])


def test_datasets_in_the_store_are_lists(shared_data: Path, store: Store) -> None:
    ingest_file(store, shared_data / ZALA, format="ftm", dataset="zala")
    lst = read_store_dataset(store, "zala")
    from_file = read_ftm_file(shared_data / ZALA)
    assert {p.id for p in lst.parties} == {p.id for p in from_file.parties}
    kalashnikov = next(p for p in lst.parties if p.id == "NK-nR5AXM9AVPq4pQaSPSaVam")
    assert kalashnikov.identifiers["ogrn"] == frozenset({"1111832003018"})
    assert len(lst.edges) == len(from_file.edges)
    with pytest.raises(NotFound, match="zala"):
        read_store_dataset(store, "no_such_dataset")
