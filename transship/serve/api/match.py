"""yente-compatible ``POST /match/{dataset}``: screen parties against an FtM dataset in the
store, offline, in yente's request and response shape.

A client written for yente (OpenSanctions' matching API) points at ``transship serve`` and
works unchanged: the body is ``{"queries": {"<id>": {"schema": "Company", "properties":
{"name": [...], "country": [...]}}}}`` (plus yente's optional ``weights`` and ``config``);
the answer is ``{"responses": {"<id>": {"status": 200, "results": [...], "total":
{"value", "relation"}, "query": {...}}}, "matcher": {...}, "limit": n}``. Each result is the
list entity with ``score``, ``match`` and ``explanations`` feature by feature (score,
detail, query value, candidate value, weight), as :mod:`transship.resolve.screen` builds
them for ``transship screen --json``.

Where we follow yente and where not (docs/resolve.md, "POST /match"):

* ``dataset`` is an FtM dataset in the store (``transship ingest list.ftm.jsonl --dataset
  NAME``); ``default`` is every FtM dataset, as yente's ``default`` collection is every list
  it indexes. Unknown -> 404 in the server's one error shape (yente answers 404 too).
* ``limit`` (1-500, default 5), ``threshold`` (default 0.7) and the deprecated ``cutoff``
  (results scoring below it are not returned; default the threshold, never above it) as in
  yente; ``total.value`` counts the matches (scores at or above the threshold) before the
  limit, as yente's ``score_results`` does. A score equal to the cutoff is returned (yente
  drops it): a match is never hidden.
* ``algorithm`` accepts yente's names and ``transship``; the matcher that ran is always
  transship's (logic-v2's composition, our name comparison), and the response says so in
  ``algorithm``. ``weights`` and ``config`` are accepted and not applied (listed in
  ``ignored``): our features are not logic-v2's, so its tuning keys do not carry over.
* ``include_dataset``, ``exclude_dataset``, ``exclude_schema``, ``topics``,
  ``changed_since`` and ``exclude_entity_ids`` filter the results as yente's do.
* yente has no ``GET /match``; neither do we.

Matching is read-only: it needs no token, on a read-only server too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from transship.exc import InvalidInput, NotFound
from transship.serve.deps import Server
from transship.serve.models import READ_RESPONSES
from transship.serve.responses import json_response
from transship.store import Store

router = APIRouter(tags=["match"])

#: yente's defaults (``MATCH_PAGE``, ``MAX_MATCHES``, ``MAX_BATCH``, ``SCORE_THRESHOLD``).
MATCH_PAGE = 5
MAX_MATCHES = 500
MAX_BATCH = 100
#: A query's properties: at most this many values each, each at most this long.
MAX_VALUES = 50
MAX_VALUE_CHARS = 1000
#: yente's algorithm names (all answered by transship's matcher) and ours.
ALGORITHMS = (
    "transship",
    "default",
    "best",
    "logic-v1",
    "logic-v2",
    "name-based",
    "name-qualified",
    "regression-v1",
    "regression-v2",
    "regression-v3",
)
#: The collection of every FtM dataset in the store (yente's ``default``).
ALL_DATASETS = "default"
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}(:\d{2}(:\d{2})?)?)?")

#: Feature -> what it means (yente's ``matcher`` docs: description, coefficient, url).
FEATURE_DOCS: dict[str, str] = {
    "name_match": "The best pair of names (name, alias, previousName on either side), "
    "transliterated, without legal forms, in any word order; the detail is the alignment.",
    "identifier_match": "Both carry the same INN, OGRN, IMO, LEI, BIC, registration, tax, "
    "OKPO, VAT or id number (normalised by rigour.ids).",
    "weak_alias_match": "A weak alias written the same as a name on the other side.",
    "identifier_conflict": "Both carry an INN, OGRN, IMO, LEI or BIC and share none.",
    "country_mismatch": "Both name countries and none agree.",
    "dob_year_disjoint": "Persons' birth dates share no year.",
    "dob_day_disjoint": "Persons' birth dates share a year but no full date.",
    "org_form_mismatch": "Both names carry legal forms of different classes (JSC vs LLC).",
    "ownership": "The entry is owned 50 % or more by listed parties (directly or through a "
    "chain), or related to them; weight 0: why it matters, not how alike the names are.",
}
DOCS_URL = "docs/resolve.md#how-a-pair-is-scored"


class EntityExample(BaseModel):
    """One query: an FtM entity by example (yente's ``EntityExample``)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str | None = Field(None, max_length=200, examples=["q1"])
    schema_: str = Field(..., alias="schema", max_length=64, examples=["Company"])
    properties: dict[str, str | list[Any]] = Field(
        ..., examples=[{"name": ["Krusik a.d. Valjevo"], "country": ["rs"]}]
    )


class MatchRequest(BaseModel):
    """yente's ``EntityMatchQuery``."""

    model_config = ConfigDict(extra="ignore")

    weights: dict[str, float] = Field(
        default_factory=dict, description="Accepted for yente clients; not applied."
    )
    config: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="Accepted for yente clients; not applied."
    )
    queries: dict[str, EntityExample | None] = Field(
        ...,
        examples=[
            {
                "q1": {"schema": "Company", "properties": {"name": ["Krusik a.d. Valjevo"]}},
                "q2": {"schema": "Person", "properties": {"name": ["Alexander Zakharov"]}},
            }
        ],
    )


