"""Actors as a reader sees them: one actor with its aliases, sources, records by role,
sanctions, owners and holdings (:func:`show_party`), and the list of actors
(:func:`list_actors`, :func:`count_actors`) of the latest resolution. The writing side
(resolving, judging) is :mod:`transship.resolve.actors`, which re-exports these names.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from transship.exc import InvalidInput, NotFound

if TYPE_CHECKING:
    from transship.store.db import Store


@dataclass(slots=True)
class ActorSummary:
    """One line of the actor list."""

    actor_id: str
    caption: str
    records: int
    names: int
    sources: list[str]
    roles: list[str]
    countries: list[str]
    listed: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class PartyView:
    """One actor as a reader sees it.

    ``records_by_role`` maps a role (exporter, consignee, end_user, sender, receiver,
    declarant, listed entity, ...) to records, each ``{record_id, dataset, role, name,
    country, file, line}``; ``sources`` one dict per dataset ``{dataset, records, files}``;
    ``sanctions`` the FtM Sanction entities of the actor's FtM records; ``owners`` the
    ownership paths into the actor ``{path: [names], ids: [...], percentages: [...]}``
    (``holdings`` those out of it);
    ``links`` the scored pairs and judgements that joined its records."""

    actor_id: str
    caption: str
    aliases: list[str]
    sources: list[dict[str, Any]]
    records_by_role: dict[str, list[dict[str, Any]]]
    sanctions: list[dict[str, Any]]
    owners: list[dict[str, Any]]
    links: list[dict[str, Any]] = field(default_factory=list)
    run_id: int | None = None
    #: role -> records of that role in all (``records_by_role`` holds at most ``limit``)
    record_counts: dict[str, int] = field(default_factory=dict)
    #: links in all (``links`` holds at most ``limit``, best first)
    links_total: int = 0
    #: every judgement naming one of the actor's records (``unsure`` ones too), newest first
    judgements: list[dict[str, Any]] = field(default_factory=list)
    #: ownership paths out of the actor (what it owns, directly and through chains), in
    #: the shape of ``owners``: ``path`` starts with the actor
    holdings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _latest_run(store: Store) -> int:
    rows = store.fetchall("SELECT max(run_id) FROM party_runs WHERE status = 'ok'")
    if not rows or rows[0][0] is None:
        raise NotFound(f"no resolution in {store.path} yet: run `transship parties resolve` first")
    return int(rows[0][0])


_RECORD_COLUMNS = ", ".join(
    "a." + c
    for c in (
        "party_id actor_id source_table record_id dataset role schema name country "
        "identifiers source_sha256 line simulated"
    ).split()
)


def _find_actor(store: Store, run_id: int, key: str) -> str:
    key = key.strip()
    if not key:
        raise InvalidInput("an actor id, a party record id or a name is needed")
    for sql in (
        "SELECT actor_id FROM party_actors WHERE actor_id = ? LIMIT 1",
        "SELECT actor_id FROM party_actors WHERE party_id = ? LIMIT 1",
        "SELECT actor_id FROM party_actors WHERE record_id = ? ORDER BY party_id LIMIT 1",
        "SELECT actor_id FROM party_actors WHERE lower(name) = lower(?) "
        "GROUP BY actor_id ORDER BY count(*) DESC, actor_id LIMIT 1",
        "SELECT actor_id FROM party_actors WHERE len(names) > 0 AND "
        "list_contains(list_transform(names, lambda x: lower(x)), lower(?)) "
        "ORDER BY party_id LIMIT 1",
    ):
        rows = store.fetchall(sql, [key])
        if rows:
            return str(rows[0][0])
    # The same name in another spelling: compare analysed name keys of similar names.
    from transship.resolve.names import analyse
    from transship.resolve.resolution import name_key

    want = name_key(analyse(key, "ENT"))
    first = want.split(" ")[0] if want else key
    rows = store.fetchall(
        "SELECT nm, actor_id, count(*) AS n FROM ("
        " SELECT unnest(list_append(coalesce(names, []), name)) AS nm, actor_id"
        " FROM party_actors) WHERE nm ILIKE ? "
        "GROUP BY nm, actor_id ORDER BY n DESC, actor_id LIMIT 2000",
        [f"%{first[:3]}%"],
    )
    for name, actor, _n in rows:
        if name_key(analyse(name, "ENT")) == want:
            return str(actor)
    raise NotFound(
        f"no actor, party record or name {key!r} in the latest resolution (run {run_id})"
    )


def show_party(store: Store, key: str, *, limit: int | None = 500) -> PartyView:
    """One actor by actor id, party record id, source record id or name (exact, then the
    same name in another spelling or script); :class:`~transship.exc.NotFound` otherwise.

    ``limit``: records shown per role and links shown (an exporter can be in a hundred
    thousand shipments); ``record_counts`` and ``links_total`` give the totals, aliases
    and sources always count every record. ``None`` shows everything."""
    if limit is not None and limit < 1:
        raise InvalidInput("limit must be at least 1")
    run_id = _latest_run(store)
    actor = _find_actor(store, run_id, key)
    recs = store.query(
        f"SELECT {_RECORD_COLUMNS}, s.path AS file FROM party_actors a "
        "LEFT JOIN sources s ON s.sha256 = a.source_sha256 "
        "WHERE actor_id = ? ORDER BY source_table, party_id",
        [actor],
    ).to_pylist()
    entity_ids = [r["record_id"] for r in recs if r["source_table"] == "entities"]
    names: dict[str, int] = {}
    for r in recs:
        names[r["name"]] = names.get(r["name"], 0) + 1
    ftm_caption = None
    if entity_ids:
        marks = ", ".join("?" for _ in entity_ids)
        for row in store.query(
            f"SELECT name, names, aliases FROM parties WHERE id IN ({marks}) ORDER BY id",
            entity_ids,
        ).to_pylist():
            ftm_caption = ftm_caption or row["name"]
            for nm in [*(row["names"] or []), *(row["aliases"] or [])]:
                names.setdefault(nm, 0)
    caption = ftm_caption or max(names.items(), key=lambda kv: (kv[1], -len(kv[0])))[0]
    aliases = sorted(names, key=lambda nm: (-names[nm], nm))
    by_role: dict[str, list[dict[str, Any]]] = {}
    counts: dict[str, int] = {}
    sources: dict[str, dict[str, Any]] = {}
    for r in recs:
        counts[r["role"]] = counts.get(r["role"], 0) + 1
        src = sources.setdefault(
            r["dataset"] or "?",
            {"dataset": r["dataset"], "records": 0, "files": [], "simulated": False},
        )
        src["records"] += 1
        if r["file"] and r["file"] not in src["files"]:
            src["files"].append(r["file"])
        src["simulated"] = src["simulated"] or bool(r["simulated"])
        if limit is not None and counts[r["role"]] > limit:
            continue
        by_role.setdefault(r["role"], []).append(
            {
                "record_id": r["record_id"],
                "party_id": r["party_id"],
                "dataset": r["dataset"],
                "source_table": r["source_table"],
                "role": r["role"],
                "name": r["name"],
                "country": r["country"],
                "file": r["file"],
                "line": r["line"],
                "simulated": bool(r["simulated"]),
            }
        )
    [(links_total,)] = store.fetchall(
        "SELECT count(*) FROM party_links WHERE actor_id = ?", [actor]
    )
    cap = "" if limit is None else f" LIMIT {int(limit)}"
    links = [
        {
            "a": r["a"],
            "b": r["b"],
            "score": r["score"],
            "how": r["how"],
            "explanation": json.loads(r["explanation"]) if r["explanation"] else None,
        }
        for r in store.query(
            "SELECT a, b, score, how, explanation FROM party_links WHERE actor_id = ? "
            f"ORDER BY how, score DESC NULLS LAST, a, b{cap}",
            [actor],
        ).to_pylist()
    ]
    return PartyView(
        actor_id=actor,
        caption=caption,
        aliases=aliases,
        sources=sorted(sources.values(), key=lambda s: (-s["records"], str(s["dataset"]))),
        records_by_role=by_role,
        sanctions=_sanctions(store, entity_ids),
        owners=_owners(store, entity_ids),
        holdings=_holdings(store, entity_ids),
        links=links,
        run_id=run_id,
        record_counts=counts,
        links_total=int(links_total),
        judgements=[
            {
                "judgement_id": int(r[0]),
                "a": r[1],
                "b": r[2],
                "verdict": r[3],
                "who": r[4],
                "why": r[5],
                "at": r[6],
                "a_name": r[7],
                "b_name": r[8],
            }
            for r in store.fetchall(
                "SELECT judgement_id, a, b, verdict, who, why, CAST(judged_at AS VARCHAR), "
                "a_name, b_name FROM party_judgements WHERE a IN (SELECT party_id FROM "
                "party_actors WHERE actor_id = ?) OR b IN (SELECT party_id FROM party_actors "
                "WHERE actor_id = ?) ORDER BY judged_at DESC, judgement_id DESC",
                [actor, actor],
            )
        ],
    )


def _sanctions(store: Store, entity_ids: list[str]) -> list[dict[str, Any]]:
    if not entity_ids:
        return []
    marks = ", ".join("?" for _ in entity_ids)
    return [
        {k: v for k, v in r.items()}
        for r in store.query(
            "SELECT id, entity_id, authority, program, program_id, start_date, end_date, "
            "listing_date, country, reason, dataset FROM sanctions "
            f"WHERE entity_id IN ({marks}) ORDER BY authority NULLS LAST, program, id",
            entity_ids,
        ).to_pylist()
    ]


#: Ownership chains are followed this many steps up.
OWNER_DEPTH = 5


def _owners(store: Store, entity_ids: list[str]) -> list[dict[str, Any]]:
    """Every chain of FtM ownership edges ending at the actor's entities, up to
    :data:`OWNER_DEPTH` steps: ``{path: [names owner first], ids, percentages, edges}``.
    Read step by step from the assets up (one query per step), not the whole edge table."""
    return _chains(store, entity_ids, up=True)


def _holdings(store: Store, entity_ids: list[str]) -> list[dict[str, Any]]:
    """Every chain of FtM ownership edges starting at the actor's entities (what it owns,
    directly and through owned firms), up to :data:`OWNER_DEPTH` steps, in the shape of
    :func:`_owners` (``path`` owner first: the actor, then each asset)."""
    return _chains(store, entity_ids, up=False)


def _chains(store: Store, entity_ids: list[str], up: bool) -> list[dict[str, Any]]:
    if not entity_ids:
        return []
    near, far = ("asset_id", "owner_id") if up else ("owner_id", "asset_id")
    edges: dict[str, list[dict[str, Any]]] = {}
    frontier = set(entity_ids)
    seen: set[str] = set()
    for _ in range(OWNER_DEPTH):
        frontier -= seen
        if not frontier:
            break
        seen |= frontier
        marks = ", ".join("?" for _ in frontier)
        rows = store.query(
            "SELECT id, owner_id, asset_id, percentage, percentage_text FROM ownerships "
            f"WHERE {far} IS NOT NULL AND {near} IN ({marks}) ORDER BY id",
            sorted(frontier),
        ).to_pylist()
        frontier = set()
        for r in rows:
            edges.setdefault(r[near], []).append(r)
            frontier.add(r[far])
    ids = sorted({r[far] for es in edges.values() for r in es} | set(entity_ids))
    marks = ", ".join("?" for _ in ids)
    names = dict(store.fetchall(f"SELECT id, name FROM parties WHERE id IN ({marks})", ids))
    out: list[dict[str, Any]] = []

    def walk(start: str, chain: list[dict[str, Any]], visited: set[str]) -> None:
        for e in edges.get(start, ()):
            other = e[far]
            if other in visited:
                continue
            step = [e, *chain] if up else [*chain, e]
            path_ids = [step[0]["owner_id"], *[x["asset_id"] for x in step]]
            out.append(
                {
                    "path": [names.get(i, i) for i in path_ids],
                    "ids": path_ids,
                    "percentages": [x["percentage"] for x in step],
                    "edges": [x["id"] for x in step],
                    "direct": len(step) == 1,
                }
            )
            if len(step) < OWNER_DEPTH:
                walk(other, step, visited | {other})

    for eid in entity_ids:
        walk(eid, [], {eid})
    return out


def list_actors(
    store: Store, q: str | None = None, limit: int = 50, offset: int = 0
) -> list[ActorSummary]:
    """Actors of the latest run, most records first, optionally those with a name
    containing ``q`` (case-insensitive)."""
    _latest_run(store)
    if limit < 1 or offset < 0:
        raise InvalidInput("limit must be at least 1 and offset at least 0")
    where = ""
    params: list[Any] = []
    if q and q.strip():
        where = "WHERE actor_id IN (SELECT actor_id FROM party_actors WHERE name ILIKE ?)"
        params.append(f"%{q.strip()}%")
    rows = store.query(
        "SELECT actor_id, count(*) AS records, count(DISTINCT name) AS names, "
        "mode(name ORDER BY name) AS caption, "
        "list_sort(list_distinct(list(dataset))) AS sources, "
        "list_sort(list_distinct(list(role))) AS roles, "
        "list_sort(list_distinct(list(country))) AS countries, "
        "bool_or(role = 'listed') AS listed "
        f"FROM party_actors {where} GROUP BY actor_id "
        "ORDER BY records DESC, actor_id LIMIT ? OFFSET ?",
        [*params, int(limit), int(offset)],
    ).to_pylist()
    return [
        ActorSummary(
            actor_id=r["actor_id"],
            caption=r["caption"],
            records=int(r["records"]),
            names=int(r["names"]),
            sources=[s for s in r["sources"] if s is not None],
            roles=list(r["roles"]),
            countries=[c for c in r["countries"] if c is not None],
            listed=bool(r["listed"]),
        )
        for r in rows
    ]


def count_actors(store: Store, q: str | None = None) -> int:
    """How many actors :func:`list_actors` would page through (for pagination)."""
    _latest_run(store)
    if q and q.strip():
        rows = store.fetchall(
            "SELECT count(DISTINCT actor_id) FROM party_actors WHERE name ILIKE ?",
            [f"%{q.strip()}%"],
        )
    else:
        rows = store.fetchall("SELECT count(DISTINCT actor_id) FROM party_actors")
    return int(rows[0][0])


__all__ = ["ActorSummary", "PartyView", "count_actors", "list_actors", "show_party"]
