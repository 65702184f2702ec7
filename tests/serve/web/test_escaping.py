"""Every value a page shows is escaped: hostile party names, goods text and a hostile file
name, ingested like any file, come back as text on every page that shows them, and as the
same raw values in the JSON twins."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.serve.web.hostile import FORBIDDEN, HOSTILE
from transship.ingest.pipeline import ingest_paths
from transship.serve.app import create_app
from transship.serve.web.common import environment
from transship.store import connect

#: A file name a browser would run if the runs page printed it raw.
FILE_NAME = '"><img src=x onerror=alert("file")>.csv'


def _hostile_shipments(fixtures: Path, target: Path) -> Path:
    """The shipments fixture's first row, once per hostile string in every text field."""
    with (fixtures / "shipments.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        first = next(reader)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for i, text in enumerate(HOSTILE):
        row = dict(first, shipment_id=f"H-{i}")
        for name in ("declarant", "sender", "receiver", "goods_description"):
            row[name] = text
        writer.writerow(row)
    path = target / FILE_NAME
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, fixtures: Path) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "hostile.duckdb"
    with connect(db) as store:
        [result] = ingest_paths(store, [_hostile_shipments(fixtures, folder)])
        assert result.status == "ok" and result.rows_loaded == len(HOSTILE)
    with TestClient(create_app(db)) as client:
        yield client


def _record_ids(client: TestClient) -> list[str]:
    found = client.get("/search.json", params={"q": "H-"}).json()["records"]
    return sorted(r["record_id"] for r in found)


def _assert_inert(html: str) -> None:
    for bad in FORBIDDEN:
        assert bad not in html, bad
    assert "\x1b" not in html and "\u202e" not in html


def test_record_pages_escape_every_hostile_value(hostile: TestClient) -> None:
    ids = _record_ids(hostile)
    assert len(ids) == len(HOSTILE)
    for rid in ids:
        page = hostile.get(f"/records/{rid}")
        assert page.status_code == 200
        _assert_inert(page.text)
        # the line quoted from the file (its sha256 re-checked) is escaped like the rest
        assert 'id="source-line"' in page.text and "line 1</th>" in page.text  # the header
    # shown as text: escaped markup, formulas and SQL as typed, controls as visible escapes
    text = "".join(hostile.get(f"/records/{rid}").text for rid in ids)
    assert "&lt;script&gt;alert(&#34;xss-1&#34;)&lt;/script&gt;" in text
    assert "=cmd|&#39; /C calc&#39;!A0" in text
    assert "&#39;; DROP TABLE shipments; --" in text
    assert "{{ 7*7 }}" in text
    assert "\\x1b[31mred\\x1b[0m bell\\x07" in text and "\\u202egnp.exe" in text


def test_json_twins_return_the_raw_values(hostile: TestClient) -> None:
    values = set()
    for rid in _record_ids(hostile):
        record = hostile.get(f"/records/{rid}.json").json()["record"]
        values.add(record["sender"])
    assert values == set(HOSTILE)


def test_search_runs_and_home_escape_queries_and_file_names(hostile: TestClient) -> None:
    for text in HOSTILE:
        page = hostile.get("/search", params={"q": text})
        assert page.status_code == 200
        _assert_inert(page.text)
    hit = hostile.get("/search", params={"q": "xss-1"})
    assert "H-0" not in hit.text or "&lt;script&gt;" in hit.text
    assert "records" in hostile.get("/search.json", params={"q": "xss-1"}).json()
    for path in ("/runs", "/", "/territories", "/runs/1/rejects"):
        page = hostile.get(path)
        assert page.status_code == 200, path
        _assert_inert(page.text)
        assert '<img src=x onerror=alert("file")>' not in page.text
    assert "&lt;img src=x onerror=alert(&#34;file&#34;)&gt;.csv" in hostile.get("/runs").text


def test_the_report_page_is_inert_html(hostile: TestClient) -> None:
    page = hostile.get("/report.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script" not in page.text
    _assert_inert(page.text)
    assert "Appendix: provenance" in page.text


def test_bad_parameters_are_error_pages_not_tracebacks(hostile: TestClient) -> None:
    for path in (
        "/records/<svg onload=alert(1)>",
        "/records/%3Cscript%3E:1",
        "/territories/%3Cscript%3E",
        "/routes?origin=%3Cscript%3Ealert(1)%3C/script%3E",
        "/hubs?product=%27;DROP%20TABLE%20x;--",
        "/runs/abc/rejects",
    ):
        page = hostile.get(path)
        assert 400 <= page.status_code < 500, (path, page.status_code)
        assert "Traceback" not in page.text
        _assert_inert(page.text)
        assert "alert(1)</script>" not in page.text and "<svg onload" not in page.text
        assert page.headers["content-type"].startswith("text/html")


def test_page_data_blocks_cannot_close_their_script() -> None:
    html = environment().from_string("<script>{{ x|tojson }}</script>").render(x=HOSTILE)
    assert html.count("</script>") == 1
    assert "<script>alert" not in html
