"""`transship export`: every table in every format after a real FtM ingest; list columns as
JSON text in CSV; spreadsheet formulas neutralised unless --raw; a failed export leaves no
file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from transship.cli.app import app
from transship.ingest.pipeline import ingest_file
from transship.report import export as export_mod
from transship.report.export import export_table, neutralise_text
from transship.store import Store, connect

runner = CliRunner()
ZALA = "opensanctions-ftm-fixtures/zala_entities.ftm.jsonl"
TABLES = ("entities", "sanctions", "ownerships", "parties")
FORMULA = '=HYPERLINK("http://evil.example","x")'


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _lists(store: Store, table: str) -> list[str]:
    schema = store.query(f'SELECT * FROM "{table}" LIMIT 0').schema
    return [f.name for f in schema if pa.types.is_nested(f.type)]


@pytest.fixture
def zala_db(tmp_path: Path, shared_data: Path) -> Path:
    db = tmp_path / "zala.duckdb"
    with connect(db) as store:
        ingest_file(store, shared_data / ZALA)
    return db


@pytest.mark.parametrize("table", TABLES)
def test_csv_export_of_list_tables_round_trips(zala_db: Path, tmp_path: Path, table: str) -> None:
    out = tmp_path / f"{table}.csv"
    result = runner.invoke(app, ["export", table, "--db", str(zala_db), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = _read_csv(out)
    with connect(zala_db, read_only=True) as store:
        stored = store.query(f'SELECT * FROM "{table}"').to_pylist()
        lists = _lists(store, table)
    assert lists, f"{table} has list columns (the case that crashed)"
    assert len(rows) == len(stored) > 0
    assert list(rows[0]) == list(stored[0])

    # Views have no order: compare each row's record id and list cells as parsed JSON.
    def key(row: dict[str, object]) -> str:
        return json.dumps([str(row["record_id"])] + [row[name] for name in lists])

    got = sorted(key({**r, **{n: json.loads(r[n]) if r[n] else None for n in lists}}) for r in rows)
    assert got == sorted(key(r) for r in stored)


def _zala_with_formulas(shared_data: Path, tmp_path: Path) -> Path:
    """The real zala file, its first Person's names turned into spreadsheet formulas."""
    lines = (shared_data / ZALA).read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        data = json.loads(line)
        if data["schema"] == "Person":
            data["caption"] = FORMULA
            data["properties"]["name"] = [FORMULA, "-2+3", "@SUM(A1)", "\tcmd", "+1", "-12.5"]
            lines[i] = json.dumps(data, ensure_ascii=False)
            break
    path = tmp_path / "zala_formulas.ftm.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_csv_neutralises_formulas_unless_raw(
    tmp_path: Path, shared_data: Path, store: Store
) -> None:
    ingest_file(store, _zala_with_formulas(shared_data, tmp_path))
    safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    n = export_table(store, "parties", "csv", safe)
    assert export_table(store, "parties", "csv", raw, raw=True) == n
    safe_rows = {r["id"]: r for r in _read_csv(safe)}
    raw_rows = {r["id"]: r for r in _read_csv(raw)}
    hit = [r for r in raw_rows.values() if r["name"] in (FORMULA, "-2+3", "@SUM(A1)")]
    assert hit, "the formula reached the parties table"
    for row in hit:
        assert safe_rows[row["id"]]["name"] == "'" + row["name"]
    # Everything else is the same text; numbers, booleans and JSON lists untouched.
    for key, row in raw_rows.items():
        if row not in hit:
            assert safe_rows[key] == row
    # The list cell is JSON (starts with '['), so the formulas inside stay readable as data.
    names = json.loads(safe_rows[hit[0]["id"]]["names"])
    assert FORMULA in names or "-2+3" in names


def test_neutralise_text_rules() -> None:
    col = pa.array(["=1+1", "+1", "-2+3", "@x", "\tx", "\rx", "-12.5", "+3e5", "abc", None, ""])
    assert neutralise_text(col).to_pylist() == [
        "'=1+1",
        "+1",  # a plain number is no formula
        "'-2+3",
        "'@x",
        "'\tx",
        "'\rx",
        "-12.5",
        "+3e5",
        "abc",
        None,
        "",
    ]


