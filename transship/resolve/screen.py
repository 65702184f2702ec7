"""Screen parties against lists; answers in yente's ``/match`` response shape.

::

    screener = Screener(load_lists(["zala.ftm.jsonl"]).parties)
    results = screener.screen([query_party("q1", "Krusik a.d. Valjevo", "Company")])
    response = match_response(results, threshold=0.7, limit=5)

A small list (up to :data:`EXHAUSTIVE_MAX` names) is compared with every query in full;
a larger one goes through the blocking index (:mod:`transship.resolve.index`). Each
result carries its features (:mod:`transship.resolve.match`); nothing is a bare number.

The first analysis in a process pays rigour's warm-up (its name tables load on first use,
about half a second to several seconds): :func:`warm_up` pays it on purpose and says how
long it took.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from transship.resolve.index import TokenIndex
from transship.resolve.lists import ScreeningList
from transship.resolve.match import (
    DEFAULT_THRESHOLD,
    MatchResult,
    best_name,
    party_names,
    score_pair,
)
from transship.resolve.names import NameForm, analyse
from transship.resolve.ownership import Holding, OwnershipFlag, describe, ownership_flags
from transship.resolve.parties import Party

#: Up to this many list names every query is compared with every name (no blocking).
EXHAUSTIVE_MAX = 5000
#: yente's default number of results per query.
DEFAULT_LIMIT = 5
#: Results scoring below this are not returned at all (yente returns near misses too, so
#: that a user sees what almost matched; below this nothing is worth reading).
MIN_SCORE = 0.3
#: Queries a forked worker scores per task (and a batch needs more to be forked at all).
SCREEN_CHUNK = 500

_WARM: float | None = None


def warm_up() -> float:
    """Load rigour's name data and FtM's model now; returns the seconds it took (0 when
    already loaded)."""
    global _WARM
    if _WARM is not None:
        return 0.0
    start = time.perf_counter()
    from transship.resolve.match import schemata_match

    analyse("Крушик a.d. Valjevo", "ORG")
    schemata_match("Company", "Person")  # FtM's model: its YAML schemata load on first use
    _WARM = time.perf_counter() - start
    return _WARM


@dataclass(slots=True)
class Scored:
    """One list entry scored against a query."""

    party: Party
    result: MatchResult
    #: the entry's position in the screener's list
    index: int = -1


@dataclass(slots=True)
class QueryResult:
    """The results for one query, best first."""

    query: Party
    results: list[Scored]
    #: list entries scored in full for this query
    compared: int


class Screener:
    """A screening list, analysed and indexed once, screened against many queries."""

    def __init__(
        self,
        parties: Sequence[Party],
        *,
        exhaustive: bool | None = None,
        top_k: int | None = None,
        max_df: int | None = None,
        min_share: float | None = None,
    ) -> None:
        warm_up()
        self.parties = list(parties)
        forms: list[NameForm] = []
        owner: list[int] = []
        self.names: list[tuple[NameForm, ...]] = []
        for i, party in enumerate(self.parties):
            pn = party_names(party)
            self.names.append(pn)
            for f in pn:
                forms.append(f)
                owner.append(i)
        self.name_owner = np.asarray(owner, dtype=np.int64)
        self.exhaustive = len(forms) <= EXHAUSTIVE_MAX if exhaustive is None else exhaustive
        self.index: TokenIndex | None = None
        if not self.exhaustive:
            kwargs: dict[str, Any] = {}
            if top_k is not None:
                kwargs["top_k"] = top_k
            if max_df is not None:
                # names holding a token more often than this meet through pair keys
                kwargs["common_df"] = max_df
            # min_share belonged to the earlier key-weight blocking (KeyIndex); the bound of
            # the matcher's score replaces it
            self.index = TokenIndex(forms, **kwargs)

    def candidates(
        self, queries: Sequence[Party], min_score: float = DEFAULT_THRESHOLD
    ) -> list[list[int]]:
        """List entries (indexes into ``parties``) to score in full for each query, the
        likeliest first: with the blocking index, those whose bound of the name score
        (:class:`~transship.resolve.index.TokenIndex`) reaches ``min_score``."""
        if self.index is None:
            every = list(range(len(self.parties)))
            return [every for _ in queries]
        forms: list[NameForm] = []
        row_query: list[int] = []
        for qi, q in enumerate(queries):
            for f in party_names(q):
                forms.append(f)
                row_query.append(qi)
        blocks = self.index.block(forms, min_score)
        best: list[dict[int, float]] = [{} for _ in queries]
        for row, names, bounds in zip(row_query, blocks.rows, blocks.bounds, strict=True):
            seen = best[row]
            for p, b in zip(self.name_owner[names].tolist(), bounds.tolist(), strict=True):
                if b > seen.get(p, -1.0):
                    seen[p] = b
        out: list[list[int]] = [sorted(d, key=d.__getitem__, reverse=True) for d in best]
        seen_sets = [set(o) for o in out]
        # Identifiers are keys too: a shared INN finds the entry whatever its name.
        if self._by_identifier is None:
            self._build_identifier_map()
        assert self._by_identifier is not None
        for qi, q in enumerate(queries):
            for values in q.identifiers.values():
                for v in values:
                    for p in self._by_identifier.get(v, ()):
                        if p not in seen_sets[qi]:
                            seen_sets[qi].add(p)
                            out[qi].append(p)
        return out

    #: identifier value (of any kind: one number may be filed under two) -> parties
    _by_identifier: dict[str, list[int]] | None = None

    def _build_identifier_map(self) -> None:
        m: dict[str, list[int]] = {}
        for i, p in enumerate(self.parties):
            for v in {v for values in p.identifiers.values() for v in values}:
                m.setdefault(v, []).append(i)
        self._by_identifier = m

    def screen(
        self,
        queries: Sequence[Party],
        *,
        min_score: float = MIN_SCORE,
        limit: int | None = None,
        workers: int = 1,
        chunk: int = SCREEN_CHUNK,
        progress: Callable[[int], None] | None = None,
    ) -> list[QueryResult]:
        """Score each query against its candidates; results best first (all of them at or
        above ``min_score``, or the best ``limit``).

        With ``workers`` above 1, on POSIX, a batch of more than ``chunk`` queries is
        scored by that many forked processes, ``chunk`` queries a task: the list and its index are shared by ``fork`` (nothing of them is
        pickled; the workers send back their results with each feature's detail written
        out). The results are the same as in one process. ``progress``, when given, is
        called with the number of queries each finished chunk held."""
        if workers > 1 and os.name == "posix" and len(queries) > chunk:
            return _screen_forked(self, queries, min_score, limit, workers, chunk, progress)
        out: list[QueryResult] = []
        for start in range(0, len(queries), chunk):
            part = queries[start : start + chunk]
            out.extend(self._screen(part, min_score, limit))
            if progress is not None:
                progress(len(part))
        return out

    def _screen(
        self, queries: Sequence[Party], min_score: float, limit: int | None
    ) -> list[QueryResult]:
        out: list[QueryResult] = []
        for query, cands in zip(queries, self.candidates(queries, min_score), strict=True):
            qn = party_names(query)
            scored: list[Scored] = []
            plain = not query.identifiers and not query.weak_aliases
            for p in cands:
                cand = self.parties[p]
                if plain and not cand.identifiers and not cand.weak_aliases:
                    # Only names can raise the score (the qualifiers lower it): a pair whose
                    # best names score below min_score is dropped before building features.
                    best = best_name(qn, self.names[p])
                    if best is None or best.score < min_score:
                        continue
                    res = score_pair(query, cand, qn, self.names[p], best)
                else:
                    res = score_pair(query, cand, qn, self.names[p])
                if res.score >= min_score:
                    scored.append(Scored(self.parties[p], res, p))
            scored.sort(key=lambda s: (-s.result.score, s.party.id))
            if limit is not None:
                scored = scored[:limit]
            out.append(QueryResult(query, scored, len(cands)))
        return out


#: What forked workers read: set by :func:`_screen_forked` just before the fork.
_SHARED: tuple[Screener, Sequence[Party]] | None = None

#: A task's results: (query position, [(list position, result)], entries compared).
_Part = list[tuple[int, list[tuple[int, MatchResult]], int]]


def _screen_chunk(args: tuple[int, int, float, int | None]) -> _Part:
    start, end, min_score, limit = args
    assert _SHARED is not None
    screener, queries = _SHARED
    results = screener._screen(queries[start:end], min_score, limit)
    return [
        (start + k, [(s.index, s.result.detached()) for s in r.results], r.compared)
        for k, r in enumerate(results)
    ]


def _screen_forked(
    screener: Screener,
    queries: Sequence[Party],
    min_score: float,
    limit: int | None,
    workers: int,
    chunk: int,
    progress: Callable[[int], None] | None,
) -> list[QueryResult]:
    global _SHARED
    if screener._by_identifier is None:
        # a loop over the whole list: once, before the fork, not in every worker
        screener._build_identifier_map()
    tasks = [
        (s, min(s + chunk, len(queries)), min_score, limit) for s in range(0, len(queries), chunk)
    ]
    _SHARED = (screener, queries)
    # The parent's objects leave the collector's generations: a collection in a worker
    # would otherwise write to every one of them and copy their pages.
    gc.freeze()
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(min(workers, len(tasks))) as pool:
            parts: list[_Part] = []
            for part in pool.imap(_screen_chunk, tasks, chunksize=1):
                parts.append(part)
                if progress is not None:
                    progress(len(part))
    finally:
        gc.unfreeze()
        _SHARED = None
    out: list[QueryResult] = []
    by_query = {qi: (res, compared) for part in parts for qi, res, compared in part}
    for qi, query in enumerate(queries):
        res, compared = by_query[qi]
        scored = [Scored(screener.parties[i], r, i) for i, r in res]
        out.append(QueryResult(query, scored, compared))
    return out


def _result(
    s: Scored,
    threshold: float,
    flags: dict[str, OwnershipFlag],
    captions: dict[str, str],
    lists: ScreeningList | None,
) -> dict[str, Any]:
    explanations = {k: f.to_dict() for k, f in s.result.explanations.items()}
    out: dict[str, Any] = {
        **s.party.entity(),
        "score": round(s.result.score, 4),
        "match": s.result.score >= threshold,
        "features": s.result.features,
        "explanations": explanations,
        "origin": s.party.origin,
    }
    flag = flags.get(s.party.id)
    if flag is not None:
        explanations["ownership"] = {
            "score": round(min(flag.share, 100.0) / 100, 4),
            "detail": describe(flag, captions),
            "query": None,
            "candidate": s.party.caption,
            "weight": 0.0,
        }
        out["ownership"] = {
            "caught_by_50_percent_rule": flag.caught,
            "share": flag.share,
            "holdings": [_holding(h, captions) for h in flag.holdings],
            "paths": [[_holding(h, captions) for h in chain] for chain in flag.paths],
            "relations": [_holding(h, captions) for h in flag.relations],
        }
    if lists is not None:
        out["sanctions"] = lists.sanctions.get(s.party.id, [])
    return out


def _holding(h: Holding, captions: dict[str, str]) -> dict[str, Any]:
    return {
        "owner": h.owner,
        "owner_caption": captions.get(h.owner, h.owner),
        "asset": h.asset,
        "asset_caption": captions.get(h.asset, h.asset),
        "schema": h.schema,
        "percentage": h.percentage,
        "role": h.role,
        "edge_ids": list(h.edge_ids),
        "origins": list(h.origins),
    }


def match_response(
    results: Sequence[QueryResult],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = DEFAULT_LIMIT,
    query_ids: Sequence[str] | None = None,
    lists: ScreeningList | None = None,
) -> dict[str, Any]:
    """yente's ``/match`` response: ``{"responses": {id: {status, results, total, query}},
    "limit": n}``; each result is the list entity with ``score``, ``match``, ``features``
    and ``explanations`` (feature -> score, detail, query, candidate, weight).

    With ``lists`` (the lists screened against), a result that listed parties own or
    control (:mod:`transship.resolve.ownership`) gets an ``ownership`` explanation (weight
    0: it says why the entry matters, not how alike the names are) and an ``ownership``
    field with the holdings, percentages, edge ids and chains; its ``Sanction`` entities
    are in ``sanctions``."""
    flags: dict[str, OwnershipFlag] = {}
    captions: dict[str, str] = {}
    if lists is not None:
        flags = ownership_flags(lists)
        captions = {p.id: p.caption for p in lists.parties}
    responses: dict[str, Any] = {}
    for i, r in enumerate(results):
        qid = query_ids[i] if query_ids is not None else r.query.id
        shown = r.results[:limit]
        responses[qid] = {
            "status": 200,
            "results": [_result(s, threshold, flags, captions, lists) for s in shown],
            "total": {"value": len(r.results), "relation": "eq"},
            "query": {
                "id": r.query.id,
                "schema": r.query.schema,
                "properties": r.query.properties,
            },
            "compared": r.compared,
        }
    return {"responses": responses, "limit": limit, "threshold": threshold}
