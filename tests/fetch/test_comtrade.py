"""`transship fetch comtrade` against a fake Comtrade+ API on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.fetch.fake import Reply, Request, serve
from transship.cli.app import app
from transship.exc import InvalidInput
from transship.fetch import comtrade
from transship.fetch.http import Client, FetchError
from transship.fetch.manifest import Manifest
from transship.store import connect

PREVIEW = "/public/v1/preview/C/A/HS"
runner = CliRunner()


def record(reporter: int, partner: int, flow: str, period: str, value: float) -> dict[str, Any]:
    """One record with the documented Comtrade+ field names (constructed, not real data)."""
    return {
        "typeCode": "C", "freqCode": "A", "refYear": int(period[:4]), "period": period,
        "reporterCode": reporter, "reporterISO": None, "reporterDesc": None,
        "flowCode": flow, "partnerCode": partner, "partner2Code": 0, "classificationCode": "H6",
        "cmdCode": "9306", "customsCode": "C00", "motCode": 0, "qtyUnitCode": 8, "qty": 10.0,
        "netWgt": 10.0, "cifvalue": value if flow == "M" else None,
        "fobvalue": value if flow == "X" else None, "primaryValue": value, "isReported": True,
    }  # fmt: skip


def answer(rows: list[dict[str, Any]]) -> Reply:
    return Reply(
        200,
        json.dumps(
            {"elapsedTime": "0.1 secs", "count": len(rows), "data": rows, "error": ""}
        ).encode(),
    )


def api(request: Request) -> Reply:
    """Serbia (688) and Bulgaria (100) export to a few partners; 'all reporters at once'
    fills the preview's 500 rows, one reporter at a time does not."""
    reporters = request.query.get("reporterCode", "688").split(",")
    period = request.query["period"]
    rows = [
        record(int(r), p, f, period, 1000.0 + p)
        for r in reporters
        for f in request.query["flowCode"].split(",")
        for p in ((range(1, 251)) if len(reporters) > 1 else (203, 616, 100 if r != "100" else 688))
    ]
    return answer(rows[: comtrade.PREVIEW_ROWS])


def fast() -> Client:
    return Client("comtrade", retries=2, backoff=0.0, timeout=5, sleep=lambda s: None)


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Any:
    with serve({PREVIEW: api}) as fake:
        monkeypatch.setenv("TRANSSHIP_COMTRADE_URL", fake.url)
        monkeypatch.setenv("TRANSSHIP_COMTRADE_KEY", "")
        monkeypatch.setenv("TRANSSHIP_FETCH_BACKOFF", "0")
        monkeypatch.setenv("TRANSSHIP_COMTRADE_CALLS_PER_MINUTE", "100000")
        yield fake


def test_plan_codes_areas_the_way_comtrade_does() -> None:
    calls = comtrade.plan(["SRB", "United States", "251"], [], ["9306"], years="2019-2021")
    assert [c.period for c in calls] == ["2019", "2020", "2021"]
    assert calls[0].reporterCode == "688,842,251" and calls[0].flowCode == "M,X"
    monthly = comtrade.plan(["SRB"], [], ["93"], years="2023", frequency="M")
    assert len(monthly) == 12 and monthly[0].period == "202301"
    for bad in (dict(flows=["Z"]), dict(frequency="Q"), dict(classification="H9")):
        with pytest.raises(InvalidInput):
            comtrade.plan(["SRB"], [], ["9306"], years="2020", **bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="--product"):
        comtrade.plan(["SRB"], [], ["93a"], years="2020")
    with pytest.raises(InvalidInput, match="unknown reporter"):
        comtrade.plan(["Atlantis"], [], ["9306"], years="2020")


def test_a_cut_answer_is_split_by_reporter_and_asked_again(fake_api: Any, tmp_path: Path) -> None:
    calls = comtrade.plan(["SRB", "BGR"], [], ["9306"], years="2022", flows=["X"])
    said: list[str] = []
    got = comtrade.fetch(calls, tmp_path, client=fast(), say=said.append)
    asked = [r.query["reporterCode"] for r in fake_api.calls(PREVIEW)]
    assert asked == ["688,100", "688", "100"]
    assert [c.rows for c in got.calls] == [3, 3] and not got.truncated
    assert any("split into 2 calls" in s for s in said)
    manifest = Manifest.load(tmp_path)
    assert len(manifest.entries) == 2 and all(
        e.licence == comtrade.LICENCE for e in manifest.entries
    )
    assert manifest.entries[0].params["reporterCode"] == "688"


