"""transship's own formats: licences, shipments (customs records), end-user certificates, claims.

Each format is one JSON Schema (``transship/data/schemas/<name>.schema.json``, draft 2020-12)
and is accepted as CSV with a header, a JSON list of objects, a JSON object wrapping a list
(``{"simulated": true, "records": [...]}``) or JSON lines. The file's content decides which
format and which syntax (never its name): a CSV header or first JSON record must carry the
format's key (``licence_id``, ``shipment_id``, ``certificate_id``; ``id`` + ``claim`` for
claims).

Every record goes through the same steps, so CSV and JSON fail the same way:

1. CSV cells are typed from the schema (numbers, booleans, ``;``-separated lists); empty
   cells and JSON nulls count as absent;
2. the record is validated against the JSON Schema: a missing required field, a wrong type or
   an unknown key rejects the record (``Reject`` with the line, the field's JSON path as the
   column, and every schema error in the reason);
3. values are normalised: countries to rigour codes, ML categories to ``ML4``, HS codes to
   zero-padded digits, dates to ISO prefixes, money converted to EUR/USD with the ECB annual
   mean of the record's year. A value the normalisers cannot read rejects the record, naming
   the field; an exchange rate we do not have only leaves ``value_eur``/``value_usd`` empty
   (a licence must not vanish because a currency is exotic).

A file is simulated when its first line is ``# SIMULATED`` (CSV) or a record or the wrapper
says ``"simulated": true``; such rows are stored with ``simulated = true``.
Provenance columns that ``transship export`` writes (record_id, dataset, source_sha256, run_id,
line) and ``*_orig`` columns are ignored on input, so an export reads back.

Where things are: this module holds the four formats (their columns and row builders); the
reading they share (syntaxes, typing CSV cells, records to rows and rejects) is
``ingest.own_reader``, the schemas and their fast validity check ``ingest.own_schema``, and
the value normalisers (step 3) ``ingest.own_values``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pyarrow as pa

from transship.ingest import checks
from transship.ingest.own_reader import OwnFormatReader
from transship.ingest.own_values import (
    FieldError,
    convert,
    country,
    country_list,
    currency,
    date,
    hs,
    ml,
    number_of,
    text_of,
    unit,
    year_of,
)
from transship.normalise import money

# -- the formats ---------------------------------------------------------------------------


def _schema(fields: list[tuple[str, pa.DataType]]) -> pa.Schema:
    return pa.schema([("line", pa.int64()), ("simulated", pa.bool_()), *fields])


S, F, B, L = pa.string(), pa.float64(), pa.bool_(), pa.list_(pa.string())


class LicenceReader(OwnFormatReader):
    """Individual licence decisions (transship licence format)."""

    name: ClassVar[str] = "licences"
    dataset: ClassVar[str] = "licences"
    description: ClassVar[str] = (
        "transship licence format (CSV/JSON): export, brokering, transit licences and refusals"
    )
    tables: ClassVar[tuple[str, ...]] = ("licences",)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {"licences": ("licence_id",)}
    schema_name: ClassVar[str] = "licence"
    key: ClassVar[str] = "licence_id"
    columns: ClassVar[pa.Schema] = _schema(
        [
            ("licence_id", S), ("authority_country", S), ("licence_type", S), ("status", S),
            ("exporter", S), ("exporter_id", S), ("consignee", S), ("consignee_country", S),
            ("end_user", S), ("end_user_country", S), ("destination", S), ("destination_orig", S),
            ("ml_category", S), ("ml_orig", S), ("hs_code", S), ("goods_description", S),
            ("calibre", S), ("quantity", F), ("unit", S), ("value", F), ("currency", S),
            ("value_eur", F), ("value_usd", F), ("issued_date", S), ("valid_until", S),
            ("certificate_id", S), ("denial_criteria", S),
        ]
    )  # fmt: skip

    def build(self, r: dict[str, Any]) -> dict[str, Any]:
        issued = date(r, "issued_date", dated=True)
        year = year_of(issued)
        value = number_of(r, "value")
        cur = currency(r)
        value_eur = number_of(r, "value_eur")
        value_usd = number_of(r, "value_usd")
        if value_eur is None:
            value_eur = convert(value, cur, year, money.to_eur)
        if value_usd is None:
            value_usd = convert(value, cur, year, money.to_usd)
        return {
            "licence_id": text_of(r, "licence_id"),
            "authority_country": country(r, "authority_country"),
            "licence_type": r.get("licence_type") or "export",
            "status": r.get("status") or "issued",
            "exporter": text_of(r, "exporter"),
            "exporter_id": text_of(r, "exporter_id"),
            "consignee": text_of(r, "consignee"),
            "consignee_country": country(r, "consignee_country"),
            "end_user": text_of(r, "end_user"),
            "end_user_country": country(r, "end_user_country"),
            "destination": country(r, "destination"),
            "destination_orig": text_of(r, "destination"),
            "ml_category": ml(r),
            "ml_orig": text_of(r, "ml_category"),
            "hs_code": hs(r),
            "goods_description": text_of(r, "goods_description"),
            "calibre": text_of(r, "calibre"),
            "quantity": number_of(r, "quantity"),
            "unit": unit(r),
            "value": value,
            "currency": cur,
            "value_eur": value_eur,
            "value_usd": value_usd,
            "issued_date": issued,
            "valid_until": date(r, "valid_until"),
            "certificate_id": text_of(r, "certificate_id"),
            "denial_criteria": text_of(r, "denial_criteria"),
        }


class ShipmentReader(OwnFormatReader):
    """Customs records (transship shipment format; FtM EconomicActivity compatible)."""

    name: ClassVar[str] = "shipments"
    dataset: ClassVar[str] = "customs"
    description: ClassVar[str] = (
        "transship shipment format (CSV/JSON): customs declarations, "
        "FtM EconomicActivity compatible"
    )
    tables: ClassVar[tuple[str, ...]] = ("shipments",)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {"shipments": ("shipment_id",)}
    schema_name: ClassVar[str] = "shipment"
    key: ClassVar[str] = "shipment_id"
    columns: ClassVar[pa.Schema] = _schema(
        [
            ("shipment_id", S), ("ccd_number", S), ("direction", S), ("date", S),
            ("year", pa.int32()), ("declarant", S), ("sender", S), ("sender_country", S),
            ("receiver", S), ("receiver_country", S), ("origin_country", S),
            ("departure_country", S), ("destination_country", S), ("trading_country", S),
            ("transit_countries", L), ("hs_code", S), ("hs_orig", S), ("ml_category", S),
            ("goods_description", S), ("calibre", S), ("quantity", F), ("unit", S),
            ("net_weight_kg", F), ("value", F), ("currency", S), ("value_usd", F),
            ("licence_id", S), ("certificate_id", S), ("transport", S),
        ]
    )  # fmt: skip

    def build(self, r: dict[str, Any]) -> dict[str, Any]:
        when = date(r, "date", dated=True)
        year = year_of(when)
        given_year = r.get("year")
        if given_year is not None and year is not None and int(given_year) != year:
            raise FieldError("year", f"year {given_year} disagrees with date {when}")
        year = year if year is not None else (int(given_year) if given_year is not None else None)
        if year is not None and (problem := checks.year_problem(year, "own")) is not None:
            raise FieldError("year", problem)
        value = number_of(r, "value")
        cur = currency(r)
        value_usd = number_of(r, "value_usd")
        if value_usd is None:
            value_usd = convert(value, cur, year, money.to_usd)
        return {
            "shipment_id": text_of(r, "shipment_id"),
            "ccd_number": text_of(r, "ccd_number"),
            "direction": r.get("direction"),
            "date": when,
            "year": year,
            "declarant": text_of(r, "declarant"),
            "sender": text_of(r, "sender"),
            "sender_country": country(r, "sender_country"),
            "receiver": text_of(r, "receiver"),
            "receiver_country": country(r, "receiver_country"),
            "origin_country": country(r, "origin_country"),
            "departure_country": country(r, "departure_country"),
            "destination_country": country(r, "destination_country"),
            "trading_country": country(r, "trading_country"),
            "transit_countries": country_list(r, "transit_countries"),
            "hs_code": hs(r),
            "hs_orig": text_of(r, "hs_code"),
            "ml_category": ml(r),
            "goods_description": text_of(r, "goods_description"),
            "calibre": text_of(r, "calibre"),
            "quantity": number_of(r, "quantity"),
            "unit": unit(r),
            "net_weight_kg": number_of(r, "net_weight_kg"),
            "value": value,
            "currency": cur,
            "value_usd": value_usd,
            "licence_id": text_of(r, "licence_id"),
            "certificate_id": text_of(r, "certificate_id"),
            "transport": text_of(r, "transport"),
        }


class CertificateReader(OwnFormatReader):
    """End-user certificates (transship certificate format; Wassenaar essential elements)."""

    name: ClassVar[str] = "certificates"
    dataset: ClassVar[str] = "certificates"
    description: ClassVar[str] = (
        "transship end-user certificate format (CSV/JSON): Wassenaar/EU essential elements"
    )
    tables: ClassVar[tuple[str, ...]] = ("certificates",)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {"certificates": ("certificate_id",)}
    schema_name: ClassVar[str] = "certificate"
    key: ClassVar[str] = "certificate_id"
    columns: ClassVar[pa.Schema] = _schema(
        [
            ("certificate_id", S), ("exporter", S), ("exporter_country", S), ("consignee", S),
            ("consignee_country", S), ("end_user", S), ("end_user_country", S),
            ("final_destination", S), ("goods_description", S), ("hs_code", S),
            ("ml_category", S), ("calibre", S), ("quantity", F), ("unit", S), ("end_use", S),
            ("non_reexport_clause", B), ("issuing_authority", S), ("signatory", S),
            ("issue_date", S), ("valid_until", S), ("delivery_verification", S),
            ("licence_id", S),
        ]
    )  # fmt: skip

    def build(self, r: dict[str, Any]) -> dict[str, Any]:
        clause = r.get("non_reexport_clause")
        return {
            "certificate_id": text_of(r, "certificate_id"),
            "exporter": text_of(r, "exporter"),
            "exporter_country": country(r, "exporter_country"),
            "consignee": text_of(r, "consignee"),
            "consignee_country": country(r, "consignee_country"),
            "end_user": text_of(r, "end_user"),
            "end_user_country": country(r, "end_user_country"),
            "final_destination": country(r, "final_destination"),
            "goods_description": text_of(r, "goods_description"),
            "hs_code": hs(r),
            "ml_category": ml(r),
            "calibre": text_of(r, "calibre"),
            "quantity": number_of(r, "quantity"),
            "unit": unit(r),
            "end_use": text_of(r, "end_use"),
            "non_reexport_clause": clause if isinstance(clause, bool) else None,
            "issuing_authority": text_of(r, "issuing_authority"),
            "signatory": text_of(r, "signatory"),
            "issue_date": date(r, "issue_date", dated=True),
            "valid_until": date(r, "valid_until"),
            "delivery_verification": text_of(r, "delivery_verification"),
            "licence_id": text_of(r, "licence_id"),
        }


class ClaimReader(OwnFormatReader):
    """Claims read from reports and press (the press-claims layout), for grading against data."""

    name: ClassVar[str] = "claims"
    dataset: ClassVar[str] = "claims"
    description: ClassVar[str] = (
        "transship claims format (JSON lines/CSV): paraphrased claims with quantity, period, "
        "origin, intermediaries, destination, sources"
    )
    tables: ClassVar[tuple[str, ...]] = ("claims",)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {"claims": ("claim_id",)}
    schema_name: ClassVar[str] = "claim"
    key: ClassVar[str] = "id"
    sniff_also: ClassVar[tuple[str, ...]] = ("claim",)
    columns: ClassVar[pa.Schema] = _schema(
        [
            ("claim_id", S), ("document_id", S), ("text", S), ("quantity", F), ("unit", S),
            ("period", S), ("origin", S), ("intermediaries", L), ("destination", S),
            ("attributed_to", S), ("urls", L), ("reliability", S), ("credibility", S),
            ("testable_with", S),
        ]
    )  # fmt: skip

    def build(self, r: dict[str, Any]) -> dict[str, Any]:
        cur = currency(r)
        credibility = r.get("credibility")
        urls = r.get("urls")
        return {
            "claim_id": text_of(r, "id"),
            "document_id": text_of(r, "document_id"),
            "text": text_of(r, "claim"),
            "quantity": number_of(r, "quantity"),
            "unit": cur if cur is not None else unit(r),
            "period": text_of(r, "period"),
            "origin": country(r, "origin"),
            "intermediaries": country_list(r, "intermediaries"),
            "destination": country(r, "destination"),
            "attributed_to": text_of(r, "original_source"),
            "urls": [str(u).strip() for u in urls] if urls is not None else None,
            "reliability": r.get("reliability"),
            "credibility": None if credibility is None else str(credibility),
            "testable_with": text_of(r, "testable_with"),
        }
