"""The source registry: who can say what, and how far each is trusted by default.

A figure is only as good as where it comes from, and "where it comes from" has two parts
that the analyst must see separately: *who* is credited (an outlet, an agency, a database, a
government, a party to the war) and *whether that source could have said it at all*. SIPRI's
Arms Transfers Database counts major conventional weapons in trend-indicator values (TIV):
a euro figure or a count of rifle rounds credited to it cannot come from it, whatever the
figure's merits. An intelligence service of a party to the war is not an independent
witness. A statistics office publishes its own country's trade, not trade between two others.

The shipped table is ``transship/data/sources.csv`` (one row a source: type, country,
default Admiralty reliability A-F with the reason, what it publishes, in which units, what
it leaves out, whether it is a party to a conflict, its affiliation for independence, whether
it exists as named, what a company makes). A user file with the same columns extends or
overrides it (``--sources FILE``); a row with a shipped id replaces the shipped row.

Names are matched by alias, longest alias first, on a normalised form (case, diacritics and
punctuation folded), so "SIPRI Arms Transfers Database, March 2024" is the database and
"SIPRI data" the institute. A name the registry lacks becomes an *unregistered* source with
reliability F ("cannot be judged"), never a guess.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from transship import settings
from transship.exc import NotFound, SourceFormatError

#: Columns of sources.csv (a user file must have at least id, name, type, reliability).
COLUMNS = (
    "id",
    "name",
    "aliases",
    "type",
    "country",
    "reliability",
    "reliability_reason",
    "publishes",
    "units",
    "excludes",
    "party_to",
    "affiliation",
    "exists",
    "makes",
    "note",
)
REQUIRED = ("id", "name", "type", "reliability")
RELIABILITY = ("A", "B", "C", "D", "E", "F")
#: Admiralty (NATO AJP-2.1) source reliability, in words.
RELIABILITY_WORDS = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
TYPES = frozenset(
    {
        "outlet",
        "news_agency",
        "database",
        "statistics_office",
        "government",
        "person",
        "intelligence_service",
        "international_org",
        "think_tank",
        "company",
        "pollster",
        "report_series",
        "unregistered",
    }
)
#: Types that pass on what others said (a relay), unless they are the only source named.
RELAY_TYPES = frozenset({"outlet", "news_agency"})
EXISTS = frozenset({"yes", "unverified", "no", "unknown"})


def fold(text: str) -> str:
    """Lower case, no diacritics, punctuation as single spaces ("Vučić's" -> "vucic s")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("đ", "d").replace("’", "'")
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(";") if v.strip())


@dataclass(slots=True)
class Source:
    """One registered source and what it can assert.

    ``publishes``: topics it publishes figures on (``any`` for outlets, which can report
    anything, as relays); ``units``: the units its figures come in (``any``, ``TIV``,
    ``EUR``...); ``excludes``: product scopes outside its coverage (``small_arms``,
    ``ammunition``, ``arms``); ``party_to``: the conflict it is a party to (``ru-ua``);
    ``affiliation``: sources sharing one are not independent of each other (``state:ru``);
    ``exists``: ``yes``, ``unverified`` (not matched to a known body), ``no`` (no such body).
    """

    id: str
    name: str
    aliases: tuple[str, ...]
    type: str
    country: str
    reliability: str
    reliability_reason: str
    publishes: frozenset[str]
    units: frozenset[str]
    excludes: frozenset[str]
    party_to: str
    affiliation: str
    exists: str
    makes: tuple[str, ...]
    note: str
    origin: str = "shipped"

    @property
    def independence_key(self) -> str:
        """Sources with the same key are one family (a state's organs and media)."""
        return self.affiliation or self.id

    @property
    def is_relay_type(self) -> bool:
        return self.type in RELAY_TYPES

    @property
    def registered(self) -> bool:
        return self.type != "unregistered"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "aliases": list(self.aliases),
            "type": self.type,
            "country": self.country or None,
            "reliability": self.reliability,
            "reliability_words": RELIABILITY_WORDS[self.reliability],
            "reliability_reason": self.reliability_reason,
            "publishes": sorted(self.publishes),
            "units": sorted(self.units),
            "excludes": sorted(self.excludes),
            "party_to": self.party_to or None,
            "affiliation": self.affiliation or None,
            "exists": self.exists,
            "makes": list(self.makes),
            "note": self.note or None,
            "origin": self.origin,
        }