def test_a_cut_answer_that_cannot_be_split_is_kept_and_flagged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    full = [record(688, p, "X", "2022", 1.0) for p in range(comtrade.PREVIEW_ROWS)]
    with serve({PREVIEW: lambda r: answer(full)}) as fake:
        monkeypatch.setenv("TRANSSHIP_COMTRADE_URL", fake.url)
        got = comtrade.fetch(
            comtrade.plan(["SRB"], [], ["9306"], years="2022", flows=["X"]), tmp_path, client=fast()
        )
    assert len(got.truncated) == 1 and Manifest.load(tmp_path).entries[0].extra["truncated"] is True


def test_a_rate_limit_reply_is_waited_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    replies = iter([Reply(429, b"", {"Retry-After": "1"})])
    slept: list[float] = []

    def handler(r: Request) -> Reply:
        return next(replies, None) or api(r)

    with serve({PREVIEW: handler}) as fake:
        monkeypatch.setenv("TRANSSHIP_COMTRADE_URL", fake.url)
        c = Client("comtrade", retries=2, backoff=0.0, timeout=5, sleep=slept.append)
        got = comtrade.fetch(comtrade.plan(["SRB"], [], ["9306"], years="2022"), tmp_path, client=c)
    assert slept == [1.0] and got.calls[0].rows == 6


def test_a_format_change_fails_and_keeps_nothing_of_that_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with serve({PREVIEW: lambda r: Reply(200, b'{"results": [], "total": 0}')}) as fake:
        monkeypatch.setenv("TRANSSHIP_COMTRADE_URL", fake.url)
        with pytest.raises(FetchError, match="no 'data' list.*format may have changed"):
            comtrade.fetch(
                comtrade.plan(["SRB"], [], ["9306"], years="2022"), tmp_path, client=fast()
            )
    assert not (tmp_path / "calls").exists() and not (tmp_path / "manifest.json").exists()


def test_an_interrupted_fetch_resumes_at_the_next_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    down = {"2021"}

    def flaky(r: Request) -> Reply:
        return Reply(503) if r.query["period"] in down else api(r)

    calls = comtrade.plan(["SRB"], [], ["9306"], years="2020-2022")
    with serve({PREVIEW: flaky}) as fake:
        monkeypatch.setenv("TRANSSHIP_COMTRADE_URL", fake.url)
        with pytest.raises(FetchError, match="HTTP 503"):
            comtrade.fetch(calls, tmp_path, client=fast())
        assert [e.params["period"] for e in Manifest.load(tmp_path).entries] == ["2020"]
        down.clear()
        before = len(fake.requests)
        got = comtrade.fetch(calls, tmp_path, client=fast())
        again = [r.query["period"] for r in fake.requests[before:]]
    assert again == ["2021", "2022"]  # 2020 was not asked again
    assert [c.skipped for c in got.calls] == [True, False, False]


def test_cli_fetches_ingests_and_traces_rows_to_the_call(fake_api: Any, tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    out = tmp_path / "fetched"
    args = [
        "fetch",
        "comtrade",
        "--reporter",
        "SRB",
        "--product",
        "9306",
        "--years",
        "2022",
        "--flow",
        "X",
        "--out",
        str(out),
        "--db",
        str(db),
    ]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["rows"] == 3 and body["ingested"][0]["status"] == "ok"
    assert "UN Comtrade" in body["licence"]
    with connect(db, read_only=True) as store:
        rows = store.fetchall(
            """SELECT t.partner_iso3, f.url, f.params FROM trade_flows t
               JOIN sources s ON split_part(t.record_id, ':', 1) = left(s.sha256, 16)
               JOIN fetches f ON f.sha256 = s.sha256 ORDER BY 1"""
        )
    assert [r[0] for r in rows] == ["BGR", "CZE", "POL"]
    assert all(r[1].endswith(PREVIEW) and json.loads(r[2])["reporterCode"] == "688" for r in rows)
    listed = runner.invoke(app, ["sources", "--db", str(db), "--json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout)[0]["fetched_by"] == "comtrade"
    plain = runner.invoke(app, [*args])
    assert plain.exit_code == 0 and "licence: UN Comtrade" in plain.output


def test_cli_bad_input_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "fetched"
    result = runner.invoke(
        app, ["fetch", "comtrade", "--reporter", "SRB", "--product", "9306", "--out", str(out)]
    )
    assert result.exit_code == 1 and "give --years" in result.output
    assert not out.exists()
