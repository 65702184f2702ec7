"""Screening lists: FtM JSON lines files, or FtM datasets already in the store.

A list read wrongly is worse than a list not read: a screening that silently skipped half a
sanctions list would clear parties it should flag. So a list with a broken line (not JSON,
not an object, no id, an unknown schema, a party without any name) fails as a whole, with
one line naming the file, the line and the field (:class:`~transship.exc.SourceFormatError`).
Lines are checked by the FtM reader's own :func:`transship.ingest.ftm.parse_entity` (the
checks ``transship ingest`` applies; countries become rigour codes). An unknown property or
an unreadable country only loses that value (a list written by a newer FtM must not lose
whole entities over one new property); such values are counted and logged.

Besides the parties (the FtM schemata of :data:`~transship.resolve.parties.SCHEMA_KINDS`),
a list keeps its ``Ownership`` edges and ``Sanction`` entities, which explain why a party is
listed and who owns what.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transship.exc import NotFound, SourceFormatError
from transship.resolve.parties import SCHEMA_KINDS, Party, party_from_properties

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Edge:
    """An ``Ownership`` (or other interest) edge: owner -> asset, with its percentage."""

    id: str
    schema: str
    owner: str
    asset: str
    percentage: float | None
    percentage_text: str | None
    role: str | None
    origin: str


@dataclass(slots=True)
class ScreeningList:
    """Parties to screen against, with the edges and sanctions that explain them."""

    parties: list[Party] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    #: entity id -> its Sanction entities' (authority, program, dataset)
    sanctions: dict[str, list[dict[str, str | None]]] = field(default_factory=dict)
    #: file paths or dataset names the list was read from
    sources: list[str] = field(default_factory=list)
    #: values dropped (unknown properties, unreadable countries)
    dropped_values: int = 0

    def extend(self, other: ScreeningList) -> None:
        self.parties.extend(other.parties)
        self.edges.extend(other.edges)
        for k, v in other.sanctions.items():
            self.sanctions.setdefault(k, []).extend(v)
        self.sources.extend(other.sources)
        self.dropped_values += other.dropped_values


def _percentage(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return float(text.replace(",", ".").rstrip("%").strip())
    except ValueError:
        return None


def _first(props: dict[str, list[str]], name: str) -> str | None:
    values = props.get(name)
    return values[0] if values else None


def _add_entity(
    out: ScreeningList,
    entity_id: str,
    schema: str,
    props: dict[str, list[str]],
    meta: dict[str, Any],
    origin: str,
) -> str | None:
    """Add one checked entity; returns a problem (``field: reason``) or None."""
    if schema in SCHEMA_KINDS:
        party = party_from_properties(
            entity_id,
            schema,
            props,
            caption=meta.get("caption"),
            datasets=meta.get("datasets") or (),
            referents=meta.get("referents") or (),
            target=bool(meta.get("target")),
            first_seen=meta.get("first_seen"),
            last_seen=meta.get("last_seen"),
            last_change=meta.get("last_change"),
            origin=origin,
        )
        if not party.names:
            return "name: a party without any name (name, alias, previousName) cannot be screened"
        out.parties.append(party)
    elif schema in ("Ownership", "Control", "Directorship", "Membership", "Employment"):
        ends = {
            "Ownership": ("owner", "asset"),
            "Control": ("controller", "controlled"),
            "Directorship": ("director", "organization"),
            "Membership": ("member", "organization"),
            "Employment": ("employee", "employer"),
        }[schema]
        owner, asset = _first(props, ends[0]), _first(props, ends[1])
        if owner and asset:
            text = _first(props, "percentage")
            out.edges.append(
                Edge(
                    entity_id,
                    schema,
                    owner,
                    asset,
                    _percentage(text),
                    text,
                    _first(props, "role"),
                    origin,
                )
            )
    elif schema == "Sanction":
        target = _first(props, "entity")
        if target:
            datasets = meta.get("datasets") or []
            out.sanctions.setdefault(target, []).append(
                {
                    "id": entity_id,
                    "authority": _first(props, "authority"),
                    "program": _first(props, "program"),
                    "start_date": _first(props, "startDate"),
                    "dataset": datasets[0] if datasets else None,
                }
            )
    return None


def read_ftm_file(path: Path) -> ScreeningList:
    """Read an FtM JSON lines file as a screening list; any broken line fails the list."""
    from transship.ingest.ftm import parse_entity

    if not path.is_file():
        raise NotFound(f"no list file {path}")
    out = ScreeningList(sources=[str(path)])
    seen_any = False
    try:
        fh = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise SourceFormatError(path, f"cannot open: {exc.strerror}") from None
    with fh:
        for line_no, line in enumerate(fh, 1):
            text = line.strip()
            if not text:
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SourceFormatError(
                    path, f"not valid JSON: {exc.msg} at column {exc.colno}", line_no
                ) from None
            except RecursionError:
                raise SourceFormatError(path, "JSON nested too deeply", line_no) from None
            entity, rejects = parse_entity(data, line_no)
            if entity is None:
                reject = rejects[0]
                raise SourceFormatError(path, reject.reason, line_no, reject.column)
            for reject in rejects:
                out.dropped_values += 1
                log.warning(
                    "%s, line %d, field %r: %s (value dropped)",
                    path,
                    line_no,
                    reject.column,
                    reject.reason,
                )
            seen_any = True
            meta = {
                "caption": entity.caption,
                "datasets": entity.datasets or [path.stem.split(".")[0]],
                "referents": entity.referents,
                "target": entity.target,
                "first_seen": entity.first_seen,
                "last_seen": entity.last_seen,
                "last_change": entity.last_change,
            }
            problem = _add_entity(
                out, entity.id, entity.schema, entity.properties, meta, f"{path}:{line_no}"
            )
            if problem is not None:
                column, reason = problem.split(": ", 1)
                raise SourceFormatError(path, reason, line_no, column)
    if not seen_any:
        raise SourceFormatError(path, "no FtM entities in the file")
    if not out.parties:
        raise SourceFormatError(
            path,
            "no parties to screen against (no Person, Company, Organization, PublicBody, "
            "LegalEntity, Vessel or Airplane entity)",
        )
    return out


def read_store_dataset(store: Any, dataset: str) -> ScreeningList:
    """The FtM entities of ``dataset`` in the store (latest run of each id, migration 0002).

    An entity belongs to the dataset when it was ingested as it or names it in ``datasets``.
    """
    rows = store.query(
        "SELECT id, schema, caption, properties, datasets, referents, target, first_seen, "
        "last_seen, last_change, record_id FROM entities_current "
        "WHERE dataset = ? OR list_contains(datasets, ?) ORDER BY id",
        [dataset, dataset],
    ).to_pylist()
    if not rows:
        known = [r[0] for r in store.fetchall("SELECT DISTINCT dataset FROM entities ORDER BY 1")]
        hint = f" (datasets with FtM entities: {', '.join(known)})" if known else ""
        raise NotFound(f"no FtM entities of dataset {dataset!r} in {store.path}{hint}")
    out = ScreeningList(sources=[f"store:{dataset}"])
    for r in rows:
        props = json.loads(r["properties"]) if isinstance(r["properties"], str) else r["properties"]
        meta = dict(r)
        meta["datasets"] = r["datasets"] or [dataset]
        problem = _add_entity(
            out, r["id"], r["schema"], props or {}, meta, f"{dataset}:{r['record_id']}"
        )
        if problem is not None:
            log.warning("dataset %s, entity %s: %s (not screened)", dataset, r["id"], problem)
    if not out.parties:
        raise NotFound(f"dataset {dataset!r} in {store.path} holds no parties to screen against")
    return out


def store_datasets(store: Any) -> list[str]:
    """Datasets in the store that hold FtM parties."""
    kinds = ", ".join(f"'{s}'" for s in SCHEMA_KINDS)
    return [
        r[0]
        for r in store.fetchall(
            f"SELECT DISTINCT dataset FROM entities_current WHERE schema IN ({kinds}) ORDER BY 1"
        )
    ]


def load_lists(specs: Iterable[str], store_opener: Any = None) -> ScreeningList:
    """Read every ``--list`` argument: a path to an FtM JSON lines file, or a dataset name in
    the store (``store_opener()`` opens it read-only, only when a dataset is named)."""
    out = ScreeningList()
    store = None
    try:
        for spec in specs:
            path = Path(spec)
            if path.exists() or spec.endswith((".json", ".jsonl", ".ftm")):
                out.extend(read_ftm_file(path))
                continue
            if store_opener is None:
                raise NotFound(f"no list file {spec} (and no store to look for a dataset)")
            if store is None:
                store = store_opener()
            out.extend(read_store_dataset(store, spec))
    finally:
        if store is not None:
            store.close()
    return out


def iter_parties(lists: ScreeningList) -> Iterator[Party]:
    """The list's parties, each id once (the first file or dataset that holds it wins)."""
    seen: set[str] = set()
    for p in lists.parties:
        if p.id in seen:
            continue
        seen.add(p.id)
        yield p