def unregistered(name: str) -> Source:
    """A source the registry does not know: reliability F, with the reason."""
    slug = "-".join(fold(name).split()[:6]) or "unnamed"
    return Source(
        id=f"unregistered:{slug}",
        name=name.strip() or "(unnamed)",
        aliases=(),
        type="unregistered",
        country="",
        reliability="F",
        reliability_reason="not in the source registry: its reliability cannot be judged",
        publishes=frozenset({"any"}),
        units=frozenset({"any"}),
        excludes=frozenset(),
        party_to="",
        affiliation="",
        exists="unknown",
        makes=(),
        note="",
        origin="unregistered",
    )


@dataclass(slots=True)
class SourceMatch:
    """A registered source found in a credit, with the words that named it."""

    source: Source
    alias: str
    start: int

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source.id, "alias": self.alias, "start": self.start}


@dataclass(slots=True)
class SourceRegistry:
    """The registry: sources by id and an alias index (folded alias -> id)."""

    sources: dict[str, Source]
    files: list[str] = field(default_factory=list)
    _aliases: list[tuple[str, str]] = field(default_factory=list)
    _makers: dict[str, Source] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index()

    def _index(self) -> None:
        pairs: dict[str, str] = {}
        for src in self.sources.values():
            for alias in (src.name, *src.aliases):
                key = fold(alias)
                if key and key not in pairs:
                    pairs[key] = src.id
        # longest first: "sipri arms transfers database" wins over "sipri"
        self._aliases = sorted(pairs.items(), key=lambda kv: (-len(kv[0]), kv[0]))
        self._makers = {}
        for src in self.sources.values():
            for product in src.makes:
                self._makers.setdefault(fold(product), src)

    def makers(self) -> dict[str, Source]:
        """Folded product name -> the registered company that makes it."""
        return self._makers

    def get(self, source_id: str) -> Source:
        try:
            return self.sources[source_id]
        except KeyError:
            raise NotFound(f"no source {source_id!r} in the registry") from None

    def find(self, text: str) -> list[SourceMatch]:
        """Every registered source named in ``text``, in the order written, longest alias
        first where aliases overlap ("Russian Foreign Intelligence Service (SVR), Sputnik" ->
        the SVR then Sputnik)."""
        folded = f" {fold(text)} "
        taken: list[tuple[int, int]] = []
        found: list[SourceMatch] = []
        seen: set[str] = set()
        for alias, sid in self._aliases:
            head = f" {alias}"
            start = folded.find(head)
            while start >= 0:
                end = start + len(head)
                # the alias's last word may carry a case ending ("Fajnenšel tajmsa",
                # "Светске банке" needs its own alias: only endings of up to 3 letters)
                tail = 0
                last = alias.rsplit(" ", 1)[-1]
                while len(last) >= 4 and tail < 3 and folded[end + tail].isalpha():
                    tail += 1
                if folded[end + tail] == " " and not any(
                    start < b and a < end + tail for a, b in taken
                ):
                    taken.append((start, end + tail))
                    if sid not in seen:
                        seen.add(sid)
                        found.append(SourceMatch(self.sources[sid], alias, start))
                    break
                start = folded.find(head, start + 1)
        found.sort(key=lambda m: m.start)
        return found

    def match(self, text: str) -> Source:
        """The source ``text`` names first, or an unregistered source (reliability F)."""
        found = self.find(text)
        return found[0].source if found else unregistered(text)

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "sources": [s.to_dict() for s in self.sources.values()]}


