"""FollowTheMoney entity JSON lines: sanctions lists, ownership graphs, Aleph and yente exports.

One line is one entity (``{"id", "schema", "properties": {prop: [str, ...]}, "datasets",
"referents", "first_seen", "last_seen", ...}``, CONVENTIONS.md §4.1). Each line becomes one
``entities`` row (the properties kept as JSON, for the ``parties``/``sanctions``/``ownerships``
views of migration 0002) and one ``statements`` row per property value, plus FtM's ``id``
statement that carries the entity's schema. Statement ids are FtM's own
(``Statement.make_key``: sha1 of ``dataset.entity_id.prop.value``), so statements exported by
transship merge with statements other FtM tools made from the same data.

Checks, because a sanctions list read wrongly is worse than one not read:

* the schema must exist in the installed FtM model, else the line is rejected
  (column ``schema``);
* each property must exist on that schema; an unknown property is rejected with the line
  and the property as the column, and the rest of the entity is kept (a list written by a
  newer FtM must not lose whole entities over one new property);
* country-typed values are normalised to lowercase rigour codes (``RU`` -> ``ru``,
  ``Russia`` -> ``ru``, ``su`` -> ``suhh``); the source's text stays in the statement's
  ``original_value``; a value that is no country is rejected (column = the property).

Entities are not merged here: the same id from two files is two rows (provenance); the
views pick the latest run per id.

``followthemoney`` is imported on first use, not with this module: importing it takes seconds
(it pulls in SQLAlchemy and its dataset catalogue) and the reader registry imports every reader
module to sniff any file.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, cast

import pyarrow as pa

from transship.ingest import checks
from transship.ingest.base import ReadContext, Reader, Reject, Rows

log = logging.getLogger(__name__)

#: FtM's pseudo-property for the statement that records an entity's existence and schema.
BASE_ID = "id"

ENTITY_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("simulated", pa.bool_()),
        ("id", pa.string()),
        ("schema", pa.string()),
        ("caption", pa.string()),
        ("properties", pa.string()),
        ("datasets", pa.list_(pa.string())),
        ("referents", pa.list_(pa.string())),
        ("first_seen", pa.string()),
        ("last_seen", pa.string()),
        ("target", pa.bool_()),
        ("last_change", pa.string()),
    ]
)

STATEMENT_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("simulated", pa.bool_()),
        ("id", pa.string()),
        ("entity_id", pa.string()),
        ("canonical_id", pa.string()),
        ("prop", pa.string()),
        ("prop_type", pa.string()),
        ("schema", pa.string()),
        ("value", pa.string()),
        ("dataset", pa.string()),
        ("lang", pa.string()),
        ("original_value", pa.string()),
        ("first_seen", pa.timestamp("us")),
        ("last_seen", pa.timestamp("us")),
        ("external", pa.bool_()),
        ("origin", pa.string()),
    ]
)


def _model() -> Any:
    from followthemoney import model

    return model


def _country_type() -> Any:
    from followthemoney.types import registry

    return registry.country


def statement_id(
    dataset: str, entity_id: str, prop: str, value: str, external: bool = False
) -> str:
    """FtM's statement id (``Statement.make_key``), without building a Statement object."""
    from followthemoney.statement import Statement

    key = Statement.make_key(dataset, entity_id, prop, value, external)
    assert key is not None  # prop and value are never None here
    return str(key)


