"""Actors: party records from every source linked into the firms and people behind them.

The public face of resolution (issue 13, point 5) for the CLI, the API and the web pages:
:func:`resolve_parties` links the store's party records (licences, shipments, certificates,
COARM, FtM entities) into actors, :func:`show_party` shows one actor with its aliases,
sources, records by role, sanctions and owners, :func:`list_actors` lists them and
:func:`judge` records a reviewer's verdict on two records (applied before any automatic
decision at the next run). Each result has ``.to_dict()`` for JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from transship.store.db import Store

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
    pairs_linked: int
    judgements_applied: int
    seconds: float
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
    ownership paths into the actor ``{path: [names], ids: [...], percentages: [...]}``;
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
    store: Store, threshold: float | None = None, progress: Progress | None = None
) -> ResolveRun:
    """Link every party record in the store into actors and store the result."""
    raise NotImplementedError("resolution is being built (issue 13.5)")


def show_party(store: Store, key: str) -> PartyView:
    """One actor by actor id, party record id or name; :class:`~transship.exc.NotFound`
    otherwise."""
    raise NotImplementedError("resolution is being built (issue 13.5)")


def list_actors(
    store: Store, q: str | None = None, limit: int = 50, offset: int = 0
) -> list[ActorSummary]:
    """Actors of the latest run, largest first, optionally those with a name like ``q``."""
    raise NotImplementedError("resolution is being built (issue 13.5)")


def judge(
    store: Store,
    a: str,
    b: str,
    verdict: Verdict,
    who: str,
    why: str | None = None,
) -> Judgement:
    """Record a verdict on two party records (record ids, or actor ids / names resolving to
    one record each)."""
    raise NotImplementedError("resolution is being built (issue 13.5)")