def _row_source(row: dict[str, str], where: str, line: int) -> Source:
    for col in REQUIRED:
        if not row.get(col, "").strip():
            raise SourceFormatError(where, f"empty {col}", line=line, column=col)
    rel = row["reliability"].strip().upper()
    if rel not in RELIABILITY:
        raise SourceFormatError(
            where, f"reliability {rel!r} is not one of A-F", line=line, column="reliability"
        )
    kind = row["type"].strip()
    if kind not in TYPES:
        raise SourceFormatError(
            where,
            f"type {kind!r} is not one of {', '.join(sorted(TYPES - {'unregistered'}))}",
            line=line,
            column="type",
        )
    exists = (row.get("exists") or "yes").strip() or "yes"
    if exists not in EXISTS:
        raise SourceFormatError(
            where, f"exists {exists!r} is not yes, unverified or no", line=line, column="exists"
        )
    return Source(
        id=row["id"].strip(),
        name=row["name"].strip(),
        aliases=_split(row.get("aliases") or ""),
        type=kind,
        country=(row.get("country") or "").strip().lower(),
        reliability=rel,
        reliability_reason=(row.get("reliability_reason") or "").strip()
        or "no reason given in the registry",
        publishes=frozenset(_split(row.get("publishes") or "")) or frozenset({"any"}),
        units=frozenset(_split(row.get("units") or "")) or frozenset({"any"}),
        excludes=frozenset(_split(row.get("excludes") or "")),
        party_to=(row.get("party_to") or "").strip(),
        affiliation=(row.get("affiliation") or "").strip(),
        exists=exists,
        makes=_split(row.get("makes") or ""),
        note=(row.get("note") or "").strip(),
        origin=where,
    )


def parse_sources(text: str, where: str) -> list[Source]:
    """Rows of a sources CSV (``#`` lines are comments); :class:`SourceFormatError` with the
    line and column for a bad row."""
    lines = text.splitlines()
    body = [ln if not ln.lstrip().startswith("#") else "" for ln in lines]
    reader = csv.DictReader(io.StringIO("\n".join(body)))
    if reader.fieldnames is None:
        raise SourceFormatError(where, "no header row")
    header = [h.strip() for h in reader.fieldnames]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise SourceFormatError(where, f"missing column(s): {', '.join(missing)}", line=1)
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise SourceFormatError(
            where, f"unknown column(s): {', '.join(unknown)} (known: {', '.join(COLUMNS)})", 1
        )
    out: list[Source] = []
    seen: set[str] = set()
    for row in reader:
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(clean.values()):
            continue
        src = _row_source(clean, where, reader.line_num)
        if src.id in seen:
            raise SourceFormatError(where, f"id {src.id!r} twice", line=reader.line_num)
        seen.add(src.id)
        out.append(src)
    return out


@cache
def _shipped() -> tuple[Source, ...]:
    text = resources.files("transship.data").joinpath("sources.csv").read_text(encoding="utf-8")
    return tuple(parse_sources(text, "transship/data/sources.csv"))


def load_registry(extra: Iterable[str | Path] | str | Path | None = None) -> SourceRegistry:
    """The shipped registry, extended (or overridden id by id) by the files of the
    ``TRANSSHIP_SOURCES`` setting and then by ``extra`` (``--sources``)."""
    sources = {s.id: s for s in _shipped()}
    files = ["transship/data/sources.csv"]
    paths: list[str | Path] = (
        [] if extra is None else [extra] if isinstance(extra, str | Path) else list(extra)
    )
    paths = [*user_sources_setting(), *paths]
    for p in paths:
        path = Path(p)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise SourceFormatError(path, f"cannot read: {exc.strerror or exc}") from None
        for src in parse_sources(text, str(path)):
            sources[src.id] = src
        files.append(str(path))
    return SourceRegistry(sources, files)


def user_sources_setting() -> list[str | Path]:
    """Files named by the ``TRANSSHIP_SOURCES`` setting (``:``-separated; none when empty)."""
    return [p for p in settings.get("TRANSSHIP_SOURCES").split(":") if p.strip()]


@cache
def default_registry() -> SourceRegistry:
    """The shipped registry and the ``TRANSSHIP_SOURCES`` files (cached)."""
    return load_registry()
