"""Resolution: which party records are one actor (issue 13, point 5).

The steps, each written once for every engine (docs/resolve.md, "Resolution"):

1. **Records** (:func:`read_records`): every name in every role of every source row in the
   store: licences (exporter, consignee, end user), shipments (declarant, sender,
   receiver), certificates (exporter, consignee, end user, issuing authority), COARM
   mission rows (the mission), FtM party entities (with all their names), and the parties
   that claims name (claims files and documents, as the claims stage finds them:
   :mod:`transship.resolve.claim_parties`, role ``named_in_claim``, the claim id and the
   mention's characters in the party id). One Arrow table, one row per party record, with
   the file and line it came from.
2. **Nodes** (:func:`build_nodes`): records with the same analysed name (transliterated
   skeletons without legal forms, :func:`transship.resolve.names.analyse`), legal-form
   class, kind, country and identifiers are one node and one actor without comparison (the
   exact-name rule every resolver starts with). An FtM entity is a node of its own, and so
   is a record that a ``different`` judgement names (the judgement must be able to split it
   from its namesakes).
3. **Blocking** (:data:`BLOCK_SQL`): each node's keys (:func:`node_keys`: whole-name,
   token skeleton, rigour metaphone, first/last four letters, token pairs, joined name,
   identifiers) go to the engine as a table; one SQL statement joins nodes sharing keys
   (keys held by more than ``max_df`` nodes are not followed), weighs each pair by the
   inverse frequency of the keys it shares and keeps each node's ``top_k`` best pairs. The
   SQL is DuckDB's dialect; on Spark it is transpiled by SQLGlot like the flows engine
   (:mod:`transship.store.engine`).
4. **Scoring** (:func:`score_pairs`): each candidate pair is scored by the screening
   matcher (:func:`transship.resolve.match.score_pair`, every feature explained), plus a
   resolution qualifier: two records in different countries are rarely one actor
   (``country_conflict``, -0.3 on top of the matcher's -0.2: "Ministry of Defence" of two
   states must not merge on the name alone).
5. **Clustering** (:func:`transship.resolve.judgements.cluster`): judgements first
   (``different`` = cannot-link, ``same`` = must-link), then the scored pairs at or above
   the threshold, best first, each refused when it would join two records a judgement
   keeps apart, or two clusters with different strong identifiers (INN, OGRN, IMO, LEI,
   BIC) and none shared. Transitively consistent: no actor ever holds two records judged different.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from transship.resolve.judgements import Constraints, cluster
from transship.resolve.match import Feature, score_pair
from transship.resolve.names import Kind, NameForm, analyse
from transship.resolve.parties import SCHEMA_KINDS, Party
from transship.resolve.party_records import RECORD_COLUMNS as RECORD_COLUMNS
from transship.resolve.party_records import RECORDS_SQL as RECORDS_SQL
from transship.resolve.party_records import read_records as read_records

if TYPE_CHECKING:
    from transship.store.engine import Engine

#: Score from which two nodes are one actor (the screening matcher's scale).
DEFAULT_THRESHOLD = 0.75
#: Extra weight when both sides name countries and none agree (the matcher's own
#: ``country_mismatch`` is -0.2; together -0.5: an exact name in two countries is 0.5).
COUNTRY_CONFLICT = -0.3
#: A compared pair scoring below this was found different: no chain of scored links may
#: put the two into one actor ("Sloboda" links to "Sloboda Čačak" and to "Sloboda
#: Trgovina", which score 0.59 against each other: only one of the two links is made).
#: A ``same`` judgement may still join them.
NEGATIVE = 0.6
#: Candidate pairs kept per node (best shared key weight first).
TOP_K = 4
#: Keys held by more nodes than this are not followed (they pair everything with everything).
MAX_DF = 400
#: Pairs scored per worker task.
CHUNK = 20_000
#: Below this many pairs, scoring stays in this process.
PARALLEL_MIN = 40_000

Progress = Callable[[str, int, int], None]

#: Candidate pairs: nodes sharing keys, weighed by the keys' rarity, each node's best
#: ``top_k`` (ties broken by node id, weights rounded: both engines keep the same pairs).
BLOCK_SQL = """
WITH df AS (
    SELECT key, count(*) AS n FROM {keys} GROUP BY key
),
kept AS (
    SELECT k.node, k.key, round(ln(({total} + 1.0) / (df.n + 1.0)) + 0.1, 6) AS w
    FROM {keys} k JOIN df ON k.key = df.key
    WHERE df.n > 1 AND df.n <= {max_df}
),
pairs AS (
    SELECT a.node AS a, b.node AS b, round(sum(a.w), 6) AS w, count(*) AS shared
    FROM kept a JOIN kept b ON a.key = b.key AND a.node < b.node
    GROUP BY a.node, b.node
),
ranked AS (
    SELECT a, b, w, shared,
           row_number() OVER (PARTITION BY a ORDER BY w DESC, b) AS ra,
           row_number() OVER (PARTITION BY b ORDER BY w DESC, a) AS rb
    FROM pairs
)
SELECT a, b, w, shared FROM ranked WHERE ra <= {top_k} OR rb <= {top_k} ORDER BY a, b
"""


@dataclass(slots=True)
class Node:
    """Records that are one actor without comparison (same analysed name, form, kind,
    country and identifiers), as one party to compare."""

    node: int
    party: Party
    #: the node's first party record (by party id): the node's name in links
    first: str
    records: int = 0
    forms: tuple[NameForm, ...] = ()


@dataclass(slots=True)
class ScoredPair:
    """One compared pair of nodes, its score and the features behind it."""

    a: int
    b: int
    score: float
    features: dict[str, Feature]

    def explanation(self) -> dict[str, Any]:
        return {k: f.to_dict() for k, f in self.features.items()}


@dataclass(slots=True)
class Resolution:
    """The result of one resolution: an actor id per record and what linked them."""

    #: record row -> node
    record_node: np.ndarray
    nodes: list[Node]
    #: node -> actor id
    actor_of_node: list[str]
    #: pairs that were compared
    pairs_compared: int
    #: scored pairs at or above the threshold that joined actors
    linked: list[ScoredPair]
    #: scored pairs at or above the threshold refused because a judgement keeps them apart
    refused: list[ScoredPair]
    #: (node a, node b, judgement id) of judgements applied
    judged: list[tuple[int, int, int]]
    notes: list[str] = field(default_factory=list)
    #: seconds per step
    timings: dict[str, float] = field(default_factory=dict)

    def actor_per_record(self) -> list[str]:
        return [self.actor_of_node[n] for n in self.record_node.tolist()]


def schema_kind(schema: str) -> Kind:
    return SCHEMA_KINDS.get(schema, "ENT")


def name_key(form: NameForm) -> str:
    """The exact-name rule's key: the skeletons in sorted order (word order and
    romanisation do not matter), or the ASCII text when nothing is left."""
    skels = sorted(s for s in form.skeletons if s)
    return " ".join(skels) if skels else form.original.casefold().strip()


def _identifiers(values: Sequence[str]) -> dict[str, frozenset[str]]:
    from transship.resolve.parties import IDENTIFIER_PROPS, normalise_identifier

    fmts = {kind: fmt for kind, fmt in IDENTIFIER_PROPS.values()}
    out: dict[str, set[str]] = {}
    for v in values:
        kind, _, value = v.partition(":")
        norm = normalise_identifier(kind, fmts.get(kind), value)
        if norm:
            out.setdefault(kind, set()).add(norm)
    return {k: frozenset(v) for k, v in out.items()}


def build_nodes(
    records: pa.Table, split: frozenset[str] = frozenset(), progress: Progress | None = None
) -> tuple[list[Node], np.ndarray]:
    """Group records into nodes (see the module docstring). ``split``: party ids that get a
    node of their own (named by a ``different`` judgement)."""
    # Only what grouping reads: the other columns stay in Arrow (a million records as
    # Python lists cost about a gigabyte).
    wanted = ("party_id", "source_table", "schema", "name", "names", "country", "identifiers")
    cols = {c: records.column(c).to_pylist() for c in wanted if c in records.schema.names}
    n = records.num_rows
    party_ids: list[str] = cols["party_id"]
    nodes: list[Node] = []
    index: dict[tuple[Any, ...], int] = {}
    record_node = np.zeros(n, dtype=np.int64)
    forms_cache: dict[tuple[str, str], NameForm] = {}
    empty: list[str] = []
    for i in range(n):
        schema: str = cols["schema"][i]
        kind = schema_kind(schema)
        name: str = cols["name"][i]
        extra: list[str] = (cols["names"][i] or empty) if "names" in cols else empty
        own = cols["source_table"][i] == "entities" or party_ids[i] in split
        country: str | None = cols["country"][i]
        ids: list[str] = cols["identifiers"][i] or empty
        pid = party_ids[i]
        fk = (name, kind)
        form = forms_cache.get(fk)
        if form is None:
            form = forms_cache[fk] = analyse(name, kind)
        if own:
            key: tuple[Any, ...] = ("own", pid)
        else:
            key = (kind, name_key(form), form.legal, country, tuple(sorted(ids)))
        node = index.get(key)
        if node is None:
            node = index[key] = len(nodes)
            names = tuple(dict.fromkeys([name, *extra]))
            countries = frozenset([country]) if country else frozenset()
            party = Party(
                id=pid,
                schema=schema,
                names=names,
                countries=countries,
                identifiers=_identifiers(ids),
                caption=name,
                origin=pid,
            )
            forms = tuple(form if nm == name else analyse(nm, kind) for nm in names)
            nodes.append(Node(node, party, pid, 0, forms))
        nd = nodes[node]
        nd.records += 1
        if pid < nd.first:
            nd.first = pid
        record_node[i] = node
        if progress is not None and i % 100_000 == 0 and i:
            progress("nodes", i, n)
    if progress is not None:
        progress("nodes", n, n)
    return nodes, record_node


def strong_ids(node: Node) -> dict[str, frozenset[str]]:
    """The node's identifiers of strong kinds (one issuer, check digits: INN, OGRN, IMO,
    LEI, BIC): two clusters holding different ones are kept apart (:func:`transship.resolve.
    judgements.cluster`)."""
    from transship.resolve.parties import STRONG_IDENTIFIERS

    return {k: v for k, v in node.party.identifiers.items() if k in STRONG_IDENTIFIERS and v}


def ambiguous_nodes(nodes: Sequence[Node]) -> frozenset[int]:
    """Nodes without a country whose exact name (:func:`name_key`) other nodes carry in
    two or more countries: "Ministry of Defence" with no country could be any state's."""
    seen: dict[str, set[str]] = {}
    for nd in nodes:
        if nd.party.countries:
            for form in nd.forms:
                seen.setdefault(name_key(form), set()).update(nd.party.countries)
    out = set()
    for nd in nodes:
        if not nd.party.countries and any(len(seen.get(name_key(f), ())) >= 2 for f in nd.forms):
            out.add(nd.node)
    return frozenset(out)


