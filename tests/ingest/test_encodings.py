"""Text encodings users meet: UTF-16 (LE/BE, with BOM, as Excel's "Unicode text" saves it),
UTF-8 with BOM. Real files are re-encoded in tmp_path and must give the same rows, rejects
and physical line numbers as the plain file."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest

from transship.exc import SourceFormatError
from transship.ingest.archive import Source
from transship.ingest.base import ReadContext
from transship.ingest.pipeline import ingest_file
from transship.ingest.registry import read_head, sniff
from transship.store import Store, connect

#: Real files of three readers: Comtrade legacy CSV, SIPRI register, CAAT (COARM) consult.
REAL = {
    "comtrade": "comtrade-hs2-oil-wood-sample/comtrade_wood_hs44_2017.csv",
    "sipri": "sipri-trade-register/trade_register_1995_2025.csv",
    "caat": "caat-eu-arms-exports/consult.csv",
}
#: Provenance that differs by file content, not by what the file says.
PROVENANCE = {"record_id", "source_sha256", "run_id"}
ENCODINGS = {
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
    "utf-8-sig": codecs.BOM_UTF8,
    "utf-32-le": codecs.BOM_UTF32_LE,
}


def reencode(src: Path, dest: Path, encoding: str) -> Path:
    """``src``'s text written as ``encoding`` with its BOM (any BOM of src dropped first)."""
    text = src.read_bytes().decode("utf-8").removeprefix("\ufeff")
    codec = encoding.removesuffix("-sig")
    dest.write_bytes(ENCODINGS[encoding] + text.encode(codec))
    return dest


def facts(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every table the run wrote, as sorted rows without the content-bound provenance, and
    the rejects (line, column, reason, raw)."""
    out: dict[str, list[tuple[object, ...]]] = {}
    tables = {r[0] for r in store.fetchall("SELECT DISTINCT format FROM ingest_runs")}
    assert len(tables) == 1
    for table in store.tables(views=False):
        cols = store.columns(table)
        if "run_id" not in cols or table in ("ingest_runs", "rejects"):
            continue
        keep = ", ".join(f'"{c}"' for c in cols if c not in PROVENANCE)
        rows = store.fetchall(f'SELECT {keep} FROM "{table}" ORDER BY ALL')
        if rows:
            out[table] = rows
    out["rejects"] = store.fetchall('SELECT line, "column", reason, raw FROM rejects ORDER BY ALL')
    return out


@pytest.fixture(scope="module")
def plain_facts(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, list[tuple[object, ...]]]]:
    out = {}
    for name, rel in REAL.items():
        with connect(tmp_path_factory.mktemp(name) / "plain.duckdb") as store:
            result = ingest_file(store, shared_data / rel)
            assert result.status == "ok" and result.rows_loaded > 0
            out[name] = facts(store)
    return out


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-8-sig"])
@pytest.mark.parametrize("name", list(REAL))
def test_reencoded_real_file_gives_the_same_rows(
    name: str,
    encoding: str,
    shared_data: Path,
    tmp_path: Path,
    plain_facts: dict[str, dict[str, list[tuple[object, ...]]]],
) -> None:
    src = shared_data / REAL[name]
    path = reencode(src, tmp_path / src.name, encoding)
    assert sniff(path).name == sniff(src).name  # was "binary file" for UTF-16
    with connect(tmp_path / "s.duckdb") as store:
        result = ingest_file(store, path)
        assert result.status == "ok", result.message
        assert facts(store) == plain_facts[name]  # rows, line numbers and rejects
        assert store.fetchall("SELECT path, encoding, archive_sha256, member FROM sources") == [
            (str(path), encoding, None, None)
        ]


def test_utf16_excel_export_of_comtrade(shared_data: Path, tmp_path: Path, store: Store) -> None:
    """Excel's "Unicode text": UTF-16-LE with BOM, tab-separated, CRLF line ends."""
    src = shared_data / REAL["comtrade"]
    text = src.read_bytes().decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    tsv = "\r\n".join("\t".join(r) for r in rows) + "\r\n"
    path = tmp_path / "comtrade_excel.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + tsv.encode("utf-16-le"))
    result = ingest_file(store, path)
    assert (result.status, result.format) == ("ok", "comtrade-legacy")
    assert result.rows_loaded + result.rows_rejected == len(rows) - 1
    last = store.fetchall("SELECT max(line) FROM trade_flows")[0][0]
    assert last <= len(rows) and result.rows_loaded > 20_000


def test_head_and_tail_are_decoded(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / REAL["sipri"]
    path = reencode(src, tmp_path / "r.csv", "utf-16-be")
    text = src.read_bytes().decode("utf-8").removeprefix("\ufeff")
    assert read_head(path) == text.encode("utf-8")[:65_536].decode("utf-8", errors="replace")
    ctx = ReadContext(path=path, sha256="0" * 64, run_id=1)
    assert ctx.tail(1000) == text.encode("utf-8")[-1000:].decode("utf-8", errors="replace")
    with ctx.open() as f:
        assert f.read() == text.encode("utf-8")
    ctx.close()


def test_utf32_is_read_too(shared_data: Path, tmp_path: Path) -> None:
    path = reencode(shared_data / REAL["caat"], tmp_path / "consult.csv", "utf-32-le")
    assert Source(path).encoding == "utf-32-le"
    assert sniff(path).name == "coarm-consult"


def test_broken_utf16_is_one_line_error(tmp_path: Path, store: Store, shared_data: Path) -> None:
    src = shared_data / REAL["caat"]
    good = src.read_bytes().decode("utf-8").encode("utf-16-le")
    at = 40_000  # a lone high surrogate in the middle of the file
    bad = codecs.BOM_UTF16_LE + good[:at] + b"\x00\xd8" + b"A\x00" + good[at:]
    path = tmp_path / "consult.csv"
    path.write_bytes(bad)
    with pytest.raises(SourceFormatError, match=r"bad UTF-16-LE text at byte \d+"):
        ingest_file(store, path)
    assert store.fetchall("SELECT status FROM ingest_runs") == [("failed",)]
    assert store.count("sources") == 0