def test_numeric_columns_are_not_touched(tmp_path: Path, store: Store) -> None:
    store.execute("CREATE TABLE nums (v DOUBLE, n BIGINT, t VARCHAR, l VARCHAR[])")
    store.execute("INSERT INTO nums VALUES (-5.5, -3, '-x', ['=a', 'b']), (1, 2, '=y', NULL)")
    out = tmp_path / "nums.csv"
    assert export_table(store, "nums", "csv", out) == 2
    assert out.read_text(encoding="utf-8").splitlines() == [
        '"v","n","t","l"',
        '-5.5,-3,"\'-x","[""=a"",""b""]"',
        '1,2,"\'=y",',
    ]


def test_failed_export_leaves_no_file(
    tmp_path: Path, zala_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = export_mod.neutralise

    def fail_later(batch: pa.RecordBatch) -> pa.RecordBatch:
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError("disk full")
        return real(batch)

    monkeypatch.setattr(export_mod, "BATCH_ROWS", 10)
    monkeypatch.setattr(export_mod, "neutralise", fail_later)
    out = tmp_path / "out" / "entities.csv"
    out.parent.mkdir()
    with connect(zala_db, read_only=True) as store, pytest.raises(OSError, match="disk full"):
        export_table(store, "entities", "csv", out)
    assert list(out.parent.iterdir()) == []
    # An existing file is not replaced by a failed export either.
    out.write_text("before\n", encoding="utf-8")
    calls["n"] = 0
    with connect(zala_db, read_only=True) as store, pytest.raises(OSError):
        export_table(store, "entities", "csv", out)
    assert out.read_text(encoding="utf-8") == "before\n"
    assert list(out.parent.iterdir()) == [out]


def test_cli_unknown_table_writes_nothing(tmp_path: Path, zala_db: Path) -> None:
    out = tmp_path / "nope.csv"
    result = runner.invoke(app, ["export", "nope", "--db", str(zala_db), "-o", str(out)])
    assert result.exit_code == 1
    assert not out.exists()


@pytest.mark.parametrize("table", TABLES)
def test_other_formats_still_work(zala_db: Path, tmp_path: Path, table: str) -> None:
    with connect(zala_db, read_only=True) as store:
        stored = store.query(f'SELECT * FROM "{table}"')
        jl = tmp_path / "t.jsonl"
        assert export_table(store, table, "jsonl", jl) == stored.num_rows
        rows = [json.loads(x) for x in jl.read_text(encoding="utf-8").splitlines()]
        want = _bag(stored.to_pylist())
        assert _bag(rows) == want  # views have no order: the same rows, any order
        pqf = tmp_path / "t.parquet"
        assert export_table(store, table, "parquet", pqf) == stored.num_rows
        back = pq.read_table(pqf)
        assert back.schema.equals(stored.schema)
        assert _bag(back.to_pylist()) == want
        buf = io.BytesIO()
        n = export_table(store, table, "ftm", buf)
        entities = [json.loads(x) for x in buf.getvalue().decode("utf-8").splitlines()]
        assert len(entities) == n > 0 and all("schema" in e for e in entities)


def _bag(rows: list[dict[str, object]]) -> list[str]:
    return sorted(json.dumps(r, default=str, sort_keys=True) for r in rows)


def test_jsonl_has_no_nan_or_infinity(tmp_path: Path, store: Store) -> None:
    store.execute("CREATE TABLE f (v DOUBLE, w DOUBLE)")
    store.execute("INSERT INTO f VALUES ('nan'::DOUBLE, 1.5), ('inf'::DOUBLE, NULL)")
    out = tmp_path / "f.jsonl"
    export_table(store, "f", "jsonl", out)
    text = out.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    assert [json.loads(x) for x in text.splitlines()] == [
        {"v": None, "w": 1.5},
        {"v": None, "w": None},
    ]
