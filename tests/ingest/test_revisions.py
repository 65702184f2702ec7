"""Revised releases: natural keys, duplicates within a file, later files superseding earlier ones.

Real files (SIPRI register, UN Comtrade) and copies with one value changed, as a re-download of
a revised release would be.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from transship.api import ingest
from transship.cli.app import app
from transship.exc import SourceFormatError
from transship.ingest.pipeline import ingest_file
from transship.ingest.registry import readers
from transship.store import Store, connect

runner = CliRunner()

REGISTER = "sipri-trade-register/trade_register_1995_2025.csv"
#: The register's first data row (line 13): deal 55238, 12 PM-43 mortars Albania -> Burkina Faso.
REGISTER_ROW = (
    b"55238,Albania,Burkina Faso,PM-43 120mm,mortar,Artillery,2011,Yes,12,No,2011,No,"
    b"Second hand,0.25,0.1,1.2,No;"
)
OIL_2014 = "comtrade-hs2-oil-wood-sample/comtrade_oil_hs27_2014.csv"
BACI_KEY_SCHEMA = pa.schema(
    [("t", pa.int16()), ("i", pa.int32()), ("j", pa.int32()), ("k", pa.int32())]
)


def _revised(src: Path, dest: Path, old: bytes, new: bytes) -> Path:
    data = src.read_bytes()
    assert data.count(old) == 1
    dest.write_bytes(data.replace(old, new))
    return dest


def _one(store: Store, sql: str, params: list[object] | None = None) -> object:
    [(value,)] = store.fetchall(sql, params)
    return value


def test_every_reader_declares_a_natural_key_or_revision_unit() -> None:
    for name, cls in readers().items():
        assert cls.natural_key or cls.revision_unit, name
        for table, cols in {**cls.natural_key, **cls.revision_unit}.items():
            assert all(isinstance(c, str) for c in cols), (name, table)


def test_revised_sipri_register_supersedes(shared_data: Path, tmp_path: Path) -> None:
    """A republished register with one changed figure: the same row count, the new value in
    the table, both versions in statements_all with their files and lines, runs says so."""
    src = shared_data / REGISTER
    new = _revised(
        src,
        tmp_path / "register_2026.csv",
        REGISTER_ROW,
        REGISTER_ROW.replace(b",1.2,No;", b",1.3,No;"),
    )
    db = tmp_path / "s.duckdb"
    with connect(db) as store:
        first = ingest_file(store, src)
        second = ingest_file(store, new)
        assert first.rows_loaded == second.rows_loaded == 25_024
        assert (second.supersedes, second.rows_superseded) == ([first.run_id], 25_024)
        assert store.count("arms_transfers") == 25_024
        assert store.count("arms_transfers_superseded") == 25_024
        assert store.fetchall(
            "SELECT tiv_delivered, run_id, line FROM arms_transfers WHERE deal_id = '55238'"
        ) == [(1.3, second.run_id, 13)]
        versions = store.fetchall(
            "SELECT s.value, src.path, s.line, s.origin FROM statements_all s "
            "JOIN sources src ON src.sha256 = s.source_sha256 "
            "WHERE s.prop = 'tiv_delivered' AND s.entity_id IN ("
            "  SELECT record_id FROM arms_transfers WHERE deal_id = '55238' UNION ALL "
            "  SELECT record_id FROM arms_transfers_superseded WHERE deal_id = '55238') "
            "ORDER BY s.run_id"
        )
        assert versions == [
            ("1.2", str(src), 13, "arms_transfers_superseded"),
            ("1.3", str(new), 13, "arms_transfers"),
        ]
        assert (
            _one(
                store,
                "SELECT superseded_by FROM arms_transfers_superseded WHERE deal_id = '55238'",
            )
            == second.run_id
        )
    result = runner.invoke(app, ["runs", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    runs = {r["run_id"]: r for r in json.loads(result.stdout)}
    assert runs[second.run_id]["supersedes"] == [first.run_id]
    assert runs[second.run_id]["rows_superseded"] == 25_024
    assert runs[first.run_id]["superseded_by"] == [second.run_id]
    assert runs[first.run_id]["supersedes"] is None


def test_revised_register_replaces_a_whole_deal(shared_data: Path, tmp_path: Path) -> None:
    """A deal is SIPRI's record: a newer register that moves a delivery to another year
    replaces all the deal's rows, not only those with the same delivery year."""
    src = shared_data / REGISTER
    # Deal 55238's only delivery moves from 2011 to 2012; a file with just this deal.
    header = src.read_bytes().split(b"\n")[11]
    moved = REGISTER_ROW.replace(b",12,No,2011,No,", b",12,No,2012,No,")
    part = tmp_path / "register_part.csv"
    part.write_bytes(header + b"\n" + moved + b"\n")
    with connect(tmp_path / "s.duckdb") as store:
        ingest_file(store, src)
        result = ingest_file(store, part)
        assert result.rows_superseded == 1
        assert store.fetchall(
            "SELECT delivery_year FROM arms_transfers WHERE deal_id = '55238'"
        ) == [(2012,)]
        # Everything the new file does not cover stays current.
        assert store.count("arms_transfers") == 25_024


