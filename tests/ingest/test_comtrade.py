"""Comtrade readers on the real legacy files and on hand-made Comtrade+ fixtures.

The real files (shared/data/comtrade-hs2-oil-wood-sample) are read in place, never copied.
The Comtrade+ fixtures are labelled ``# SIMULATED`` / ``"simulated": true``: their figures
are invented; tests that need an unlabelled file write a copy without the label.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from transship.exc import SourceFormatError
from transship.ingest import ingest_file
from transship.ingest.base import ReadContext, Reject, Rows
from transship.ingest.comtrade_plus import ComtradePlusCsvReader, JsonRecords
from transship.ingest.registry import sniff
from transship.store import Store

SAMPLE = "comtrade-hs2-oil-wood-sample"


def _real_files(shared_data: Path) -> list[Path]:
    files = sorted((shared_data / SAMPLE).glob("comtrade_*.csv"))
    assert len(files) == 10
    return files


def _data_rows(path: Path) -> int:
    with open(path, encoding="utf-8-sig") as f:
        return sum(1 for line in f if line.strip()) - 1


def _tab_separated(src: Path, folder: Path) -> Path:
    """The same records the way Comtrade+ bulk files come: tab-separated ``.txt``."""
    dst = folder / "COMTRADE-FINAL-CA688H6[2023-01-03].txt"
    with open(src, encoding="utf-8", newline="") as f, open(dst, "w", encoding="utf-8") as out:
        csv.writer(out, delimiter="\t", lineterminator="\n").writerows(csv.reader(f))
    return dst


def _unlabelled(src: Path, dst: Path) -> Path:
    """A copy of a ``# SIMULATED`` fixture without its first line."""
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0].startswith("# SIMULATED")
    dst.write_text("".join(lines[1:]), encoding="utf-8")
    return dst


# -- legacy bulk CSV, real files --------------------------------------------------------------
def test_all_real_files_load_every_row(shared_data: Path, store: Store) -> None:
    total = 0
    for path in _real_files(shared_data):
        result = ingest_file(store, path)
        assert result.status == "ok" and result.format == "comtrade-legacy"
        rejects = store.fetchall(
            'SELECT line, "column", reason FROM rejects WHERE run_id = ? LIMIT 5', [result.run_id]
        )
        assert result.rows_rejected == 0, (path.name, rejects)
        assert result.rows_loaded == _data_rows(path), path.name
        total += result.rows_loaded
    assert total == 196_661  # SOURCE.md
    assert store.count("trade_flows") == total
    # every flow, world rows flagged as such and never as a country
    flows = dict(store.fetchall("SELECT flow, count(*) FROM trade_flows GROUP BY flow"))
    assert set(flows) == {"M", "X", "RX", "RM"} and flows["RX"] > 1000 and flows["RM"] > 100
    world = store.fetchall(
        "SELECT DISTINCT partner, partner_orig, partner_is_world, partner_iso3 FROM trade_flows "
        "WHERE partner_orig = '0' OR partner_is_world"
    )
    assert world == [("world", "0", True, "WLD")]
    # value basis follows the flow
    basis = set(store.fetchall("SELECT DISTINCT flow, value_basis FROM trade_flows"))
    assert basis == {("M", "cif"), ("RM", "cif"), ("X", "fob"), ("RX", "fob")}
    # mixed HS editions within a year are kept per row
    editions = {r[0] for r in store.fetchall("SELECT DISTINCT classification FROM trade_flows")}
    assert {"H2", "H3", "H4", "H5"} <= editions
    # Comtrade's own codes differ from M49 for the USA, France, India
    us = store.fetchall(
        "SELECT DISTINCT reporter, reporter_iso3, reporter_m49 FROM trade_flows "
        "WHERE reporter_orig = '842'"
    )
    assert us == [("us", "USA", "840")]
    areas = store.fetchall(
        "SELECT DISTINCT partner_orig FROM trade_flows WHERE partner_is_area ORDER BY 1"
    )
    assert ("899",) in areas and ("837",) in areas