def node_keys(node: Node) -> list[str]:
    """The blocking keys of one node (all its names): ``n:`` whole name (skeletons sorted),
    ``w:`` the name's skeletons written together, ``t:`` each token skeleton, ``p:`` rigour's
    metaphone of tokens of four letters or more, ``h:``/``e:`` first and last four letters
    of skeletons of six or more (a typo at the other end), ``b:`` sorted pairs of the four
    longest skeletons (names made of common words still meet), ``i:`` identifiers."""
    from rigour.text import metaphone

    keys: set[str] = set()
    for form in node.forms:
        skels = [s for s in form.skeletons if s]
        if not skels:
            keys.add("n:" + form.original.casefold().strip())
            continue
        keys.add("n:" + " ".join(sorted(skels)))
        if len(skels) > 1:
            keys.add("w:" + "".join(skels))
        for tok, s in zip(form.tokens, form.skeletons, strict=True):
            if not s:
                continue
            keys.add("t:" + s)
            if len(tok) >= 4 and tok.isalpha():
                keys.add("p:" + metaphone(tok))
            if len(s) >= 6:
                keys.add("h:" + s[:4])
                keys.add("e:" + s[-4:])
        if len(skels) > 1:
            top = sorted(set(skels), key=lambda s: (-len(s), s))[:4]
            top.sort()
            for i in range(len(top)):
                for j in range(i + 1, len(top)):
                    keys.add(f"b:{top[i]}|{top[j]}")
    for values in node.party.identifiers.values():  # of any kind, as the matcher compares
        keys.update(f"i:{v}" for v in values)
    return sorted(keys)


