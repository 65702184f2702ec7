"""Claims from a document: sentences and table cells -> atomic :class:`ExtractedClaim`.

One claim per quantity (a sentence with three figures makes three claims), each with the
sentence's span, what it measures, the quantity, calibres, the period, the territories and
parties named, the source the text credits for it (with that source's date) and, when the
sentence says something moved, the direction. Sentences that credit a source for a movement
between territories without a figure ("the SVR alleges the shipments are routed through
Czechia") are claims too, with no quantity: they are what contradictions of direction are
made of.

Pipe tables (the seed report's "Aspect | Details | Sources") are read cell by cell: a claim
in a Details cell is credited to the row's Sources cell unless its own sentence names a
source. That is what the document says; which of the listed sources stands behind which
figure is a question for grading, not for extraction.

Why rules: see the helpers (quantities, dates, attribution, entities). Everything is
deterministic, offline and explains itself through spans.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transship.claims.attribution import (
    SELF,
    assign,
    find_credits,
    is_sources_header,
    parse_sources_cell,
)
from transship.claims.dates import DateMention, date_like_spans, find_dates, period_of
from transship.claims.entities import (
    CAPITAL,
    Mention,
    PartyIndex,
    find_parties,
    find_products,
    find_territories,
)
from transship.claims.model import Attribution, DocumentText, EntityRef, ExtractedClaim
from transship.claims.quantities import find_calibres, find_quantities

if TYPE_CHECKING:
    from transship.store import Store

_MEASURES: tuple[tuple[str, str], ...] = (
    (
        "exports",
        r"export\w*|izvoz\w*|izvez\w*|извоз\w*|извез\w*|экспорт\w*|експорт\w*|eksport\w*|износ\w*",
    ),
    ("imports", r"import\w*|uvoz\w*|uvez\w*|увоз\w*|импорт\w*|імпорт\w*|внос\w*"),
    ("revenue", r"revenue\w*|prihod\w*|выручк\w*|дох[оі]д\w*|przych\w*|sales|turnover|promet\w*"),
    (
        "deliveries",
        r"deliver\w*|suppl\w*|shipment\w*|isporu\w*|испору\w*|постав\w*|dostaw\w*|transfer\w*|sent|reached",
    ),
    ("production", r"produc\w*|proizv\w*|производ\w*|виробн\w*|produkc\w*|manufactur\w*"),
    (
        "contracts",
        r"contract\w*|deal\w*|ugovor\w*|уговор\w*|контракт\w*|kontrakt\w*|umow\w*|order\w*",
    ),
    ("budget", r"budget\w*|budžet\w*|буџет\w*|бюджет\w*|budżet\w*"),
    ("investment", r"invest\w*|инвестиц\w*|інвестиц\w*|inwestyc\w*"),
    ("growth", r"growth|grow\w*|rast\w*|рост\w*|зростан\w*|wzrost\w*|rose|increase\w*"),
    ("deficit", r"deficit\w*|дефицит\w*|дефіцит\w*"),
    ("profit", r"profit\w*|dobit\w*|прибыл\w*|прибут\w*|zysk\w*"),
    ("cost", r"cost\w*|price\w*|paid|payment\w*|trošk\w*|цен\w*|koszt\w*|averaging"),
    ("losses", r"loss\w*|lost|gubit\w*|потер\w*|втрат\w*|strat\w*"),
    ("opinion", r"survey\w*|poll\w*|respondents|oppose\w*|viewed|anket\w*|опрос\w*"),
    ("participants", r"protest\w*|participant\w*|demonstr\w*"),
    ("share", r"share|accounted|constitute\w*|udeo|udio|доля|част\w*"),
    ("licences", r"licen[cs]\w*|permit\w*|dozvol\w*|дозвол\w*|лиценз\w*"),
    ("capacity", r"capacity|kapacitet\w*|мощност\w*"),
)
_MEASURE_RE = tuple((name, re.compile(rf"(?<![\w])(?:{p})(?![\w])", re.I)) for name, p in _MEASURES)
_TO = re.compile(
    r"(?:to|into|reaching|reached|for|towards|u|у|в|во|до|do|na|на|dla|ka|ke|к)\s+(?:the\s+)?$",
    re.I,
)
_FROM = re.compile(r"(?:from|out\s+of|iz|из|з|із|od|от|ze?)\s+(?:the\s+)?$", re.I)
_VIA = re.compile(
    r"(?:via|through|transit\w*|preko|kroz|преко|через|przez|intermediar\w*|conduit\w*)"
    r"[\w\s,()]{0,40}$",
    re.I,
)
_ABBREV = frozenset(
    (
        "u.s e.g i.e dr mr mrs ms no nos vs approx st jr inc ltd co corp mil mlrd mln tys "
        "tzv npr г др тыс млн млрд etc al fig gen col lt sgt ul br str itd itp"
    ).split()
)


@dataclass(slots=True)
class Unit:
    """A piece of the document claims are read from: a sentence of prose or of a table cell."""

    start: int
    end: int
    kind: str  # sentence | table
    sources: list[Attribution] | None = None
    topic: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# -- splitting ------------------------------------------------------------------------------


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans in ``text[start:end]`` (document offsets): at . ! ? … followed by a
    capital, digit, quote or bracket, not after an abbreviation or an initial; and at line
    breaks. "shells).Poland:" (no space) is split too."""
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    s = start
    boundary = re.compile(
        rf"(?:[.!?…]+[\"”’»)]*\s+(?=[\"“‘«(\[]?(?:{CAPITAL}|[0-9]))"
        r"|(?<=[a-z)\]])\.(?=[A-Z][a-z])|\n+)"
    )
    for m in boundary.finditer(text, start, end):
        cut = m.start()
        if m.group(0) == "\n":
            # a hard-wrapped line (PDF text, e-mail) continues its sentence
            line = text[text.rfind("\n", 0, cut) + 1 : cut]
            nxt = text[m.end() : m.end() + 1]
            if (
                len(line.strip()) >= 50
                and not re.search(r"[.!?:;…\"”»)|]\s*$", line)
                and nxt not in ("|", "-", "*", "#", "•", "")
            ):
                continue
        token = re.search(r"([\w.]+)$", text[s:cut])
        if m.group(0)[0] == ".":
            word = token.group(1).lower().rstrip(".") if token else ""
            if (
                word in _ABBREV
                or re.fullmatch(r"[a-zа-я]", word)
                or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word)
            ):
                continue
        piece_end = cut + (1 if m.group(0)[0] in ".!?…" else 0)
        if text[s:piece_end].strip():
            out.append(_trim(text, s, piece_end))
        s = m.end() if m.group(0)[0] != "." or m.group(0).startswith(".\n") else cut + 1
        if text[s - 1 : s] != "\n":
            while s < end and text[s].isspace():
                s += 1
    if text[s:end].strip():
        out.append(_trim(text, s, end))
    return out


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _cells(line: str, offset: int) -> list[tuple[int, int]]:
    """Cell spans of one pipe-table line (document offsets), outer pipes dropped."""
    spans: list[tuple[int, int]] = []
    pos = 0
    parts = re.split(r"(?<!\\)\|", line)
    for i, part in enumerate(parts):
        s, e = pos, pos + len(part)
        pos = e + 1
        if (i == 0 or i == len(parts) - 1) and not part.strip():
            continue
        spans.append(_trim(line, s, e))
    return [(offset + a, offset + b) for a, b in spans]