def test_source_md_figures(shared_data: Path, store: Store) -> None:
    path = shared_data / SAMPLE / "comtrade_wood_hs44_2017.csv"
    ingest_file(store, path)
    rows = store.fetchall(
        "SELECT reporter, partner, flow, value_usd, value_basis FROM trade_flows "
        "WHERE year = 2017 AND hs_code = '44' AND reporter IN ('rs', 'cz') "
        "AND partner IN ('rs', 'cz') AND flow IN ('X', 'M') ORDER BY 1, 3"
    )
    assert rows == [
        ("cz", "rs", "M", 1_466_737.0, "cif"),
        ("cz", "rs", "X", 4_273_496.0, "fob"),
        ("rs", "cz", "M", 2_917_849.0, "cif"),
        ("rs", "cz", "X", 1_285_663.0, "fob"),
    ]


def test_line_numbers_and_source_text(shared_data: Path, store: Store) -> None:
    path = shared_data / SAMPLE / "comtrade_wood_hs44_2017.csv"
    result = ingest_file(store, path)
    [(line, record_id, orig)] = store.fetchall(
        "SELECT line, record_id, [reporter_orig, partner_orig, flow_orig, hs_orig, value_orig] "
        "FROM trade_flows WHERE reporter = 'rs' AND partner = 'cz' AND flow = 'X'"
    )
    physical = path.read_text(encoding="utf-8-sig").splitlines()
    assert physical[line - 1].split(",")[6:9] == ["2", "Export", "688"]
    assert "1285663" in physical[line - 1]
    assert orig == ["688", "203", "2", "44", "1285663"]
    assert record_id == f"{result.sha256[:16]}:{line}"
    # the last data line of the file is numbered as such
    last = store.fetchall("SELECT max(line) FROM trade_flows WHERE run_id = ?", [result.run_id])
    assert last == [(len(physical),)]


def test_zero_quantities_are_null(shared_data: Path, store: Store) -> None:
    ingest_file(store, shared_data / SAMPLE / "comtrade_oil_hs27_2015.csv")
    [(qty, net, unit)] = store.fetchall(
        "SELECT count(qty), count(net_weight_kg), count(qty_unit) FROM trade_flows"
    )
    assert (qty, net, unit) == (0, 0, 0)  # Qty Unit Code 1 = "No Quantity", all 0/empty


def test_same_file_twice_is_skipped(shared_data: Path, store: Store) -> None:
    path = shared_data / SAMPLE / "comtrade_oil_hs27_2014.csv"
    first = ingest_file(store, path)
    before = store.count("trade_flows")
    second = ingest_file(store, path)
    assert first.status == "ok" and second.status == "skipped"
    assert second.run_id == first.run_id and second.rows_loaded == 0
    assert store.count("trade_flows") == before
    assert store.count("ingest_runs") == 1


LEGACY_HEADER = (
    "Classification,Year,Period,Period Desc.,Aggregate Level,Is Leaf Code,Trade Flow Code,"
    "Trade Flow,Reporter Code,Reporter,Reporter ISO,Partner Code,Partner,Partner ISO,"
    "Commodity Code,Commodity,Qty Unit Code,Qty Unit,Qty,Netweight (kg),Trade Value (US$),Flag"
)


def _legacy(rows: list[str], simulated: bool = False) -> str:
    marker = "# SIMULATED: hand-made rows for a test\n" if simulated else ""
    return "\ufeff" + marker + LEGACY_HEADER + "\r\n" + "".join(r + "\r\n" for r in rows)


def _row(flow: str = "2", reporter: str = "688", partner: str = "203", value: str = "1000") -> str:
    return (
        f"H5,2017,2017,2017,2,0,{flow},Export,{reporter},Serbia,SRB,{partner},Czechia,CZE,"
        f'93,"Arms and ammunition; parts and accessories thereof",1,No Quantity,,,{value},0'
    )


