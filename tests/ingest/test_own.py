"""transship's own formats (licences, shipments, certificates) and the claims format.

The fixtures are hand-made (fictional companies) and carry the faults officers' files have:
a missing destination, 'ten' for a quantity, a country nobody knows, ML99, a value without a
currency, a misspelt key, a truncated JSON line. The claims test reads the real press-claims
file in place.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transship.exc import SourceFormatError
from transship.ingest.own import (
    CertificateReader,
    ClaimReader,
    LicenceReader,
    ShipmentReader,
)
from transship.ingest.own_schema import (
    PROVENANCE_KEYS,
    fast_check,
    field_kinds,
    load_schema,
    schema_rejects,
    validator,
)
from transship.ingest.pipeline import ingest_file
from transship.ingest.registry import sniff
from transship.normalise import money
from transship.store import Store, connect


def _rejects(store: Store) -> list[tuple[int, str | None]]:
    return [
        (r[0], r[1]) for r in store.fetchall('SELECT line, "column" FROM rejects ORDER BY line')
    ]


def _one(store: Store, sql: str, params: list[object] | None = None) -> dict[str, object]:
    table = store.query(sql, params)
    assert table.num_rows == 1, table.num_rows
    return table.to_pylist()[0]


# -- formats and schemas -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "table"),
    [("licence", "licences"), ("shipment", "shipments"), ("certificate", "certificates")],
)
def test_schema_fields_are_the_store_columns(store: Store, name: str, table: str) -> None:
    """Keys = store columns minus provenance; *_orig are the reader's, not the user's."""
    validator(name)  # a valid draft 2020-12 schema
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    columns = set(store.columns(table)) - PROVENANCE_KEYS - {"simulated"}
    columns = {c for c in columns if not c.endswith("_orig")}
    assert set(field_kinds(name)) - {"simulated"} == columns


def test_claim_schema_is_the_press_claims_layout(shared_data: Path) -> None:
    fields = set(field_kinds("claim"))
    for line in (
        (shared_data / "press-claims/claims.jsonl").read_text(encoding="utf-8").splitlines()
    ):
        assert set(json.loads(line)) <= fields
    assert {"document_id", "reliability", "credibility", "unit"} <= fields


def test_schema_errors_name_the_field() -> None:
    bad = schema_rejects("licence", {"licence_id": "X", "authority_country": "rs"}, 7, None)
    assert bad is not None and bad.line == 7
    assert bad.column == "destination"
    assert "destination: required field missing" in bad.reason
    assert "issued_date: required field missing" in bad.reason
    bad = schema_rejects(
        "shipment",
        {"shipment_id": "S", "direction": "export", "date": "2021", "hs_code": "9306",
         "transit_countries": ["hu", 7]},
        3, None,
    )  # fmt: skip
    assert bad is not None and bad.column == "transit_countries[1]"
    bad = schema_rejects(
        "certificate",
        {"certificate_id": "C", "end_user": "E", "final_destination": "ly", "colour": "red"},
        1,
        None,
    )
    assert bad is not None and bad.column == "colour" and "unknown field" in bad.reason
    bad = schema_rejects(
        "claim", {"id": "C1", "claim": "x", "currency": "EUR", "unit": "rounds"}, 1, None
    )
    assert bad is not None and bad.column == "unit"
    assert schema_rejects("claim", {"id": "C1", "claim": "x", "currency": "EUR"}, 1, None) is None


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 3000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", "rs", "EUR", "eur", "ML3", "export", "issued", "A", "2", "x" * 3]),
    st.text(max_size=4),
    st.lists(st.one_of(st.text(max_size=3), st.integers(0, 3)), max_size=3),
)


_VALID: dict[str, dict[str, object]] = {
    "licence": {"licence_id": "L1", "authority_country": "rs", "destination": "cz",
                "issued_date": "2021", "ml_category": "ML3", "value": 10, "currency": "EUR"},
    "shipment": {"shipment_id": "S1", "direction": "export", "date": "2021-03",
                 "hs_code": "930630", "transit_countries": ["hu"], "year": 2021},
    "certificate": {"certificate_id": "C1", "end_user": "E", "final_destination": "ly",
                    "non_reexport_clause": True},
    "claim": {"id": "X", "claim": "c", "quantity": 1, "currency": "EUR", "credibility": 2},
}  # fmt: skip


@pytest.mark.parametrize("name", ["licence", "shipment", "certificate", "claim"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_fast_check_agrees_with_jsonschema(name: str, data: st.DataObject) -> None:
    """The compiled check only skips jsonschema for records jsonschema finds valid."""
    fields = sorted(field_kinds(name)) + ["colour", "line", "destination_orig"]
    record = dict(_VALID[name]) if data.draw(st.booleans()) else {}
    for key in data.draw(st.lists(st.sampled_from(fields), unique=True, max_size=6)):
        if data.draw(st.booleans()) and key in record:
            del record[key]
        else:
            record[key] = data.draw(_VALUES)
    check = fast_check(name)
    assert check is not None
    assert check(record) == (not list(validator(name).iter_errors(record))), record


def test_fast_check_accepts_valid_records() -> None:
    for name, record in _VALID.items():
        assert not list(validator(name).iter_errors(record))
        assert fast_check(name)(record)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("fixture", "reader"),
    [
        ("licences.csv", LicenceReader),
        ("licences.json", LicenceReader),
        ("licences_simulated.csv", LicenceReader),
        ("shipments.csv", ShipmentReader),  # has licence_id and certificate_id columns too
        ("shipments.jsonl", ShipmentReader),
        ("certificates.csv", CertificateReader),  # has licence_id too
        ("certificates.json", CertificateReader),
    ],
)
def test_sniffed_by_content(fixtures: Path, fixture: str, reader: type) -> None:
    assert sniff(fixtures / fixture) is reader


def test_claims_sniffed(shared_data: Path) -> None:
    assert sniff(shared_data / "press-claims/claims.jsonl") is ClaimReader


# -- licences ------------------------------------------------------------------------------


def test_licences_csv(store: Store, fixtures: Path) -> None:
    result = ingest_file(store, fixtures / "licences.csv", max_reject_share=1.0)
    assert (result.format, result.rows_loaded, result.rows_rejected) == ("licences", 3, 6)
    assert _rejects(store) == [
        (5, "destination"),  # required field missing
        (6, "quantity"),  # 'ten'
        (7, "destination"),  # Atlantis
        (8, "ml_category"),  # ML99
        (9, "currency"),  # value without currency
        (10, "status"),  # 'granted'
    ]
    reasons = [r[0] for r in store.fetchall("SELECT reason FROM rejects ORDER BY line")]
    assert "'ten'" in reasons[1] and "'Atlantis'" in reasons[2] and "ML99" in reasons[3]
    row = _one(store, "SELECT * FROM licences WHERE licence_id = 'RS-2021-0147'")
    assert row["line"] == 2 and row["dataset"] == "licences" and row["simulated"] is False
    assert (row["authority_country"], row["destination"], row["destination_orig"]) == (
        "rs",
        "cz",
        "Czechia",
    )
    assert (row["consignee_country"], row["end_user_country"]) == ("cz", "cz")
    assert (row["ml_category"], row["ml_orig"], row["hs_code"]) == ("ML3", "ML 3", "930630")
    assert (row["quantity"], row["unit"]) == (1_200_000.0, "pieces")
    assert (row["value"], row["currency"], row["value_eur"]) == (1_162_575.0, "EUR", 1_162_575.0)
    assert row["value_usd"] == pytest.approx(1_162_575.0 * money.usd_per_eur(2021))
    assert (row["issued_date"], row["valid_until"]) == ("2021-03-04", "2022-03-04")
    assert row["goods_description"] == "Cartridges 7.62x39 mm, ball"
    assert str(row["record_id"]).endswith(":2")
    brokering = _one(store, "SELECT * FROM licences WHERE licence_id = 'RS-2021-0188'")
    assert (brokering["licence_type"], brokering["issued_date"], brokering["destination"]) == (
        "brokering", "2021-05", "ae",
    )  # fmt: skip
    assert brokering["value_eur"] == pytest.approx(2_500_000 / money.usd_per_eur(2021))
    refused = _one(store, "SELECT * FROM licences WHERE licence_id = 'RS-2022-0009'")
    assert (refused["status"], refused["denial_criteria"], refused["value"]) == (
        "refused",
        "1;7",
        None,
    )


def test_licences_json_list(store: Store, fixtures: Path) -> None:
    result = ingest_file(store, fixtures / "licences.json")
    assert (result.rows_loaded, result.rows_rejected) == (2, 2)
    # Lines are where each object opens in the file.
    assert _rejects(store) == [(25, "quantity"), (33, "valid_untill")]
    [(reason,)] = store.fetchall("SELECT reason FROM rejects WHERE line = 25")
    assert "'ten' is not of type 'number'" in reason
    row = _one(store, "SELECT * FROM licences WHERE licence_id = 'BG-2022-311'")
    assert (row["line"], row["destination"], row["end_user_country"], row["ml_category"]) == (
        2,
        "pl",
        "pl",
        "ML3",
    )
    assert row["quantity"] == 24_000.0 and row["certificate_id"] == "EUC-PL-2022-7"


def test_licences_simulated_marker(store: Store, fixtures: Path) -> None:
    result = ingest_file(store, fixtures / "licences_simulated.csv")
    assert result.rows_loaded == 2
    rows = store.fetchall("SELECT line, simulated FROM licences ORDER BY line")
    assert rows == [(3, True), (4, True)]  # the marker line counts
    assert store.fetchall("SELECT simulated FROM sources") == [(True,)]


def test_licences_strict_mode_loads_nothing(store: Store, fixtures: Path) -> None:
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, fixtures / "licences.csv", strict=True)
    assert (err.value.line, err.value.column) == (5, "destination")
    assert store.fetchall("SELECT count(*) FROM licences") == [(0,)]


def test_missing_key_and_unknown_columns_fail_the_file(store: Store, tmp_path: Path) -> None:
    no_key = tmp_path / "no_key.csv"
    no_key.write_text("licence,destination,issued_date\nA,rs,2021\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, no_key, format="licences")
    assert "licence_id" in err.value.reason and err.value.line == 1
    typo = tmp_path / "typo.csv"
    typo.write_text("licence_id,destination,issued_dat\nA,rs,2021\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, typo, format="licences")
    assert "issued_dat" in err.value.reason
    assert store.fetchall("SELECT status FROM ingest_runs ORDER BY run_id") == [
        ("failed",),
        ("failed",),
    ]


def test_reingest_skipped_and_export_reads_back(
    store: Store, fixtures: Path, tmp_path: Path
) -> None:
    first = ingest_file(store, fixtures / "licences.csv", max_reject_share=1.0)
    again = ingest_file(store, fixtures / "licences.csv", max_reject_share=1.0)
    assert again.status == "skipped" and again.run_id == first.run_id
    assert store.fetchall("SELECT count(*) FROM licences") == [(3,)]
    # A CSV export of the table (provenance and *_orig columns included) reads back.
    table = store.query("SELECT * FROM licences ORDER BY line")
    out = tmp_path / "export.csv"
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=table.schema.names)
        writer.writeheader()
        for row in table.to_pylist():
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    other = connect(tmp_path / "other.duckdb")
    try:
        result = ingest_file(other, out, max_reject_share=1.0)
        assert (result.format, result.rows_loaded, result.rows_rejected) == ("licences", 3, 0)
        cols = "licence_id, destination, ml_category, hs_code, quantity, value_eur, issued_date"
        assert other.fetchall(f"SELECT {cols} FROM licences ORDER BY licence_id") == store.fetchall(
            f"SELECT {cols} FROM licences ORDER BY licence_id"
        )
    finally:
        other.close()


# -- shipments -----------------------------------------------------------------------------


def test_shipments_csv(store: Store, fixtures: Path) -> None:
    result = ingest_file(store, fixtures / "shipments.csv")
    assert (result.format, result.rows_loaded, result.rows_rejected) == ("shipments", 3, 3)
    assert _rejects(store) == [
        (5, "hs_code|goods_description"),
        (6, "direction"),
        (7, "transit_countries[1]"),  # Narnia
    ]
    row = _one(store, "SELECT * FROM shipments WHERE shipment_id = 'RS-CCD-2021-88121/1'")
    assert row["transit_countries"] == ["hu", "sk"]
    assert (row["hs_code"], row["hs_orig"], row["year"], row["direction"]) == (
        "930630",
        "9306.30",
        2021,
        "export",
    )
    assert (row["sender_country"], row["receiver_country"], row["trading_country"]) == (
        "rs",
        "cz",
        "cz",
    )
    assert row["value_usd"] == pytest.approx(581_287.5 * money.usd_per_eur(2021))
    assert row["licence_id"] == "RS-2021-0147" and row["certificate_id"] == "EUC-CZ-2021-0031"
    month = _one(
        store,
        "SELECT date, year, value_usd FROM shipments WHERE shipment_id = 'RS-CCD-2021-90007/1'",
    )
    assert month == {"date": "2021-04", "year": 2021, "value_usd": 1_250_000.0}


def test_shipments_json_lines_simulated_per_record(store: Store, fixtures: Path) -> None:
    result = ingest_file(store, fixtures / "shipments.jsonl", max_reject_share=1.0)
    assert (result.rows_loaded, result.rows_rejected) == (1, 3)
    assert _rejects(store) == [(2, "year"), (3, "value"), (4, None)]
    row = _one(store, "SELECT * FROM shipments")
    assert (
        row["simulated"] is True
        and row["unit"] == "rounds"
        and row["transit_countries"] == ["hu", "sk"]
    )
    assert store.fetchall("SELECT simulated FROM sources") == [(True,)]


# -- certificates ---------------------------------------------------------------------------


def test_certificates_csv(store: Store, fixtures: Path) -> None:
    result = ingest_file(store, fixtures / "certificates.csv")
    assert (result.format, result.rows_loaded, result.rows_rejected) == ("certificates", 3, 2)
    assert _rejects(store) == [(5, "end_user"), (6, "non_reexport_clause")]
    full = _one(store, "SELECT * FROM certificates WHERE certificate_id = 'EUC-CZ-2021-0031'")
    assert full["non_reexport_clause"] is True and full["final_destination"] == "cz"
    assert full["issuing_authority"] == "Licensing Office, Ministry of Industry and Trade"
    assert (full["ml_category"], full["delivery_verification"], full["licence_id"]) == (
        "ML3", "required", "RS-2021-0147",
    )  # fmt: skip
    # An EUC lacking most essential elements is kept: the gaps are evidence.
    bare = _one(store, "SELECT * FROM certificates WHERE certificate_id = 'EUC-XX-0001'")
    assert bare["final_destination"] == "ly" and bare["non_reexport_clause"] is None
    assert bare["issue_date"] is None and bare["signatory"] is None


def test_certificates_json_wrapper_simulated(store: Store, fixtures: Path) -> None:
    result = ingest_file(store, fixtures / "certificates.json")
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    [(line, column, reason)] = store.fetchall('SELECT line, "column", reason FROM rejects')
    assert (line, column) == (18, "non_reexport_clause") and "boolean" in reason
    row = _one(store, "SELECT * FROM certificates")
    assert (row["line"], row["simulated"], row["non_reexport_clause"]) == (4, True, False)
    assert store.fetchall("SELECT simulated FROM sources") == [(True,)]


# -- claims --------------------------------------------------------------------------------


def test_press_claims(store: Store, shared_data: Path) -> None:
    result = ingest_file(store, shared_data / "press-claims/claims.jsonl")
    assert (result.format, result.rows_loaded, result.rows_rejected) == ("claims", 9, 0)
    c01 = _one(store, "SELECT * FROM claims WHERE claim_id = 'C01'")
    assert (c01["quantity"], c01["unit"], c01["period"]) == (800_000_000.0, "EUR", "2022-2024")
    assert (c01["origin"], c01["intermediaries"], c01["destination"]) == (
        "rs",
        ["us", "es", "cz"],
        "ua",
    )
    assert c01["attributed_to"] == "Financial Times, 2024-06-22" and len(c01["urls"]) == 3  # type: ignore[arg-type]
    assert str(c01["text"]).startswith("Since Feb 2022 roughly EUR 800 million")
    c07 = _one(store, "SELECT unit, quantity, destination FROM claims WHERE claim_id = 'C07'")
    assert c07 == {"unit": "CZK", "quantity": 18_240_000_000.0, "destination": None}
    c08 = _one(store, "SELECT quantity, unit, period FROM claims WHERE claim_id = 'C08'")
    assert c08 == {"quantity": None, "unit": None, "period": "2023-07; 2025-06"}


def test_claims_optional_grading_fields(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "claims.jsonl"
    records = [
        {"id": "X1", "claim": "200 000 rounds reached UA via PL", "quantity": 200000,
         "unit": "rounds", "origin": "Serbia", "intermediaries": ["POL"], "destination": "UA",
         "document_id": "D1", "reliability": "B", "credibility": 2},
        {"id": "X2", "claim": "grade out of range", "reliability": "G"},
        {"id": "X3", "claim": "both", "quantity": 1, "currency": "EUR", "unit": "rounds"},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = ingest_file(store, path, max_reject_share=1.0)
    assert (result.format, result.rows_loaded, result.rows_rejected) == ("claims", 1, 2)
    assert _rejects(store) == [(2, "reliability"), (3, "unit")]
    row = _one(store, "SELECT * FROM claims")
    assert (row["unit"], row["origin"], row["intermediaries"], row["destination"]) == (
        "rounds",
        "rs",
        ["pl"],
        "ua",
    )
    assert (row["document_id"], row["reliability"], row["credibility"]) == ("D1", "B", "2")


# -- the documentation ---------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


def test_docs_list_every_field() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name in ("licence", "shipment", "certificate", "claim"):
        for field in field_kinds(name):
            assert f"| `{field}` |" in text, (name, field)


def test_docs_examples_read_without_rejects(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```(csv|json)\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 8
    for i, (kind, body) in enumerate(blocks):
        path = tmp_path / f"example{i}.{kind}"
        path.write_text(body, encoding="utf-8")
        store = connect(tmp_path / f"example{i}.duckdb")
        try:
            result = ingest_file(store, path)
            assert result.rows_rejected == 0 and result.rows_loaded >= 1, (kind, body[:80])
            if "SIMULATED" in body or '"simulated": true' in body:
                assert store.fetchall("SELECT simulated FROM sources") == [(True,)]
        finally:
            store.close()