def keys_table(nodes: Sequence[Node], progress: Progress | None = None) -> pa.Table:
    """``(node, key)`` rows for the blocking SQL."""
    node_col: list[int] = []
    key_col: list[str] = []
    for i, nd in enumerate(nodes):
        ks = node_keys(nd)
        node_col.extend([nd.node] * len(ks))
        key_col.extend(ks)
        if progress is not None and i % 100_000 == 0 and i:
            progress("keys", i, len(nodes))
    return pa.table(
        {"node": pa.array(node_col, type=pa.int64()), "key": pa.array(key_col, type=pa.string())}
    )


def block_sql(keys: str, total: int, max_df: int = MAX_DF, top_k: int = TOP_K) -> str:
    """:data:`BLOCK_SQL` over the relation ``keys`` of ``total`` nodes."""
    return BLOCK_SQL.format(keys=keys, total=int(total), max_df=int(max_df), top_k=int(top_k))


def candidate_pairs(
    engine: Engine, keys: pa.Table, total: int, max_df: int = MAX_DF, top_k: int = TOP_K
) -> pa.Table:
    """Run the blocking SQL on ``engine`` (DuckDB or Spark): ``a, b, w, shared`` rows."""
    from transship.store.engine import temp_name

    name = temp_name("party_keys")
    engine.register(name, keys)
    try:
        out = engine.sql(block_sql(name, total, max_df, top_k))
    finally:
        engine.drop(name)
    return out.select(["a", "b", "w", "shared"]).cast(
        pa.schema(
            [("a", pa.int64()), ("b", pa.int64()), ("w", pa.float64()), ("shared", pa.int64())]
        )
    )