def test_legacy_bad_rows_become_rejects(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "legacy_bad.csv"
    path.write_text(
        _legacy(
            [
                _row(),  # 2
                _row(value="12x"),  # 3
                _row(reporter="999"),  # 4
                _row(flow="7"),  # 5
                _row().replace(",93,", ",9X,"),  # 6
                _row().replace("H5,2017,", "H5,17,"),  # 7
                "H5,2017,2017",  # 8: too few fields
                _row(partner="0", value="5000"),  # 9
            ]
        ),
        encoding="utf-8",
    )
    result = ingest_file(store, path, max_reject_share=1.0)
    assert (result.rows_loaded, result.rows_rejected) == (2, 6)
    rejects = store.fetchall('SELECT line, "column", reason, raw FROM rejects ORDER BY line')
    got = [(r[0], r[1], r[2]) for r in rejects]
    assert got == [
        (3, "Trade Value (US$)", "value is not a number: '12x'"),
        (4, "Reporter Code", "unknown country code '999'"),
        (5, "Trade Flow Code", "unknown flow code '7'"),
        (6, "Commodity Code", "bad HS code '9X'"),
        (7, "Year", "bad year '17'"),
        (8, None, "expected 22 fields, found 3"),
    ]
    assert rejects[0][3].startswith("H5,2017,2017,2,688,203,93")  # the fields read
    assert rejects[5][3] == "H5,2017,2017"
    lines = store.fetchall("SELECT line, partner, partner_is_world FROM trade_flows ORDER BY 1")
    assert lines == [(2, "cz", False), (9, "world", True)]


def test_strict_stops_at_first_bad_line(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "legacy_bad.csv"
    path.write_text(_legacy([_row(), _row(), "H5,2017", _row(value="n/a!")]), encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, path, strict=True)
    assert err.value.line == 4 and "expected 22 fields" in err.value.reason
    assert store.count("trade_flows") == 0  # all or nothing


def test_simulated_marker(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "legacy_sim.csv"
    path.write_text(_legacy([_row(), _row(flow="1")], simulated=True), encoding="utf-8")
    result = ingest_file(store, path)
    assert result.rows_loaded == 2
    rows = store.fetchall("SELECT line, flow, simulated FROM trade_flows ORDER BY line")
    assert rows == [(3, "X", True), (4, "M", True)]  # marker line 1, header line 2
    assert store.fetchall("SELECT simulated FROM sources") == [(True,)]


def test_missing_columns_named(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "legacy_cut.csv"
    path.write_text(
        "Year,Trade Flow Code,Reporter Code,Partner Code,Commodity Code\n2017,2,688,203,93\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, path, format="comtrade-legacy")
    assert err.value.reason == "missing columns: Trade Value (US$)" and err.value.line == 1


def test_wrong_kind_of_file(shared_data: Path, fixtures: Path, store: Store) -> None:
    legacy = shared_data / SAMPLE / "comtrade_wood_hs44_2013.csv"
    with pytest.raises(SourceFormatError, match="missing columns: reporterCode"):
        ingest_file(store, legacy, format="comtrade-plus-csv")
    with pytest.raises(SourceFormatError, match="expected '{' or '\\['"):
        ingest_file(store, legacy, format="comtrade-plus-json")
    with pytest.raises(SourceFormatError, match="missing columns: Year, Trade Flow Code"):
        ingest_file(store, fixtures / "baci_bad.csv", format="comtrade-legacy")
    assert store.count("trade_flows") == 0


# -- Comtrade+ CSV and JSON -------------------------------------------------------------------
PLUS_ROWS = [
    # (line in CSV, reporter, partner, flow, period, hs, value, basis, qty, unit, net)
    (3, "rs", "cz", "X", "2022", "9306", 4123456.78, "fob", 152340.0, "kg", 152340.0),
    (4, "rs", "bg", "X", "2022", "9306", 987654.0, "fob", 40210.0, "kg", 40210.0),
    (5, "rs", "us", "X", "2022", "9306", 2500000.0, "fob", 98000.0, "kg", 98000.0),
    (6, "rs", "world", "X", "2022", "9306", 9876543.21, "fob", 402118.0, "kg", 402118.0),
    (10, "rs", "bg", "RX", "2022", "9306", 120000.5, "fob", 5000.0, "kg", 5000.0),
    (12, "cz", "rs", "M", "2022", "9306", 4390222.0, "cif", 151990.0, "kg", 151990.0),
    (13, "us", "rs", "M", "2022", "9306", 2450000.0, "fob", None, None, 97000.0),
    (14, "rs", "bg", "X", "2022-05", "930630", 310500.25, "fob", 12000.0, "items", 10500.0),
    (15, "bg", "rs", "RM", "2022", "930690", 15000.0, "cif", None, "kg", None),
]
PLUS_SQL = (
    "SELECT line, reporter, partner, flow, period, hs_code, value_usd, value_basis, qty, "
    "qty_unit, net_weight_kg FROM trade_flows ORDER BY line"
)


def test_plus_csv_keeps_totals_only(fixtures: Path, store: Store) -> None:
    result = ingest_file(store, fixtures / "comtrade_plus_9306.csv")
    assert result.format == "comtrade-plus-csv"
    # 13 records: partner2 (line 7), customs C01 (8), transport mode (9) and the DX
    # sub-flow (11) are breakdowns of totals in the file: dropped, not rejected.
    assert (result.rows_loaded, result.rows_rejected) == (9, 0)
    assert store.fetchall(PLUS_SQL) == PLUS_ROWS
    [(simulated, world, m49)] = store.fetchall(
        "SELECT bool_and(simulated), count(*) FILTER (partner_is_world), "
        "max(partner_m49) FILTER (partner = 'us') FROM trade_flows"
    )
    assert simulated and world == 1 and m49 == "840"
    # the source's own text is kept
    [orig] = store.fetchall(
        "SELECT [reporter_orig, partner_orig, flow_orig, hs_orig, value_orig, classification] "
        "FROM trade_flows WHERE line = 3"
    )
    assert orig[0] == ["688", "203", "X", "9306", "4123456.78", "H6"]


def test_plus_json_matches_csv(fixtures: Path, store: Store) -> None:
    result = ingest_file(store, fixtures / "comtrade_plus_9306.json")
    assert result.format == "comtrade-plus-json"
    assert (result.rows_loaded, result.rows_rejected) == (9, 0)
    got = store.fetchall(PLUS_SQL)
    # one record per line, after the opening line: CSV line - 1
    assert got == [(r[0] - 1, *r[1:]) for r in PLUS_ROWS]
    # "simulated": true sits after the records, at the end of the answer
    assert store.fetchall("SELECT DISTINCT simulated FROM trade_flows") == [(True,)]
    ids = [r[0] for r in store.fetchall("SELECT record_id FROM trade_flows ORDER BY line")]
    assert ids[0] == f"{result.sha256[:16]}:2:0"


def test_plus_json_minified_gets_distinct_ids(fixtures: Path, store: Store) -> None:
    result = ingest_file(store, fixtures / "comtrade_plus_9306_min.json")
    rows = store.fetchall("SELECT line, record_id, simulated FROM trade_flows ORDER BY record_id")
    assert len(rows) == result.rows_loaded == 9
    assert {r[0] for r in rows} == {1}
    assert len({r[1] for r in rows}) == 9
    assert all(r[2] for r in rows)  # each record says "simulated": true


def test_plus_json_streams_across_tiny_chunks(
    fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = fixtures / "comtrade_plus_9306.json"
    ctx = ReadContext(path=path, sha256="0" * 64, run_id=1)
    whole = list(JsonRecords(ctx))
    ctx.close()
    monkeypatch.setattr(JsonRecords, "CHUNK", 7)  # numbers and keys split between reads
    ctx = ReadContext(path=path, sha256="0" * 64, run_id=1)
    stream = JsonRecords(ctx)
    pieces = list(stream)
    ctx.close()
    assert pieces == whole and len(pieces) == 13
    assert stream.count == 13 and stream.simulated
    assert pieces[0][0] == 2 and pieces[0][2]["primaryValue"] == "4123456.78"  # source text


def test_plus_json_bare_list_unlabelled(fixtures: Path, tmp_path: Path, store: Store) -> None:
    records = json.loads((fixtures / "comtrade_plus_9306_min.json").read_text())
    for r in records:
        del r["simulated"]
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(records, indent=1), encoding="utf-8")
    result = ingest_file(store, path)
    assert result.format == "comtrade-plus-json" and result.rows_loaded == 9
    assert store.fetchall("SELECT DISTINCT simulated FROM trade_flows") == [(False,)]


def test_plus_json_errors(tmp_path: Path, store: Store) -> None:
    api_error = tmp_path / "error.json"
    api_error.write_text(
        '{"elapsedTime": "0 secs", "count": 0, "data": [], "error": "Invalid subscription key"}'
    )
    with pytest.raises(SourceFormatError, match="Comtrade API error: Invalid subscription key"):
        ingest_file(store, api_error, format="comtrade-plus-json")
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"count": 2, "data": [\n{"reporterCode": 688,\n"partnerCode": ')
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, truncated, format="comtrade-plus-json")
    assert err.value.line == 2 and "bad JSON" in err.value.reason
    fields = tmp_path / "fields.json"
    fields.write_text('{"data": [{"reporterCode": 688, "partnerCode": 203}]}')
    with pytest.raises(SourceFormatError, match="missing columns: flowCode, cmdCode"):
        ingest_file(store, fields, format="comtrade-plus-json")
    assert store.count("trade_flows") == 0


def test_plus_bad_rows(fixtures: Path, store: Store) -> None:
    result = ingest_file(store, fixtures / "comtrade_plus_bad.csv", max_reject_share=1.0)
    assert (result.rows_loaded, result.rows_rejected) == (3, 9)
    got = store.fetchall('SELECT line, "column", reason FROM rejects ORDER BY line')
    assert got == [
        (4, "primaryValue", "value is not a number: 'abc'"),
        (5, "reporterCode", "unknown country code '999'"),
        (6, "cmdCode", "bad HS code '93X6'"),
        (7, "period", "bad period '2022-13'"),
        (8, None, "expected 14 fields, found 10"),
        (9, "flowCode", "unknown flow code 'Q'"),
        (10, "cmdCode", "commodity code TOTAL (all commodities) is not an HS code"),
        (11, "qty", "quantity is not a number: 'many'"),
        (13, "period", "bad period '1850'"),
    ]
    # line 12 is a partner2 breakdown (dropped, even with a bad value); line 15 is blank
    loaded = store.fetchall("SELECT line, period, value_basis FROM trade_flows ORDER BY line")
    assert loaded == [(3, "2022", "fob"), (14, "2022", "fob"), (16, "2022-05", "cif")]


def test_plus_strict(fixtures: Path, store: Store) -> None:
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, fixtures / "comtrade_plus_bad.csv", strict=True)
    assert (err.value.line, err.value.column) == (4, "primaryValue")
    assert store.count("trade_flows") == 0


def test_plus_reader_yields_rejects_before_rows(fixtures: Path) -> None:
    """--strict relies on a batch's rejects coming first, in line order."""
    ctx = ReadContext(path=fixtures / "comtrade_plus_bad.csv", sha256="0" * 64, run_id=1)
    items = list(ComtradePlusCsvReader().read(ctx))
    ctx.close()
    kinds = [type(i) for i in items]
    assert kinds == [Reject] * 9 + [Rows]
    lines = [i.line for i in items if isinstance(i, Reject)]
    assert lines == sorted(lines)


# -- sniffing --------------------------------------------------------------------------------
def test_sniffing_picks_the_reader(shared_data: Path, fixtures: Path, tmp_path: Path) -> None:
    for path in _real_files(shared_data):
        assert sniff(path).name == "comtrade-legacy"
    assert sniff(fixtures / "comtrade_plus_9306.csv").name == "comtrade-plus-csv"
    assert sniff(fixtures / "comtrade_plus_bad.csv").name == "comtrade-plus-csv"
    assert sniff(fixtures / "comtrade_plus_9306.json").name == "comtrade-plus-json"
    assert sniff(fixtures / "comtrade_plus_9306_min.json").name == "comtrade-plus-json"
    plain = _unlabelled(fixtures / "comtrade_plus_9306.csv", tmp_path / "plus.csv")
    assert sniff(plain).name == "comtrade-plus-csv"
    assert sniff(_tab_separated(plain, tmp_path)).name == "comtrade-plus-csv"


def test_plus_tab_separated_bulk_file(fixtures: Path, tmp_path: Path, store: Store) -> None:
    plain = _unlabelled(fixtures / "comtrade_plus_9306.csv", tmp_path / "plus.csv")
    result = ingest_file(store, _tab_separated(plain, tmp_path))
    assert (result.rows_loaded, result.rows_rejected) == (9, 0)
    assert store.fetchall(PLUS_SQL) == [(r[0] - 1, *r[1:]) for r in PLUS_ROWS]


def test_a_line_over_the_limit_is_one_reject(
    shared_data: Path, tmp_path: Path, store: Store
) -> None:
    """Issue 10 point 4: one row over Arrow's blocks failed the whole file; now it is one
    reject (line, reason) and every other row of the real file loads on its own line."""
    src = _real_files(shared_data)[0]
    with open(src, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    desc = rows[0].index("Commodity")
    rows[9][desc] = "x" * (3 << 20)  # line 10
    path = tmp_path / src.name
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    result = ingest_file(store, path)
    assert (result.rows_loaded, result.rows_rejected) == (len(rows) - 2, 1)
    assert store.fetchall('SELECT line, "column", reason FROM rejects') == [
        (10, None, "line longer than 2,097,152 bytes (TRANSSHIP_MAX_FIELD_BYTES)")
    ]
    lines = [r[0] for r in store.fetchall("SELECT line FROM trade_flows ORDER BY line")]
    assert lines == [n for n in range(2, len(rows) + 1) if n != 10]


def test_duplicate_columns_fail_the_file(fixtures: Path, tmp_path: Path, store: Store) -> None:
    """Found by tests/ingest/test_fuzz.py: a header naming a column twice crashed with a
    KeyError from Arrow; it is a one-line error naming the columns now."""
    text = (fixtures / "comtrade_plus_9306.csv").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    at = 1 if lines[0].startswith("#") else 0
    lines[at] = lines[at].rstrip("\n") + ",partner2Code\n"
    path = tmp_path / "plus.csv"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, path, format="comtrade-plus-csv")
    assert err.value.reason == "duplicate columns: partner2Code" and err.value.line == at + 1
    baci = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    baci.write_text("t,i,j,k,v,q,T\n2022,688,203,930630,1.5,1,2022\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="duplicate columns: t"):
        ingest_file(store, baci, format="baci")


def test_header_names_are_read_once(shared_data: Path, tmp_path: Path, store: Store) -> None:
    """Found by tests/ingest/test_fuzz.py: a header name with a stray tab (``Partner Code\\t``)
    crashed with Arrow's ArrowKeyError (Arrow read the header again, untrimmed); Arrow is given
    the names transship read, so the real file's rows load."""
    src = _real_files(shared_data)[0]
    lines = src.read_text(encoding="utf-8-sig").splitlines(keepends=True)[:40]
    lines[0] = lines[0].replace("Partner Code,", "Partner Code\t,", 1)
    path = tmp_path / src.name
    path.write_text("".join(lines), encoding="utf-8")
    result = ingest_file(store, path, format="comtrade-legacy")
    assert (result.rows_loaded, result.rows_rejected) == (39, 0)