def test_revised_comtrade_file_is_not_stored_twice(shared_data: Path, tmp_path: Path) -> None:
    """The issue's case: 17,958 rows stayed 17,958, not 35,916; the revised value shows."""
    src = shared_data / OIL_2014
    line = src.read_bytes().split(b"\n")[1]  # Albania imports from World, H4 2014
    cells = line.rstrip(b"\r").split(b",")
    value = cells[-2]
    revised_line = line.replace(b"," + value + b",", b"," + str(int(value) + 1000).encode() + b",")
    new = _revised(src, tmp_path / "oil_2014_revised.csv", line, revised_line)
    with connect(tmp_path / "s.duckdb") as store:
        first = ingest_file(store, src)
        second = ingest_file(store, new)
        assert first.rows_loaded == 17_958
        assert store.count("trade_flows") == 17_958
        assert second.supersedes == [first.run_id] and second.rows_superseded == 17_958
        where = "reporter_orig = '8' AND partner_orig = '0' AND flow = 'M' AND period = '2014'"
        assert _one(store, f"SELECT value_usd FROM trade_flows WHERE {where}") == int(value) + 1000
        old = store.fetchall(
            f"SELECT value_usd, line, run_id FROM trade_flows_superseded WHERE {where}"
        )
        assert old == [(int(value), 2, first.run_id)]
        statements = store.fetchall(
            "SELECT original_value, line, run_id FROM statements_all WHERE prop = 'value_usd' "
            "AND entity_id IN (SELECT record_id FROM trade_flows WHERE " + where + " UNION ALL "
            "SELECT record_id FROM trade_flows_superseded WHERE " + where + ") ORDER BY run_id"
        )
        assert statements == [
            (value.decode(), 2, first.run_id),
            (str(int(value) + 1000), 2, second.run_id),
        ]


def test_other_dataset_and_other_files_are_not_superseded(
    shared_data: Path, tmp_path: Path
) -> None:
    """Only the same dataset is revised: another year of Comtrade adds, --dataset separates."""
    with connect(tmp_path / "s.duckdb") as store:
        a = ingest_file(store, shared_data / OIL_2014)
        b = ingest_file(store, shared_data / OIL_2014.replace("2014", "2015"))
        assert b.rows_superseded == 0 and b.supersedes == []
        copy = tmp_path / "oil_2014_copy.csv"
        copy.write_bytes((shared_data / OIL_2014).read_bytes() + b"\n")
        c = ingest_file(store, copy, dataset="comtrade-mirror")
        assert c.rows_superseded == 0
        assert store.count("trade_flows") == a.rows_loaded + b.rows_loaded + c.rows_loaded


