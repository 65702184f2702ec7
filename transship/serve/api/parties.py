"""``/api/parties``: actors resolved from every source's party records (issue 13, point 5).

Over :mod:`transship.resolve.actors` (``transship parties list|show|judge``):

* ``GET /api/parties?q=&limit=&offset=`` (or ``format=csv``): actors of the latest
  resolution, most records first, optionally those with a name containing ``q``.
* ``GET /api/parties/{key}``: one actor by actor id, party record id, source record id or
  name (another spelling or script of a name finds it too): aliases, sources, records by
  role (each with its dataset, file, line and the id of its record page), sanctions, the
  ownership chains into it, the links that joined its records, and its **screening**
  against the store's FtM lists (yente's results, feature by feature; the actor's own list
  entries left out).
* ``POST /api/parties/judgements`` (``Authorization: Bearer <token>``): a reviewer's verdict
  on two party records (``same``, ``different``, ``unsure``), applied at the next
  ``transship parties resolve``.

No resolution in the store yet is a 404 that says to run ``transship parties resolve``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from transship.exc import InvalidInput
from transship.serve.deps import Format, Offset, Server, Writer, limit_param
from transship.serve.models import READ_RESPONSES, ErrorBody, Open, Page, page_responses
from transship.serve.responses import json_response, page_response
from transship.store import Store

router = APIRouter(tags=["parties"])

#: A store record id (``<sha256 prefix>:<line>``): the key of ``/records/{id}``.
RECORD_ID = re.compile(r"^[0-9a-f]{16}:\d+$")
#: Screening results shown per actor, and the lowest score shown (near misses included).
SCREEN_LIMIT = 5
SCREEN_CUTOFF = 0.5
#: Names of one actor screened (its most frequent spellings).
SCREEN_NAMES = 20
#: CSV columns of the actor list.
LIST_COLUMNS = (
    "actor_id",
    "caption",
    "records",
    "names",
    "sources",
    "roles",
    "countries",
    "listed",
    "simulated",
)


class ActorItem(Open):
    actor_id: str
    caption: str
    records: int
    names: int
    sources: list[str]
    roles: list[str]
    countries: list[str]
    listed: bool
    simulated: bool = Field(description="Some of its records are SIMULATED.")


class PartyOut(Open):
    actor_id: str
    caption: str
    aliases: list[str]
    sources: list[dict[str, Any]]
    records_by_role: dict[str, list[dict[str, Any]]] = Field(
        description="role -> records: record_id, record_page (store record id or null), "
        "dataset, role, name, country, file, line, simulated."
    )
    sanctions: list[dict[str, Any]]
    owners: list[dict[str, Any]] = Field(
        description="Ownership chains into the actor: path (names, owner first), ids, "
        "percentages, edges."
    )
    links: list[dict[str, Any]]
    screening: dict[str, Any] = Field(
        description="yente-shaped results of screening the actor's names against the "
        "store's FtM lists (its own entries left out), each with explanations."
    )
    simulated: bool


class JudgementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    a: str = Field(..., min_length=1, max_length=500, description="A party record, id or name.")
    b: str = Field(..., min_length=1, max_length=500, description="The other one.")
    verdict: Literal["same", "different", "unsure"]
    who: str = Field(..., min_length=1, max_length=200, description="Who judges.")
    why: str | None = Field(None, max_length=2000, description="Why (kept with it).")


class JudgementOut(Open):
    judgement_id: int
    a: str
    b: str
    verdict: str
    who: str
    why: str | None
    at: str


def record_pages(store: Store, records_by_role: dict[str, list[dict[str, Any]]]) -> None:
    """Give every record the id of its record page (``/records/{id}``): a store record id
    as it is, an FtM entity id through ``entities_current`` (None when it has none)."""
    entity_ids = sorted(
        {
            str(r["record_id"])
            for rows in records_by_role.values()
            for r in rows
            if r.get("record_id") is not None and not RECORD_ID.match(str(r["record_id"]))
        }
    )
    pages: dict[str, str] = {}
    if entity_ids:
        marks = ", ".join("?" for _ in entity_ids)
        pages = {
            str(i): str(rid)
            for i, rid in store.fetchall(
                f"SELECT id, record_id FROM entities_current WHERE id IN ({marks})", entity_ids
            )
        }
    for rows in records_by_role.values():
        for r in rows:
            rid = str(r.get("record_id") or "")
            r["record_page"] = rid if RECORD_ID.match(rid) else pages.get(rid)


def screen_actor(store: Store, view: dict[str, Any], loaded: Any | None) -> dict[str, Any]:
    """Screen the actor's names (and countries) against the store's FtM lists.

    The actor's own list entries are left out (its records already say it is one of them);
    results from :data:`SCREEN_CUTOFF` up, the best :data:`SCREEN_LIMIT`, in yente's result
    shape with every feature explained; ``match`` at the 0.7 threshold."""
    from transship.resolve.match import DEFAULT_THRESHOLD
    from transship.resolve.parties import query_party
    from transship.resolve.screen import match_response

    if loaded is None:
        return {
            "lists": [],
            "results": [],
            "threshold": DEFAULT_THRESHOLD,
            "note": "no FtM "
            "lists in the store: ingest one (`transship ingest list.ftm.jsonl --dataset "
            "NAME`) to screen parties against it",
        }
    own = {
        str(r["record_id"])
        for rows in view["records_by_role"].values()
        for r in rows
        if r.get("source_table") == "entities"
    }
    countries: list[str] = []
    for rows in view["records_by_role"].values():
        for r in rows:
            c = r.get("country")
            if c and c not in countries:
                countries.append(c)
    names = [n for n in view["aliases"] if n and n.strip()][:SCREEN_NAMES] or [view["caption"]]
    query = query_party(view["actor_id"], names, "LegalEntity", where="actor")
    if countries:
        from dataclasses import replace

        query = replace(query, countries=frozenset(countries))
    [result] = loaded.screener.screen([query], min_score=SCREEN_CUTOFF, limit=None)
    result.results = [s for s in result.results if s.party.id not in own][:SCREEN_LIMIT]
    response = match_response(
        [result], threshold=DEFAULT_THRESHOLD, limit=SCREEN_LIMIT, lists=loaded.lists
    )
    body = response["responses"][view["actor_id"]]
    return {
        "lists": loaded.datasets,
        "list_entries": len(loaded.lists.parties),
        "threshold": DEFAULT_THRESHOLD,
        "cutoff": SCREEN_CUTOFF,
        "query": {"names": names, "countries": countries},
        "results": body["results"],
        "simulated": loaded.simulated,
    }


def load_lists(store: Store) -> Any | None:
    """Every FtM dataset of the store as one screening list (None when there is none)."""
    from transship.resolve.lists import store_datasets
    from transship.serve.api.match import ALL_DATASETS, load_dataset

    if not store_datasets(store):
        return None
    return load_dataset(store, ALL_DATASETS)


def party_data(store: Store, key: str, loaded: Any | None) -> dict[str, Any]:
    """One actor as the API and its page show it (see the module's docstring)."""
    from transship.resolve.actors import show_party

    if not key.strip():
        raise InvalidInput("an actor id, a party record id or a name is needed")
    view: dict[str, Any] = show_party(store, key).to_dict()
    record_pages(store, view["records_by_role"])
    view["screening"] = screen_actor(store, view, loaded)
    view["simulated"] = any(s.get("simulated") for s in view["sources"])
    view["records"] = sum(len(v) for v in view["records_by_role"].values())
    return view


async def party_for(server: Any, key: str) -> dict[str, Any]:
    """:func:`party_data` on a reader, the lists loaded once per store generation."""
    loaded = await server.cached_read(("party-lists",), load_lists)
    result: dict[str, Any] = await server.cached_read(
        ("party", key), lambda store: party_data(store, key, loaded)
    )
    return result


def actor_rows(store: Store, q: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    """One more row than asked (whether a next page exists)."""
    from transship.resolve.actors import list_actors

    rows = [a.to_dict() for a in list_actors(store, q, limit + 1, offset)]
    if rows:
        # an actor read (partly) from simulated records says so wherever it is listed
        ids = [r["actor_id"] for r in rows]
        marks = ", ".join("?" for _ in ids)
        simulated = dict(
            store.fetchall(
                f"SELECT actor_id, bool_or(coalesce(simulated, false)) FROM party_actors "
                f"WHERE actor_id IN ({marks}) GROUP BY actor_id",
                ids,
            )
        )
        for r in rows:
            r["simulated"] = bool(simulated.get(r["actor_id"], False))
    return rows


@router.get(
    "/api/parties",
    response_model=Page[ActorItem],
    responses=page_responses(404, 422, 503, described={404: "No resolution in the store yet."}),
    summary="Actors (resolved parties)",
)
async def parties(
    request: Request,
    server: Server,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Only actors with a name containing this."),
    ] = None,
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(50),
) -> Response:
    """Actors of the latest resolution (`transship parties resolve`), most records first:
    records, distinct names, sources, roles, countries, and whether a list names them."""

    async def build() -> Response:
        rows = await server.cached_read(
            ("parties", q, limit, offset), lambda s: actor_rows(s, q, limit, offset)
        )
        page = rows[:limit]
        more = len(rows) > limit
        return page_response(
            request.url,
            page,
            limit=limit,
            offset=offset,
            total=None if more else offset + len(page),
            more=more,
            fmt=fmt,
            filename="parties",
            columns=LIST_COLUMNS,
        )

    return await server.respond_cached(request, build)


@router.get(
    "/api/parties/{key}",
    response_model=PartyOut,
    responses=READ_RESPONSES,
    summary="One actor",
)
async def party(
    request: Request,
    server: Server,
    key: Annotated[
        str,
        Path(
            max_length=500,
            description="Actor id, party record id, source record id or a name.",
        ),
    ],
) -> Response:
    """One actor (`transship parties show`): aliases, sources, records by role with file,
    line and record page, sanctions, ownership chains, the links that joined its records,
    and its screening against the store's FtM lists with every feature explained."""

    async def build() -> Response:
        return json_response(await party_for(server, key))

    return await server.respond_cached(request, build)


def _judge(server: Any, body: JudgementIn) -> dict[str, Any]:
    from transship.resolve.actors import judge

    writer = server.writer
    with server.ingest_lock, writer.writing():
        j = judge(writer, body.a, body.b, body.verdict, body.who, body.why)
    server.changed()
    return j.to_dict()


@router.post(
    "/api/parties/judgements",
    response_model=JudgementOut,
    status_code=201,
    summary="Judge two party records",
    responses={
        400: {"model": ErrorBody, "description": "A side names no or several records."},
        401: {"model": ErrorBody, "description": "No or wrong bearer token."},
        403: {"model": ErrorBody, "description": "The server is read-only."},
        404: {"model": ErrorBody, "description": "No such party record."},
        422: {"model": ErrorBody, "description": "A field missing, too long or unknown."},
        503: {"model": ErrorBody, "description": "The store is held by another writer."},
    },
)
async def judgement(body: JudgementIn, server: Writer) -> Response:
    """Record a reviewer's verdict on two party records (party ids, source record ids with
    one party, actor ids or names held by one actor): `same`, `different` or `unsure`, with
    who and why (`transship parties judge`). Applied before any score at the next
    resolution. Needs `Authorization: Bearer <token>`."""
    out = await anyio.to_thread.run_sync(_judge, server, body)
    return json_response(out, status=201)
