"""A file that is mostly rejects fails: nothing stored, a failed run logged, the first rejects
quoted, exit 1 (docs/store.md, "Rejected share")."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from transship.api import ingest
from transship.cli.app import app
from transship.exc import InvalidInput, SourceFormatError
from transship.ingest.pipeline import SHARE_EARLY_ROWS, ingest_file
from transship.store import connect

runner = CliRunner()
OIL_2014 = "comtrade-hs2-oil-wood-sample/comtrade_oil_hs27_2014.csv"
DATA_TABLES = ("trade_flows", "entities", "statements", "rejects", "sources")


def _garbage_baci(path: Path, lines: int, good_every: int = 0, seed: int = 6) -> Path:
    """Random text under a BACI header (every ``good_every``-th line a valid row)."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz ,.;0123456789"
    with open(path, "w", encoding="utf-8") as f:
        f.write("t,i,j,k,v,q\n")
        for n in range(lines):
            if good_every and n % good_every == 0:
                f.write(f"2022,688,203,{100_000 + n},1.5,2\n")
            else:
                f.write("".join(rng.choice(letters) for _ in range(30)) + "\n")
    return path


def _counts(db: Path) -> dict[str, int]:
    with connect(db) as s:
        return {t: s.count(t) for t in DATA_TABLES}


def test_comtrade_forced_to_ftm_fails_and_stores_nothing(shared_data: Path, tmp_path: Path) -> None:
    """The issue's case: a CSV forced to --format ftm, every line a reject, used to exit 0."""
    db = tmp_path / "s.duckdb"
    result = runner.invoke(
        app, ["ingest", str(shared_data / OIL_2014), "--format", "ftm", "--db", str(db)]
    )
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())
    assert "17,959 of 17,959 rows rejected (100 % > 50 %)" in message
    assert "line 1:" in message and "line 2:" in message and "line 3:" in message
    assert "first 3" in message and "Traceback" not in result.output
    assert all(n == 0 for n in _counts(db).values())
    with connect(db) as s:
        [(status, text)] = s.fetchall("SELECT status, message FROM ingest_runs")
    assert status == "failed" and "17,959 of 17,959 rows rejected" in text


def test_random_text_under_a_baci_header_fails(tmp_path: Path) -> None:
    path = _garbage_baci(tmp_path / "BACI_HS17_Y2022_V202401.csv", 500, good_every=5)
    with connect(tmp_path / "s.duckdb") as store:
        with pytest.raises(SourceFormatError) as info:
            ingest_file(store, path)
        assert "400 of 500 rows rejected (80 % > 50 %)" in info.value.reason
        assert info.value.reason.count("line ") >= 3
        assert store.count("trade_flows") == 0 and store.count("rejects") == 0
        assert store.fetchall("SELECT status FROM ingest_runs") == [("failed",)]
        # The flag (or the API's argument) lets a user take the good rows anyway.
        ok = ingest_file(store, path, max_reject_share=0.9)
        assert (ok.status, ok.rows_loaded, ok.rows_rejected) == ("ok", 100, 400)


