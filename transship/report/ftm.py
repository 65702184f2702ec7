"""Export the store as FollowTheMoney: entity JSON lines and statement CSV.

What goes out, and as what (docs/formats.md, "FollowTheMoney export"):

* ``entities`` (sanctions lists, ownership graphs read by the ``ftm`` reader): as stored, the
  latest run's row per id (``entities_current``), same ids and property values;
* ``shipments`` -> ``EconomicActivity`` ("Customs declaration"), with sender, receiver and
  declarant as ``LegalEntity`` entities;
* ``licences`` -> ``License`` (FtM's "grant of rights", a ``Contract``) issued by a
  ``PublicBody`` standing for the licensing state's authority; exporter, consignee and end user
  are ``LegalEntity`` entities tied to the licence by ``UnknownLink`` edges whose ``role``
  says which party they are;
* ``certificates`` are NOT exported: FtM has no schema for an end-user undertaking (its
  ``Document`` describes a file and requires one; ``Documentation`` only links a Document to
  an entity), so the essential elements (end use, non-re-export clause, signatory, delivery
  verification) would be lost and a half-certificate would read as a whole one. They stay in
  the transship certificate format.

Ids are deterministic (``ts-<kind>-<sha1>``), so exporting twice gives the same file and the
same party met in a licence and a customs record is one entity (same name up to case and
spacing, same country; deeper matching is the resolver's job). Every line has ``id`` first
and ``datasets``; rows from simulated data carry ``"simulated": true`` and a ``notes`` value
saying so. Every line is checked with FtM's model before it is written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, BinaryIO, TextIO, cast

from followthemoney import model
from followthemoney.statement import Statement
from followthemoney.statement.serialize import CSV_COLUMNS
from followthemoney.types import registry
from followthemoney.util import make_entity_id

from transship.exc import InvalidInput
from transship.normalise.commodities import hs_description
from transship.store import Store

#: ``notes`` value on every entity made from simulated rows.
SIMULATED_NOTE = "SIMULATED: made by transship simulate, not real data"
#: Tables (and views) ``export_ftm_table`` knows, with what it writes for them.
FTM_TABLES = {
    "entities": "stored FtM entities",
    "entities_current": "stored FtM entities",
    "parties": "stored FtM party entities",
    "sanctions": "stored FtM Sanction entities",
    "ownerships": "stored FtM Ownership entities",
    "shipments": "EconomicActivity entities with their parties",
    "licences": "License entities with authority, parties and links",
    "statements": "FtM statement CSV",
}
CERTIFICATES_SKIPPED = (
    "certificates have no FollowTheMoney schema (Document needs a file, Documentation only "
    "links one); export them with --to csv or jsonl"
)


# -- output helpers ------------------------------------------------------------------------


def _text_writer(out: BinaryIO | TextIO) -> tuple[TextIO, Callable[[], None]]:
    """A text stream over ``out`` and how to release it (a binary stream is wrapped)."""
    try:
        cast(TextIO, out).write("")
    except TypeError:
        binary = cast(BinaryIO, out)
        wrapper = io.TextIOWrapper(binary, encoding="utf-8", newline="", write_through=True)

        def release() -> None:
            wrapper.flush()
            wrapper.detach()

        return wrapper, release
    return cast(TextIO, out), lambda: None


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def _num_text(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _country(code: str | None) -> str | None:
    """A store territory code as FtM accepts it (world / nes areas have no FtM country)."""
    if not code:
        return None
    cleaned = registry.country.clean(code)
    return str(cleaned) if cleaned else None


def _ident(kind: str, *parts: Any) -> str:
    digest = make_entity_id(*parts, key_prefix=kind)
    assert digest is not None
    return f"ts-{kind}-{digest}"


def _name_key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


def party_id(name: str, country: str | None) -> str:
    """Deterministic id of a party named in licences or customs records."""
    return _ident("le", _name_key(name), country or "")


def authority_id(country: str) -> str:
    return _ident("pb", "licensing-authority", country)


def licence_entity_id(authority_country: str | None, licence_id: str) -> str:
    return _ident("lic", authority_country or "", licence_id)


def shipment_entity_id(dataset: str, shipment_id: str) -> str:
    return _ident("ea", dataset, shipment_id)


# -- validation --------------------------------------------------------------------------


@lru_cache(maxsize=65_536)
def _valid(type_name: str, value: str) -> bool:
    """FtM cleans the value (dates, countries, numbers repeat: each text is checked once)."""
    return registry.get(type_name).clean(value) is not None


def check_entity(data: dict[str, Any], strict: bool = True) -> None:
    """Raise ``InvalidInput`` unless FtM accepts ``data`` exactly as written.

    ``model.get_proxy`` silently drops unknown properties and bad values, so each property,
    value and required property is checked here first. ``strict=False`` is for entities
    exported as they were read: schema and properties must exist, but a source's value FtM
    would not clean (the zala fixture has a phone field holding three numbers) or a missing
    required property (a Passport without ``number`` in the same file) is passed on as the
    source wrote it, not repaired or dropped.
    """
    schema = model.get(data.get("schema", ""))
    if schema is None:
        raise InvalidInput(
            f"FtM export: unknown schema {data.get('schema')!r} for {data.get('id')}"
        )
    props = data.get("properties", {})
    for name, values in props.items():
        prop = schema.get(name)
        if prop is None or prop.stub:
            raise InvalidInput(f"FtM export: {schema.name} has no property {name!r} ({data['id']})")
        for value in values:
            if not isinstance(value, str):
                raise InvalidInput(f"FtM export: {name}={value!r} is not a string ({data['id']})")
            if strict and not _valid(prop.type.name, value):
                raise InvalidInput(f"FtM export: {name}={value!r} is not a valid {prop.type.name}")
    missing = [p for p in schema.required if not props.get(p)]
    if strict and missing:
        raise InvalidInput(f"FtM export: {schema.name} {data['id']} lacks {', '.join(missing)}")
    # Values were checked above (strict); build the proxy without cleaning them a second time.
    proxy = model.get_proxy(data)
    if proxy.id != data["id"]:
        raise InvalidInput(f"FtM export: entity id {data['id']!r} rejected by FtM")


# -- building entities ----------------------------------------------------------------------


@dataclass(slots=True)
class _Entity:
    id: str
    schema: str
    properties: dict[str, list[str]] = field(default_factory=dict)
    datasets: set[str] = field(default_factory=set)
    simulated: bool = False

    def add(self, prop: str, value: Any) -> None:
        if value is None:
            return
        text = value if isinstance(value, str) else str(value)
        text = text.strip()
        if not text:
            return
        values = self.properties.setdefault(prop, [])
        if text not in values:
            values.append(text)

    def to_dict(self) -> dict[str, Any]:
        props = dict(self.properties)
        if self.simulated:
            mark_simulated(self.schema, props)
        data: dict[str, Any] = {"id": self.id, "schema": self.schema, "properties": props}
        proxy = model.get_proxy(data, cleaned=True)
        out: dict[str, Any] = {
            "id": self.id,
            "caption": proxy.caption,
            "schema": self.schema,
            "properties": props,
            "datasets": sorted(self.datasets),
            "referents": [],
        }
        if self.simulated:
            out["simulated"] = True
        return out


def mark_simulated(schema: str, props: dict[str, list[str]]) -> None:
    """Add the simulated note to ``notes`` (Thing schemas) or ``description`` (Interval
    schemas such as EconomicActivity, Ownership, Sanction, which have no ``notes``)."""
    found = model.get(schema)
    prop = "notes" if found is not None and found.get("notes") is not None else "description"
    values = props.get(prop, [])
    if SIMULATED_NOTE not in values:
        props[prop] = [*values, SIMULATED_NOTE]


def _describe(pairs: list[tuple[str, Any]]) -> str | None:
    """The fields FtM has no property for, as one readable ``description`` text."""
    parts = []
    for label, value in pairs:
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, float):
            value = _num_text(value)
        parts.append(f"{label}: {value}")
    return "; ".join(parts) or None


class _Parties:
    """Parties met in licences and customs records, merged by deterministic id.

    A party is labelled simulated only when every row naming it is simulated: a real company
    that a simulation also uses stays real (the simulated records naming it are labelled).
    """

    def __init__(self) -> None:
        self.entities: dict[str, _Entity] = {}
        self.real: set[str] = set()

    def get(
        self, name: str | None, country: str | None, dataset: str, simulated: bool
    ) -> str | None:
        if not name or not name.strip():
            return None
        code = _country(country)
        pid = party_id(name, code)
        entity = self.entities.get(pid)
        if entity is None:
            entity = self.entities[pid] = _Entity(pid, "LegalEntity")
        entity.add("name", re.sub(r"\s+", " ", name).strip())
        entity.add("country", code)
        entity.datasets.add(dataset)
        if not simulated:
            self.real.add(pid)
        return pid

    def to_dicts(self) -> Iterator[dict[str, Any]]:
        for pid in sorted(self.entities):
            entity = self.entities[pid]
            entity.simulated = pid not in self.real
            yield entity.to_dict()


_CURRENT = {
    "shipments_current": (
        "SELECT * FROM shipments QUALIFY row_number() OVER "
        "(PARTITION BY dataset, shipment_id ORDER BY run_id DESC, line DESC) = 1"
    ),
    "licences_current": (
        "SELECT * FROM licences WHERE licence_id IS NOT NULL QUALIFY row_number() OVER "
        "(PARTITION BY authority_country, licence_id ORDER BY run_id DESC, line DESC) = 1"
    ),
}


def _with_current(sql: str) -> str:
    ctes = ", ".join(f"{name} AS ({body})" for name, body in _CURRENT.items())
    return f"WITH {ctes} {sql}"


def _rows(store: Store, sql: str) -> Iterator[dict[str, Any]]:
    for batch in store.stream(_with_current(sql)):
        yield from batch.to_pylist()


def stored_entities(store: Store, where: str = "") -> Iterator[dict[str, Any]]:
    """Entities read by the ``ftm`` reader, as FtM entity dicts (latest run per id)."""
    sql = (
        "SELECT id, caption, schema, properties, datasets, referents, target, first_seen, "
        f"last_seen, last_change, dataset, simulated FROM entities_current {where} "
        "ORDER BY run_id, line"
    )
    for row in _rows(store, sql):
        props = row["properties"]
        props = json.loads(props) if isinstance(props, str) else (props or {})
        data: dict[str, Any] = {
            "id": row["id"],
            "caption": row["caption"],
            "schema": row["schema"],
            "properties": props,
            "datasets": list(row["datasets"] or []) or [row["dataset"]],
            "referents": list(row["referents"] or []),
        }
        for key in ("target", "first_seen", "last_seen", "last_change"):
            if row[key] is not None:
                data[key] = row[key]
        if row["simulated"]:
            data["simulated"] = True
            mark_simulated(row["schema"], props)
        if data["caption"] is None:
            data.pop("caption")
        yield data


def _licence_ids(store: Store) -> dict[str, str]:
    """licence_id -> License entity id, for licence numbers that are unambiguous."""
    rows = store.fetchall(
        _with_current(
            "SELECT licence_id, list(DISTINCT coalesce(authority_country, '')) "
            "FROM licences_current GROUP BY licence_id"
        )
    )
    return {lid: licence_entity_id(cs[0] or None, lid) for lid, cs in rows if len(cs) == 1}


def shipment_entities(store: Store, parties: _Parties) -> Iterator[dict[str, Any]]:
    """Customs records as FtM ``EconomicActivity`` dicts (parties registered in ``parties``)."""
    licences = _licence_ids(store)
    for r in _rows(store, "SELECT * FROM shipments_current ORDER BY dataset, shipment_id"):
        sim = bool(r["simulated"])
        ds = r["dataset"]
        e = _Entity(
            shipment_entity_id(ds, r["shipment_id"]),
            "EconomicActivity",
            datasets={ds},
            simulated=sim,
        )
        e.add("recordId", r["shipment_id"])
        e.add("ccdNumber", r["ccd_number"])
        e.add("directionOfTransportation", r["direction"])
        e.add("date", r["date"])
        e.add("sender", parties.get(r["sender"], r["sender_country"], ds, sim))
        e.add("receiver", parties.get(r["receiver"], r["receiver_country"], ds, sim))
        e.add("declarant", parties.get(r["declarant"], None, ds, sim))
        e.add("originCountry", _country(r["origin_country"]))
        e.add("departureCountry", _country(r["departure_country"]))
        e.add("destinationCountry", _country(r["destination_country"]))
        e.add("tradingCountry", _country(r["trading_country"]))
        if r["hs_code"]:
            e.add("vedCode", r["hs_code"])
            e.add("vedCodeDescription", hs_description(r["hs_code"]))
        e.add("goodsDescription", r["goods_description"])
        e.add("invoiceAmount", _num_text(r["value"]))
        if r["licence_id"] in licences:
            e.add("contract", licences[r["licence_id"]])
        e.add(
            "description",
            _describe(
                [
                    ("currency", r["currency"]),
                    ("value_usd", r["value_usd"]),
                    ("quantity", _join_qty(r["quantity"], r["unit"])),
                    ("net weight kg", r["net_weight_kg"]),
                    ("ML category", r["ml_category"]),
                    ("calibre", r["calibre"]),
                    ("transit", r["transit_countries"]),
                    ("transport", r["transport"]),
                    ("licence", r["licence_id"]),
                    ("end-user certificate", r["certificate_id"]),
                ]
            ),
        )
        yield e.to_dict()


def _join_qty(quantity: float | None, unit: str | None) -> str | None:
    if quantity is None:
        return None
    return f"{_num_text(quantity)} {unit}" if unit else _num_text(quantity)


def licence_entities(store: Store, parties: _Parties) -> Iterator[dict[str, Any]]:
    """Licences as FtM ``License`` dicts, their authorities and ``UnknownLink`` party edges."""
    authorities: dict[str, _Entity] = {}
    rows = store.fetchall(
        _with_current(
            "SELECT authority_country, list(DISTINCT dataset), bool_and(simulated) "
            "FROM licences_current WHERE authority_country IS NOT NULL GROUP BY 1 ORDER BY 1"
        )
    )
    for code, datasets, sim in rows:
        country = _country(code)
        if country is None:
            continue
        e = _Entity(
            authority_id(country), "PublicBody", datasets=set(datasets), simulated=bool(sim)
        )
        e.add("name", f"{registry.country.caption(country)} export licensing authority")
        e.add("country", country)
        e.add("description", "Stands for the licensing authority of the state; made by transship.")
        authorities[country] = e
        yield e.to_dict()
    for r in _rows(store, "SELECT * FROM licences_current ORDER BY authority_country, licence_id"):
        country = _country(r["authority_country"])
        if country is None or country not in authorities:
            continue  # FtM requires an authority
        sim = bool(r["simulated"])
        ds = r["dataset"]
        lic = _Entity(licence_entity_id(r["authority_country"], r["licence_id"]), "License",
                      datasets={ds}, simulated=sim)  # fmt: skip
        lic.add("name", r["licence_id"])
        lic.add("authority", authorities[country].id)
        lic.add("type", r["licence_type"])
        lic.add("status", r["status"])
        lic.add("contractDate", r["issued_date"])
        lic.add("country", _country(r["destination"]))
        lic.add("classification", r["ml_category"])
        lic.add("commodities", r["goods_description"])
        lic.add("amount", _num_text(r["value"]))
        lic.add("currency", r["currency"])
        lic.add("amountEur", _num_text(r["value_eur"]))
        lic.add("amountUsd", _num_text(r["value_usd"]))
        lic.add("criteria", r["denial_criteria"])
        lic.add(
            "description",
            _describe(
                [
                    ("HS", r["hs_code"]),
                    ("quantity", _join_qty(r["quantity"], r["unit"])),
                    ("calibre", r["calibre"]),
                    ("valid until", r["valid_until"]),
                    ("end-user certificate", r["certificate_id"]),
                ]
            ),
        )
        yield lic.to_dict()
        for role, name, pcountry, reg in (
            ("exporter", r["exporter"], r["authority_country"], r["exporter_id"]),
            ("consignee", r["consignee"], r["consignee_country"], None),
            ("end user", r["end_user"], r["end_user_country"], None),
        ):
            pid = parties.get(name, pcountry, ds, sim)
            if pid is None:
                continue
            if reg:
                parties.entities[pid].add("registrationNumber", reg)
            link = _Entity(
                _ident("link", pid, lic.id, role), "UnknownLink", datasets={ds}, simulated=sim
            )
            link.add("subject", pid)
            link.add("object", lic.id)
            link.add("role", role)
            yield link.to_dict()


def ftm_entities(
    store: Store, tables: tuple[str, ...] = ("entities", "licences", "shipments")
) -> Iterator[dict[str, Any]]:
    """Every entity the export writes, checked, in order: stored entities, licences (with
    authorities and links), customs records, then the parties they name."""
    wanted = set(tables)
    unknown = wanted - {"entities", "licences", "shipments"}
    if unknown:
        raise InvalidInput(
            f"FtM export covers entities, licences, shipments; not {', '.join(sorted(unknown))}"
        )
    if "entities" in wanted:
        for data in stored_entities(store):
            check_entity(data, strict=False)
            yield data
    parties = _Parties()
    if "licences" in wanted:
        for data in licence_entities(store, parties):
            check_entity(data)
            yield data
    if "shipments" in wanted:
        for data in shipment_entities(store, parties):
            check_entity(data)
            yield data
    for data in parties.to_dicts():
        check_entity(data)
        yield data


# -- public entry points -----------------------------------------------------------------


def export_ftm(store: Store, out: BinaryIO | TextIO) -> int:
    """Write the store's entities, licences and customs records as FtM entity JSON lines;
    return the number of entities written."""
    return _write_entities(ftm_entities(store), out)


def export_ftm_table(store: Store, table: str, out: BinaryIO | TextIO) -> int:
    """``transship export TABLE --to ftm``: one table's rows as FtM (statements as CSV)."""
    if table == "certificates":
        raise InvalidInput(CERTIFICATES_SKIPPED)
    if table == "statements":
        return export_statements(store, out)
    if table in ("entities", "entities_current"):
        return _write_entities(ftm_entities(store, ("entities",)), out)
    if table in ("parties", "sanctions", "ownerships"):
        where = f"WHERE id IN (SELECT id FROM {table})"
        return _write_entities(_checked(stored_entities(store, where)), out)
    if table in ("shipments", "licences"):
        return _write_entities(ftm_entities(store, (table,)), out)
    raise InvalidInput(
        f"no FollowTheMoney mapping for {table!r}; --to ftm exports {', '.join(sorted(FTM_TABLES))}"
    )