def test_as_new_keeps_both(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / REGISTER
    new = _revised(
        src,
        tmp_path / "register_b.csv",
        REGISTER_ROW,
        REGISTER_ROW.replace(b",1.2,No;", b",1.3,No;"),
    )
    db = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["ingest", str(src), "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["ingest", str(new), "--as-new", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["rows_superseded"] == 0 and row["supersedes"] == []
    with connect(db) as store:
        assert store.count("arms_transfers") == 2 * 25_024
        assert store.count("arms_transfers_superseded") == 0
        assert sorted(
            r[0]
            for r in store.fetchall(
                "SELECT tiv_delivered FROM arms_transfers WHERE deal_id = '55238'"
            )
        ) == [1.2, 1.3]
        assert store.fetchall("SELECT as_new FROM ingest_runs ORDER BY run_id") == [
            (False,),
            (True,),
        ]


def test_as_new_in_the_python_api(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / REGISTER
    new = _revised(
        src,
        tmp_path / "register_b.csv",
        REGISTER_ROW,
        REGISTER_ROW.replace(b",1.2,No;", b",1.3,No;"),
    )
    with connect(tmp_path / "s.duckdb") as store:
        ingest(store, src)
        [result] = ingest(store, new, as_new=True)
        assert result.rows_superseded == 0
        assert store.count("arms_transfers") == 2 * 25_024


def _licences(path: Path, fixtures: Path, repeat: int = 1) -> Path:
    """The licence fixture's first data row, then the same licence id again with another
    quantity (a corrected line appended to the same file)."""
    header, first = fixtures.joinpath("licences.csv").read_text(encoding="utf-8").splitlines()[:2]
    again = first.replace('"1 200 000"', '"1 300 000"')
    assert again != first
    path.write_text("\n".join([header, first] + [again] * repeat) + "\n", encoding="utf-8")
    return path


def test_repeated_licence_id_in_one_file_is_one_reject(fixtures: Path, tmp_path: Path) -> None:
    path = _licences(tmp_path / "licences.csv", fixtures)
    with connect(tmp_path / "s.duckdb") as store:
        result = ingest_file(store, path)
        assert (result.rows_loaded, result.rows_rejected) == (1, 1)
        assert store.fetchall("SELECT licence_id, quantity, line FROM licences") == [
            ("RS-2021-0147", 1_200_000.0, 2)
        ]
        assert store.fetchall('SELECT line, "column", reason FROM rejects') == [
            (3, None, "duplicate key (licence_id=RS-2021-0147), first seen on line 2")
        ]
        assert _one(store, "SELECT rows_rejected FROM ingest_runs") == 1


def test_repeated_key_is_an_error_in_strict_mode(fixtures: Path, tmp_path: Path) -> None:
    path = _licences(tmp_path / "licences.csv", fixtures)
    with connect(tmp_path / "s.duckdb") as store:
        with pytest.raises(SourceFormatError) as info:
            ingest_file(store, path, strict=True)
        assert info.value.line == 3 and "first seen on line 2" in info.value.reason
        assert store.count("licences") == 0 and store.count("rejects") == 0
        assert _one(store, "SELECT status FROM ingest_runs") == "failed"


def test_duplicate_baci_flow_is_a_reject_and_a_new_version_supersedes(
    fixtures: Path, tmp_path: Path
) -> None:
    text = fixtures.joinpath("baci_HS17_Y2022_V202401_sample.csv").read_text(encoding="utf-8")
    dup = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    dup.write_text(text + "2022,688,203,930630,999,1\n", encoding="utf-8")
    with connect(tmp_path / "s.duckdb") as store:
        first = ingest_file(store, dup)
        assert (first.rows_loaded, first.rows_rejected) == (9, 1)
        assert _one(store, "SELECT reason FROM rejects") == (
            "duplicate key (t=2022, i=688, j=203, k=930630), first seen on line 3"
        )
        # The next version of the same edition and year revises one flow.
        v2 = tmp_path / "BACI_HS17_Y2022_V202501.csv"
        v2.write_text(
            text.replace("2022,688,203,930630,1234.567", "2022,688,203,930630,1300"),
            encoding="utf-8",
        )
        second = ingest_file(store, v2)
        assert (second.rows_superseded, second.supersedes) == (9, [first.run_id])
        assert store.count("trade_flows") == 9
        where = "reporter_orig = '688' AND partner_orig = '203' AND hs_code = '930630'"
        assert _one(store, f"SELECT value_usd FROM trade_flows WHERE {where}") == 1_300_000.0
        assert _one(
            store, f"SELECT value_usd FROM trade_flows_superseded WHERE {where}"
        ) == pytest.approx(1_234_567.0)
        values = store.fetchall(
            "SELECT original_value, run_id FROM statements_all WHERE prop = 'value_usd' AND entity_id IN "
            f"(SELECT record_id FROM trade_flows WHERE {where} UNION ALL "
            f"SELECT record_id FROM trade_flows_superseded WHERE {where}) ORDER BY run_id"
        )
        assert values == [("1234.567", first.run_id), ("1300.0", second.run_id)]
        # Another HS edition of the same year is another classification: nothing superseded.
        hs12 = tmp_path / "BACI_HS12_Y2022_V202501.csv"
        hs12.write_text(text, encoding="utf-8")
        assert ingest_file(store, hs12).rows_superseded == 0


def test_duplicate_ftm_entity_drops_its_statements(shared_data: Path, tmp_path: Path) -> None:
    """An entity id twice in one FtM file: the second line is a reject, with its statements."""
    lines = (
        (shared_data / "opensanctions-ftm-fixtures" / "zala_entities.ftm.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    path = tmp_path / "dup.ftm.jsonl"
    path.write_text("\n".join([*lines[:5], lines[0]]) + "\n", encoding="utf-8")
    entity = json.loads(lines[0])["id"]
    with connect(tmp_path / "s.duckdb") as store:
        result = ingest_file(store, path)
        assert result.rows_rejected == 1
        assert store.count("entities") == 5
        # Rows loaded count entities and statements; the rejected line's statements are gone.
        assert result.rows_loaded == 5 + store.count("statements")
        assert store.fetchall("SELECT line FROM entities WHERE id = ?", [entity]) == [(1,)]
        assert store.fetchall(
            "SELECT DISTINCT line FROM statements WHERE entity_id = ?", [entity]
        ) == [(1,)]
        assert "first seen on line 1" in str(_one(store, "SELECT reason FROM rejects"))


def test_revised_ftm_file_keeps_history_in_entities(shared_data: Path, tmp_path: Path) -> None:
    """FtM is revised by the views (entities_current: latest run per id), as before."""
    src = shared_data / "opensanctions-ftm-fixtures" / "zala_entities.ftm.jsonl"
    copy = tmp_path / "zala_again.ftm.jsonl"
    copy.write_bytes(src.read_bytes() + b"\n")
    with connect(tmp_path / "s.duckdb") as store:
        first = ingest_file(store, src)
        second = ingest_file(store, copy)
        assert second.rows_superseded == 0
        assert store.count("entities") == 2 * _one(
            store, "SELECT count(*) FROM entities WHERE run_id = ?", [first.run_id]
        )
        assert _one(store, "SELECT count(DISTINCT run_id) FROM entities_current") == 1


def test_key_order_sees_sorted_files_and_any_repeat() -> None:
    """Sorted keys (BACI's order) need no duplicate check; an equal, lower or null key does."""
    from transship.ingest.baci import BaciReader
    from transship.ingest.revisions import KeyOrder

    def batch(rows: list[tuple[int | None, int, int, int]]) -> pa.Table:
        t, i, j, k = (list(c) for c in zip(*rows, strict=True))
        return pa.table({"t": t, "i": i, "j": j, "k": k}, schema=BACI_KEY_SCHEMA)

    order = KeyOrder(BaciReader())
    order.see("baci_rows", batch([(2022, 4, 8, 10121), (2022, 4, 8, 10122), (2022, 4, 12, 1)]))
    order.see("baci_rows", batch([(2022, 8, 4, 1)]))
    assert order.ordered == {"baci_rows"}
    for rows in (
        [(2022, 8, 4, 1)],  # equal to the last key of the batch before
        [(2022, 8, 4, 2), (2022, 8, 4, 2)],  # equal within a batch
        [(2022, 9, 1, 5), (2022, 9, 1, 4)],  # lower
        [(None, 9, 1, 5)],  # no key
    ):
        again = KeyOrder(BaciReader())
        again.see("baci_rows", batch([(2022, 8, 4, 1)]))
        again.see("baci_rows", batch(rows))
        assert again.ordered == frozenset(), rows


def test_sorted_baci_file_with_a_repeated_flow_still_rejects_it(tmp_path: Path) -> None:
    path = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    rows = [f"2022,688,203,{100_000 + n},1.5,2" for n in range(50)]
    rows.insert(10, rows[9])  # the same flow twice in a row, the file still sorted
    path.write_text("t,i,j,k,v,q\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with connect(tmp_path / "s.duckdb") as store:
        result = ingest_file(store, path)
        assert (result.rows_loaded, result.rows_rejected) == (50, 1)
        assert store.fetchall("SELECT line, reason FROM rejects") == [
            (12, "duplicate key (t=2022, i=688, j=203, k=100009), first seen on line 11")
        ]


def test_simulated_and_real_rows_never_supersede_each_other(fixtures: Path, tmp_path: Path) -> None:
    simulated = fixtures / "licences_simulated.csv"
    real = tmp_path / "licences.csv"  # the same licences without the SIMULATED marker
    real.write_text(
        "\n".join(simulated.read_text(encoding="utf-8").splitlines()[1:]) + "\n", encoding="utf-8"
    )
    with connect(tmp_path / "s.duckdb") as store:
        ingest_file(store, simulated)
        assert ingest_file(store, real).rows_superseded == 0
        assert store.fetchall(
            "SELECT simulated, count(*) FROM licences GROUP BY ALL ORDER BY 1"
        ) == [(False, 2), (True, 2)]


def test_a_failure_after_superseding_leaves_the_store_as_it_was(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The supersede step runs inside the file's transaction: a failure after it moved the
    earlier rows (here: the rejected-share check) rolls the move back too."""
    from transship.ingest import pipeline

    src = shared_data / REGISTER
    new = _revised(
        src, tmp_path / "r2.csv", REGISTER_ROW, REGISTER_ROW.replace(b",1.2,No;", b",1.3,No;")
    )
    with connect(tmp_path / "s.duckdb") as store:
        first = ingest_file(store, src)

        def fail(*args: object, **kwargs: object) -> None:
            raise SourceFormatError(new, "failed on purpose")

        monkeypatch.setattr(pipeline, "check_share", fail)
        with pytest.raises(SourceFormatError):
            ingest_file(store, new)
        assert store.count("arms_transfers") == 25_024
        assert store.count("arms_transfers_superseded") == 0
        assert store.fetchall("SELECT DISTINCT run_id FROM arms_transfers") == [(first.run_id,)]
        assert store.fetchall("SELECT status FROM ingest_runs ORDER BY run_id") == [
            ("ok",),
            ("failed",),
        ]
