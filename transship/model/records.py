"""Typed records shared by every stage, one per store table, and the provenance statement.

No I/O here. The store schema (transship/store/migrations) is the source of truth; a test
checks these field names match it column for column. Fields are optional because a record
may be partial (a reader fills what its source has); the store enforces NOT NULL.
Hot paths use Arrow tables; these records are for the Python API and small result sets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="Record")


class Record:
    """Base of every record: build from a store row, turn into a dict."""

    TABLE: ClassVar[str]

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]  # type: ignore[arg-type]

    @classmethod
    def from_row(cls: type[R], row: dict[str, Any]) -> R:
        names = set(cls.field_names())
        return cls(**{k: v for k, v in row.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload, no-any-return]


@dataclass(slots=True)
class FactRecord(Record):
    """The provenance every fact row carries: which file (sha256), which line, which run."""

    record_id: str | None = None
    dataset: str | None = None
    source_sha256: str | None = None
    run_id: int | None = None
    line: int | None = None
    simulated: bool | None = None


@dataclass(slots=True)
class TradeFlow(FactRecord):
    """A row of `trade_flows`."""

    TABLE: ClassVar[str] = "trade_flows"
    reporter: str | None = None
    reporter_iso3: str | None = None
    reporter_m49: str | None = None
    reporter_orig: str | None = None
    partner: str | None = None
    partner_iso3: str | None = None
    partner_m49: str | None = None
    partner_orig: str | None = None
    partner_is_world: bool | None = None
    partner_is_area: bool | None = None
    flow: str | None = None
    flow_orig: str | None = None
    year: int | None = None
    period: str | None = None
    classification: str | None = None
    hs_code: str | None = None
    hs_orig: str | None = None
    value_usd: float | None = None
    value_orig: str | None = None
    value_basis: str | None = None
    qty: float | None = None
    qty_unit: str | None = None
    net_weight_kg: float | None = None
    flag: str | None = None


@dataclass(slots=True)
class ArmsTransfer(FactRecord):
    """A row of `arms_transfers`."""

    TABLE: ClassVar[str] = "arms_transfers"
    deal_id: str | None = None
    supplier: str | None = None
    supplier_iso3: str | None = None
    supplier_orig: str | None = None
    recipient: str | None = None
    recipient_iso3: str | None = None
    recipient_orig: str | None = None
    designation: str | None = None
    description: str | None = None
    category: str | None = None
    order_year: int | None = None
    order_year_uncertain: bool | None = None
    number_ordered: float | None = None
    number_ordered_uncertain: bool | None = None
    number_delivered: float | None = None
    number_delivered_uncertain: bool | None = None
    delivery_year: int | None = None
    delivery_year_uncertain: bool | None = None
    delivery_years: str | None = None
    status: str | None = None
    comments: str | None = None
    local_production: bool | None = None
    tiv_unit: float | None = None
    tiv_deal_unit: float | None = None
    tiv_order: float | None = None
    tiv_delivered: float | None = None


@dataclass(slots=True)
class ArmsTIV(FactRecord):
    """A row of `arms_tiv`."""

    TABLE: ClassVar[str] = "arms_tiv"
    supplier: str | None = None
    supplier_iso3: str | None = None
    supplier_orig: str | None = None
    recipient: str | None = None
    recipient_iso3: str | None = None
    recipient_orig: str | None = None
    year: int | None = None
    tiv: float | None = None
    tiv_orig: str | None = None


@dataclass(slots=True)
class Licence(FactRecord):
    """A row of `licences`."""

    TABLE: ClassVar[str] = "licences"
    licence_id: str | None = None
    authority_country: str | None = None
    licence_type: str | None = None
    status: str | None = None
    exporter: str | None = None
    exporter_id: str | None = None
    consignee: str | None = None
    consignee_country: str | None = None
    end_user: str | None = None
    end_user_country: str | None = None
    destination: str | None = None
    destination_orig: str | None = None
    ml_category: str | None = None
    ml_orig: str | None = None
    hs_code: str | None = None
    goods_description: str | None = None
    calibre: str | None = None
    quantity: float | None = None
    unit: str | None = None
    value: float | None = None
    currency: str | None = None
    value_eur: float | None = None
    value_usd: float | None = None
    issued_date: str | None = None
    valid_until: str | None = None
    certificate_id: str | None = None
    denial_criteria: str | None = None


@dataclass(slots=True)
class LicenceStatistic(FactRecord):
    """A row of `licence_stats`."""

    TABLE: ClassVar[str] = "licence_stats"
    kind: str | None = None
    year: int | None = None
    source_country: str | None = None
    source_orig: str | None = None
    destination: str | None = None
    destination_orig: str | None = None
    origin_country: str | None = None
    origin_orig: str | None = None
    ml_category: str | None = None
    ml_orig: str | None = None
    status: str | None = None
    measure: str | None = None
    value: float | None = None
    value_orig: str | None = None
    currency: str | None = None
    quantity_text: str | None = None
    mission: str | None = None
    description: str | None = None
    embargo: bool | None = None


@dataclass(slots=True)
class Shipment(FactRecord):
    """A row of `shipments`."""

    TABLE: ClassVar[str] = "shipments"
    shipment_id: str | None = None
    ccd_number: str | None = None
    direction: str | None = None
    date: str | None = None
    year: int | None = None
    declarant: str | None = None
    sender: str | None = None
    sender_country: str | None = None
    receiver: str | None = None
    receiver_country: str | None = None
    origin_country: str | None = None
    departure_country: str | None = None
    destination_country: str | None = None
    trading_country: str | None = None
    transit_countries: list[str] | None = None
    hs_code: str | None = None
    hs_orig: str | None = None
    ml_category: str | None = None
    goods_description: str | None = None
    calibre: str | None = None
    quantity: float | None = None
    unit: str | None = None
    net_weight_kg: float | None = None
    value: float | None = None
    currency: str | None = None
    value_usd: float | None = None
    licence_id: str | None = None
    certificate_id: str | None = None
    transport: str | None = None


@dataclass(slots=True)
class EndUseCertificate(FactRecord):
    """A row of `certificates`."""

    TABLE: ClassVar[str] = "certificates"
    certificate_id: str | None = None
    exporter: str | None = None
    exporter_country: str | None = None
    consignee: str | None = None
    consignee_country: str | None = None
    end_user: str | None = None
    end_user_country: str | None = None
    final_destination: str | None = None
    goods_description: str | None = None
    hs_code: str | None = None
    ml_category: str | None = None
    calibre: str | None = None
    quantity: float | None = None
    unit: str | None = None
    end_use: str | None = None
    non_reexport_clause: bool | None = None
    issuing_authority: str | None = None
    signatory: str | None = None
    issue_date: str | None = None
    valid_until: str | None = None
    delivery_verification: str | None = None
    licence_id: str | None = None


@dataclass(slots=True)
class Entity(FactRecord):
    """A row of `entities`."""

    TABLE: ClassVar[str] = "entities"
    id: str | None = None
    schema: str | None = None
    caption: str | None = None
    properties: str | None = None
    datasets: list[str] | None = None
    referents: list[str] | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    target: bool | None = None
    last_change: str | None = None


@dataclass(slots=True)
class Document(FactRecord):
    """A row of `documents`."""

    TABLE: ClassVar[str] = "documents"
    document_id: str | None = None
    title: str | None = None
    publisher: str | None = None
    published: str | None = None
    url: str | None = None
    kind: str | None = None
    text: str | None = None


@dataclass(slots=True)
class Claim(FactRecord):
    """A row of `claims`."""

    TABLE: ClassVar[str] = "claims"
    claim_id: str | None = None
    document_id: str | None = None
    text: str | None = None
    quantity: float | None = None
    unit: str | None = None
    period: str | None = None
    origin: str | None = None
    intermediaries: list[str] | None = None
    destination: str | None = None
    attributed_to: str | None = None
    urls: list[str] | None = None
    reliability: str | None = None
    credibility: str | None = None
    testable_with: str | None = None


@dataclass(slots=True)
class Source(Record):
    """A row of `sources`."""

    TABLE: ClassVar[str] = "sources"
    sha256: str | None = None
    path: str | None = None
    format: str | None = None
    dataset: str | None = None
    size_bytes: int | None = None
    simulated: bool | None = None
    first_seen: datetime | None = None
    attribution: str | None = None
    archive_sha256: str | None = None
    member: str | None = None
    encoding: str | None = None


@dataclass(slots=True)
class IngestRun(Record):
    """A row of `ingest_runs`."""

    TABLE: ClassVar[str] = "ingest_runs"
    run_id: int | None = None
    file: str | None = None
    sha256: str | None = None
    format: str | None = None
    dataset: str | None = None
    started: datetime | None = None
    finished: datetime | None = None
    rows_loaded: int | None = None
    rows_rejected: int | None = None
    status: str | None = None
    message: str | None = None
    #: Earlier runs whose rows this run superseded, how many, and whether it was loaded
    #: ``--as-new`` (migration 0005; docs/store.md, Revisions).
    supersedes: list[int] | None = None
    rows_superseded: int | None = None
    as_new: bool | None = None


@dataclass(slots=True)
class RejectRow(Record):
    """A row of `rejects`."""

    TABLE: ClassVar[str] = "rejects"
    run_id: int | None = None
    file: str | None = None
    line: int | None = None
    column: str | None = None
    reason: str | None = None
    raw: str | None = None


@dataclass(slots=True)
class Statement(Record):
    """A row of `statements`."""

    TABLE: ClassVar[str] = "statements"
    id: str | None = None
    entity_id: str | None = None
    canonical_id: str | None = None
    prop: str | None = None
    prop_type: str | None = None
    schema: str | None = None
    value: str | None = None
    dataset: str | None = None
    lang: str | None = None
    original_value: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    external: bool | None = None
    origin: str | None = None
    source_sha256: str | None = None
    line: int | None = None
    run_id: int | None = None
    simulated: bool | None = None


#: Record class by store table name.
RECORDS: dict[str, type[Record]] = {
    cls.TABLE: cls
    for cls in (
        TradeFlow,
        ArmsTransfer,
        ArmsTIV,
        Licence,
        LicenceStatistic,
        Shipment,
        EndUseCertificate,
        Entity,
        Document,
        Claim,
        Source,
        IngestRun,
        RejectRow,
        Statement,
    )
}