def units(doc: DocumentText) -> list[Unit]:
    """The document cut into sentences, pipe-table rows cut into cell sentences."""
    text = doc.text
    lines: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    out: list[Unit] = []
    i = 0
    prose_start: int | None = None

    def flush(upto: int) -> None:
        nonlocal prose_start
        if prose_start is not None and upto > prose_start:
            for a, b in split_sentences(text, prose_start, upto):
                out.append(Unit(a, b, "sentence"))
        prose_start = None

    while i < len(lines):
        start, line = lines[i]
        nxt = lines[i + 1][1] if i + 1 < len(lines) else ""
        if "|" in line and _SEPARATOR.match(nxt):
            flush(start)
            header = [text[a:b] for a, b in _cells(line, start)]
            src_col = next((k for k, h in enumerate(header) if is_sources_header(h)), None)
            i += 2
            while i < len(lines) and "|" in lines[i][1] and lines[i][1].strip():
                rstart, row = lines[i]
                cells = _cells(row, rstart)
                sources: list[Attribution] = []
                if src_col is not None and src_col < len(cells):
                    a, b = cells[src_col]
                    sources = parse_sources_cell(text[a:b], a, doc.date)
                topic = text[cells[0][0] : cells[0][1]] if cells else None
                for k, (a, b) in enumerate(cells):
                    if k == src_col or (k == 0 and len(cells) > 2):
                        continue
                    for sa, sb in split_sentences(text, a, b):
                        out.append(Unit(sa, sb, "table", sources, topic))
                i += 1
            continue
        if prose_start is None:
            prose_start = start
        i += 1
    flush(len(text))
    return out