def score_nodes(x: Node, y: Node) -> ScoredPair:
    """Score two nodes: the screening matcher (the name with more tokens as the query: its
    extra words weigh as a query's) plus :data:`COUNTRY_CONFLICT`."""
    q, c = (x, y) if _size(x) >= _size(y) else (y, x)
    result = score_pair(q.party, c.party, q.forms, c.forms)
    features = result.explanations
    score = result.score
    qc, cc = q.party.countries, c.party.countries
    if score > 0 and qc and cc and not (qc & cc):
        text = (
            f"resolution: different countries ({', '.join(sorted(qc))} vs {', '.join(sorted(cc))})"
        )
        features["country_conflict"] = Feature(
            1.0, text, ", ".join(sorted(qc)), ", ".join(sorted(cc)), COUNTRY_CONFLICT
        )
        score = max(0.0, score + COUNTRY_CONFLICT)
    return ScoredPair(min(x.node, y.node), max(x.node, y.node), score, features)


def _size(n: Node) -> tuple[int, int]:
    return (max((len(f.tokens) for f in n.forms), default=0), -n.node)


_NODES: Sequence[Node] = ()


def _init_worker(nodes: Sequence[Node]) -> None:
    global _NODES
    _NODES = nodes


def _score_chunk(pairs: tuple[list[int], list[int]]) -> list[tuple[int, int, float]]:
    out: list[tuple[int, int, float]] = []
    nodes = _NODES
    for a, b in zip(pairs[0], pairs[1], strict=True):
        out.append((a, b, score_nodes(nodes[a], nodes[b]).score))
    return out


