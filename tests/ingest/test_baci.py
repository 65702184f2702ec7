"""BACI reader: units, lost leading zeros, NA, country codes, side tables, line numbers.

The fixtures are hand-made in BACI's layout and labelled ``# SIMULATED`` (invented figures).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from transship.exc import SourceFormatError
from transship.ingest import ingest_file
from transship.ingest.baci import classification_from_name, country_table
from transship.ingest.registry import sniff
from transship.store import Store

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = "baci_HS17_Y2022_V202401_sample.csv"


def test_sample_units_codes_and_na(fixtures: Path, store: Store) -> None:
    result = ingest_file(store, fixtures / SAMPLE)
    assert result.format == "baci" and (result.rows_loaded, result.rows_rejected) == (9, 0)
    rows = store.fetchall(
        "SELECT line, reporter, partner, flow, year, period, classification, hs_code, hs_orig, "
        "value_usd, value_orig, value_basis, qty, qty_unit, net_weight_kg, simulated "
        "FROM trade_flows ORDER BY line"
    )
    assert rows[0] == (
        3, "rs", "cz", "X", 2022, "2022", "H5", "930630", "930630",
        1_234_567.0, "1234.567", "reconciled", 45.2, "t", 45_200.0, True,
    )  # fmt: skip
    by_line = {r[0]: r for r in rows}
    assert by_line[4][12:15] == (None, None, None)  # q "           NA": no quantity, no unit
    assert by_line[5][12] is None  # q empty
    assert by_line[6][1:3] == ("fr", "rs") and by_line[6][7:9] == ("010121", "10121")
    assert by_line[7][1] == "in" and by_line[7][7] == "030211" and by_line[7][12] is None
    assert by_line[8][1] == "us" and by_line[8][9] is None and by_line[8][12] == 1.5  # v NA
    assert by_line[9][1] == "tw"  # 490 "Other Asia, nes"
    assert by_line[10][1] == "it"  # BACI's 381
    assert by_line[11][1] == "ch" and by_line[11][9] == pytest.approx(1.0)
    codes = store.fetchall(
        "SELECT DISTINCT reporter_orig, reporter_iso3, reporter_m49 FROM trade_flows "
        "WHERE reporter_orig IN ('842', '251', '699') ORDER BY 1"
    )
    assert codes == [("251", "FRA", "250"), ("699", "IND", "356"), ("842", "USA", "840")]
    assert store.fetchall("SELECT format, simulated FROM sources") == [("baci", True)]


def test_bad_rows_become_rejects(fixtures: Path, store: Store) -> None:
    result = ingest_file(store, fixtures / "baci_bad.csv", max_reject_share=1.0)
    assert (result.rows_loaded, result.rows_rejected) == (2, 7)
    got = store.fetchall('SELECT line, "column", reason, raw FROM rejects ORDER BY line')
    assert got == [
        (4, "t", "bad year '20x2'", "20x2,688,203,930630,1.5,1"),
        (5, "i", "unknown country code '999'", "2022,999,203,930630,1.5,1"),
        (6, "k", "bad HS code '9306'", "2022,688,203,9306,1.5,1"),
        (7, "v", "value is not a number: '1.5e'", "2022,688,203,930630,1.5e,1"),
        (8, "q", "quantity is not a number: 'lots'", "2022,688,203,930630,1.5,lots"),
        (9, None, "expected 6 fields, found 3", "2022,688,203"),
        (10, "j", "missing importer code", "2022,688,,930630,1.5,1"),
    ]
    # the row after the short line keeps its physical line number
    assert store.fetchall("SELECT line FROM trade_flows ORDER BY 1") == [(3,), (11,)]
    # no edition in the file name
    assert store.fetchall("SELECT DISTINCT classification FROM trade_flows") == [(None,)]


def test_strict(fixtures: Path, store: Store) -> None:
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, fixtures / "baci_bad.csv", strict=True)
    assert (err.value.line, err.value.column) == (4, "t")
    assert "bad year" in str(err.value) and store.count("trade_flows") == 0


def test_missing_columns_and_wrong_kind(fixtures: Path, tmp_path: Path, store: Store) -> None:
    path = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    path.write_text("t,i,j,v,q\n2022,688,203,1.5,1\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, path, format="baci")
    assert err.value.reason == "missing columns: k" and err.value.line == 1
    with pytest.raises(SourceFormatError, match="missing columns: t, i, j, k, v"):
        ingest_file(store, fixtures / "comtrade_plus_9306.csv", format="baci")


def test_idempotent(fixtures: Path, store: Store) -> None:
    first = ingest_file(store, fixtures / SAMPLE)
    second = ingest_file(store, fixtures / SAMPLE)
    assert (first.status, second.status) == ("ok", "skipped")
    assert store.count("trade_flows") == 9 and store.count("ingest_runs") == 1


@pytest.mark.parametrize(
    ("name", "edition"),
    [
        ("BACI_HS92_Y1995_V202401.csv", "H0"),
        ("BACI_HS96_Y2000_V202401.csv", "H1"),
        ("BACI_HS02_Y2005_V202401.csv", "H2"),
        ("BACI_HS07_Y2010_V202401.csv", "H3"),
        ("BACI_HS12_Y2015_V202401.csv", "H4"),
        ("BACI_HS17_Y2022_V202401.csv", "H5"),
        ("baci_hs22_y2023_v202501.csv", "H6"),
        ("BACI_Y2022.csv", None),
        ("BACI_HS1700_Y2022.csv", None),
    ],
)
def test_classification_from_file_name(name: str, edition: str | None) -> None:
    assert classification_from_name(name) == edition


def _release(fixtures: Path, folder: Path, codes: str | None) -> Path:
    """A BACI release folder: a data file with a code we do not ship (900), and optionally
    the release's own country table."""
    folder.mkdir()
    data = folder / "BACI_HS17_Y2022_V202401.csv"
    text = (fixtures / SAMPLE).read_text(encoding="utf-8")
    data.write_text(text + "2022,900,688,930630,7.5,0.5\n", encoding="utf-8")
    if codes is not None:
        (folder / "country_codes_V202401.csv").write_text(codes, encoding="utf-8")
    return data


