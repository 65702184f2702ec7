"""The FtM reader on OpenSanctions' own fixtures (read in place, never copied) and a hand-made
file with the faults real exports have."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from followthemoney import model
from followthemoney.statement import Statement

from transship.exc import SourceFormatError
from transship.ingest.ftm import FtmReader
from transship.ingest.pipeline import ingest_file
from transship.ingest.registry import read_head, sniff
from transship.store import Store

ZALA = "opensanctions-ftm-fixtures/zala_entities.ftm.jsonl"
T1 = "opensanctions-ftm-fixtures/eu_fsf_t1_entities.ftm.jsonl"
LLC_CST = "NK-abdzbEBkqyT29GyREbiURZ"
KALASHNIKOV = "NK-nR5AXM9AVPq4pQaSPSaVam"
ZAKHAROV = "NK-aU5ybkbRFJucf8YMwsJvDw"


def _lines(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _count(store: Store, sql: str) -> int:
    return int(store.fetchall(sql)[0][0])


def test_sniffs_ftm_lines_and_not_claims(shared_data: Path) -> None:
    assert sniff(shared_data / ZALA) is FtmReader
    path = shared_data / "press-claims/claims.jsonl"
    assert FtmReader.sniff(path, read_head(path)) == 0


def test_zala_entities_by_schema(store: Store, shared_data: Path) -> None:
    result = ingest_file(store, shared_data / ZALA)
    assert (result.format, result.status, result.rows_rejected) == ("ftm", "ok", 0)
    assert _count(store, "SELECT count(*) FROM entities") == 91
    schemas = dict(store.fetchall("SELECT schema, count(*) FROM entities GROUP BY 1"))
    # The counts SOURCE.md gives for this file.
    assert schemas == {
        "Sanction": 41, "Ownership": 14, "Company": 11, "Address": 11,
        "Person": 6, "Family": 4, "Directorship": 3, "Passport": 1,
    }  # fmt: skip
    # Lines are physical lines of the file: entity on line n is the file's n-th entity.
    rows = store.fetchall("SELECT line, id, caption, target FROM entities ORDER BY line")
    source = _lines(shared_data / ZALA)
    assert [r[1] for r in rows] == [d["id"] for d in source]
    assert [r[0] for r in rows] == list(range(1, 92))
    assert [r[2] for r in rows] == [d["caption"] for d in source]
    assert [r[3] for r in rows] == [d["target"] for d in source]


def test_statements_one_per_value_with_ftm_ids(store: Store, shared_data: Path) -> None:
    ingest_file(store, shared_data / ZALA)
    source = _lines(shared_data / ZALA)
    n_values = sum(len(v) for d in source for v in d["properties"].values())
    assert n_values == 1_619
    assert _count(store, "SELECT count(*) FROM statements WHERE prop <> 'id'") == n_values
    # Plus FtM's one `id` statement per entity (it carries the schema of a bare entity).
    assert _count(store, "SELECT count(*) FROM statements WHERE prop = 'id'") == 91
    # Ids, prop types and datasets are exactly what FtM's own Statement.from_entity makes.
    for data in source:
        proxy = model.get_proxy(data)
        expected = {
            (s.id, s.prop, s.prop_type, s.value, s.dataset)
            for s in Statement.from_entity(proxy, dataset=data["datasets"][0])
        }
        got = set(
            store.fetchall(
                "SELECT id, prop, prop_type, value, dataset FROM statements WHERE entity_id = ?",
                [data["id"]],
            )
        )
        assert got == expected, data["id"]
    row = store.fetchall(
        "SELECT first_seen, last_seen, external, canonical_id, line, simulated FROM statements "
        "WHERE entity_id = ? AND prop = 'innCode'",
        ["NK-2Tbri3s6GgNtAwsSXh4qpL"],
    )[0]
    assert row[0].isoformat() == "2023-11-02T16:38:16"
    assert row[1].isoformat() == "2026-04-29T12:53:04"
    assert row[2:] == (False, "NK-2Tbri3s6GgNtAwsSXh4qpL", 1, False)


def test_eu_fsf_multilingual_names_kept(store: Store, shared_data: Path) -> None:
    result = ingest_file(store, shared_data / T1)
    assert result.rows_rejected == 0
    assert _count(store, "SELECT count(*) FROM entities") == 7
    names = store.fetchall(
        "SELECT value FROM statements "
        "WHERE entity_id = 'NK-2GdmHtZTeNXjNVrBGEXZNj' AND prop = 'name'"
    )
    assert len(names) == 12
    assert ("Общество с ограниченной ответственностью “Интер Тобако”",) in names
    assert store.fetchall(
        "SELECT DISTINCT dataset FROM statements WHERE entity_id = 'NK-2GdmHtZTeNXjNVrBGEXZNj'"
    ) == [("eu_fsf",)]


def test_sanctions_ownership_and_party_views(store: Store, shared_data: Path) -> None:
    ingest_file(store, shared_data / ZALA)
    assert _count(store, "SELECT count(*) FROM sanctions") == 41
    by_entity = dict(store.fetchall("SELECT entity_id, count(*) FROM sanctions GROUP BY 1"))
    assert by_entity[LLC_CST] == 28 and by_entity[ZAKHAROV] == 13
    assert _count(store, "SELECT count(*) FROM sanctions WHERE authority IS NULL") == 0
    assert _count(store, "SELECT count(*) FROM sanctions WHERE country IS NULL") == 0
    # Multi-valued authorities keep every value beside the first.
    assert _count(store, "SELECT count(*) FROM sanctions WHERE len(authorities) = 2") == 4

    assert _count(store, "SELECT count(*) FROM ownerships") == 14
    [(pct, start, end, text)] = store.fetchall(
        "SELECT percentage, start_date, end_date, percentage_text FROM ownerships "
        "WHERE owner_id = ? AND asset_id = ? AND percentage IS NOT NULL",
        [KALASHNIKOV, LLC_CST],
    )
    assert (pct, start, end, text) == (49.0, "2016-03-29", None, "49")
    owned = store.fetchall("SELECT count(*) FROM ownerships WHERE owner_id = ?", [ZAKHAROV])
    assert owned == [(10,)]

    parties = store.fetchall("SELECT schema, count(*) FROM parties GROUP BY 1 ORDER BY 1")
    assert parties == [("Company", 11), ("Person", 6)]
    [(name, country, topics, listed, identifiers)] = store.fetchall(
        "SELECT name, country, topics, listed, identifiers FROM parties WHERE id = ?", [LLC_CST]
    )
    assert name == "LLC CST" and country == "ru" and listed
    assert "export.control" in topics
    assert identifiers and all(isinstance(i, str) for i in identifiers)
    # Companies without any topic are context (owned assets), not listed parties.
    assert _count(store, "SELECT count(*) FROM parties WHERE NOT listed") == 3


def test_faults_are_rejected_with_line_and_property(store: Store, fixtures: Path) -> None:
    path = fixtures / "bad_entities.ftm.jsonl"
    result = ingest_file(store, path)
    rejects = store.fetchall('SELECT line, "column", reason FROM rejects ORDER BY line, "column"')
    assert [(r[0], r[1]) for r in rejects] == [
        (2, "schema"),
        (3, "country"),
        (3, "favouriteColour"),
        (4, None),
        (5, "id"),
    ]
    assert "unknown FtM schema 'Compani'" in rejects[0][2]
    assert "Narnia" in rejects[1][2]
    assert result.rows_rejected == 5
    # The entity with one unknown property keeps everything else.
    ids = [r[0] for r in store.fetchall("SELECT id FROM entities ORDER BY line")]
    assert ids == ["ts-test-co-1", "ts-test-co-3", "ts-test-own-1"]
    [(props,)] = store.fetchall("SELECT properties FROM entities WHERE id = 'ts-test-co-3'")
    assert json.loads(props) == {"name": ["Exemplar Trading s.r.o."], "country": ["cz"]}
    # Country names and upper case become rigour codes; the source text stays.
    stmts = store.fetchall(
        "SELECT prop, value, original_value FROM statements WHERE entity_id = 'ts-test-co-1' "
        "AND prop_type = 'country' ORDER BY prop"
    )
    assert stmts == [("country", "rs", "Serbia"), ("jurisdiction", "rs", "RS")]
    # A record that says it is simulated is stored so, and the file is marked.
    assert store.fetchall("SELECT simulated FROM entities WHERE id = 'ts-test-own-1'") == [(True,)]
    assert store.fetchall("SELECT simulated FROM sources") == [(True,)]
    assert store.fetchall(
        "SELECT DISTINCT simulated FROM statements WHERE entity_id = 'ts-test-own-1'"
    ) == [(True,)]


def test_strict_stops_at_first_fault_and_loads_nothing(store: Store, fixtures: Path) -> None:
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, fixtures / "bad_entities.ftm.jsonl", strict=True)
    assert err.value.line == 2 and err.value.column == "schema"
    assert _count(store, "SELECT count(*) FROM entities") == 0
    assert _count(store, "SELECT count(*) FROM statements") == 0


def test_reingest_is_skipped(store: Store, shared_data: Path) -> None:
    first = ingest_file(store, shared_data / ZALA)
    second = ingest_file(store, shared_data / ZALA)
    assert first.status == "ok" and second.status == "skipped"
    assert second.run_id == first.run_id
    assert _count(store, "SELECT count(*) FROM entities") == 91
    assert _count(store, "SELECT count(*) FROM statements") == 1_710


def test_latest_run_wins_in_views(store: Store, shared_data: Path, tmp_path: Path) -> None:
    """A newer release of the same list replaces the older one in the views, not in entities."""
    ingest_file(store, shared_data / ZALA)
    lines = (shared_data / ZALA).read_text(encoding="utf-8").splitlines()
    newer = [json.loads(line) for line in lines if '"schema": "Sanction"' in line][:1]
    newer[0]["properties"]["program"] = ["Renamed programme"]
    path = tmp_path / "newer.ftm.jsonl"
    path.write_text(json.dumps(newer[0]) + "\n", encoding="utf-8")
    ingest_file(store, path)
    assert _count(store, "SELECT count(*) FROM entities") == 92
    assert _count(store, "SELECT count(*) FROM sanctions") == 41
    [(program,)] = store.fetchall("SELECT program FROM sanctions WHERE id = ?", [newer[0]["id"]])
    assert program == "Renamed programme"


def test_counter_of_datasets_in_statements(store: Store, shared_data: Path) -> None:
    """Statement dataset is the entity's first dataset, as OpenSanctions lists them."""
    ingest_file(store, shared_data / ZALA)
    source = _lines(shared_data / ZALA)
    expected = Counter(d["datasets"][0] for d in source)
    got = dict(
        store.fetchall("SELECT dataset, count(*) FROM statements WHERE prop = 'id' GROUP BY 1")
    )
    assert got == dict(expected)