def _timestamp(value: Any) -> datetime | None:
    """FtM ``first_seen``/``last_seen`` (``2023-11-02T16:38:16``) as a naive datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)


def _text_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None and str(v) != ""]
    return [str(value)]


@dataclass(slots=True)
class _Batch:
    entities: dict[str, list[Any]] = field(
        default_factory=lambda: {n: [] for n in ENTITY_SCHEMA.names}
    )
    statements: dict[str, list[Any]] = field(
        default_factory=lambda: {n: [] for n in STATEMENT_SCHEMA.names}
    )

    @property
    def size(self) -> int:
        return len(self.statements["id"]) + len(self.entities["id"])

    def flush(self) -> Iterator[Rows]:
        if self.entities["id"]:
            yield Rows("entities", pa.table(self.entities, schema=ENTITY_SCHEMA))
        if self.statements["id"]:
            yield Rows("statements", pa.table(self.statements, schema=STATEMENT_SCHEMA))
        for cols in (self.entities, self.statements):
            for values in cols.values():
                values.clear()


@dataclass(slots=True)
class ParsedEntity:
    """One entity line after checks: what goes to ``entities`` and ``statements``."""

    id: str
    schema: str
    caption: str | None
    properties: dict[str, list[str]]
    #: (prop, value, original_value or None) in file order, deduplicated.
    values: list[tuple[str, str, str | None]]
    datasets: list[str]
    referents: list[str]
    first_seen: str | None
    last_seen: str | None
    target: bool | None
    last_change: str | None
    simulated: bool


def parse_entity(
    data: Any, line: int, raw: str | None = None
) -> tuple[ParsedEntity | None, list[Reject]]:
    """Check and normalise one decoded entity line (``None`` when the line is rejected whole).

    Public so that other stages (e.g. the FtM export round-trip) apply exactly the checks the
    reader applies.
    """
    model = _model()
    country_type = _country_type()
    rejects: list[Reject] = []
    if not isinstance(data, dict):
        return None, [Reject(line, None, "not a JSON object (FtM entity lines are objects)", raw)]
    entity_id = data.get("id")
    if not isinstance(entity_id, str) or not entity_id.strip():
        return None, [Reject(line, "id", "entity has no id", raw)]
    schema_name = data.get("schema")
    if not isinstance(schema_name, str) or not schema_name:
        return None, [Reject(line, "schema", "entity has no schema", raw)]
    schema = model.get(schema_name)
    if schema is None:
        return None, [Reject(line, "schema", f"unknown FtM schema {schema_name!r}", raw)]
    props_in = data.get("properties", {})
    if props_in is None:
        props_in = {}
    if not isinstance(props_in, dict):
        return None, [Reject(line, "properties", "properties must be an object of lists", raw)]
    properties: dict[str, list[str]] = {}
    values: list[tuple[str, str, str | None]] = []
    for prop_name, raw_values in props_in.items():
        prop = schema.get(prop_name)
        if prop is None or prop.stub:
            rejects.append(
                Reject(
                    line,
                    prop_name,
                    f"unknown property {prop_name!r} for schema {schema.name!r}",
                    raw,
                )
            )
            continue
        if isinstance(raw_values, dict):
            rejects.append(
                Reject(line, prop_name, "property values must be a list of strings", raw)
            )
            continue
        kept: list[str] = []
        for text in _text_list(raw_values):
            value = text
            original: str | None = None
            if prop.type == country_type:
                cleaned = country_type.clean(text)
                if cleaned is None:
                    rejects.append(Reject(line, prop_name, f"not a country: {text!r}", raw))
                    continue
                value = cleaned
                original = text if cleaned != text else None
            if value in kept:
                continue
            kept.append(value)
            values.append((prop.name, value, original))
        if kept:
            properties[prop.name] = kept
    caption = data.get("caption")
    if not isinstance(caption, str) or not caption:
        proxy = model.get_proxy({"id": entity_id, "schema": schema.name, "properties": properties})
        caption = proxy.caption
    target = data.get("target")
    return (
        ParsedEntity(
            id=entity_id,
            schema=schema.name,
            caption=caption,
            properties=properties,
            values=values,
            datasets=_text_list(data.get("datasets")),
            referents=_text_list(data.get("referents")),
            first_seen=data.get("first_seen") if isinstance(data.get("first_seen"), str) else None,
            last_seen=data.get("last_seen") if isinstance(data.get("last_seen"), str) else None,
            target=target if isinstance(target, bool) else None,
            last_change=data.get("last_change")
            if isinstance(data.get("last_change"), str)
            else None,
            simulated=data.get("simulated") is True,
        ),
        rejects,
    )


class FtmReader(Reader):
    """FtM entity JSON lines -> ``entities`` + ``statements``."""

    name: ClassVar[str] = "ftm"
    dataset: ClassVar[str] = "ftm"
    description: ClassVar[str] = (
        "FollowTheMoney entity JSON lines (OpenSanctions, yente, Aleph exports): "
        "sanctions, ownership, parties"
    )
    tables: ClassVar[tuple[str, ...]] = ("entities", "statements")
    #: An entity id (within its dataset): one line per entity in a file (aggregate FtM
    #: fragments first). Nothing is moved on revision: ``entities_current`` (migration 0002)
    #: already shows each id from its latest run, and the statements are the history.
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {"entities": ("id",)}
    revision_unit: ClassVar[dict[str, tuple[str, ...]]] = {"entities": ()}
    attribution: ClassVar[str | None] = None

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        first = next((ln for ln in head.splitlines() if ln.strip()), "").strip()
        if not first.startswith("{"):
            return 0
        if '"schema"' in first and '"properties"' in first and '"id"' in first:
            return 90
        if '"schema"' in first and '"id"' in first:
            return 60
        return 0

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        fallback_dataset = ctx.dataset or self.dataset
        batch = _Batch()
        buffered = io.BufferedReader(cast(io.RawIOBase, ctx.open()))
        text = io.TextIOWrapper(buffered, encoding="utf-8-sig", newline=None)
        for line_no, line in enumerate(text, 1):
            stripped = line.strip()
            if not stripped:
                continue
            try:
                data = checks.loads(stripped)
            except checks.JsonTooDeep as exc:
                yield Reject(line_no, None, str(exc), stripped[:2000])
                continue
            except json.JSONDecodeError as exc:
                yield Reject(
                    line_no, None, f"not valid JSON: {exc.msg} at column {exc.colno}", stripped
                )
                continue
            entity, rejects = parse_entity(data, line_no, stripped)
            yield from rejects
            if entity is None:
                continue
            if entity.simulated:
                ctx.simulated = True
            self._add(batch, entity, line_no, ctx.simulated or entity.simulated, fallback_dataset)
            if batch.size >= ctx.batch_rows:
                yield from batch.flush()
        yield from batch.flush()

    @staticmethod
    def _add(
        batch: _Batch, entity: ParsedEntity, line: int, simulated: bool, fallback: str
    ) -> None:
        e = batch.entities
        e["line"].append(line)
        e["simulated"].append(simulated)
        e["id"].append(entity.id)
        e["schema"].append(entity.schema)
        e["caption"].append(entity.caption)
        e["properties"].append(json.dumps(entity.properties, ensure_ascii=False))
        e["datasets"].append(entity.datasets)
        e["referents"].append(entity.referents)
        e["first_seen"].append(entity.first_seen)
        e["last_seen"].append(entity.last_seen)
        e["target"].append(entity.target)
        e["last_change"].append(entity.last_change)

        dataset = entity.datasets[0] if entity.datasets else fallback
        first_seen = _timestamp(entity.first_seen)
        last_seen = _timestamp(entity.last_seen) or first_seen
        schema = _model().get(entity.schema)
        assert schema is not None  # checked by parse_entity
        s = batch.statements
        rows = [(BASE_ID, BASE_ID, entity.id, None)] + [
            (prop, schema.properties[prop].type.name, value, original)
            for prop, value, original in entity.values
        ]
        for prop, prop_type, value, original in rows:
            s["line"].append(line)
            s["simulated"].append(simulated)
            s["id"].append(statement_id(dataset, entity.id, prop, value))
            s["entity_id"].append(entity.id)
            s["canonical_id"].append(entity.id)
            s["prop"].append(prop)
            s["prop_type"].append(prop_type)
            s["schema"].append(entity.schema)
            s["value"].append(value)
            s["dataset"].append(dataset)
            s["lang"].append(None)
            s["original_value"].append(original)
            s["first_seen"].append(first_seen)
            s["last_seen"].append(last_seen)
            s["external"].append(False)
            s["origin"].append(None)
