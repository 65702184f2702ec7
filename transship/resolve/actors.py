"""Actors: party records from every source linked into the firms and people behind them.

The public face of resolution (issue 13, point 5) for the CLI, the API and the web pages:
:func:`resolve_parties` links the store's party records (licences, shipments, certificates,
COARM, FtM entities) into actors, :func:`show_party` shows one actor with its aliases,
sources, records by role, sanctions and owners, :func:`list_actors` lists them and
:func:`judge` records a reviewer's verdict on two records (applied before any automatic
decision at the next run). Each result has ``.to_dict()`` for JSON.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from transship.exc import InvalidInput, NotFound

if TYPE_CHECKING:
    from transship.store.db import Store
    from transship.store.engine import Engine

Verdict = Literal["same", "different", "unsure"]

#: ``progress(stage, done, total)``: called during long runs (the CLI writes it to stderr).
Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class ResolveRun:
    """One resolution run: what was read, compared and linked, and the settings used."""

    run_id: int
    started: str
    finished: str
    threshold: float
    engine: str
    records: int
    actors: int
    pairs_compared: int
    #: distinct (kind, name, country, identifiers): records joined without comparison
    nodes: int
    pairs_linked: int
    judgements_applied: int
    seconds: float
    #: seconds per step (nodes, blocking, scoring, clustering, storing)
    timings: dict[str, float] = field(default_factory=dict)
    #: dataset -> party records read from it
    records_by_source: dict[str, int] = field(default_factory=dict)
    #: notes on what was skipped or forced (judgements that contradicted each other, ...)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


@dataclass(slots=True)
class Judgement:
    """A reviewer's verdict on two party records (``same`` merges their actors,
    ``different`` keeps them apart, ``unsure`` is kept for the record only)."""

    judgement_id: int
    a: str
    b: str
    verdict: Verdict
    who: str
    why: str | None
    at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _latest_run(store: Store) -> int:
    rows = store.fetchall("SELECT max(run_id) FROM party_runs WHERE status = 'ok'")
    if not rows or rows[0][0] is None:
        raise NotFound(f"no resolution in {store.path} yet: run `transship parties resolve` first")
    return int(rows[0][0])


def resolve_parties(
    store: Store,
    threshold: float | None = None,
    progress: Progress | None = None,
    *,
    engine: str = "duckdb",
    workers: int | None = None,
) -> ResolveRun:
    """Link every party record in the store into actors and store the result (actor per
    record, the links that made each actor, a run record); judgements are applied first.

    ``engine``: ``duckdb`` (the store itself) or ``spark`` (local ``TRANSSHIP_SPARK_MASTER``;
    the blocking SQL is transpiled, scoring and clustering stay the same)."""
    from transship.resolve.judgements import load_constraints
    from transship.resolve.resolution import DEFAULT_THRESHOLD, read_records, resolve_records
    from transship.store.db import now

    if threshold is None:
        threshold = DEFAULT_THRESHOLD
    if not 0.0 < threshold <= 1.0:
        raise InvalidInput(f"--threshold must be above 0 and at most 1, not {threshold}")
    started = now()
    t0 = time.perf_counter()
    records = read_records(store)
    if records.num_rows == 0:
        raise NotFound(
            f"no party records in {store.path}: ingest licences, shipments, certificates, "
            "COARM files or FtM entities first"
        )
    constraints = load_constraints(store)
    eng = _engine(engine, store)
    try:
        res = resolve_records(
            records, eng, threshold, constraints, progress=progress, workers=workers
        )
    finally:
        eng.close()  # Spark: drops our views; the session stays for the process's next use
    t1 = time.perf_counter()
    if progress is not None:
        progress("store", 0, records.num_rows)
    by_source: dict[str, int] = {}
    for ds in records.column("dataset").to_pylist():
        by_source[ds or "?"] = by_source.get(ds or "?", 0) + 1
    actors_col = pa.array(res.actor_per_record(), type=pa.string())
    nodes_col = pa.array(res.record_node, type=pa.int64())
    party_id_of_node = [nd.first for nd in res.nodes]
    with store.transaction():
        [(run_id,)] = store.fetchall("SELECT coalesce(max(run_id), 0) + 1 FROM party_runs")
        run_id = int(run_id)
        store.execute("DELETE FROM party_actors")
        store.execute("DELETE FROM party_links")
        actors_tbl = pa.table(
            {
                "run_id": pa.array([run_id] * records.num_rows, type=pa.int64()),
                "party_id": records.column("party_id"),
                "actor_id": actors_col,
                "node": nodes_col,
                "source_table": records.column("source_table"),
                "record_id": records.column("record_id"),
                "dataset": records.column("dataset"),
                "role": records.column("role"),
                "schema": records.column("schema"),
                "name": records.column("name"),
                "names": records.column("names"),
                "country": records.column("country"),
                "identifiers": records.column("identifiers"),
                "source_sha256": records.column("source_sha256"),
                "line": records.column("line"),
                "simulated": records.column("simulated"),
            }
        )
        store.append("party_actors", actors_tbl)
        link_rows: dict[str, list[Any]] = {
            k: [] for k in ("run_id", "a", "b", "actor_id", "score", "how", "explanation")
        }

        def add(a: int, b: int, score: float | None, how: str, expl: dict[str, Any]) -> None:
            link_rows["run_id"].append(run_id)
            link_rows["a"].append(party_id_of_node[a])
            link_rows["b"].append(party_id_of_node[b])
            link_rows["actor_id"].append(res.actor_of_node[a])
            link_rows["score"].append(score)
            link_rows["how"].append(how)
            link_rows["explanation"].append(json.dumps(expl, ensure_ascii=False))

        for sp in res.linked:
            add(sp.a, sp.b, round(sp.score, 4), "score", sp.explanation())
        for sp in res.refused:
            add(sp.a, sp.b, round(sp.score, 4), "refused", sp.explanation())
        verdicts = {j.judgement_id: j for j in constraints.same}
        for a, b, jid in res.judged:
            j = verdicts[jid]
            add(
                a,
                b,
                None,
                "judgement",
                {"judgement_id": jid, "verdict": j.verdict, "who": j.who, "why": j.why, "at": j.at},
            )
        if link_rows["a"]:
            store.append(
                "party_links",
                pa.table(
                    {
                        "run_id": pa.array(link_rows["run_id"], type=pa.int64()),
                        "a": pa.array(link_rows["a"], type=pa.string()),
                        "b": pa.array(link_rows["b"], type=pa.string()),
                        "actor_id": pa.array(link_rows["actor_id"], type=pa.string()),
                        "score": pa.array(link_rows["score"], type=pa.float64()),
                        "how": pa.array(link_rows["how"], type=pa.string()),
                        "explanation": pa.array(link_rows["explanation"], type=pa.string()),
                    }
                ),
            )
        timings = {k: round(v, 3) for k, v in res.timings.items()}
        timings["storing"] = round(time.perf_counter() - t1, 3)
        finished = now()
        run = ResolveRun(
            run_id=run_id,
            started=started.isoformat(sep=" ", timespec="seconds"),
            finished=finished.isoformat(sep=" ", timespec="seconds"),
            threshold=threshold,
            engine=engine,
            records=records.num_rows,
            actors=len(set(res.actor_of_node)),
            pairs_compared=res.pairs_compared,
            nodes=len(res.nodes),
            pairs_linked=len(res.linked),
            judgements_applied=len(res.judged) + len(constraints.different),
            seconds=round(time.perf_counter() - t0, 3),
            timings=timings,
            records_by_source=dict(sorted(by_source.items())),
            notes=list(res.notes),
        )
        store.execute(
            "INSERT INTO party_runs (run_id, started, finished, status, threshold, engine, "
            "records, nodes, actors, pairs_compared, pairs_linked, judgements_applied, seconds, "
            "records_by_source, notes) VALUES (?, ?, ?, 'ok', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                started,
                finished,
                threshold,
                engine,
                run.records,
                run.nodes,
                run.actors,
                run.pairs_compared,
                run.pairs_linked,
                run.judgements_applied,
                run.seconds,
                json.dumps(run.records_by_source),
                run.notes,
            ],
        )
    return run


def _engine(kind: str, store: Store) -> Engine:
    from transship.store.engine import DuckDBEngine, SparkEngine

    if kind == "duckdb":
        return DuckDBEngine(store)
    if kind == "spark":
        return SparkEngine({})
    raise InvalidInput(f"unknown engine {kind!r}; use duckdb or spark")


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


def _party_record(store: Store, key: str) -> tuple[str, str]:
    """(party id, name) for a judgement's side: a party id, a source record id with one
    party, an actor id (its first record) or a name held by one actor."""
    from transship.resolve.resolution import RECORDS_SQL

    key = key.strip()
    if not key:
        raise InvalidInput("judge needs two party records (ids or names)")
    has_run = bool(store.fetchall("SELECT 1 FROM party_actors LIMIT 1"))
    if has_run:
        rows = store.fetchall(
            "SELECT party_id, name FROM party_actors WHERE actor_id = ? ORDER BY party_id LIMIT 1",
            [key],
        )
        if rows:
            return str(rows[0][0]), str(rows[0][1])
    rows = store.fetchall(
        f"SELECT party_id, name FROM ({RECORDS_SQL}) WHERE party_id = ? OR record_id = ? "
        "ORDER BY party_id",
        [key, key],
    )
    if len(rows) > 1:
        options = ", ".join(str(r[0]) for r in rows[:6])
        raise InvalidInput(f"{key!r} is a row with several parties; name one: {options}")
    if rows:
        return str(rows[0][0]), str(rows[0][1])
    if has_run:
        rows = store.fetchall(
            "SELECT actor_id, min(party_id), any_value(name) FROM party_actors "
            "WHERE lower(name) = lower(?) GROUP BY actor_id ORDER BY 2",
            [key],
        )
    else:
        rows = store.fetchall(
            f"SELECT party_id, min(party_id), any_value(name) FROM ({RECORDS_SQL}) "
            "WHERE lower(name) = lower(?) GROUP BY party_id ORDER BY 2 LIMIT 2",
            [key],
        )
    if len(rows) > 1:
        options = ", ".join(str(r[0]) for r in rows[:6])
        raise InvalidInput(f"{key!r} names several actors or records; give an id: {options}")
    if rows:
        return str(rows[0][1]), str(rows[0][2])
    raise NotFound(f"no party record, actor or name {key!r} in {store.path}")


def judge(
    store: Store,
    a: str,
    b: str,
    verdict: Verdict,
    who: str,
    why: str | None = None,
) -> Judgement:
    """Record a verdict on two party records (party ids, source record ids with one party,
    actor ids or names held by one actor); applied at the next :func:`resolve_parties`."""
    from transship.resolve.judgements import VERDICTS, save_judgement

    if verdict not in VERDICTS:
        raise InvalidInput(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if not who or not who.strip():
        raise InvalidInput("a judgement needs who gave it")
    pa_, na = _party_record(store, a)
    pb, nb = _party_record(store, b)
    if pa_ == pb:
        raise InvalidInput(f"{a!r} and {b!r} are the same party record ({pa_})")
    row = save_judgement(
        store, pa_, pb, verdict, who.strip(), (why or "").strip() or None, (na, nb)
    )
    return Judgement(row.judgement_id, row.a, row.b, verdict, row.who, row.why, row.at)
