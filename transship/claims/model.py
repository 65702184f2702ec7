"""The claims contract: a document's text and the atomic claims extracted from it.

These types are shared between extraction (documents.py, extract.py) and grading and
checking (sources.py, sourced.py, the check modules, grades.py). They are plain slots
dataclasses so a list of a few thousand claims stays cheap, and each has `.to_dict()` for JSON
and the API.

A claim is atomic: one measure of one subject with at most one quantity, and it keeps the
character span of the text it came from so every grade can point back at the words.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from transship.store import Store

EntityKind = Literal["party", "territory", "product"]
QuantityKind = Literal["money", "count", "percent", "volume", "mass", "range"]


@dataclass(slots=True)
class DocumentText:
    """One document read into text, with what is known about where it came from.

    `document_id` is derived from the sha256 of the file's bytes so re-reading the same file
    gives the same id; `date` is ISO `YYYY-MM-DD` (or shorter when only year or month is known).
    """

    document_id: str
    sha256: str
    title: str | None
    date: str | None
    publisher: str | None
    language: str | None
    url: str | None
    path: str | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Quantity:
    """An amount as written and as a number.

    `value` is the point value (None for a vague amount); `low`/`high` bound it (equal to value
    for an exact figure, the range for "hundreds of thousands" or "1-2 million"). `unit` is the
    normalised unit ("EUR", "USD", "RSD", "percent", "shells", "rounds", "rockets", "bcm",
    "tonnes", ...); `currency` repeats the ISO code for money so callers need not parse units.
    `wording` is the exact text the quantity was read from.
    """

    value: float | None
    low: float | None
    high: float | None
    unit: str | None
    kind: QuantityKind
    currency: str | None
    wording: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class EntityRef:
    """A mention of a party, territory or product; `id` is the key when linked (the store's
    territory code for a territory — lowercase ``rs``, as in claims.origin —, the actor or
    record id for a party, a calibre or weapon system for a product), else None."""

    kind: EntityKind
    text: str
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Attribution:
    """Who the document credits for a claim ("according to X", a Sources cell), the date
    given for that source (ISO, or None) and the character span of the credit in the text."""

    name: str
    date: str | None = None
    span: tuple[int, int] | None = None
    #: "credited" (the text names it), "origin" (X in "X, cited by Y") or "relay" (Y there;
    #: "published via Sputnik"); a chain lists the origin first.
    role: str = "credited"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class ExtractedClaim:
    """One atomic claim read from a document.

    `span` is the [start, end) character range in `DocumentText.text` of the sentence or table
    row it came from; `text` is that slice. `measure` names what is measured ("exports",
    "revenue", "production", "deliveries", ... or "value" when unknown). `period` is an ISO
    (start, end) pair, either end may be None. `direction` is (origin, destination) as
    written or linked (the territory code when linked) when the claim says something moved from one to another.
    """

    claim_id: str
    document_id: str
    span: tuple[int, int]
    text: str
    subject: list[EntityRef] = field(default_factory=list)
    measure: str = "value"
    quantity: Quantity | None = None
    calibres: list[str] = field(default_factory=list)
    period: tuple[str | None, str | None] | None = None
    place: list[EntityRef] = field(default_factory=list)
    attributed_to: list[Attribution] = field(default_factory=list)
    direction: tuple[str, str] | None = None
    #: Where the quantity's words are, [start, end) in the document (within ``span``).
    quantity_span: tuple[int, int] | None = None
    #: "sentence" (prose) or "table" (a pipe-table cell; attribution from its Sources column).
    origin_kind: str = "sentence"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_document(path: str | Path) -> DocumentText:
    """Read a text, Markdown, HTML or PDF file into a DocumentText (see documents.py)."""
    from transship.claims.documents import read_document as _read

    return _read(path)


def extract(doc: DocumentText, store: Store | None = None) -> list[ExtractedClaim]:
    """Extract atomic claims from a document; link entities when a store is given
    (see extract.py)."""
    from transship.claims.extract import extract as _extract

    return _extract(doc, store)
