"""Impossible values are refused (issue 10, point 3): real files with one value changed.

Each case takes a real file (or a fixture in the source's layout), changes one field to a
value the source cannot mean (``1e400``, ``-5``, ``nan``, a year outside its coverage) and
checks the reject (line, column, reason) in lenient mode and the error in strict mode.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from transship.exc import SourceFormatError
from transship.ingest import checks, ingest_file
from transship.store import Store

BACI = "baci_HS17_Y2022_V202401_sample.csv"
NEXT_YEAR = date.today().year + 1


def _lenient_and_strict(
    path: Path, fmt: str, store: Store, tmp_path: Path
) -> tuple[list[tuple[int, str, str]], SourceFormatError]:
    result = ingest_file(store, path, format=fmt)
    assert result.status == "ok" and result.rows_rejected == 1
    rejects = store.fetchall('SELECT line, "column", reason FROM rejects ORDER BY line')
    from transship.store import connect

    other = connect(tmp_path / "strict.duckdb")
    try:
        with pytest.raises(SourceFormatError) as err:
            ingest_file(other, path, format=fmt, strict=True)
    finally:
        other.close()
    return rejects, err.value


# -- BACI ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "old", "new", "column", "reason"),
    [
        ("v", "1234.567", "1e400", "v", "value is not a finite number: '1e400'"),
        ("v", "1234.567", "-5", "v", "negative value: '-5'"),
        ("v", "1234.567", "nan", "v", "value is not a number: 'nan'"),
        ("v", "1234.567", "inf", "v", "value is not a number: 'inf'"),
        ("v", "1234.567", "1e13", "v", "value over 1e+15: '1e13'"),
        ("q", "45.2", "-0.5", "q", "negative quantity: '-0.5'"),
        ("q", "45.2", "NaN", "q", "quantity is not a number: 'NaN'"),
        ("t", "2022,688,203", "1990,688,203", "t", "year 1990 outside the source's coverage"),
        ("t", "2022,688,203", "2099,688,203", "t", "year 2099 outside the source's coverage"),
    ],
)
def test_baci_refuses_impossible_values(
    fixtures: Path,
    tmp_path: Path,
    store: Store,
    field: str,
    old: str,
    new: str,
    column: str,
    reason: str,
) -> None:
    text = (fixtures / BACI).read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / BACI
    path.write_text(text.replace(old, new), encoding="utf-8")
    rejects, err = _lenient_and_strict(path, "baci", store, tmp_path)
    assert len(rejects) == 1
    line, col, why = rejects[0]
    assert (line, col) == (3, column) and why.startswith(reason)
    assert (err.line, err.column) == (3, column) and err.reason.startswith(reason)
    # the other rows are stored, and nothing infinite, NaN or negative is
    assert store.count("trade_flows") == 8
    bad = store.fetchall(
        "SELECT count(*) FROM trade_flows WHERE isinf(value_usd) OR isnan(value_usd) "
        "OR value_usd < 0 OR qty < 0 OR isinf(qty)"
    )
    assert bad == [(0,)]


def test_baci_sample_still_loads_whole(fixtures: Path, store: Store) -> None:
    result = ingest_file(store, fixtures / BACI)
    assert (result.rows_loaded, result.rows_rejected) == (9, 0)


# -- Comtrade (real legacy file, first 200 lines) ------------------------------------------
VALUE = "Trade Value (US$)"


def _comtrade_copy(shared_data: Path, tmp_path: Path, line: int, column: str, value: str) -> Path:
    """The first 200 lines of a real Comtrade file with one field of ``line`` changed."""
    import csv

    src = shared_data / "comtrade-hs2-oil-wood-sample" / "comtrade_oil_hs27_2013.csv"
    with open(src, encoding="utf-8-sig", newline="") as f:
        rows = [row for _, row in zip(range(200), csv.reader(f), strict=False)]
    idx = rows[0].index(column)
    rows[line - 1][idx] = value
    dst = tmp_path / "comtrade_oil_hs27_2013.csv"
    with open(dst, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return dst


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        (VALUE, "1e400", "value is not a finite number: '1e400'"),
        (VALUE, "-5", "negative value: '-5'"),
        (VALUE, "nan", "value is not a number: 'nan'"),
        ("Netweight (kg)", "-12", "negative net weight: '-12'"),
        ("Qty", "1e999", "quantity is not a finite number: '1e999'"),
        ("Year", "1950", "year 1950 outside the source's coverage (1962-"),
        ("Year", str(NEXT_YEAR + 1), f"year {NEXT_YEAR + 1} outside the source's coverage"),
    ],
)
def test_comtrade_refuses_impossible_values(
    shared_data: Path, tmp_path: Path, store: Store, column: str, value: str, reason: str
) -> None:
    path = _comtrade_copy(shared_data, tmp_path, 5, column, value)
    rejects, err = _lenient_and_strict(path, "comtrade-legacy", store, tmp_path)
    assert rejects[0][:2] == (5, column) and rejects[0][2].startswith(reason)
    assert (err.line, err.column) == (5, column) and err.reason.startswith(reason)
    assert store.count("trade_flows") == 198


def test_comtrade_plus_json_refuses_infinite_value(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / "comtrade_plus_9306_min.json").read_text(encoding="utf-8")
    import json
    import re

    m = re.search(r'"primaryValue"\s*:\s*([0-9.]+)', text)
    assert m is not None
    path = tmp_path / "plus.json"
    path.write_text(text[: m.start(1)] + "1e400" + text[m.end(1) :], encoding="utf-8")
    assert json.loads(path.read_text())  # still valid JSON
    from transship.store import connect

    s = connect(tmp_path / "s.duckdb")
    try:
        result = ingest_file(s, path, format="comtrade-plus-json")
        reasons = [r[0] for r in s.fetchall("SELECT reason FROM rejects")]
        assert result.rows_rejected == 1 and reasons == ["value is not a finite number: '1e400'"]
    finally:
        s.close()


# -- the shared helpers --------------------------------------------------------------------
def test_amount_masks_clean_and_bad() -> None:
    assert checks.amount_masks(pa.array([0.0, 1.5, None, 3e14])) == []
    masks = dict((kind, m.tolist()) for m, kind in checks.amount_masks(
        pa.array([1.0, float("inf"), -2.0, 2e15, float("nan"), None])
    ))  # fmt: skip
    assert masks == {
        "not finite": [False, True, False, False, True, False],
        "negative": [False, False, True, False, False, False],
        "too large": [False, False, False, True, False, False],
    }
    # BACI's thousands: 2e12 kUSD is 2e15 USD
    assert [k for _, k in checks.amount_masks(pa.array([2e12]), scale=1000.0)] == ["too large"]


def test_amount_and_year_problem() -> None:
    assert checks.amount_problem(0.0) is None
    assert checks.amount_problem(float("inf"), "TIV", "1e400") == (
        "TIV is not a finite number: '1e400'"
    )
    assert checks.amount_problem(-1.0, "quantity") == "negative quantity: -1.0"
    assert checks.year_problem(1949, "sipri") == (
        f"year 1949 outside the source's coverage (1950-{NEXT_YEAR})"
    )
    assert checks.year_problem(1950, "sipri") is None
    assert checks.year_problem(NEXT_YEAR, "coarm") is None
    mask = checks.year_mask(pa.array([1995, 1994, None, NEXT_YEAR + 1], pa.int32()), "baci")
    assert mask is not None and mask.tolist() == [False, True, False, True]
    assert checks.year_mask(pa.array([1995, 2020], pa.int32()), "baci") is None


def test_json_depth_is_iterative() -> None:
    assert checks.json_depth(1) == 0 and checks.json_depth({"a": [1, {"b": []}]}) == 4
    deep: list[object] = []
    for _ in range(50_000):
        deep = [deep]
    assert checks.json_depth(deep) == 50_001
    text = ' {"a": "]}", "b": [[1], {"c": "\\"]"}]} , 2'
    end = checks.json_value_end(text, 0)
    assert end is not None and text[:end].endswith("]}") and text[end:] == " , 2"
    assert checks.json_value_end("[[1]", 0) is None


# -- text readers: SIPRI, COARM, own formats ------------------------------------------------
def _first_lines(src: Path, n: int, encoding: str = "utf-8") -> list[str]:
    with open(src, encoding=encoding, newline="") as f:
        return [line for _, line in zip(range(n), f, strict=False)]


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return path


REGISTER = "sipri-trade-register/trade_register_1995_2025.csv"


@pytest.mark.parametrize(
    ("old", "new", "column", "reason"),
    [
        (",0.25,0.1,1.2,No;", ",0.25,0.1,-5,No;", "TIV delivery values", "negative TIV: '-5'"),
        (",0.25,0.1,1.2,No;", ",0.25,0.1,1e400,No;", "TIV delivery values", "not a number"),
        (",0.25,0.1,1.2,No;", ",1e16,0.1,1.2,No;", "SIPRI estimate", "TIV over 1e+15: '1e16'"),
        (",Yes,12,No,", ",Yes,-12,No,", "Numbers delivered", "negative numbers delivered"),
        (",No,2011,No,", ",No,1949,No,", "Delivery year", "delivery year 1949 outside"),
        (",2011,Yes,", ",1929,Yes,", "Order date", "order date 1929 outside"),
        (",2011,Yes,", ",2999,Yes,", "Order date", "order date 2999 outside"),
        ("55238,Albania,", "55x38,Albania,", "SIPRI AT Database ID", "not a SIPRI deal id"),
    ],
)
def test_sipri_register_refuses_impossible_values(
    shared_data: Path,
    tmp_path: Path,
    store: Store,
    old: str,
    new: str,
    column: str,
    reason: str,
) -> None:
    lines = _first_lines(shared_data / REGISTER, 20)
    assert lines[12].startswith("55238,") and lines[12].count(old) == 1
    lines[12] = lines[12].replace(old, new)
    path = _write(tmp_path, "trade_register.csv", lines)
    rejects, err = _lenient_and_strict(path, "sipri-register", store, tmp_path)
    assert rejects[0][:2] == (13, column) and reason in rejects[0][2]
    assert (err.line, err.column) == (13, column)
    assert store.count("arms_transfers") == 7


def test_sipri_register_order_years_before_1950_are_allowed(
    shared_data: Path, tmp_path: Path, store: Store
) -> None:
    lines = _first_lines(shared_data / REGISTER, 14)
    lines[12] = lines[12].replace(",2011,Yes,", ",1948,Yes,")
    result = ingest_file(store, _write(tmp_path, "r.csv", lines), format="sipri-register")
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)


def test_sipri_tidy_and_wide_refuse_negative_tiv(
    shared_data: Path, tmp_path: Path, store: Store
) -> None:
    lines = _first_lines(shared_data / "sipri-tiv-360info/sipri-exports-processed.csv", 30)
    assert lines[1].startswith("Austria,Australia,2021,11,")
    lines[1] = lines[1].replace(",2021,11,", ",2021,-11,")
    lines[2] = lines[2].replace(",2020,5,", ",1949,5,")
    path = _write(tmp_path, "sipri-exports-processed.csv", lines)
    ingest_file(store, path, format="sipri-tiv-tidy")
    assert store.fetchall('SELECT line, "column", reason FROM rejects ORDER BY line') == [
        (2, "value", "negative TIV: '-11'"),
        (3, "year", f"year 1949 outside the source's coverage (1950-{NEXT_YEAR})"),
    ]

    src = shared_data / "sipri-tiv-360info/raw-tiv-by-exporter/TIV-Export-SER-1950-2021.csv"
    wide = src.read_text(encoding="utf-8").splitlines(keepends=True)
    row = next(i for i, line in enumerate(wide) if line.startswith("Bangladesh,"))
    wide[row] = wide[row].replace(",10,,10,9,", ",10,,-10,9,", 1)
    path = _write(tmp_path, "TIV-Export-SER-1950-2021.csv", wide)
    result = ingest_file(store, path, format="sipri-tiv-wide")
    got = store.fetchall(
        'SELECT line, "column", reason FROM rejects WHERE run_id = ?', [result.run_id]
    )
    assert result.rows_rejected == 1 and got[0][0] == row + 1
    assert got[0][2] == "negative TIV: '-10'"


def test_coarm_refuses_impossible_values(
    shared_data: Path, fixtures: Path, tmp_path: Path, store: Store
) -> None:
    consult = _first_lines(shared_data / "caat-eu-arms-exports/consult.csv", 10)
    consult[1] = consult[1].replace("1998,", "1997,", 1)
    ingest_file(store, _write(tmp_path, "consult.csv", consult), format="coarm-consult")
    broker = _first_lines(shared_data / "caat-eu-arms-exports/broker.csv", 10)
    broker[1] = broker[1].replace(",1,30000.0,ML4,", ",1,-30000.0,ML4,")
    broker[2] = broker[2].replace(",1,1200000.0,", ",1e999,1200000.0,")
    ingest_file(store, _write(tmp_path, "broker.csv", broker), format="coarm-broker")
    export = (fixtures / "coarm_export.csv").read_text(encoding="utf-8").splitlines(True)
    export[1] = export[1].replace("; b; 35412760;", "; b; -35412760;")
    ingest_file(store, _write(tmp_path, "export.csv", export), format="coarm-export")
    got = store.fetchall('SELECT line, "column", reason FROM rejects ORDER BY run_id, line')
    # (the export fixture has rejects of its own further down: a bad rating, a category)
    assert got[:4] == [
        (2, "year", f"year 1997 outside the source's coverage (1998-{NEXT_YEAR})"),
        (2, "value_licensed", "negative value licensed: '-30000.0'"),
        (3, "licences", "number of licences is not a finite number: '1e999'"),
        (2, "value", "negative value: '-35412760'"),
    ]
    assert all(line > 2 for line, _, _ in got[4:])


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("value", "1e400", "value is not a finite number"),
        ("value", "NaN", "value is not a finite number"),
        ("quantity", "-Infinity", "quantity"),  # the minimum, or not finite
        ("quantity", "-5", "quantity"),  # the schema's minimum refuses it first
        ("issued_date", '"2999-01-01"', "issued_date 2999 outside the source's coverage"),
    ],
)
def test_own_json_refuses_impossible_values(
    fixtures: Path, tmp_path: Path, store: Store, field: str, value: str, reason: str
) -> None:
    import json
    import re

    text = (fixtures / "licences.json").read_text(encoding="utf-8")
    first = json.loads(text)[0]
    assert field in first
    m = re.search(rf'"{field}"\s*:\s*("[^"]*"|[-0-9.eE]+)', text)
    assert m is not None
    path = tmp_path / "licences.json"
    path.write_text(text[: m.start(1)] + value + text[m.end(1) :], encoding="utf-8")
    # the fixture's own rejects (records 2 and later) stay; the first record is new
    result = ingest_file(store, path, format="licences", max_reject_share=1.0)
    rejects = store.fetchall('SELECT line, "column", reason FROM rejects ORDER BY line')
    assert result.rows_rejected == 3 and rejects[0][1] == field and reason in rejects[0][2]
    line = rejects[0][0]
    assert store.fetchall("SELECT count(*) FROM licences WHERE line = ?", [line]) == [(0,)]
    from transship.store import connect

    other = connect(tmp_path / "strict.duckdb")
    try:
        with pytest.raises(SourceFormatError) as err:
            ingest_file(other, path, format="licences", strict=True, max_reject_share=1.0)
    finally:
        other.close()
    assert (err.value.line, err.value.column) == (line, field)
    bad = store.fetchall(
        "SELECT count(*) FROM licences WHERE isinf(value) OR isnan(value) OR quantity < 0"
    )
    assert bad == [(0,)]


# -- hostile structure (issue 10, point 4): one deep or huge record is one reject -------------
DEEP = "[" * 100_000 + "]" * 100_000  # crashed every JSON reader with RecursionError
DECODABLE = "[" * 100 + "]" * 100  # decodes, but deeper than the bound (64)
TOO_DEEP = "JSON nested deeper than 64 levels (TRANSSHIP_MAX_JSON_DEPTH)"
TOO_LONG = "field longer than 2,097,152 characters (TRANSSHIP_MAX_FIELD_BYTES)"


def _rejects(store: Store, run_id: int | None) -> list[tuple[int, str | None, str]]:
    return store.fetchall(
        'SELECT line, "column", reason FROM rejects WHERE run_id = ? ORDER BY line', [run_id]
    )


@pytest.mark.parametrize("deep", [DEEP, DECODABLE], ids=["100000", "100"])
def test_ftm_deep_line_is_one_reject(
    shared_data: Path, tmp_path: Path, store: Store, deep: str
) -> None:
    lines = _first_lines(shared_data / "opensanctions-ftm-fixtures/zala_entities.ftm.jsonl", 10)
    lines[3] = deep + "\n"
    lines[6] = lines[6].replace('"properties": {', '"properties": {"notes": ' + deep + ", ", 1)
    result = ingest_file(store, _write(tmp_path, "zala.ftm.jsonl", lines), format="ftm")
    assert _rejects(store, result.run_id)[0] == (4, None, TOO_DEEP)
    assert store.count("entities") == 10 - len(_rejects(store, result.run_id))


@pytest.mark.parametrize("deep", [DEEP, DECODABLE], ids=["100000", "100"])
def test_comtrade_json_deep_record_is_one_reject(
    fixtures: Path, tmp_path: Path, store: Store, deep: str
) -> None:
    lines = (fixtures / "comtrade_plus_9306.json").read_text(encoding="utf-8").splitlines(True)
    assert lines[3].lstrip().startswith('{"typeCode"') and lines[3].rstrip().endswith(",")
    lines[3] = "  " + deep + ",\n"  # a record that is no object, too deep to decode
    lines[5] = lines[5].replace('"cmdCode": "9306"', f'"cmdCode": {deep}', 1)  # a deep value
    assert deep in lines[5]
    path = _write(tmp_path, "plus.json", lines)
    baseline = ingest_file(store, fixtures / "comtrade_plus_9306.json")
    stored = {r[0] for r in store.fetchall("SELECT line FROM trade_flows")}
    result = ingest_file(store, path, format="comtrade-plus-json", as_new=True)
    assert _rejects(store, result.run_id)[:2] == [(4, None, TOO_DEEP), (6, None, TOO_DEEP)]
    assert result.rows_loaded == baseline.rows_loaded - len(stored & {4, 6})


@pytest.mark.parametrize("deep", [DEEP, DECODABLE], ids=["100000", "100"])
def test_own_json_deep_records_are_one_reject_each(
    fixtures: Path, tmp_path: Path, store: Store, deep: str
) -> None:
    # a JSON list over many lines: the deep item is line 25 (a new item before BG-2022-312)
    text = (fixtures / "licences.json").read_text(encoding="utf-8").splitlines(True)
    assert text[24].strip() == "{" and '"BG-2022-312"' in text[25]
    text.insert(24, "  " + deep + ",\n")
    baseline = ingest_file(store, fixtures / "licences.json", max_reject_share=1.0)
    result = ingest_file(
        store, _write(tmp_path, "licences.json", text), format="licences", max_reject_share=1.0
    )
    assert (25, None, TOO_DEEP) in _rejects(store, result.run_id)
    assert result.rows_rejected == baseline.rows_rejected + 1
    assert result.rows_loaded == baseline.rows_loaded
    # JSON lines: the deep line is its own reject, the first line included
    lines = (fixtures / "shipments.jsonl").read_text(encoding="utf-8").splitlines(True)
    lines[0] = '{"shipment_id": "S-1", "notes": ' + deep + "}\n"
    lines.append('{"shipment_id": "S-5", "direction": "export", "notes": ' + deep + "}\n")
    before = ingest_file(store, fixtures / "shipments.jsonl", max_reject_share=1.0)
    old = {r[0] for r in _rejects(store, before.run_id)}  # the fixture's own rejects
    path = _write(tmp_path, "shipments.jsonl", lines)
    result = ingest_file(store, path, format="shipments", as_new=True, max_reject_share=1.0)
    got = _rejects(store, result.run_id)
    assert [r for r in got if r[0] not in old] == [(1, None, TOO_DEEP), (5, None, TOO_DEEP)]
    assert result.rows_loaded == before.rows_loaded - 1


def test_own_csv_field_over_the_limit_is_one_reject(
    fixtures: Path, tmp_path: Path, store: Store
) -> None:
    """A field over 128 KiB crashed the own-format CSV readers with ``_csv.Error``; one over
    TRANSSHIP_MAX_FIELD_BYTES (2 MiB) is one reject now, one under it loads."""
    lines = (fixtures / "licences.csv").read_text(encoding="utf-8").splitlines(True)
    baseline = ingest_file(store, fixtures / "licences.csv", max_reject_share=1.0)
    lines[2] = lines[2].replace("Primer Arms d.o.o.", "x" * (3 << 20), 1)  # line 3
    lines[1] = lines[1].replace("Primer Arms d.o.o.", "y" * (200 << 10), 1)  # 200 KiB: fine
    result = ingest_file(
        store, _write(tmp_path, "licences.csv", lines), format="licences", max_reject_share=1.0
    )
    assert _rejects(store, result.run_id)[0] == (3, None, TOO_LONG)
    assert result.rows_loaded == baseline.rows_loaded - 1
    assert store.fetchall(
        "SELECT line, length(exporter) FROM licences WHERE run_id = ? AND line = 2",
        [result.run_id],
    ) == [(2, 200 << 10)]
    later = store.fetchall(
        "SELECT min(line) FROM licences WHERE run_id = ? AND line > 3", [result.run_id]
    )
    assert later == [(4,)]  # the lines after it keep their numbers


def test_text_readers_field_over_the_limit_is_one_reject(
    shared_data: Path, tmp_path: Path, store: Store
) -> None:
    lines = _first_lines(shared_data / REGISTER, 20)
    lines[13] = lines[13].replace(",Algeria,", ",Algeria" + "z" * (3 << 20) + ",", 1)
    result = ingest_file(store, _write(tmp_path, "r.csv", lines), format="sipri-register")
    assert _rejects(store, result.run_id) == [(14, None, TOO_LONG)]
    assert result.rows_loaded == 7
    mission = _first_lines(shared_data / "caat-eu-arms-exports/mission.csv", 30)
    row = next(i for i, line in enumerate(mission) if line.count(",") == 6 and i > 2)
    mission[row] = mission[row].rstrip("\r\n") + "w" * (3 << 20) + "\n"
    result = ingest_file(store, _write(tmp_path, "mission.csv", mission), format="coarm-mission")
    assert (row + 1, None, TOO_LONG) in _rejects(store, result.run_id)
