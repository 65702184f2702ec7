"""Packed files: ``.gz`` and ``.zip`` (BACI and Comtrade bulk files come zipped). Real files
are packed in tmp_path at run time; a packed file gives the same rows as the plain one, each
zip member is its own run with its own provenance (archive sha256, member name, line), and
unpacking is bounded."""

from __future__ import annotations

import gzip
import hashlib
import zipfile
from pathlib import Path

import pytest

from transship.exc import SourceFormatError
from transship.ingest.archive import Source, locate, unpack_limit, zip_members
from transship.ingest.pipeline import expand_paths, ingest_file, ingest_paths
from transship.ingest.registry import sniff
from transship.store import Store, connect

COMTRADE = "comtrade-hs2-oil-wood-sample/comtrade_wood_hs44_2017.csv"
COMTRADE_OIL = "comtrade-hs2-oil-wood-sample/comtrade_oil_hs27_2017.csv"
SIPRI = "sipri-trade-register/trade_register_1995_2025.csv"
CONSULT = "caat-eu-arms-exports/consult.csv"
PROVENANCE = {"source_sha256", "run_id"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def facts(store: Store, sha256: str) -> dict[str, list[tuple[object, ...]]]:
    """Rows one content wrote (record ids included: they are bound to the content's sha256,
    which a packed file shares with the plain one), and its rejects."""
    out: dict[str, list[tuple[object, ...]]] = {}
    for table in store.tables(views=False):
        cols = store.columns(table)
        if "source_sha256" not in cols:
            continue
        keep = ", ".join(f'"{c}"' for c in cols if c not in PROVENANCE)
        rows = store.fetchall(
            f'SELECT {keep} FROM "{table}" WHERE source_sha256 = ? ORDER BY ALL', [sha256]
        )
        if rows:
            out[table] = rows
    out["rejects"] = store.fetchall(
        'SELECT line, "column", reason, raw FROM rejects JOIN ingest_runs USING (run_id) '
        "WHERE sha256 = ? ORDER BY ALL",
        [sha256],
    )
    return out


def plain(shared_data: Path, rel: str, tmp: Path) -> dict[str, list[tuple[object, ...]]]:
    with connect(tmp / f"plain-{Path(rel).stem}.duckdb") as store:
        result = ingest_file(store, shared_data / rel)
        assert result.status == "ok" and result.rows_loaded > 0
        return facts(store, sha((shared_data / rel).read_bytes()))


def test_gzip_file_reads_as_the_plain_one(shared_data: Path, tmp_path: Path) -> None:
    raw = (shared_data / COMTRADE).read_bytes()
    packed = gzip.compress(raw)
    path = tmp_path / "comtrade_wood_hs44_2017.csv.gz"
    path.write_bytes(packed)
    assert sniff(path).name == "comtrade-legacy"  # was "binary file"
    with connect(tmp_path / "s.duckdb") as store:
        result = ingest_file(store, path)
        assert result.status == "ok" and result.sha256 == sha(raw)
        assert facts(store, sha(raw)) == plain(shared_data, COMTRADE, tmp_path)
        assert store.fetchall(
            "SELECT path, size_bytes, archive_sha256, member, encoding FROM sources"
        ) == [(str(path), len(raw), sha(packed), None, "utf-8-sig")]
        # The same content loose is the same source: loaded once.
        again = ingest_file(store, shared_data / COMTRADE)
        assert again.status == "skipped" and again.run_id == result.run_id


def test_gzip_json_reads_its_tail(fixtures: Path, tmp_path: Path, store: Store) -> None:
    """The Comtrade API reader looks at the file's tail for ``"simulated": true``."""
    path = tmp_path / "answer.json.gz"
    path.write_bytes(gzip.compress((fixtures / "comtrade_plus_9306.json").read_bytes()))
    result = ingest_file(store, path)
    plain_store = tmp_path / "p.duckdb"
    with connect(plain_store) as other:
        want = ingest_file(other, fixtures / "comtrade_plus_9306.json")
        simulated = other.fetchall("SELECT DISTINCT simulated FROM trade_flows")
    assert (result.format, result.rows_loaded) == (want.format, want.rows_loaded)
    assert store.fetchall("SELECT DISTINCT simulated FROM trade_flows") == simulated


def _bundle(shared_data: Path, path: Path) -> dict[str, bytes]:
    members = {
        "comtrade/comtrade_wood_hs44_2017.csv": (shared_data / COMTRADE).read_bytes(),
        "comtrade/comtrade_oil_hs27_2017.csv": (shared_data / COMTRADE_OIL).read_bytes(),
        "trade_register_1995_2025.csv": (shared_data / SIPRI).read_bytes(),
        "caat/consult.csv": (shared_data / CONSULT).read_bytes(),
        "Readme.txt": b"Exported for the project. Columns as in the source.\n",
        "notes.pdf": b"%PDF-1.4 not data\n",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.mkdir("comtrade")
        for name, data in members.items():
            zf.writestr(name, data)
    return members


def test_zip_members_each_ingested_with_provenance(shared_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    members = _bundle(shared_data, path)
    archive_sha = sha(path.read_bytes())
    assert expand_paths([path]) == [path / m for m in members]  # folders left out
    with connect(tmp_path / "s.duckdb") as store:
        results = {r.file: r for r in ingest_paths(store, [path])}
        status = {Path(f).relative_to(path).as_posix(): r.status for f, r in results.items()}
        assert status == {
            "comtrade/comtrade_wood_hs44_2017.csv": "ok",
            "comtrade/comtrade_oil_hs27_2017.csv": "ok",
            "trade_register_1995_2025.csv": "ok",
            "caat/consult.csv": "ok",
            "Readme.txt": "skipped",
            "notes.pdf": "skipped",
        }
        assert "not data" in (results[str(path / "Readme.txt")].message or "")
        assert "not a data file" in (results[str(path / "notes.pdf")].message or "")
        sources = store.fetchall(
            "SELECT member, path, sha256, archive_sha256, size_bytes FROM sources ORDER BY 1"
        )
        data = {m: b for m, b in members.items() if m.endswith(".csv")}
        assert sources == sorted(
            (m, str(path / m), sha(b), archive_sha, len(b)) for m, b in data.items()
        )
        # Each member: the plain file's rows and rejects, line for line; record ids carry the
        # member's own sha256 and so stay unique across members.
        for member, rel in [
            ("comtrade/comtrade_wood_hs44_2017.csv", COMTRADE),
            ("trade_register_1995_2025.csv", SIPRI),
            ("caat/consult.csv", CONSULT),
        ]:
            assert facts(store, sha(data[member])) == plain(shared_data, rel, tmp_path), member
        files = {r[0] for r in store.fetchall("SELECT DISTINCT file FROM rejects")}
        assert files <= {str(path / m) for m in data}
        ids = store.fetchall("SELECT count(*), count(DISTINCT record_id) FROM trade_flows")
        assert ids[0][0] == ids[0][1] > 0
        # Again: every member is the same content, nothing is added.
        again = ingest_paths(store, [path])
        assert {r.status for r in again} == {"skipped"}


def _release_zip(fixtures: Path, shared_data: Path, path: Path) -> None:
    """A BACI release zip: a year's data with a code we do not ship (900), the release's
    country and product tables, and a readme."""
    data = (fixtures / "baci_HS17_Y2022_V202401_sample.csv").read_text(encoding="utf-8")
    codes = (shared_data / "reference" / "baci_country_codes.csv").read_text(encoding="utf-8")
    codes = codes.rstrip("\n") + "\n900,Kosovo,Kosovo,XK,XKX\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BACI_HS17_Y2022_V202401.csv", data + "2022,900,688,930630,7.5,0.5\n")
        zf.writestr("country_codes_V202401.csv", codes)
        zf.writestr(
            "product_codes_HS17_V202401.csv",
            'code,description\n010121,"Horses: live, pure-bred breeding animals"\n',
        )
        zf.writestr("Readme.txt", "BACI HS17 release V202401\n")


def test_baci_release_zip(fixtures: Path, shared_data: Path, tmp_path: Path, store: Store) -> None:
    path = tmp_path / "BACI_HS17_V202401.zip"
    _release_zip(fixtures, shared_data, path)
    results = {Path(r.file).name: r for r in ingest_paths(store, [path])}
    data = results["BACI_HS17_Y2022_V202401.csv"]
    # The release's own country table, read from inside the zip, resolves code 900.
    assert (data.status, data.format, data.rows_loaded, data.rows_rejected) == (
        "ok",
        "baci",
        10,
        0,
    )
    assert store.fetchall("SELECT reporter, line FROM trade_flows WHERE reporter_orig = '900'") == [
        ("xk", 12)
    ]
    assert store.fetchall("SELECT DISTINCT classification FROM trade_flows") == [("H5",)]
    for side in ("country_codes_V202401.csv", "product_codes_HS17_V202401.csv"):
        assert results[side].status == "skipped"
        assert "BACI code table" in (results[side].message or "")
    assert results["Readme.txt"].status == "skipped"
    assert store.count("ingest_runs") == 1


def test_folder_walk_picks_up_packed_files(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "consult.csv.gz").write_bytes(gzip.compress((shared_data / CONSULT).read_bytes()))
    (folder / "old.tar.gz").write_bytes(gzip.compress(b"not a data file"))
    with zipfile.ZipFile(folder / "bulk.zip", "w") as zf:
        zf.writestr("a.csv", (shared_data / CONSULT).read_bytes())
    assert expand_paths([folder]) == [folder / "bulk.zip" / "a.csv", folder / "consult.csv.gz"]


def test_member_named_on_its_own(shared_data: Path, tmp_path: Path, store: Store) -> None:
    path = tmp_path / "bundle.zip"
    _bundle(shared_data, path)
    result = ingest_file(store, path / "caat" / "consult.csv")
    assert (result.status, result.format) == ("ok", "coarm-consult")
    assert locate(path / "caat" / "consult.csv") == Source(path, "caat/consult.csv")
    with pytest.raises(SourceFormatError, match="no member 'caat/nope.csv'"):
        ingest_file(store, path / "caat" / "nope.csv")
    with pytest.raises(SourceFormatError, match="a zip archive"):
        ingest_file(store, path)
    assert zip_members(path)[0] == "comtrade/comtrade_wood_hs44_2017.csv"


def test_utf16_member_of_a_zip(shared_data: Path, tmp_path: Path, store: Store) -> None:
    text = (shared_data / CONSULT).read_text(encoding="utf-8")
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("consult.csv", b"\xff\xfe" + text.encode("utf-16-le"))
    (result,) = ingest_paths(store, [path])
    assert (result.status, result.format) == ("ok", "coarm-consult")
    want = plain(shared_data, CONSULT, tmp_path)
    got = facts(store, result.sha256 or "")
    strip = {t: [r[1:] for r in rows] for t, rows in want.items() if t != "rejects"}
    assert {t: [r[1:] for r in rows] for t, rows in got.items() if t != "rejects"} == strip
    assert got["rejects"] == want["rejects"]


def test_unpacking_is_bounded(
    shared_data: Path, tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = (shared_data / SIPRI).read_bytes()  # 2.7 MB
    monkeypatch.setenv("TRANSSHIP_MAX_UNPACK_BYTES", str(1 << 20))
    gz = tmp_path / "register.csv.gz"
    gz.write_bytes(gzip.compress(raw))
    with pytest.raises(SourceFormatError, match="unpacks to more than 1.0 MiB"):
        ingest_file(store, gz)
    member = tmp_path / "register.zip"
    with zipfile.ZipFile(member, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("register.csv", raw)
    (result,) = ingest_paths(store, [member])
    assert result.status == "failed" and "zip bomb" in (result.message or "")
    assert store.count("sources") == 0
    monkeypatch.delenv("TRANSSHIP_MAX_UNPACK_BYTES")
    monkeypatch.setenv("TRANSSHIP_MAX_UNPACK_RATIO", "10")
    assert unpack_limit(1 << 30) == 10 << 30
    assert unpack_limit(1000) == 64 << 20  # small files may always unpack to 64 MiB


def test_zip_member_that_lies_about_its_size(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member whose headers claim a small size but that inflates past the limit: a
    one-line failure, nothing stored (zipfile stops at the claimed size and the CRC fails;
    the stream's own count would stop it past the limit otherwise)."""
    limit = 1 << 20
    body = b"2022,4,8,10121,1.0,1.0\n" * (limit // 10)
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BACI_HS17_Y2022_V202401.csv", b"t,i,j,k,v,q\n" + body)
    # Forge the sizes in both headers: the central directory and the local header.
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.infolist()[0]
    true_size = info.file_size.to_bytes(4, "little")
    for at in range(len(data) - 4):
        if data[at : at + 4] == true_size:
            data[at : at + 4] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    monkeypatch.setenv("TRANSSHIP_MAX_UNPACK_BYTES", str(limit))
    (result,) = ingest_paths(store, [path])
    assert result.status == "failed"
    assert result.message and "damaged archive" in result.message, result.message
    assert store.count("sources") == 0


def test_damaged_gzip_is_a_message(shared_data: Path, tmp_path: Path, store: Store) -> None:
    packed = gzip.compress((shared_data / CONSULT).read_bytes())
    path = tmp_path / "consult.csv.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(SourceFormatError, match="damaged archive"):
        ingest_file(store, path)
    assert store.count("sources") == 0


def test_source_open_streams(shared_data: Path, tmp_path: Path) -> None:
    raw = (shared_data / CONSULT).read_bytes()
    path = tmp_path / "c.csv.gz"
    path.write_bytes(gzip.compress(raw))
    src = Source(path)
    assert (src.container, src.encoding, src.name) == ("gzip", None, "c.csv")
    seen: list[int] = []
    with src.open(seen.append) as f:
        assert f.read() == raw
    assert sum(seen) == path.stat().st_size  # progress counts the bytes on disk


def test_cli_reads_a_zip_and_a_member(shared_data: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from transship.cli.app import app

    path = tmp_path / "bundle.zip"
    _bundle(shared_data, path)
    db = tmp_path / "cli.duckdb"
    runner = CliRunner()
    one = runner.invoke(app, ["ingest", "--db", str(db), str(path / "caat" / "consult.csv")])
    assert one.exit_code == 0, one.output
    every = runner.invoke(app, ["ingest", "--db", str(db), "--json", str(path)])
    assert every.exit_code == 0, every.output
    with connect(db, read_only=True) as store:
        members = {r[0] for r in store.fetchall("SELECT member FROM sources")}
    assert members == {
        "caat/consult.csv",
        "comtrade/comtrade_wood_hs44_2017.csv",
        "comtrade/comtrade_oil_hs27_2017.csv",
        "trade_register_1995_2025.csv",
    }
