"""`transship fetch comtrade --bulk` against a fake Comtrade+ bulk API on loopback."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.fetch.fake import Reply, Request, ranged, serve
from tests.fetch.test_comtrade import record
from transship.cli.app import app
from transship.fetch import comtrade_bulk
from transship.fetch.http import Client, FetchError
from transship.fetch.manifest import Manifest
from transship.store import connect

LISTING = "/bulk/v1/get/C/A/HS"
KEY = "bulk-key-9d2e"
runner = CliRunner()


def bulk_file(reporter: int, period: str) -> bytes:
    """A bulk file as Comtrade+ publishes it: the API's field names, tab-separated, gzipped
    (constructed from the documented fields, not real data)."""
    rows = [record(reporter, p, f, period, 1000.0 + p) for f in ("X", "M") for p in (203, 616)]
    header = list(rows[0])
    lines = ["\t".join(header)] + [
        "\t".join("" if r[k] is None else str(r[k]) for k in header) for r in rows
    ]
    return gzip.compress(("\n".join(lines) + "\n").encode())


class Site:
    """The listing and the files; ``cut`` cuts the first download of a file short."""

    def __init__(self) -> None:
        self.files = {
            ("688", "2022"): bulk_file(688, "2022"),
            ("688", "2023"): bulk_file(688, "2023"),
        }
        self.cut: set[str] = set()
        self.broken: set[str] = set()
        self.url = ""

    def listing(self, r: Request) -> Reply:
        if r.query.get("subscription-key") != KEY:
            return Reply(401, b'{"statusCode": 401, "message": "Access denied"}')
        period, reporter = r.query["period"], r.query.get("reportercode", "688")
        data = [
            {
                "typeCode": "C",
                "freqCode": "A",
                "reporterCode": int(reporter),
                "period": period,
                "classificationCode": "H6",
                "fileSize": "1 KB",
                "publicationDate": f"{int(period) + 1}-05-01T00:00:00",
                "fileUrl": f"{self.url}/files/{reporter}-{period}.gz",
            }  # fmt: skip
            for (rep, per) in self.files
            if rep == reporter and per == period
        ]
        return Reply(200, json.dumps({"count": len(data), "data": data}).encode())

    def file(self, r: Request) -> Reply:
        assert r.query.get("subscription-key") == KEY
        name = r.path.rsplit("/", 1)[1][: -len(".gz")]
        reporter, period = name.split("-")
        data = self.files[(reporter, period)]
        if name in self.broken:
            data = data[: len(data) // 2] + b"\x00" * 64
        if name in self.cut:
            self.cut.discard(name)
            return ranged(data, r, cut_after=len(data) // 3)
        return ranged(data, r)


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Any:
    s = Site()
    with serve({LISTING: s.listing, "*": s.file}) as fake:
        s.url = fake.url
        monkeypatch.setenv("TRANSSHIP_COMTRADE_URL", fake.url)
        monkeypatch.setenv("TRANSSHIP_COMTRADE_KEY", "")
        monkeypatch.setenv("TRANSSHIP_FETCH_BACKOFF", "0")
        monkeypatch.setenv("TRANSSHIP_COMTRADE_CALLS_PER_MINUTE", "100000")
        s.fake = fake  # type: ignore[attr-defined]
        yield s


def fast() -> Client:
    return Client("comtrade", retries=2, backoff=0.0, timeout=5, sleep=lambda s: None)


def test_without_a_key_it_says_so_before_any_call(site: Site, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="bulk files need a subscription key"):
        comtrade_bulk.fetch_bulk(comtrade_bulk.bulk_plan(["SRB"], "2022"), tmp_path)
    assert not site.fake.requests and not tmp_path.joinpath("manifest.json").exists()  # type: ignore[attr-defined]


def test_files_are_listed_downloaded_counted_and_kept_without_the_key(
    site: Site, tmp_path: Path
) -> None:
    got = comtrade_bulk.fetch_bulk(
        comtrade_bulk.bulk_plan(["SRB"], "2022-2024"), tmp_path, key=KEY, client=fast()
    )
    assert [f.period for f in got.files] == ["2022", "2023"] and got.empty == [
        {"reportercode": "688", "period": "2024"}
    ]
    assert [f.rows for f in got.files] == [4, 4]
    assert got.files[0].file == "bulk/COMTRADE-FINAL-CA688-2022-H6-2023-05-01.txt.gz"
    text = (tmp_path / "manifest.json").read_text(encoding="utf-8")
    assert KEY not in text
    entries = Manifest.load(tmp_path).entries
    assert [e.rows for e in entries] == [4, 4] and entries[0].extra["api"] == "bulk"


def test_an_interrupted_download_resumes_and_a_fetched_file_is_not_asked_again(
    site: Site, tmp_path: Path
) -> None:
    site.cut.add("688-2023")
    plan = comtrade_bulk.bulk_plan(["SRB"], "2022-2023")
    got = comtrade_bulk.fetch_bulk(plan, tmp_path, key=KEY, client=fast())
    assert got.files[1].resumed_from == 0 and got.files[1].rows == 4
    ranges = [r.headers.get("Range") for r in site.fake.requests if r.path.endswith("2023.gz")]  # type: ignore[attr-defined]
    assert ranges[0] is None and ranges[1] and ranges[1].startswith("bytes=")
    before = len(site.fake.requests)  # type: ignore[attr-defined]
    again = comtrade_bulk.fetch_bulk(plan, tmp_path, key=KEY, client=fast())
    asked = [r.path for r in site.fake.requests[before:]]  # type: ignore[attr-defined]
    assert asked == [LISTING, LISTING] and all(f.skipped for f in again.files)


def test_a_corrupt_file_is_deleted_and_never_entered(site: Site, tmp_path: Path) -> None:
    site.broken.add("688-2022")
    with pytest.raises(FetchError, match="not a whole gzip file.*deleted"):
        comtrade_bulk.fetch_bulk(
            comtrade_bulk.bulk_plan(["SRB"], "2022"), tmp_path, key=KEY, client=fast()
        )
    assert not list((tmp_path / "bulk").glob("*.gz"))
    assert not (tmp_path / "manifest.json").exists()


def test_a_changed_listing_fails_and_keeps_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with serve({LISTING: lambda r: Reply(200, b'{"count": 1, "data": [{"url": "x"}]}')}) as fake:
        monkeypatch.setenv("TRANSSHIP_COMTRADE_URL", fake.url)
        with pytest.raises(FetchError, match="format may have changed"):
            comtrade_bulk.fetch_bulk(
                comtrade_bulk.bulk_plan(["SRB"], "2022"), tmp_path, key=KEY, client=fast()
            )
    assert not tmp_path.joinpath("manifest.json").exists()


def test_cli_bulk_ingests_and_traces_rows_to_the_listing(site: Site, tmp_path: Path) -> None:
    db, out = tmp_path / "t.duckdb", tmp_path / "fetched"
    args = ["fetch", "comtrade", "--bulk", "--reporter", "SRB", "--years", "2022"]
    args += ["--key", KEY, "--out", str(out), "--db", str(db), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["rows"] == 4 and body["ingested"][0]["status"] == "ok"
    assert body["ingested"][0]["rows_loaded"] == 4 and KEY not in result.stdout
    with connect(db, read_only=True) as store:
        rows = store.fetchall(
            """SELECT t.partner_iso3, t.flow, f.url, f.params FROM trade_flows t
               JOIN sources s ON split_part(t.record_id, ':', 1) = left(s.sha256, 16)
               JOIN fetches f ON f.sha256 = coalesce(s.archive_sha256, s.sha256)
               ORDER BY 1, 2"""
        )
    assert [(r[0], r[1]) for r in rows] == [("CZE", "M"), ("CZE", "X"), ("POL", "M"), ("POL", "X")]
    assert all(r[2].endswith("/files/688-2022.gz") for r in rows)
    assert json.loads(rows[0][3])["listing"].endswith(LISTING)


def test_cli_bulk_refuses_product_filters_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "fetched"
    result = runner.invoke(
        app,
        ["fetch", "comtrade", "--bulk", "--reporter", "SRB", "--product", "9306", "--years",
         "2022", "--key", KEY, "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 1 and "leave out --product" in result.output
    assert not out.exists()
