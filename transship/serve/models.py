"""Response shapes, for the OpenAPI schema (``/openapi.json``, docs/api.md).

Endpoints build plain dicts and send them as they are (no validation pass on the hot path);
these models only describe them. Each lists the fields the CLI's ``--json`` promises;
objects may carry more (a later stage adds fields, never renames them), so no model forbids
extra keys. Numbers that can be missing or not finite (a ratio with a zero side) are
nullable: JSON has no NaN, so they are sent as null.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorInfo(Open):
    code: str = Field(description="Stable machine name: not_found, invalid_input, unauthorized...")
    message: str = Field(description="One line for a person.")
    detail: Any = Field(None, description="What a client can act on, or null.")


class ErrorBody(BaseModel):
    error: ErrorInfo


class Page(BaseModel, Generic[T]):
    """One page of a list: follow ``next`` until it is null."""

    items: list[T]
    limit: int
    offset: int
    total: int | None = Field(description="Rows in the whole list; null when not counted.")
    next: str | None = Field(description="Path and query of the next page; null on the last.")


def error_doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


#: What each error status of a read endpoint means (for the schema). An endpoint declares
#: only the ones it can give (:func:`read_responses`, :func:`page_responses`): a status in
#: the schema is a promise a client codes against.
READ_ERRORS: dict[int, str] = {
    400: "A parameter the library refuses (one line, as the CLI says it).",
    404: "The thing asked for does not exist.",
    422: "A parameter of the wrong type or out of range.",
    503: "Every read connection stayed busy.",
}
PAGE_OK: dict[str, Any] = {
    "description": "A page (JSON), or its rows as CSV with `format=csv`.",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}


def read_responses(
    *codes: int, described: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The error responses ``codes``, described as in :data:`READ_ERRORS` unless
    ``described`` says it more exactly for the endpoint."""
    said = described or {}
    return {code: error_doc(said.get(code) or READ_ERRORS[code]) for code in codes}


def page_responses(
    *codes: int, described: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """A page's 200 (JSON or CSV) and the error responses ``codes``."""
    return {200: PAGE_OK, **read_responses(*codes, described=described)}


#: A list endpoint that checks parameters, can find nothing and reads the store.
PAGE_RESPONSES = page_responses(400, 404, 422, 503)
#: The same for an endpoint answering one object.
READ_RESPONSES = read_responses(400, 404, 422, 503)


class RunItem(Open):
    run_id: int
    file: str
    sha256: str
    format: str | None
    dataset: str | None
    started: str
    finished: str | None
    rows_loaded: int
    rows_rejected: int
    supersedes: list[int] | None
    rows_superseded: int
    superseded_by: list[int] | None
    status: str = Field(description="ok | skipped | failed")
    message: str | None


class RejectItem(Open):
    run_id: int
    file: str
    line: int | None
    column: str | None
    reason: str
    raw: str | None


class SourceItem(Open):
    sha256: str
    path: str
    format: str
    dataset: str
    size_bytes: int | None
    simulated: bool
    first_seen: str
    attribution: str | None
    archive_sha256: str | None
    member: str | None
    encoding: str | None
    runs: list[int] | None


class TableItem(Open):
    table: str
    rows: int
    simulated: int | None = Field(description="Rows marked simulated (null: no such column).")


class IndicatorItem(Open):
    name: str
    value: float | None
    weight: float | None
    evidence: list[str] = Field(description="trade_flows record ids the indicator read.")
    detail: str


class MirrorItem(Open):
    exporter: str | None
    importer: str | None
    exporter_iso3: str | None
    importer_iso3: str | None
    product: str
    year: int
    kind: str
    export_value_usd: float | None
    import_value_usd: float | None
    z: float | None
    simulated: bool | None
    evidence: list[str] | None


class HubItem(Open):
    territory: str
    code: str
    product: str
    year: int
    score: float | None
    inflow_usd: float | None
    outflow_usd: float | None
    simulated: bool
    indicators: list[IndicatorItem]
    scores: dict[str, float | None] = Field(
        default_factory=dict, description="Every kind's score (conduit, entrepot)."
    )


class RouteItem(Open):
    path: list[str]
    product: str
    years: list[int]
    share: float | None
    low: float | None
    high: float | None
    value_usd: float | None
    score: float | None
    indicators: list[IndicatorItem]
    evidence: list[dict[str, Any]]
    legs: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    simulated: bool


class EvalRunning(Open):
    status: Literal["running"]
    message: str
    started: str = Field(description="When the evaluation started (UTC, ISO 8601).")
    elapsed_s: float
    step: str | None = Field(description="What the evaluation is doing now.")
    steps_done: list[str]
    retry_after_s: int = Field(description="Ask again after this many seconds.")


class EvalItem(Open):
    stage: str
    noise: str
    precision: float | None
    recall: float | None
    f1: float | None
    support: int
    simulated: bool = Field(description="Always true: scored against a simulation's truth.")
    sim_dir: str


class SourceRef(Open):
    sha256: str
    file: str | None = Field(description="The path the file was read from.")
    format: str | None
    dataset: str | None
    run_id: int | None
    line: int | None
    attribution: str | None
    simulated: bool | None


class Statement(Open):
    prop: str
    value: str | None
    original_value: str | None


class RecordOut(Open):
    record_id: str
    table: str
    superseded: bool = Field(description="True when a later release replaced this row.")
    simulated: bool | None
    values: dict[str, Any]
    original_values: dict[str, Any] = Field(
        description="The source's own text for each normalised field (the *_orig columns)."
    )
    statements: list[Statement]
    source: SourceRef


class TerritoryOut(Open):
    code: str
    iso3: str | None
    name: str | None
    flows: list[dict[str, Any]]
    flows_total: int
    flows_next: str | None
    flows_truncated: bool
    partners: list[dict[str, Any]]
    hubs: list[dict[str, Any]]
    hubs_total: int
    hubs_next: str | None
    mirror: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    sources_total: int
    sources_next: str | None
    simulated: bool


class SqlOut(Page[dict[str, Any]]):
    columns: list[str]
    truncated: bool = Field(description="True when the result had more rows than the row limit.")


class IngestOut(Open):
    results: list[dict[str, Any]]


class IngestStatusOut(Open):
    running: bool
    files: list[str]
    current: str | None
    bytes_read: int
    bytes_total: int
    results: list[dict[str, Any]]
    read_only: bool