# -- one unit -------------------------------------------------------------------------------


#: "reached" right before the figure means "amounted to" ("exports reached EUR 1.34 billion"),
#: not a delivery ("EUR 800 million reached Ukraine"): it names no measure there.
_AMOUNTED = re.compile(r"reach\w*", re.I)
_AMOUNT_GAP = re.compile(
    r"\s*(?:(?:about|some|almost|nearly|around|roughly|over|more\s+than)\s+)?", re.I
)


_NEXT_CLAUSE = re.compile(r";|,\s*(?:a|i|and|but|while|ali|но|а|и|і|та)\s", re.I)


def _measure(text: str, q_start: int, q_end: int) -> str:
    best: tuple[int, str] | None = None
    for name, pattern in _MEASURE_RE:
        for m in pattern.finditer(text):
            if (
                m.end() <= q_start
                and _AMOUNTED.fullmatch(m.group())
                and _AMOUNT_GAP.fullmatch(text[m.end() : q_start])
            ):
                continue
            if m.start() >= q_end and _NEXT_CLAUSE.search(text, q_end, m.start()):
                continue  # "... 250 miliona KM, a ... ugovor": another clause's measure
            d = m.start() - q_end if m.start() >= q_end else q_start - m.end()
            if d < 0:
                d = 0
            if best is None or d < best[0]:
                best = (d, name)
    return best[1] if best is not None and best[0] <= 80 else "value"


def _period(
    dates: list[DateMention],
    q_start: int,
    q_end: int,
    text: str,
    credit_spans: list[tuple[int, int]] | None = None,
) -> tuple[str | None, str | None] | None:
    """The period of the quantity at [q_start, q_end): a date after it in the same clause
    ("€1.34 billion in 2023"), else one before it not past a semicolon, else the date that
    opens the sentence ("In 2019, ..."). A date after "from", "than", "compared with" is a
    baseline of a comparison ("down 16% from 2018"), not the period."""
    best: tuple[float, DateMention] | None = None
    framing = next((d for d in dates if d.start <= 10), None)
    for d in dates:
        lead = text[max(0, d.start - 16) : d.start]
        if re.search(r"(?:from|than|compared\s+(?:with|to)|versus|vs\.?)\s+$", lead, re.I):
            continue
        if d.start >= q_end:
            gap = _without(text, q_end, d.start, credit_spans or [])
            # "(65 systems, September-October 2024)", "800 млн євро, за даними FT, з лютого"
            short = re.fullmatch(r"[\s,]*[^\W\d_]{0,6}\s*", gap) is not None
            # ", a 15. marta 2024.", ", and in May 2024": a conjunction after the comma opens
            # another clause, whose date is not this figure's
            if short and re.fullmatch(
                r"\s*,\s*(?:a|i|and|but|while|ali|но|а|и|і|та)\s*", gap, re.I
            ):
                continue
            if not short and (re.search(r"[,;:]|\bwhile\b|\bbut\b", gap) or len(gap) > 80):
                continue
            dist = float(len(gap))
        elif d.end <= q_start:
            gap = text[d.end : q_start]
            if ";" in gap or len(gap) > 60:
                continue
            dist = len(gap) * 2.0 + 2
        else:
            continue
        if best is None or dist < best[0]:
            best = (dist, d)
    if best is None:
        return period_of([framing]) if framing is not None else None
    return period_of([best[1]])


