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
from transship.resolve.party_view import (
    ActorSummary,
    PartyView,
    count_actors,
    list_actors,
    show_party,
)

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


__all__ = [
    "ActorSummary",
    "Judgement",
    "PartyView",
    "ResolveRun",
    "count_actors",
    "judge",
    "list_actors",
    "resolve_parties",
    "show_party",
]