def _checked(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for data in items:
        check_entity(data, strict=False)
        yield data


def _write_entities(items: Iterator[dict[str, Any]], out: BinaryIO | TextIO) -> int:
    text, release = _text_writer(out)
    n = 0
    try:
        for data in items:
            text.write(_line(data))
            n += 1
    finally:
        release()
    return n


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def statements(store: Store) -> Iterator[Statement]:
    """FtM statements of everything ``export_ftm`` writes: the stored statements of the latest
    run per entity, then statements made from the licence and customs entities."""
    sql = (
        "SELECT s.* FROM statements s JOIN entities_current e "
        "ON s.entity_id = e.id AND s.run_id = e.run_id "
        "ORDER BY s.run_id, s.line, s.prop = 'id' DESC"
    )
    for row in _rows(store, sql):
        yield Statement(
            id=row["id"],
            entity_id=row["entity_id"],
            canonical_id=row["canonical_id"],
            prop=row["prop"],
            schema=row["schema"],
            value=row["value"],
            dataset=row["dataset"],
            lang=row["lang"],
            original_value=row["original_value"],
            first_seen=_iso(row["first_seen"]),
            last_seen=_iso(row["last_seen"]),
            external=bool(row["external"]),
            origin=row["origin"],
        )
    for data in ftm_entities(store, ("licences", "shipments")):
        proxy = model.get_proxy(data, cleaned=True)
        yield from Statement.from_entity(proxy, dataset=data["datasets"][0])


def export_statements(store: Store, out: BinaryIO | TextIO) -> int:
    """Write FtM statement CSV (FtM's own column names and order); return the row count."""
    text, release = _text_writer(out)
    n = 0
    try:
        writer = csv.writer(text, dialect=csv.unix_dialect)
        writer.writerow(CSV_COLUMNS)
        for stmt in statements(store):
            row = stmt.to_csv_row()
            writer.writerow([row[c] for c in CSV_COLUMNS])
            n += 1
    finally:
        release()
    return n
