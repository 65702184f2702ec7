"""Party records from claims: the firms and people a press or report claim names.

Resolution (:mod:`transship.resolve.resolution`) reads party records from licences,
shipments, certificates, COARM rows and FtM entities; this module adds the parties that
claims name, as the claims stage (:mod:`transship.claims`) finds them, so that ``transship
parties show Krušik`` lists the claims that mention the firm beside its licences and list
entries. Nothing here changes the claims stage; it reads its tables and calls its finders.

Two kinds of rows hold claims:

* ``claims`` (claims files, ``claims.jsonl``: one hand-written claim a row): the claim's text
  is read as the claims stage reads a sentence (``_unit_claims`` in
  :mod:`transship.claims.extract`): credits ("according to X"), dates, territories and
  products are taken out first, then :func:`transship.claims.entities.find_parties` names
  the parties (the store's party names first, then other capitalised names).
* ``documents`` (reports and press read by ``transship ingest``): the claims stage's
  extractor (:func:`transship.claims.extract.extract`) gives each claim its subjects; each
  party subject becomes a record at its place in the claim's sentence.

Each mention is one record (role ``named_in_claim``, schema ``LegalEntity``: a claim does
not say whether a name is a firm or a person) whose provenance is in its ids:
``party_id`` is ``claims:<claim id>:<start>-<end>`` (the mention's characters in the
claim's text) or ``documents:<document id>:<claim id>:<start>-<end>`` (characters in the
document's text), ``record_id`` the claim id (or the document id), with the row's file
(``source_sha256``) and line. Credited sources ("Sputnik", "the seed report") are not party
records: the claims stage keeps them apart as attributions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from transship.store.db import Store

#: The role of a party a claim names.
ROLE = "named_in_claim"
#: Mentions shorter than this are not records ("EU", "UN": abbreviations the claims stage
#: keeps as mentions but that name no firm on their own).
MIN_CHARS = 3
#: Trailing punctuation a sentence leaves on a name ("... Reserves Agency.").
_TRAILING = ".,;:!?)\"'’”"


def looks_like_party(name: str, linked: str | None) -> bool:
    """Whether a mention the claims stage calls a party is one a resolution should keep.

    A name the store already knows (``linked``) is kept, and so is any other name of words
    without hyphens: a single unknown word may be a firm ("Zenitprom", "Krusik" before the
    store knows them). A hyphenated single word is not: the claims stage's capitalised-name
    finder returns compounds that name no firm or person ("Soviet-era", "NATO-standard",
    "Third-party", "Bulgaria-Ukraine"). Not caught, and left as actors of their own:
    capitalised adjectives and common nouns ("African", "European", "Treasury",
    "Defence") and places ("Valjevo", "Rzeszow"), which would need a dictionary or a
    gazetteer of towns (docs/resolve.md)."""
    name = name.strip()
    if linked:
        return True
    words = name.split()
    return len(words) >= 2 or (len(words) == 1 and "-" not in words[0])


def _clean(start: int, end: int, name: str) -> tuple[int, int, str]:
    """The mention without trailing punctuation, its end moved to match."""
    stripped = name.rstrip().rstrip(_TRAILING).rstrip()
    return start, end - (len(name) - len(stripped)), stripped


def _tables(store: Store) -> set[str]:
    return set(store.tables())


def claim_mentions(text: str, parties: Any = None) -> list[tuple[int, int, str, str | None]]:
    """(start, end, name, linked store id) of each party a claim's text names, as the claims
    stage finds them in a sentence: credits, dates, territories and products taken out
    first."""
    from transship.claims.attribution import find_credits
    from transship.claims.dates import find_dates
    from transship.claims.entities import find_parties, find_products, find_territories

    credits = find_credits(text)
    dates = find_dates(text)
    exclude = [(c.start, c.end) for c in credits] + [(d.start, d.end) for d in dates]
    exclude += [(m.start, m.end) for m in find_territories(text) + find_products(text)]
    out = []
    for m in find_parties(text, 0, parties, exclude):
        if m.ref.kind != "party" or len(m.ref.text.strip()) < MIN_CHARS:
            continue
        if not looks_like_party(m.ref.text, m.ref.id):
            continue
        start, end, name = _clean(m.start, m.end, text[m.start : m.end])
        out.append((start, end, name, m.ref.id))
    return out


def claim_records(store: Store, schema: pa.Schema) -> pa.Table:
    """The party records of the store's claims and documents, in ``schema`` (the columns of
    :data:`transship.resolve.resolution.RECORD_COLUMNS`); empty when there are none."""
    tables = _tables(store)
    rows: list[dict[str, Any]] = []
    if "claims" not in tables and "documents" not in tables:
        return schema.empty_table()
    from transship.claims.entities import PartyIndex

    parties = PartyIndex.from_store(store)
    if "claims" in tables:
        for r in store.query(
            "SELECT claim_id, record_id, dataset, text, source_sha256, line, simulated "
            "FROM claims ORDER BY claim_id, record_id"
        ).to_pylist():
            for start, end, name, _linked in claim_mentions(r["text"] or "", parties):
                rows.append(
                    _record(
                        f"claims:{r['claim_id']}:{start}-{end}",
                        "claims",
                        r["claim_id"],
                        name,
                        r,
                    )
                )
    if "documents" in tables:
        rows.extend(_document_records(store))
    if not rows:
        return schema.empty_table()
    return pa.Table.from_pylist(rows, schema=schema)


def _record(
    party_id: str, table: str, record_id: str, name: str, r: dict[str, Any]
) -> dict[str, Any]:
    return {
        "party_id": party_id,
        "source_table": table,
        "record_id": record_id,
        "dataset": r["dataset"],
        "role": ROLE,
        "schema": "LegalEntity",
        "name": name.strip(),
        "country": None,
        "names": [],
        "identifiers": [],
        "source_sha256": r["source_sha256"],
        "line": r["line"],
        "simulated": bool(r["simulated"]),
    }


def _document_records(store: Store) -> list[dict[str, Any]]:
    from transship.claims.extract import extract
    from transship.claims.model import DocumentText

    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for r in store.query(
        "SELECT document_id, record_id, dataset, title, publisher, published, url, text, "
        "source_sha256, line, simulated FROM documents ORDER BY document_id, record_id"
    ).to_pylist():
        if not r["text"]:
            continue
        doc = DocumentText(
            document_id=r["document_id"],
            sha256=r["source_sha256"],
            title=r["title"],
            date=r["published"],
            publisher=r["publisher"],
            language=None,
            url=r["url"],
            path=None,
            text=r["text"],
        )
        for claim in extract(doc, store):
            for ref in claim.subject:
                if ref.kind != "party" or len(ref.text.strip()) < MIN_CHARS:
                    continue
                if not looks_like_party(ref.text, ref.id):
                    continue
                at = claim.text.find(ref.text)
                if at < 0:
                    continue
                s, e, name = _clean(
                    claim.span[0] + at, claim.span[0] + at + len(ref.text), ref.text
                )
                pid = f"documents:{r['document_id']}:{claim.claim_id}:{s}-{e}"
                if pid not in seen:
                    seen.add(pid)
                    out.append(_record(pid, "documents", r["document_id"], name, r))
    return out