def test_flag_and_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _garbage_baci(tmp_path / "BACI_HS17_Y2022_V202401.csv", 100, good_every=2)
    db = tmp_path / "s.duckdb"
    # 50 of 100 rejected is not above 50 %.
    assert runner.invoke(app, ["ingest", str(path), "--db", str(db)]).exit_code == 0
    strict = _garbage_baci(tmp_path / "BACI_HS17_Y2021_V202401.csv", 100, good_every=2, seed=7)
    r = runner.invoke(app, ["ingest", str(strict), "--max-reject-share", "0.2", "--db", str(db)])
    assert r.exit_code == 1 and "50 of 100 rows rejected (50 % > 20 %)" in " ".join(
        r.output.split()
    )
    monkeypatch.setenv("TRANSSHIP_MAX_REJECT_SHARE", "0.4")
    r = runner.invoke(app, ["ingest", str(strict), "--db", str(db), "--json"])
    assert r.exit_code == 1, r.output
    assert json.loads(r.stdout)[0]["status"] == "failed"
    monkeypatch.setenv("TRANSSHIP_MAX_REJECT_SHARE", "1")  # the rule off
    r = runner.invoke(app, ["ingest", str(strict), "--db", str(db), "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["rows_rejected"] == 50
    bad = runner.invoke(app, ["ingest", str(strict), "--max-reject-share", "2", "--db", str(db)])
    assert bad.exit_code == 2
    monkeypatch.setenv("TRANSSHIP_MAX_REJECT_SHARE", "lots")
    with connect(db) as store, pytest.raises(InvalidInput):
        ingest(store, _garbage_baci(tmp_path / "BACI_HS17_Y2020_V202401.csv", 30, seed=8))


def test_large_garbage_stops_early(tmp_path: Path) -> None:
    """Garbage is not read to its end: the ingest stops once the rule is clearly broken."""
    lines = 4 * SHARE_EARLY_ROWS
    path = _garbage_baci(tmp_path / "BACI_HS17_Y2022_V202401.csv", lines)
    with connect(tmp_path / "s.duckdb") as store:
        with pytest.raises(SourceFormatError) as info:
            ingest_file(store, path, max_reject_share=0.5)
        reason = info.value.reason
        assert reason.startswith("stopped after ")
        read = int(reason.removeprefix("stopped after ").split(" ")[0].replace(",", ""))
        assert SHARE_EARLY_ROWS <= read < lines
        assert store.count("rejects") == 0


def test_small_files_and_duplicates_count(fixtures: Path, tmp_path: Path) -> None:
    """Small files get no exemption: 6 rejects in 9 rows fail the file and store nothing,
    unless the user asks for the good rows anyway; duplicate keys are rejects and count
    towards the share."""
    with connect(tmp_path / "s.duckdb") as store:
        with pytest.raises(SourceFormatError) as small_err:
            ingest_file(store, fixtures / "licences.csv")
        assert "6 of 9 rows rejected (67 % > 50 %), nothing stored" in small_err.value.reason
        assert store.count("licences") == 0 and store.count("rejects") == 0
        small = ingest_file(store, fixtures / "licences.csv", max_reject_share=1.0)
        assert (small.status, small.rows_loaded, small.rows_rejected) == ("ok", 3, 6)
        header, first = (
            fixtures.joinpath("licences.csv").read_text(encoding="utf-8").splitlines()[:2]
        )
        dups = tmp_path / "dups.csv"
        dups.write_text("\n".join([header] + [first] * 30) + "\n", encoding="utf-8")
        with pytest.raises(SourceFormatError) as info:
            ingest_file(store, dups)
        assert "29 of 30 rows rejected" in info.value.reason
        assert "line 3: duplicate key (licence_id=RS-2021-0147), first seen on line 2" in (
            info.value.reason
        )


def test_garbage_the_csv_parser_skips_stops_early(tmp_path: Path) -> None:
    """Lines of the wrong width never reach the pipeline one by one: Arrow's parser skips them
    until a block has a row. The reader asks the pipeline as it goes, and stops."""
    lines = 6_000_000  # ~90 MB: Arrow's reader reads up to 32 MiB ahead whatever happens
    path = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("t,i,j,k,v,q\n")
        f.writelines(f"garbage{n}\n" for n in range(lines))
    size = path.stat().st_size
    read_bytes = [0]

    def progress(_: Path, total: int) -> Callable[[int], None]:
        assert total == size
        return lambda n: read_bytes.__setitem__(0, read_bytes[0] + n)

    with connect(tmp_path / "s.duckdb") as store:
        with pytest.raises(SourceFormatError) as info:
            ingest_file(store, path, progress=progress)
        assert read_bytes[0] < size / 2  # the rest of the file was never read
        reason = info.value.reason
        assert reason.startswith("stopped after ")
        read = int(reason.removeprefix("stopped after ").split(" ")[0].replace(",", ""))
        assert SHARE_EARLY_ROWS <= read < lines
        assert "line 2: expected 6 fields, found 1" in reason
        assert store.count("rejects") == 0 and store.count("trade_flows") == 0