NEW_CODES = (
    "country_code,country_name,country_iso2,country_iso3\n"
    "688,Serbia,RS,SRB\n"
    "900,Kosovo,XK,XKX\n"
    "490,Other Asia nes,N/A,N/A\n"
)
OLD_CODES = (
    "\ufeffcountry_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,"
    "iso_3digit_alpha\n900,Kosovo,Kosovo,XK,XKX\n"
)


def test_release_country_table_resolves_unshipped_codes(
    fixtures: Path, tmp_path: Path, store: Store
) -> None:
    data = _release(fixtures, tmp_path / "release", NEW_CODES)
    assert country_table(data) == {688: "SRB", 900: "XKX"}  # N/A rows left out
    result = ingest_file(store, data)
    assert (result.rows_loaded, result.rows_rejected) == (10, 0)
    row = store.fetchall("SELECT reporter, reporter_orig, line FROM trade_flows WHERE line = 12")
    assert row == [("xk", "900", 12)]
    # the shipped mapping still wins for codes it knows
    assert store.fetchall(
        "SELECT DISTINCT reporter FROM trade_flows WHERE reporter_orig = '490'"
    ) == [("tw",)]


def test_older_release_table_layout(fixtures: Path, tmp_path: Path) -> None:
    data = _release(fixtures, tmp_path / "old", OLD_CODES)
    assert country_table(data) == {900: "XKX"}


def test_without_release_table_the_code_is_rejected(
    fixtures: Path, tmp_path: Path, store: Store
) -> None:
    data = _release(fixtures, tmp_path / "bare", None)
    result = ingest_file(store, data)
    assert (result.rows_loaded, result.rows_rejected) == (9, 1)
    assert store.fetchall('SELECT line, "column", reason FROM rejects') == [
        (12, "i", "unknown country code '900'")
    ]


def test_release_folder_side_tables_store_nothing(
    fixtures: Path, tmp_path: Path, store: Store
) -> None:
    folder = tmp_path / "release"
    _release(fixtures, folder, NEW_CODES)
    (folder / "product_codes_V202401.csv").write_text(
        'code,description\n010121,"Horses: live, pure-bred breeding animals"\n', encoding="utf-8"
    )
    from transship.ingest import ingest_paths

    results = {Path(r.file).name: r for r in ingest_paths(store, [folder])}
    assert {n: (r.status, r.format, r.rows_loaded) for n, r in results.items()} == {
        "BACI_HS17_Y2022_V202401.csv": ("ok", "baci", 10),
        "country_codes_V202401.csv": ("ok", "baci", 0),
        "product_codes_V202401.csv": ("ok", "baci", 0),
    }