class TotalSpec(BaseModel):
    value: int
    relation: str = "eq"


class EntityMatches(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: int = 200
    results: list[dict[str, Any]] = Field(
        description="Scored list entities, best first: id, caption, schema, properties, "
        "datasets, referents, target, score, match, features, explanations (feature -> "
        "score, detail, query, candidate, weight), origin; ownership and sanctions when "
        "the list says."
    )
    total: TotalSpec
    query: dict[str, Any]


class MatchResponse(BaseModel):
    """yente's ``EntityMatchResponse`` (plus transship's own fields, which a yente client
    ignores)."""

    model_config = ConfigDict(extra="allow")

    responses: dict[str, EntityMatches]
    matcher: dict[str, dict[str, Any]]
    limit: int


def _string_values(qid: str, prop: str, raw: str | list[Any]) -> list[str]:
    values = [raw] if isinstance(raw, str) else list(raw)
    if len(values) > MAX_VALUES:
        raise InvalidInput(f"queries.{qid}.properties.{prop}: more than {MAX_VALUES} values")
    out: list[str] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise InvalidInput(
                f"queries.{qid}.properties.{prop}: values must be text, not {type(v).__name__}"
            )
        text = str(v).strip()
        if len(text) > MAX_VALUE_CHARS:
            raise InvalidInput(
                f"queries.{qid}.properties.{prop}: a value longer than {MAX_VALUE_CHARS} characters"
            )
        if text and text not in out:
            out.append(text)
    return out


def example_party(qid: str, example: EntityExample) -> Any:
    """A query :class:`~transship.resolve.parties.Party` from yente's entity example.

    As yente's ``Entity.from_example``: the schema must be an FtM schema that can be
    screened, every property one of the schema's; countries (names or codes) are cleaned to
    FtM codes. Unlike yente, an unreadable country is refused (400) rather than dropped: a
    qualifier the client gave must not vanish silently.
    """
    from followthemoney import model

    from transship.resolve.parties import SCHEMA_KINDS, clean_country, party_from_properties

    schema = model.get(example.schema_)
    if schema is None or example.schema_ not in SCHEMA_KINDS:
        known = ", ".join(sorted(SCHEMA_KINDS))
        raise InvalidInput(
            f"queries.{qid}.schema: {example.schema_!r} cannot be screened (one of {known})"
        )
    props: dict[str, list[str]] = {}
    for prop, raw in example.properties.items():
        fprop = schema.get(prop)
        if fprop is None:
            raise InvalidInput(
                f"queries.{qid}.properties: {example.schema_} has no property {prop!r}"
            )
        values = _string_values(qid, prop, raw)
        if fprop.type.name == "country":
            codes = []
            for v in values:
                code = clean_country(v)
                if code is None:
                    raise InvalidInput(f"queries.{qid}.properties.{prop}: not a country: {v!r}")
                if code not in codes:
                    codes.append(code)
            values = codes
        if values:
            props[prop] = values
    party = party_from_properties(example.id or qid, example.schema_, props, origin=f"query {qid}")
    if not party.names:
        raise InvalidInput(
            f"queries.{qid}.properties: no name to match (name, alias, previousName, or a "
            "person's firstName/lastName)"
        )
    return party


@dataclass(slots=True)
class Filters:
    """yente's result filters."""

    include_dataset: list[str]
    exclude_dataset: list[str]
    exclude_schema: list[str]
    topics: list[str]
    changed_since: str | None
    exclude_entity_ids: list[str]

    def keep(self) -> Callable[[Any], bool]:
        include = set(self.include_dataset)
        exclude = set(self.exclude_dataset)
        schemata = set(self.exclude_schema)
        topics = set(self.topics)
        ids = set(self.exclude_entity_ids)
        since = self.changed_since

        def keep(party: Any) -> bool:
            datasets = set(party.datasets)
            if include and not datasets & include:
                return False
            if exclude and datasets & exclude:
                return False
            if party.schema in schemata:
                return False
            if topics and not topics & set(party.properties.get("topics", [])):
                return False
            if ids and (party.id in ids or ids & set(party.referents)):
                return False
            changed = party.last_change or party.last_seen
            return not (since and changed and str(changed) < since)

        return keep


@dataclass(slots=True)
class LoadedList:
    """A dataset's screening list, analysed once per store generation."""

    lists: Any
    screener: Any
    datasets: list[str]
    simulated: bool


def load_dataset(store: Store, dataset: str) -> LoadedList:
    """The screening list of ``dataset`` (or of every FtM dataset for ``default``)."""
    from transship.resolve.lists import ScreeningList, read_store_dataset, store_datasets
    from transship.resolve.screen import Screener

    known = store_datasets(store)
    if dataset in known:
        names = [dataset]
    elif dataset == ALL_DATASETS and known:
        names = known
    else:
        hint = f" (FtM datasets here: {', '.join(known)})" if known else " (none ingested)"
        raise NotFound(
            f"no FtM dataset {dataset!r} in the store{hint}; ingest a list with "
            "`transship ingest FILE.ftm.jsonl --dataset NAME`"
        )
    lists = ScreeningList()
    for name in names:
        lists.extend(read_store_dataset(store, name))
    marks = ", ".join("?" for _ in names)
    simulated = bool(
        store.fetchall(
            f"SELECT 1 FROM entities WHERE dataset IN ({marks}) AND simulated LIMIT 1", names
        )
    )
    return LoadedList(lists, Screener(lists.parties), names, simulated)


def matcher_docs() -> dict[str, dict[str, Any]]:
    """yente's ``matcher``: feature -> description, coefficient (weight), url."""
    from transship.resolve.match import WEIGHTS

    return {
        name: {
            "description": text,
            "coefficient": WEIGHTS.get(name, 0.0),
            "url": DOCS_URL,
        }
        for name, text in FEATURE_DOCS.items()
    }


def run_match(
    loaded: LoadedList,
    queries: list[tuple[str, Any]],
    *,
    limit: int,
    threshold: float,
    cutoff: float,
    filters: Filters,
) -> dict[str, Any]:
    """Screen the queries and build yente's response (``total`` counts matches)."""
    from transship.resolve.screen import match_response

    parties = [p for _, p in queries]
    results = loaded.screener.screen(parties, min_score=cutoff, limit=None)
    keep = filters.keep()
    totals: list[int] = []
    for r in results:
        kept = [s for s in r.results if s.result.score >= cutoff and keep(s.party)]
        totals.append(sum(1 for s in kept if s.result.score >= threshold))
        r.results = kept[:limit]
    response = match_response(
        results,
        threshold=threshold,
        limit=limit,
        query_ids=[qid for qid, _ in queries],
        lists=loaded.lists,
    )
    for (qid, _), total in zip(queries, totals, strict=True):
        response["responses"][qid]["total"] = {"value": total, "relation": "eq"}
    return response


@router.post(
    "/match/{dataset}",
    response_model=MatchResponse,
    responses=READ_RESPONSES,
    summary="Match entities (yente's /match)",
)
async def match(
    body: MatchRequest,
    server: Server,
    dataset: Annotated[
        str,
        Path(
            max_length=128,
            description="An FtM dataset in the store, or `default` for every one.",
        ),
    ],
    limit: Annotated[
        int, Query(ge=1, le=MAX_MATCHES, description="Results per query (yente's limit).")
    ] = MATCH_PAGE,
    threshold: Annotated[
        float, Query(ge=0.0, le=1.0, description="Score from which a result is a match.")
    ] = 0.7,
    cutoff: Annotated[
        float | None,
        Query(
            ge=0.0,
            le=1.0,
            deprecated=True,
            description="Results scoring below this are not returned (default and at most "
            "the threshold; lower it to see near misses).",
        ),
    ] = None,
    algorithm: Annotated[
        str,
        Query(
            max_length=64,
            description=f"yente's algorithm names are accepted ({', '.join(ALGORITHMS)}); "
            "transship's matcher answers every one.",
        ),
    ] = "transship",
    include_dataset: Annotated[
        list[str], Query(description="Only results from these datasets.")
    ] = [],  # noqa: B006 - FastAPI copies the default
    exclude_dataset: Annotated[
        list[str], Query(description="No results from these datasets.")
    ] = [],  # noqa: B006
    exclude_schema: Annotated[list[str], Query(description="No results of these schemata.")] = [],  # noqa: B006
    topics: Annotated[list[str], Query(description="Only results with one of these topics.")] = [],  # noqa: B006
    changed_since: Annotated[
        str | None,
        Query(max_length=32, description="Only results changed since this date (ISO 8601)."),
    ] = None,
    exclude_entity_ids: Annotated[
        list[str], Query(max_length=50, description="Never return these entities.")
    ] = [],  # noqa: B006
) -> Response:
    """Screen a batch of parties (FtM entities by example) against an FtM dataset in the
    store, in yente's `/match` request and response shape: a yente client works offline.
    Each result explains itself feature by feature (`explanations`), with the list's
    ownership (the 50 % rule) and sanctions where it has them; `total.value` counts the
    matches at the threshold."""
    if algorithm not in ALGORITHMS:
        raise InvalidInput(f"algorithm: unknown {algorithm!r} (one of {', '.join(ALGORITHMS)})")
    if changed_since is not None and not _TIMESTAMP.match(changed_since):
        raise InvalidInput(f"changed_since: not an ISO 8601 date: {changed_since!r}")
    # The dataset first: an unknown one is a 404 whatever the body says (as yente).
    loaded: LoadedList = await server.cached_read(
        ("match-list", dataset), lambda store: load_dataset(store, dataset)
    )
    if len(body.queries) > MAX_BATCH:
        raise InvalidInput(f"too many queries in one batch (limit: {MAX_BATCH})")
    queries = [
        (qid, example_party(qid, example))
        for qid, example in body.queries.items()
        if example is not None
    ]
    if not queries:
        raise InvalidInput("no queries provided")
    low = threshold if cutoff is None else min(cutoff, threshold)
    filters = Filters(
        list(include_dataset),
        list(exclude_dataset),
        list(exclude_schema),
        list(topics),
        changed_since,
        list(exclude_entity_ids),
    )
    response = await anyio.to_thread.run_sync(
        lambda: run_match(
            loaded, queries, limit=limit, threshold=threshold, cutoff=low, filters=filters
        )
    )
    response["matcher"] = matcher_docs()
    response["algorithm"] = {"name": "transship", "asked": algorithm}
    response["cutoff"] = low
    response["dataset"] = dataset
    response["datasets"] = loaded.datasets
    response["list_entries"] = len(loaded.lists.parties)
    response["simulated"] = loaded.simulated
    ignored = {k: sorted(v) for k, v in (("weights", body.weights), ("config", body.config)) if v}
    if ignored:
        response["ignored"] = ignored
    return json_response(response, headers={"x-batch-size": str(len(queries))})