def _resolve_self(attrs: list[Attribution], party: str | None) -> list[Attribution]:
    """Credits to "its annual report" name the sentence's party, or go when there is none."""
    out: list[Attribution] = []
    for a in attrs:
        if a.name != SELF:
            out.append(a)
        elif party is not None:
            out.append(Attribution(party, a.date, a.span, a.role))
    return out


def _without(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """text[start:end] with the given spans (credits) cut out."""
    keep = []
    pos = start
    for a, b in sorted(spans):
        if b <= pos or a >= end:
            continue
        keep.append(text[pos:a])
        pos = max(pos, b)
    keep.append(text[pos:end])
    return "".join(keep)


def _claim_id(doc_id: str, span: tuple[int, int], qspan: tuple[int, int] | None) -> str:
    key = f"{doc_id}:{span[0]}:{span[1]}:{qspan}"
    return "clm:" + hashlib.sha1(key.encode()).hexdigest()[:16]


def _direction(text: str, offset: int, terr: list[Mention], measure: str) -> tuple[str, str] | None:
    dest: str | None = None
    origin: str | None = None
    subject: str | None = None
    for m in terr:
        before = text[max(0, m.start - offset - 25) : m.start - offset]
        code = m.ref.id or m.ref.text
        if _VIA.search(before[-20:]):
            continue
        if _TO.search(before) and dest is None:
            dest = code
        elif _FROM.search(before) and origin is None:
            origin = code
        elif subject is None:
            subject = code
    if measure == "imports":
        if dest is None and subject is not None:
            dest = subject
    elif origin is None and subject is not None and subject != dest:
        origin = subject
    if dest is None or origin is None or dest == origin:
        return None
    return origin, dest


def _unit_claims(
    doc: DocumentText, unit: Unit, parties: PartyIndex | None, language: str | None
) -> list[ExtractedClaim]:
    text = doc.text[unit.start : unit.end]
    off = unit.start
    dates = find_dates(text, doc.date)
    credits = find_credits(text, doc.date, off)
    credit_spans = [(c.start - off, c.end - off) for c in credits]

    def in_credit(s: int, e: int) -> bool:
        return any(a <= s and e <= b for a, b in credit_spans)

    period_dates = [d for d in dates if not in_credit(d.start, d.end)]
    blocked = [(d.start, d.end) for d in dates] + date_like_spans(text)
    quantities = find_quantities(text, language, blocked=blocked)
    quantities = [q for q in quantities if not in_credit(q.start, q.end)]
    calibres = find_calibres(text)
    territories = [
        m for m in find_territories(text, off) if not in_credit(m.start - off, m.end - off)
    ]
    products = find_products(text, off)
    exclude = [(c.start, c.end) for c in credits] + [(off + d.start, off + d.end) for d in dates]
    exclude += [(m.start, m.end) for m in territories + products]
    party_mentions = find_parties(text, off, parties, exclude)
    protected = [(off + d.start, off + d.end) for d in dates]
    qspans = [(off + q.start, off + q.end) for q in quantities]
    in_table = unit.kind == "table" and unit.sources is not None
    assigned = assign(credits, qspans, text, off, protected, fallback=not in_table)
    credited: list[list[Attribution]] = [
        list(unit.sources or []) if a is None else a for a in assigned
    ]
    # "per its annual report": the credit is the party the sentence is about
    exclude_self = [(off + d.start, off + d.end) for d in dates]
    exclude_self += [(m.start, m.end) for m in territories + products]
    named = find_parties(text, off, parties, exclude_self)
    first_party = next((m.ref.text for m in named), None)
    credited = [_resolve_self(attrs, first_party) for attrs in credited]
    places: list[EntityRef] = []
    subjects: list[EntityRef] = []
    for m in territories:
        before = text[max(0, m.start - off - 12) : m.start - off]
        target = (
            places
            if re.search(
                r"(?:in|to|from|via|through|across|u|у|в|na|на|w|do|iz|из)\s+$", before, re.I
            )
            else subjects
        )
        if all(r.id != m.ref.id for r in target):
            target.append(m.ref)
    for m in party_mentions + products:
        if all((r.kind, r.id, r.text) != (m.ref.kind, m.ref.id, m.ref.text) for r in subjects):
            subjects.append(m.ref)
    span = (unit.start, unit.end)
    out: list[ExtractedClaim] = []
    for q, qspan, attrs in zip(quantities, qspans, credited, strict=True):
        measure = _measure(text, q.start, q.end)
        near = [
            c.calibre for c in calibres if abs(c.start - q.end) <= 40 or abs(q.start - c.end) <= 40
        ]
        out.append(
            ExtractedClaim(
                claim_id=_claim_id(doc.document_id, span, qspan),
                document_id=doc.document_id,
                span=span,
                text=text,
                subject=list(subjects),
                measure=measure,
                quantity=q.quantity,
                calibres=sorted(set(near)) if near else sorted({c.calibre for c in calibres}),
                period=_period(period_dates, q.start, q.end, text, credit_spans),
                place=list(places),
                attributed_to=attrs,
                direction=_direction(text, off, territories, measure),
                quantity_span=qspan,
                origin_kind=unit.kind,
            )
        )
    if not quantities and (credits or unit.sources) and len({m.ref.id for m in territories}) >= 2:
        measure = _measure(text, 0, len(text))
        direction = _direction(text, off, territories, measure)
        if direction is not None or measure in ("exports", "deliveries", "imports"):
            attrs = [a for c in credits for a in c.names] if credits else list(unit.sources or [])
            out.append(
                ExtractedClaim(
                    claim_id=_claim_id(doc.document_id, span, None),
                    document_id=doc.document_id,
                    span=span,
                    text=text,
                    subject=list(subjects),
                    measure=measure,
                    quantity=None,
                    calibres=sorted({c.calibre for c in calibres}),
                    period=period_of(period_dates[:1]) if period_dates else None,
                    place=list(places),
                    attributed_to=attrs,
                    direction=direction,
                    origin_kind=unit.kind,
                )
            )
    return out


# -- public ---------------------------------------------------------------------------------


def extract(doc: DocumentText, store: Store | None = None) -> list[ExtractedClaim]:
    """Atomic claims of one document, in document order. With a store, party mentions are
    linked to the store's parties (territories are always linked: the normaliser needs no
    store)."""
    parties = PartyIndex.from_store(store) if store is not None else None
    language = doc.language if doc.language not in (None, "und") else None
    out: list[ExtractedClaim] = []
    for unit in units(doc):
        out.extend(_unit_claims(doc, unit, parties, language))
    return out


def extract_paths(
    paths: Iterable[str | Path], store: Store | None = None
) -> list[tuple[DocumentText, list[ExtractedClaim]]]:
    """Read and extract each file: the library call behind ``transship claims extract``."""
    from transship.claims.documents import read_document

    out: list[tuple[DocumentText, list[ExtractedClaim]]] = []
    for path in paths:
        doc = read_document(path)
        out.append((doc, extract(doc, store)))
    return out


def extract_command(
    paths: Iterable[str | Path], store: Store | None = None, as_json: bool = False
) -> str:
    """What ``transship claims extract DOC... [--json]`` prints: JSON (one object with a
    ``documents`` list, each with its claims) or one line per claim for a terminal."""
    import json

    results = extract_paths(paths, store)
    if as_json:
        payload = {
            "documents": [
                {
                    **{k: v for k, v in doc.to_dict().items() if k != "text"},
                    "claims": [c.to_dict() for c in claims],
                }
                for doc, claims in results
            ]
        }
        return json.dumps(payload, ensure_ascii=False, indent=2)
    lines: list[str] = []
    for doc, claims in results:
        lines.append(
            f"{doc.path or doc.document_id}: {len(claims)} claims"
            f" (language {doc.language or '?'}, date {doc.date or '?'})"
        )
        for c in claims:
            q = c.quantity.wording if c.quantity else "-"
            period = "..".join(p or "" for p in c.period) if c.period else "-"
            who = (
                "; ".join(a.name + (f" ({a.date})" if a.date else "") for a in c.attributed_to)
                or "-"
            )
            lines.append(
                f"  [{c.span[0]}:{c.span[1]}] {c.measure}: {q} | period {period} | per {who}"
            )
    return "\n".join(lines)