def test_many_batches_keep_exact_line_numbers(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small batches (64 KiB blocks): line numbers stay the physical ones across blocks,
    also after short rows Arrow skips in the middle of a block."""
    bench = _benchmark_module()  # benchmarks/ingest.py: the seeded BACI generator

    path = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    bench.generate(path, 20_000, bench.usable_codes(), seed=7)
    lines = path.read_text(encoding="utf-8").splitlines()
    for n in (5_000, 12_345):  # make two physical lines short
        lines[n - 1] = "2022,688"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("TRANSSHIP_BATCH_ROWS", "1000")
    result = ingest_file(store, path)
    assert (result.rows_loaded, result.rows_rejected) == (19_998, 2)
    assert store.fetchall("SELECT line FROM rejects ORDER BY 1") == [(5_000,), (12_345,)]
    runs = store.fetchall("SELECT count(DISTINCT line), min(line), max(line) FROM trade_flows")
    assert runs == [(19_998, 2, 20_001)]
    # every stored row carries the values of its own physical line
    for line in (2, 4_999, 5_001, 12_344, 12_346, 20_001):
        t, i, j, k, v, q = lines[line - 1].split(",")
        [(orig, value_orig)] = store.fetchall(
            "SELECT [reporter_orig, partner_orig, hs_orig], value_orig FROM trade_flows "
            "WHERE line = ?",
            [line],
        )
        assert orig == [i, j, k] and value_orig == v


def _benchmark_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "_bench_ingest", ROOT / "benchmarks" / "ingest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sniffing(fixtures: Path, shared_data: Path, tmp_path: Path) -> None:
    assert sniff(fixtures / SAMPLE).name == "baci"
    assert sniff(fixtures / "baci_bad.csv").name == "baci"
    side = tmp_path / "country_codes_V202401.csv"
    shutil.copy(shared_data / "reference" / "baci_country_codes.csv", side)
    assert sniff(side).name == "baci"
    with pytest.raises(SourceFormatError, match="not a format transship recognises"):
        sniff(shared_data / "reference" / "baci_country_codes.csv")  # not a release side table


def test_stored_as_the_source_and_presented_as_trade_flows(fixtures: Path, store: Store) -> None:
    """BACI rows are stored narrow (``baci_rows``, ``baci_files``, ``baci_codes``) and the
    ``trade_flows`` view presents them with the same columns and record ids as any row."""
    result = ingest_file(store, fixtures / SAMPLE)
    assert store.count("baci_rows") == result.rows_loaded == store.count("trade_flows")
    assert store.count("trade_flow_rows") == 0
    # Each country code once per file, with the first line that used it.
    codes = dict(
        store.fetchall("SELECT code, line FROM baci_codes WHERE run_id = ?", [result.run_id])
    )
    firsts = store.fetchall(
        "SELECT code, min(line) FROM (SELECT i AS code, line FROM baci_rows "
        "UNION ALL SELECT j, line FROM baci_rows) GROUP BY code"
    )
    assert codes == dict(firsts)
    [(classification, sha)] = store.fetchall("SELECT classification, source_sha256 FROM baci_files")
    assert classification == "H5" and sha == result.sha256
    ids = [r[0] for r in store.fetchall("SELECT record_id FROM trade_flows ORDER BY line")]
    lines = [r[0] for r in store.fetchall("SELECT line FROM baci_rows ORDER BY line")]
    assert ids == [f"{result.sha256[:16]}:{n}" for n in lines]
    # The statement view traces a BACI value to its original text like any other row.
    [(value, original)] = store.fetchall(
        "SELECT value, original_value FROM trade_flows_statements "
        "WHERE entity_id = ? AND prop = 'value_usd'",
        [ids[0]],
    )
    assert float(value) == 1_234_567.0 and original == "1234.567"
    # Users see trade_flows as a data table, not the storage behind it.
    shown = store.tables(views=False)
    assert "trade_flows" in shown and not {"trade_flow_rows", "baci_rows"} & set(shown)


def test_line_numbers_hold_across_parse_blocks(tmp_path: Path, store: Store) -> None:
    """Arrow parses in 1 MiB blocks gathered into batches: wrong-width and blank lines spread
    over many blocks still get their own line numbers, and every stored row keeps its own."""
    path = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    bad = {5_000, 40_001, 77_777, 123_456}  # wrong width: rejects
    blank = {20_000, 99_999}  # skipped quietly
    with open(path, "w", encoding="utf-8") as f:
        f.write("t,i,j,k,v,q\n")
        for line in range(2, 150_002):
            if line in bad:
                f.write("2022,688,203\n")
            elif line in blank:
                f.write("\n")
            else:
                f.write(f"2022,688,203,{100_000 + line},{line}.5,1.0\n")  # keys differ
    assert path.stat().st_size > 4 << 20  # several parse blocks
    result = ingest_file(store, path)
    assert result.rows_rejected == len(bad)
    assert {r[0] for r in store.fetchall("SELECT line FROM rejects")} == bad
    # Each stored row's value encodes the line it was written on.
    mismatched = store.fetchall("SELECT count(*) FROM baci_rows WHERE v <> line + 0.5")
    assert mismatched == [(0,)]
    assert result.rows_loaded == 150_000 - len(bad) - len(blank)


def _baci_with_long_lines(path: Path, long: dict[int, int], bad: set[int]) -> None:
    """150,000 rows whose value encodes their line; ``long``: line -> length of a row padded
    with zeros in ``v`` (still worth line + 0.5); ``bad``: wrong-width lines."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("t,i,j,k,v,q\n")
        for line in range(2, 150_002):
            if line in bad:
                f.write("2022,688,203\n")
            elif line in long:
                pad = "0" * long[line]
                f.write(f"2022,688,203,{100_000 + line},{pad}{line}.5,1.0\n")
            else:
                f.write(f"2022,688,203,{100_000 + line},{line}.5,1.0\n")


def test_a_line_over_the_limit_is_one_reject(tmp_path: Path, store: Store) -> None:
    """Issue 10 point 4: a row over 1 MiB made Arrow fail the whole file ("straddling object
    straddles two block boundaries"). A row over the limit (2 MiB) is one reject now; the
    rest loads, every row on its own line, wrong-width rows after it included."""
    path = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    long = {30_000: 3 << 20, 30_001: (2 << 20) + 1, 100_000: 5 << 20}
    bad = {5_000, 30_002, 30_010, 100_001, 140_000}
    _baci_with_long_lines(path, long, bad)
    result = ingest_file(store, path)
    rejects = store.fetchall('SELECT line, "column", reason FROM rejects ORDER BY line')
    reason = "line longer than 2,097,152 bytes (TRANSSHIP_MAX_FIELD_BYTES)"
    assert [r for r in rejects if r[0] in long] == [(n, None, reason) for n in sorted(long)]
    assert {r[0] for r in rejects} == set(long) | bad
    assert result.rows_loaded == 150_000 - len(long) - len(bad)
    assert store.fetchall("SELECT count(*) FROM baci_rows WHERE v <> line + 0.5") == [(0,)]
    from transship.store import connect

    other = connect(tmp_path / "strict.duckdb")
    try:
        with pytest.raises(SourceFormatError) as err:
            ingest_file(other, path, strict=True)
    finally:
        other.close()
    assert err.value.line == 5_000  # the first reject, as always


def test_long_lines_under_the_limit_load(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANSSHIP_MAX_FIELD_BYTES", str(4 << 20))
    path = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    long = {2: 3 << 20, 60_000: 3 << 20, 60_001: 1_200_000, 150_001: (4 << 20) - 100}
    _baci_with_long_lines(path, long, {60_002})
    result = ingest_file(store, path)
    assert (result.rows_loaded, result.rows_rejected) == (149_999, 1)
    assert store.fetchall("SELECT line FROM rejects") == [(60_002,)]
    assert store.fetchall("SELECT count(*) FROM baci_rows WHERE v <> line + 0.5") == [(0,)]
    assert store.fetchall(
        "SELECT line FROM baci_rows WHERE line IN (2, 60000, 60001, 150001) ORDER BY 1"
    ) == [(2,), (60_000,), (60_001,), (150_001,)]


def test_a_line_that_is_not_utf8_is_one_reject(
    fixtures: Path, tmp_path: Path, store: Store, capfd: pytest.CaptureFixture[str]
) -> None:
    """Bytes that are not UTF-8 made Arrow fail the whole file (and, in a row of the wrong
    width, print a UnicodeDecodeError traceback from inside Arrow): one reject each now."""
    lines = (fixtures / SAMPLE).read_bytes().splitlines(keepends=True)
    lines[3] = b"2022,688,100,93\xff630,250.1,1\n"  # line 4: right width, bad byte
    lines[5] = b"20\xf4\x22,688\n"  # line 6: wrong width and a bad byte
    path = tmp_path / SAMPLE
    path.write_bytes(b"".join(lines))
    result = ingest_file(store, path)
    got = store.fetchall('SELECT line, "column", reason FROM rejects ORDER BY line')
    assert got == [(4, None, "not UTF-8 text"), (6, None, "not UTF-8 text")]
    assert (result.rows_loaded, result.rows_rejected) == (7, 2)
    assert "Traceback" not in capfd.readouterr().err


def test_arrow_decode_failure_of_a_bad_row_is_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The message Arrow cannot raise (its row text is not UTF-8) is dropped; others pass."""
    from types import SimpleNamespace

    from transship.ingest import csvstream

    seen: list[object] = []
    monkeypatch.setattr(csvstream, "_previous_unraisable", seen.append)
    handler = csvstream._Skipped().handler
    csvstream._unraisable(SimpleNamespace(exc_type=UnicodeDecodeError, object=handler))
    assert seen == []
    other = SimpleNamespace(exc_type=ValueError, object=handler)
    csvstream._unraisable(other)
    assert seen == [other]
    import sys

    assert sys.unraisablehook is csvstream._unraisable or "pytest" in repr(sys.unraisablehook)
