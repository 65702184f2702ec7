"""Hostile strings in stored values come back as data: exact in JSON, neutralised in CSV,
escaped in messages and on the docs page (issue 10's script tags, formula payloads, SQL
fragments and control characters)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.serve.conftest import TOKEN, auth
from transship.serve.app import create_app

SCRIPT = "<script>alert('x')</script>"
FORMULA = "=cmd|' /C calc'!A0"
SQL = "'; DROP TABLE shipments; --"
CONTROL = "red\x1b[31mtext\x07"
AT = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def hostile(demo_copy: Path, fixtures: Path, tmp_path: Path) -> Iterator[TestClient]:
    """A server over a store that holds a customs file with hostile values."""
    rows = list(csv.reader((fixtures / "shipments.csv").read_text(encoding="utf-8").splitlines()))
    header, first = rows[0], rows[1]
    values = dict(zip(header, first, strict=True))
    values.update(
        shipment_id="HOSTILE-1",
        declarant=SCRIPT,
        sender=FORMULA,
        receiver=SQL,
        goods_description=CONTROL,
        transport=AT,
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerow([values[h] for h in header])
    path = tmp_path / "hostile.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    with TestClient(create_app(demo_copy, token=TOKEN)) as client:
        with open(path, "rb") as f:
            response = client.post(
                "/api/ingest", files={"file": ("hostile.csv", f)}, headers=auth()
            )
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["rows_loaded"] == 1
        yield client


def _query(client: TestClient, sql: str, fmt: str = "json") -> object:
    response = client.get("/api/sql?q=" + quote(sql) + f"&format={fmt}")
    assert response.status_code == 200, response.text
    return response.json() if fmt == "json" else response.text


def test_values_round_trip_exactly_in_json(hostile: TestClient) -> None:
    body = _query(
        hostile,
        "SELECT record_id, declarant, sender, receiver, goods_description, transport "
        "FROM shipments WHERE shipment_id = 'HOSTILE-1'",
    )
    assert isinstance(body, dict)
    [row] = body["items"]
    assert (row["declarant"], row["sender"], row["receiver"]) == (SCRIPT, FORMULA, SQL)
    assert row["goods_description"] == CONTROL and row["transport"] == AT
    record = hostile.get(f"/api/records/{row['record_id']}").json()
    assert record["values"]["declarant"] == SCRIPT
    props = {s["prop"]: s["value"] for s in record["statements"]}
    assert props["sender"] == FORMULA and props["receiver"] == SQL
    # the SQL fragment was data: the table is still there, with its rows
    count = _query(hostile, "SELECT count(*) AS n FROM shipments")
    assert isinstance(count, dict) and count["items"][0]["n"] > 1


def test_csv_neutralises_formulas(hostile: TestClient) -> None:
    text = _query(
        hostile,
        "SELECT declarant, sender, receiver, transport FROM shipments "
        "WHERE shipment_id = 'HOSTILE-1'",
        fmt="csv",
    )
    assert isinstance(text, str)
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["sender"] == "'" + FORMULA and row["transport"] == "'" + AT
    assert row["declarant"] == SCRIPT and row["receiver"] == SQL  # ' starts no formula


def test_responses_are_json_not_html(hostile: TestClient) -> None:
    response = hostile.get("/api/sql?q=" + quote("SELECT declarant FROM shipments"))
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("value", [SCRIPT, CONTROL, SQL, "a\nb\rc\u202etxt"])
def test_error_messages_are_one_line_with_controls_escaped(client: TestClient, value: str) -> None:
    for url in (
        f"/api/territories/{quote(value, safe='')}",
        f"/api/routes?origin={quote(value)}",
        f"/api/records/{quote(value, safe='')}",
    ):
        response = client.get(url)
        assert response.status_code in (400, 404), url
        message = response.json()["error"]["message"]
        assert "\n" not in message and "\r" not in message and "\x1b" not in message, url
        assert "\u202e" not in message


def test_docs_page_escapes() -> None:
    from transship.serve.apidoc import html_page

    page = html_page(
        {
            "info": {"title": SCRIPT, "description": SCRIPT},
            "paths": {"/x": {"get": {"summary": SCRIPT, "parameters": []}}},
        }
    )
    assert "<script>" not in page and "&lt;script&gt;" in page