def score_pairs(
    nodes: Sequence[Node],
    pairs: pa.Table,
    threshold: float,
    workers: int | None = None,
    progress: Progress | None = None,
    negative: float | None = None,
) -> tuple[list[ScoredPair], list[tuple[int, int]]]:
    """Score every candidate pair; return those at or above ``threshold`` with their
    features, and the pairs scoring below ``negative`` (compared and found different: see
    :data:`NEGATIVE`). Large sets are scored by ``workers``
    processes (default: the machine's cores) that inherit the nodes by fork."""
    a = pairs.column("a").to_pylist()
    b = pairs.column("b").to_pylist()
    total = len(a)
    kept: list[ScoredPair] = []
    apart: list[tuple[int, int]] = []
    low = NEGATIVE if negative is None else negative
    if workers is None:
        workers = max(1, min(4, os.cpu_count() or 1))
    if total < PARALLEL_MIN or workers <= 1 or "fork" not in _start_methods():
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            sp = score_nodes(nodes[x], nodes[y])
            if sp.score >= threshold:
                kept.append(sp)
            elif sp.score < low:
                apart.append((sp.a, sp.b))
            if progress is not None and i % 50_000 == 0 and i:
                progress("score", i, total)
    else:
        chunks = [(a[i : i + CHUNK], b[i : i + CHUNK]) for i in range(0, total, CHUNK)]
        done = 0
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("fork"),
            initializer=_init_worker,
            initargs=(nodes,),
        ) as pool:
            for res in pool.map(_score_chunk, chunks):
                for x, y, s in res:
                    if s >= threshold:
                        kept.append(score_nodes(nodes[x], nodes[y]))
                    elif s < low:
                        apart.append((min(x, y), max(x, y)))
                done += len(res)
                if progress is not None:
                    progress("score", done, total)
    if progress is not None:
        progress("score", total, total)
    return kept, apart


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def actor_id(first_party_id: str) -> str:
    """An actor's id: from its smallest party id, so an unchanged actor keeps its id."""
    return "actor-" + hashlib.sha1(first_party_id.encode("utf-8")).hexdigest()[:12]


def resolve_records(
    records: pa.Table,
    engine: Engine,
    threshold: float = DEFAULT_THRESHOLD,
    constraints: Constraints | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    max_df: int = MAX_DF,
    top_k: int = TOP_K,
) -> Resolution:
    """Resolve ``records`` (rows as :data:`RECORD_COLUMNS`) into actors on ``engine``.

    ``constraints``: the judgements, by party id (:func:`transship.resolve.judgements.
    load_constraints`)."""
    import time

    constraints = constraints or Constraints()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    nodes, record_node = build_nodes(records, constraints.split_ids(), progress)
    timings["nodes"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    keys = keys_table(nodes, progress)
    pairs = candidate_pairs(engine, keys, len(nodes), max_df, top_k)
    timings["blocking"] = time.perf_counter() - t0
    if progress is not None:
        progress("block", pairs.num_rows, pairs.num_rows)

    t0 = time.perf_counter()
    scored, apart = score_pairs(nodes, pairs, threshold, workers, progress)
    timings["scoring"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    node_of_party = _node_of_party(records, record_node, constraints.party_ids())
    outcome = cluster(
        len(nodes),
        scored,
        constraints,
        node_of_party,
        [nd.party.countries for nd in nodes],
        ambiguous_nodes(nodes),
        apart,
        [strong_ids(nd) for nd in nodes],
    )
    first: dict[int, str] = {}
    for nd in nodes:
        root = outcome.labels[nd.node]
        if root not in first or nd.first < first[root]:
            first[root] = nd.first
    actor_of_node = [actor_id(first[outcome.labels[i]]) for i in range(len(nodes))]
    timings["clustering"] = time.perf_counter() - t0
    return Resolution(
        record_node=record_node,
        nodes=nodes,
        actor_of_node=actor_of_node,
        pairs_compared=pairs.num_rows,
        linked=outcome.linked,
        refused=outcome.refused,
        judged=outcome.judged,
        notes=outcome.notes,
        timings=timings,
    )


def _node_of_party(records: pa.Table, record_node: np.ndarray, wanted: set[str]) -> dict[str, int]:
    if not wanted:
        return {}
    ids = records.column("party_id").to_pylist()
    return {pid: int(record_node[i]) for i, pid in enumerate(ids) if pid in wanted}
