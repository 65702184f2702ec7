"""FollowTheMoney export: the OpenSanctions zala fixture round-trips; licences and customs
records come out as valid FtM entities; statements as FtM statement CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from followthemoney import model
from followthemoney.statement import Statement
from followthemoney.statement.serialize import CSV_COLUMNS

from transship.exc import InvalidInput
from transship.ingest.pipeline import ingest_file
from transship.report.ftm import (
    SIMULATED_NOTE,
    check_entity,
    export_ftm,
    export_ftm_table,
    export_statements,
    party_id,
)
from transship.store import Store

ZALA = "opensanctions-ftm-fixtures/zala_entities.ftm.jsonl"


def _export(store: Store, binary: bool = True) -> list[dict[str, Any]]:
    if binary:
        buf = io.BytesIO()
        n = export_ftm(store, buf)
        text = buf.getvalue().decode("utf-8")
    else:
        sbuf = io.StringIO()
        n = export_ftm(store, sbuf)
        text = sbuf.getvalue()
    lines = text.splitlines()
    assert len(lines) == n
    return [json.loads(line) for line in lines]


def test_zala_round_trip(store: Store, shared_data: Path) -> None:
    ingest_file(store, shared_data / ZALA)
    source = {
        d["id"]: d
        for d in (
            json.loads(x) for x in (shared_data / ZALA).read_text(encoding="utf-8").splitlines()
        )
    }
    out = _export(store)
    assert len(out) == 91
    assert [d["id"] for d in out] == list(source)  # file order kept
    for data in out:
        assert next(iter(data)) == "id"
        original = source[data["id"]]
        assert data["schema"] == original["schema"]
        assert data["properties"] == original["properties"]
        for key in (
            "caption",
            "datasets",
            "referents",
            "first_seen",
            "last_seen",
            "target",
            "last_change",
        ):
            assert data[key] == original[key], key
        proxy = model.get_proxy(data)
        assert proxy.id == data["id"] and proxy.schema.name == data["schema"]


def test_shipments_export_as_economic_activity(store: Store, fixtures: Path) -> None:
    ingest_file(store, fixtures / "licences.csv", max_reject_share=1.0)
    ingest_file(store, fixtures / "shipments.csv", max_reject_share=1.0)
    out = _export(store, binary=False)
    by_id = {d["id"]: d for d in out}
    activities = [d for d in out if d["schema"] == "EconomicActivity"]
    assert len(activities) == 3
    [ea] = [d for d in activities if d["properties"]["recordId"] == ["RS-CCD-2021-88121/1"]]
    p = ea["properties"]
    assert p["ccdNumber"] == ["88121/2021"] and p["vedCode"] == ["930630"]
    assert p["goodsDescription"] == ["Cartridges 7.62x39 mm, ball"]
    assert p["directionOfTransportation"] == ["export"] and p["date"] == ["2021-03-22"]
    countries = ("originCountry", "departureCountry", "destinationCountry", "tradingCountry")
    assert [p[c] for c in countries] == [["rs"], ["rs"], ["cz"], ["cz"]]
    assert p["invoiceAmount"] == ["581287.5"]
    assert "transit: hu, sk" in p["description"][0] and "currency: EUR" in p["description"][0]
    assert ea["datasets"] == ["customs"] and ea["caption"] == "Cartridges 7.62x39 mm, ball"
    sender = by_id[p["sender"][0]]
    assert sender["schema"] == "LegalEntity" and sender["properties"]["name"] == [
        "Primer Arms d.o.o."
    ]
    assert sender["properties"]["country"] == ["rs"]
    assert p["sender"][0] == party_id(
        "Primer  arms D.O.O.", "rs"
    )  # case and spacing do not split a party
    # The same company named in licences and customs records is one entity in both datasets.
    assert sender["datasets"] == ["customs", "licences"]
    assert sender["properties"]["registrationNumber"] == ["20011234"]
    licence = by_id[p["contract"][0]]
    assert licence["schema"] == "License" and licence["properties"]["name"] == ["RS-2021-0147"]
    for data in out:
        assert next(iter(data)) == "id" and data["datasets"]
        check_entity(data)  # strict: every value cleans, required properties present
        assert model.get_proxy(data, cleaned=False).schema.name == data["schema"]


def test_licences_export_with_authority_and_party_links(store: Store, fixtures: Path) -> None:
    ingest_file(store, fixtures / "licences.csv", max_reject_share=1.0)
    buf = io.StringIO()
    n = export_ftm_table(store, "licences", buf)
    out = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert n == len(out)
    by_id = {d["id"]: d for d in out}
    licences = {d["properties"]["name"][0]: d for d in out if d["schema"] == "License"}
    assert set(licences) == {"RS-2021-0147", "RS-2021-0188", "RS-2022-0009"}
    refused = licences["RS-2022-0009"]["properties"]
    assert (
        refused["status"] == ["refused"]
        and refused["criteria"] == ["1;7"]
        and refused["country"] == ["ly"]
    )
    authority = by_id[refused["authority"][0]]
    assert authority["schema"] == "PublicBody" and authority["properties"]["country"] == ["rs"]
    links = [
        d
        for d in out
        if d["schema"] == "UnknownLink"
        and d["properties"]["object"] == [licences["RS-2021-0147"]["id"]]
    ]
    roles = sorted(d["properties"]["role"][0] for d in links)
    assert roles == ["consignee", "end user", "exporter"]
    assert not any(d["schema"] == "EconomicActivity" for d in out)


def test_simulated_rows_are_labelled(store: Store, fixtures: Path) -> None:
    ingest_file(store, fixtures / "shipments.jsonl", max_reject_share=1.0)
    ingest_file(store, fixtures / "licences_simulated.csv")
    out = _export(store)
    assert out
    for data in out:
        assert data.get("simulated") is True, data["id"]
        notes = data["properties"].get("notes", []) + data["properties"].get("description", [])
        assert SIMULATED_NOTE in notes


def test_certificates_are_not_exported_and_say_why(store: Store, fixtures: Path) -> None:
    ingest_file(store, fixtures / "certificates.csv")
    assert _export(store) == []
    with pytest.raises(InvalidInput, match="no FollowTheMoney schema"):
        export_ftm_table(store, "certificates", io.StringIO())
    with pytest.raises(InvalidInput, match="no FollowTheMoney mapping"):
        export_ftm_table(store, "trade_flows", io.StringIO())


def test_view_exports(store: Store, shared_data: Path) -> None:
    ingest_file(store, shared_data / ZALA)
    for table, n in (("sanctions", 41), ("ownerships", 14), ("parties", 17), ("entities", 91)):
        buf = io.StringIO()
        assert export_ftm_table(store, table, buf) == n
        assert len(buf.getvalue().splitlines()) == n


def test_export_is_deterministic(store: Store, shared_data: Path, fixtures: Path) -> None:
    ingest_file(store, shared_data / ZALA)
    ingest_file(store, fixtures / "shipments.csv", max_reject_share=1.0)
    ingest_file(store, fixtures / "licences.json")
    first, second = io.BytesIO(), io.BytesIO()
    export_ftm(store, first)
    export_ftm(store, second)
    assert first.getvalue() == second.getvalue()


def test_statement_csv(store: Store, shared_data: Path, fixtures: Path) -> None:
    ingest_file(store, shared_data / ZALA)
    ingest_file(store, fixtures / "shipments.csv", max_reject_share=1.0)
    buf = io.BytesIO()
    n = export_statements(store, buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue().decode("utf-8"))))
    assert len(rows) == n
    assert list(rows[0]) == CSV_COLUMNS
    stored = {r[0] for r in store.fetchall("SELECT id FROM statements")}
    assert len(stored) == 1_710
    generated = [r for r in rows if r["entity_id"].startswith("ts-")]
    assert {r["id"] for r in rows if not r["entity_id"].startswith("ts-")} == stored
    assert n == len(stored) + len(generated)
    # Every row's id is FtM's key for its dataset, entity, prop and value.
    for row in rows:
        assert row["id"] == Statement.make_key(
            row["dataset"], row["entity_id"], row["prop"], row["value"], row["external"] == "t"
        )
    # Generated statements are exactly FtM's statements of the exported entities.
    entities = [d for d in _export(store) if d["id"].startswith("ts-")]
    expected = {
        s.id
        for d in entities
        for s in Statement.from_entity(model.get_proxy(d), dataset=d["datasets"][0])
    }
    assert {r["id"] for r in generated} == expected
    activities = [r for r in generated if r["schema"] == "EconomicActivity"]
    assert len({r["entity_id"] for r in activities}) == 3
    assert {r["prop"] for r in activities} >= {"id", "vedCode", "ccdNumber", "sender", "receiver"}
    # Stored statements keep their first_seen timestamps.
    [jur] = [
        r for r in rows if r["entity_id"] == "NK-abdzbEBkqyT29GyREbiURZ" and r["prop"] == "country"
    ]
    assert jur["value"] == "ru" and jur["first_seen"].startswith("20")
