"""`transship fetch baci` against a fake CEPII server: progress, resume, checks, ingest."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.fetch.fake import Reply, Request, ranged, serve
from transship.cli.app import app
from transship.exc import InvalidInput
from transship.fetch import baci
from transship.fetch.http import Client, FetchError
from transship.store import connect

runner = CliRunner()
NAME = "BACI_HS17_V202501.zip"


def release(fixtures: Path) -> bytes:
    """A release-shaped zip around the hand-made BACI sample (SIMULATED rows)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "BACI_HS17_Y2022_V202501.csv",
            (fixtures / "baci_HS17_Y2022_V202401_sample.csv").read_bytes(),
        )
        z.writestr(
            "country_codes_V202501.csv",
            "country_code,country_name,country_iso2,country_iso3\n688,Serbia,RS,SRB\n",
        )
        z.writestr("product_codes_HS17_V202501.csv", "code,description\n930630,Cartridges\n")
        z.writestr("Readme.txt", "BACI release (test)\n")
    return buf.getvalue()


@pytest.fixture
def cepii(monkeypatch: pytest.MonkeyPatch, fixtures: Path) -> Any:
    data = release(fixtures)
    first = {"cut": True}

    def handler(r: Request) -> Reply:
        cut = len(data) // 2 if first.pop("cut", False) else None
        return ranged(data, r, cut_after=cut)

    with serve({f"/{NAME}": handler}) as fake:
        monkeypatch.setenv("TRANSSHIP_BACI_URL", fake.url)
        monkeypatch.setenv("TRANSSHIP_FETCH_BACKOFF", "0")
        fake.data = data  # type: ignore[attr-defined]
        yield fake


def test_names_are_checked_before_any_network() -> None:
    assert baci.file_name("202501", "hs22") == "BACI_HS22_V202501.zip"
    with pytest.raises(InvalidInput, match="--release"):
        baci.file_name("2025", "HS17")
    with pytest.raises(InvalidInput, match="--hs"):
        baci.file_name("202501", "HS19")


def test_download_resumes_and_lists_the_members(cepii: Any, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    got = baci.fetch(
        "202501",
        "HS17",
        tmp_path,
        client=Client("baci", backoff=0, sleep=lambda s: None),
        progress=lambda d, t: seen.append((d, t)),
    )
    assert got.path.read_bytes() == cepii.data
    assert [r.headers.get("Range") for r in cepii.requests] == [
        None,
        f"bytes={len(cepii.data) // 2}-",
    ]
    assert got.years == ["2022"] and "country_codes_V202501.csv" in got.members
    assert seen[-1] == (len(cepii.data), len(cepii.data))
    again = baci.fetch("202501", "HS17", tmp_path)
    assert again.already_had and len(cepii.requests) == 2  # nothing downloaded twice


def test_a_corrupt_archive_is_deleted_and_never_ingested(
    monkeypatch: pytest.MonkeyPatch, fixtures: Path, tmp_path: Path
) -> None:
    data = bytearray(release(fixtures))
    mid = len(data) // 3
    data[mid : mid + 40] = b"\x00" * 40  # damage a member's compressed bytes
    with serve({f"/{NAME}": lambda r: ranged(bytes(data), r)}) as fake:
        monkeypatch.setenv("TRANSSHIP_BACI_URL", fake.url)
        db = tmp_path / "t.duckdb"
        result = runner.invoke(
            app,
            ["fetch", "baci", "--release", "202501", "--out", str(tmp_path / "f"), "--db", str(db)],
        )
    assert result.exit_code == 1
    assert (
        "baci:" in result.output
        and "deleted" in result.output
        and "run the command again" in result.output
    )
    assert not (tmp_path / "f" / NAME).exists() and not db.exists()


def test_a_wrong_published_checksum_fails(cepii: Any, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="does not match its published sha256"):
        baci.fetch(
            "202501",
            "HS17",
            tmp_path,
            sha256="ab" * 32,
            client=Client("baci", backoff=0, sleep=lambda s: None),
        )


def test_cli_ingests_the_yearly_members_and_records_the_fetch(cepii: Any, tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    result = runner.invoke(
        app,
        [
            "fetch",
            "baci",
            "--release",
            "202501",
            "--out",
            str(tmp_path / "f"),
            "--db",
            str(db),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert "Etalab" in body["licence"] and body["years"] == ["2022"]
    loaded = [r for r in body["ingested"] if r["status"] == "ok"]
    assert len(loaded) == 1 and loaded[0]["rows_loaded"] > 0
    with connect(db, read_only=True) as store:
        (n,) = store.fetchall(
            "SELECT count(*) FROM sources s JOIN fetches f ON f.sha256 = s.archive_sha256 WHERE f.source = 'baci'"
        )[0:1][0]
    assert n == 1
