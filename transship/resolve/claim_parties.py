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

A name the store does not know is dropped when it is noise (:func:`noise_reason`): a piece
of a word, a place (territories, regions and peoples, towns), or a single common word written with a
capital ("Exports", "Tuesday", "European"). Measured on hand labels of the finder's output
(tests/resolve/data/claim_party_labels.csv, tests/resolve/test_claim_parties.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from transship.claims.inflection import nominative_phrases, nominatives

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
    "Third-party", "Bulgaria-Ukraine"). Capitalised common words, adjectives and places
    ("Exports", "European", "Valjevo") are told apart where the text is at hand
    (:func:`noise_reason`)."""
    name = name.strip()
    if linked:
        return True
    words = name.split()
    return len(words) >= 2 or (len(words) == 1 and "-" not in words[0])


_WORD = re.compile(r"[^\W\d_][\w’'-]*")


def lower_words(text: str) -> frozenset[str]:
    """The words a text writes in lower case: the evidence that a capitalised word of the
    same text is a common word capitalised by its place in a sentence ("Exports strain
    relations ..." where the text also says "ammunition exports")."""
    return frozenset(w for w in _WORD.findall(text) if w == w.lower())


#: Languages whose nouns take case endings (:mod:`transship.claims.inflection`), as
#: :func:`transship.claims.documents.detect_language` names them.
SLAVIC = frozenset(("sr-Latn", "sr-Cyrl", "hr", "bs", "pl", "ru", "uk", "bg"))


@dataclass(frozen=True, slots=True)
class SourceWords:
    """What the whole source of a claim (its claims file, its document) says about its words:
    ``lower``, the words it writes in lower case (:func:`lower_words`); ``slavic``, whether
    it is written in a language with case endings (:data:`SLAVIC`), so that a place may be
    named in another case; ``organisations``, the words it names as an organisation
    (:func:`organisation_heads`: "Wagner" of "the Wagner Group"), accents folded."""

    lower: frozenset[str]
    slavic: bool
    organisations: frozenset[str] = frozenset()

    @classmethod
    def of(cls, text: str) -> SourceWords:
        from transship.claims.documents import detect_language

        slavic = detect_language(text) in SLAVIC
        return cls(lower_words(text), slavic, organisation_heads(text))


#: Company designators among the symbols rigour's analysis of organisation names gives
#: ("Group", "Grupa", "Группа", "Company", "Corporation", "Holding"). Its other symbols
#: take in place words ("City", "Republic", "Region"), so that "Mexico City" or "Czech
#: Republic" would make a place an organisation.
_COMPANY_SYMBOLS = frozenset(("GRP", "CO", "CORP", "HOLDING"))


@cache
def is_organisation_word(word: str) -> bool:
    """Whether rigour's analysis of organisation names reads ``word`` as the class of an
    organisation: a legal form or class (its ``ORGCLS`` symbols: "LLC", "d.o.o.", "AD",
    "PMC") or a company designator (:data:`_COMPANY_SYMBOLS`)."""
    from rigour.names import NameTypeTag, analyze_names

    for name in analyze_names(NameTypeTag.ORG, [word]):
        for span in name.spans:
            kind = span.symbol.category.value
            if kind == "ORGCLS" or (kind == "SYMBOL" and span.symbol.id in _COMPANY_SYMBOLS):
                return True
    return False


_PAIR = re.compile(r"(?<!\w)([^\W\d_][\w’'-]*)[ \t]+(?=([^\W\d_][\w.]*))")


def organisation_heads(text: str) -> frozenset[str]:
    """Capitalised words that ``text`` writes before a capitalised organisation word
    (:func:`is_organisation_word`): "Wagner" of "the Wagner Group", "Krušik" of "Krušik AD".
    Accents folded."""
    out: set[str] = set()
    for m in _PAIR.finditer(text):
        head, after = m.group(1), m.group(2)
        if not (head[0].isupper() and after[0].isupper()):
            continue
        if is_organisation_word(after) or is_organisation_word(after.rstrip(".")):
            out.add(_fold(head))
    return frozenset(out)


def _fold(word: str) -> str:
    """Accents off, case kept ("Rzeszów" -> "Rzeszow", "NIS" stays "NIS")."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


#: English adjective endings: a language family's name is an adjective of its peoples
#: ("Slavic", "Baltic", "Caucasian", "Turkic") when it ends so; "Karen", "Banda", "Sami"
#: (families that are also given names or surnames) do not.
_ADJECTIVE = re.compile(r"(?:ic|an)$")


def language_family_adjectives() -> frozenset[str]:
    """Adjectives of peoples from ISO 639-5 (pycountry's language families): each family's
    name less "languages" when it is an adjective ("Slavic languages" -> "Slavic", "East
    Slavic", "North Caucasian", "Turkic", "Semitic")."""
    import pycountry

    out = set()
    for family in pycountry.language_families:
        name = str(family.name)
        if name.endswith(" languages"):
            name = name.removesuffix(" languages")
            if _ADJECTIVE.search(name):
                out.add(name)
    return frozenset(out)


def region_words() -> frozenset[str]:
    """Regions that are not territories and the adjectives and names of regions and peoples:
    ``transship/data/regions.csv`` ("Balkans", "Западни Балкан", "Caucasian", "Slavs") and
    :func:`language_family_adjectives` ("Slavic")."""
    from transship.normalise._tables import read_table

    names = {r["name"] for r in read_table("regions.csv") if r["name"]}
    return frozenset(names | language_family_adjectives())


@cache
def _places() -> frozenset[str]:
    """Names of places, accents folded, case kept: rigour's territories (names in many
    languages) with their regions and subregions ("Europe", "Western Asia") and the place
    words rigour lists as no nationality ("Africa", "African"), the towns and districts
    of the phone-number area table that ``phonenumbers`` ships (libphonenumber's geocoding
    data: "Valjevo", "Rzeszów", "Čačak"; about 42,000 names in several languages), and the
    regions and peoples of :func:`region_words` ("Balkans", "Slavic")."""
    import json

    from phonenumbers.geodata import GEOCODE_DATA
    from rigour._core import nullplaces_list, territories_jsonl

    out: set[str] = set(nullplaces_list()) | region_words()
    for line in territories_jsonl().splitlines():
        t = json.loads(line)
        out.update(n for n in (t.get("name"), t.get("region"), t.get("subregion")) if n)
        out.update(t.get("names_strong") or [])
        out.update(t.get("names_weak") or [])
    for by_lang in GEOCODE_DATA.values():
        for desc in by_lang.values():
            out.update(part.strip() for part in desc.split(","))
    return frozenset(_fold(n) for n in out if n)


@cache
def _common_words() -> frozenset[str]:
    """Lower-case common words of many languages: jusText's stop lists (the most frequent
    words of each language's Wikipedia, about 100 languages: "about", "instead",
    "европски", "през") and dateparser's names of the days of the week."""
    import importlib
    import pkgutil

    import dateparser.data.date_translation_data as dates  # type: ignore[import-untyped]
    import justext  # type: ignore[import-untyped]

    folder = Path(justext.__file__).parent / "stoplists"
    out: set[str] = set()
    for path in folder.glob("*.txt"):
        out.update(w.strip().lower() for w in path.read_text(encoding="utf-8").splitlines())
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    for mod in pkgutil.iter_modules(dates.__path__):
        info = importlib.import_module(f"{dates.__name__}.{mod.name}").info
        for day in days:
            out.update(w.lower() for w in info.get(day, []))
    out.discard("")
    return frozenset(out)


def noise_reason(text: str, start: int, name: str, source: SourceWords | None = None) -> str | None:
    """Why a name the store does not know, found at ``start`` in ``text``, names no firm,
    agency or person; None when nothing says so.

    * ``fragment``: the name starts inside a word ("ćih" of "trećih"; the claims stage's
      finder no longer returns these since 60b4e2d, the check stays for other callers);
    * ``place``: the name is a territory, region or town, or an adjective of a region or
      people (:func:`_places`; "Valjevo", "Europe", "African", "Balkans", "Slavic"), or, in
      a source written in a Slavic language, a single word that is one of these in another
      case: one of its nominative forms (:func:`transship.claims.inflection.nominatives`)
      is a place ("Čačku", "Польшу", "Чешкој", "Polsce", "Києві"), or two words whose
      nominative is one (:func:`~transship.claims.inflection.nominative_phrases`: "Novom
      Sadu", "Crnoj Gori"); a single word not when the source names the word as an
      organisation (``source.organisations``: "Wagner", a town of libphonenumber's table,
      in a text that writes "the Wagner Group");
    * ``common word``: a single word that is a common word of some language (stop lists,
      days of the week) or that the source writes in lower case (``source``, by default
      read from ``text``; "Exports", "Defence").

    Several words together are only a place or a fragment: institutions are named with
    common words ("National Security Council")."""
    if not name or not name[0].isupper() or (start > 0 and text[start - 1].isalnum()):
        return "fragment"
    if source is None:
        source = SourceWords.of(text)
    words = name.split()
    named_as_organisation = len(words) == 1 and _fold(name) in source.organisations
    if _fold(name) in _places() and not named_as_organisation:
        return "place"
    if source.slavic and len(words) == 1 and not named_as_organisation:
        if any(_fold(n) in _places() for n in nominatives(name)):
            return "place"  # a place in another case: "Čačku", "Польшу", "Чешкој"
    if source.slavic and len(words) == 2:
        if any(_fold(n) in _places() for n in nominative_phrases(name)):
            return "place"  # "Novom Sadu", "Crnoj Gori"
    if len(words) == 1:
        key = name.lower().rstrip("’'")
        if key in _common_words():
            return "common word"
        if key in source.lower:
            return "common word"
    return None


def _clean(start: int, end: int, name: str) -> tuple[int, int, str]:
    """The mention without trailing punctuation, its end moved to match."""
    stripped = name.rstrip().rstrip(_TRAILING).rstrip()
    return start, end - (len(name) - len(stripped)), stripped


def _tables(store: Store) -> set[str]:
    return set(store.tables())


def claim_mentions(
    text: str,
    parties: Any = None,
    source: SourceWords | None = None,
    drop_noise: bool = True,
) -> list[tuple[int, int, str, str | None]]:
    """(start, end, name, linked store id) of each party a claim's text names, as the claims
    stage finds them in a sentence: credits, dates, territories and products taken out
    first. Unless ``drop_noise`` is false, names the store does not know are dropped when
    :func:`noise_reason` gives a reason (``source``: what the claim's source, its claims
    file, says about its words; by default the claim's own text)."""
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
        if drop_noise and not m.ref.id and noise_reason(text, start, name, source):
            continue
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
        claims = store.query(
            "SELECT claim_id, record_id, dataset, text, source_sha256, line, simulated "
            "FROM claims ORDER BY claim_id, record_id"
        ).to_pylist()
        # what each claims file says about its words, all its claims together
        texts: dict[Any, list[str]] = {}
        for r in claims:
            texts.setdefault(r["source_sha256"], []).append(r["text"] or "")
        sources = {k: SourceWords.of("\n".join(v)) for k, v in texts.items()}
        for r in claims:
            found = claim_mentions(r["text"] or "", parties, sources[r["source_sha256"]])
            for start, end, name, _linked in found:
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


def document_mentions(
    doc: Any, store: Store | None = None, drop_noise: bool = True
) -> list[tuple[str, int, int, str, str | None]]:
    """(claim id, start, end, name, linked store id) of each party the claims stage's
    extractor gives as a subject of one of ``doc``'s claims (a
    :class:`transship.claims.model.DocumentText`), characters counted in the document's
    text; names the store does not know dropped as :func:`claim_mentions` drops them (the
    source's words are the document's)."""
    from transship.claims.extract import extract

    source = SourceWords.of(doc.text) if drop_noise else None
    out: list[tuple[str, int, int, str, str | None]] = []
    seen: set[tuple[str, int, int]] = set()
    for claim in extract(doc, store):
        for ref in claim.subject:
            if ref.kind != "party" or len(ref.text.strip()) < MIN_CHARS:
                continue
            if not looks_like_party(ref.text, ref.id):
                continue
            at = claim.text.find(ref.text)
            if at < 0:
                continue
            s, e, name = _clean(claim.span[0] + at, claim.span[0] + at + len(ref.text), ref.text)
            if drop_noise and not ref.id and noise_reason(doc.text, s, name, source):
                continue
            if (claim.claim_id, s, e) not in seen:
                seen.add((claim.claim_id, s, e))
                out.append((claim.claim_id, s, e, name, ref.id))
    return out


def _document_records(store: Store) -> list[dict[str, Any]]:
    from transship.claims.model import DocumentText

    out: list[dict[str, Any]] = []
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
        for claim_id, s, e, name, _linked in document_mentions(doc, store):
            pid = f"documents:{r['document_id']}:{claim_id}:{s}-{e}"
            out.append(_record(pid, "documents", r["document_id"], name, r))
    return out
