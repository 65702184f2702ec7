"""Claims files (``claims.jsonl``): claims written by hand, read as a document of their own.

Each line is one claim, and the claim's span is that line's characters in the file. Its
``original_source`` becomes the chain of credit ("SVR statement published by Sputnik ... (as
cited by the seed report)": the SVR, relayed by Sputnik, relayed by the seed report) and its
``urls`` are relays.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from transship.claims.dates import find_dates
from transship.claims.documents import document_id_for, sha256_bytes
from transship.claims.facts import territory_code
from transship.claims.model import (
    Attribution,
    DocumentText,
    EntityRef,
    ExtractedClaim,
    Quantity,
)
from transship.exc import SourceFormatError

_CITED = re.compile(r"\s*\((?:as )?cited by ([^)]*)\)")
_PAREN = re.compile(r"\s*\([^)]*\)")


def _attributions(original: str | None) -> tuple[list[Attribution], list[str]]:
    """``original_source`` as credits and relays: "X published by Y, 2025-05-29 (as cited by
    the seed report)" -> credit "X published by Y" dated 2025-05-29, relay "the seed report"."""
    if not original:
        return [], []
    relays = [m.group(1).strip() for m in _CITED.finditer(original)]
    relays = ["the seed report" if r.startswith("the seed report") else r for r in relays]
    body = _PAREN.sub("", original)
    out: list[Attribution] = []
    for piece in body.split(";"):
        piece = piece.strip().strip(",")
        m = re.match(r"attributed by (the seed report|[^,]+?) to (?:the )?(.+)", piece)
        if m:
            relay = m.group(1).strip()
            if relay not in relays:
                relays.append(relay)
            piece = m.group(2).strip()
        if not piece:
            continue
        dates = find_dates(piece)
        when = dates[-1].first if dates else None
        out.append(Attribution(piece, when, None))
    return out, relays


def _period(value: str | None) -> tuple[str | None, str | None] | None:
    """A hand-written period ("2023", "2023-2024", "2023-01..2023-06") as an ISO pair."""
    if not value:
        return None
    parts = [p.strip() for p in re.split(r"\.\.|;|/", value) if p.strip()]
    if len(parts) == 1:
        m = re.fullmatch(r"(\d{4})-(\d{4})", parts[0])
        if m:
            return (m.group(1), m.group(2))
        return (parts[0], parts[0])
    return (parts[0], parts[-1])


def _measure(text: str) -> str:
    """The measure a hand-written claim's words name (claims files have no measure field)."""
    for word, measure in (
        (r"\brevenue", "revenue"),
        (r"\bexport", "exports"),
        (r"\bimport", "imports"),
        (r"\b(make|makes|produc)", "production"),
        (r"\b(reached|delivered|supplied)", "exports"),
    ):
        if re.search(word, text, re.I):
            return measure
    return "value"


def _host(url: str) -> str:
    """A URL's site, which relays the claim (``www.`` dropped)."""
    m = re.match(r"[a-z]+://(?:www\.)?([^/]+)", url)
    return m.group(1) if m else url


def read_claims_file(
    path: str | Path,
) -> tuple[DocumentText, list[ExtractedClaim], dict[str, list[str]]]:
    """A claims JSON-lines file as a document, its claims, and each claim's relays."""
    where = Path(path)
    try:
        data = where.read_bytes()
    except OSError as exc:
        raise SourceFormatError(where, f"cannot read: {exc.strerror or exc}") from None
    text = data.decode("utf-8-sig")
    sha = sha256_bytes(data)
    doc = DocumentText(
        document_id=document_id_for(sha),
        sha256=sha,
        title=f"{where.parent.name}/{where.name}",
        date=None,
        publisher=None,
        language="en",
        url=None,
        path=str(where),
        text=text,
    )
    claims: list[ExtractedClaim] = []
    relays: dict[str, list[str]] = {}
    offset = 0
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        start, offset = offset, offset + len(line)
        body = line.strip()
        if not body:
            continue
        try:
            rec = json.loads(body)
        except json.JSONDecodeError as exc:
            raise SourceFormatError(where, f"not JSON: {exc.msg}", line=n) from None
        if not isinstance(rec, dict) or not rec.get("id") or not rec.get("claim"):
            raise SourceFormatError(where, "a claim needs 'id' and 'claim'", line=n)
        qty = rec.get("quantity")
        quantity = None
        if isinstance(qty, int | float) and not isinstance(qty, bool):
            cur = rec.get("currency")
            unit = rec.get("unit")
            kind = "money" if cur else "percent" if unit == "percent" else "count"
            wording = f"{cur} {qty:,.10g}" if cur else f"{qty:,.10g} {unit or ''}".strip()
            quantity = Quantity(float(qty), float(qty), float(qty), cur or unit, kind, cur, wording)  # type: ignore[arg-type]
        origin, dest = rec.get("origin"), rec.get("destination")
        atts, rel = _attributions(rec.get("original_source"))
        rel += [_host(u) for u in rec.get("urls") or []]
        claim_text = str(rec["claim"])
        claims.append(
            ExtractedClaim(
                claim_id=str(rec["id"]),
                document_id=doc.document_id,
                span=(start, start + len(line.rstrip("\r\n"))),
                text=claim_text,
                subject=[EntityRef("territory", origin, territory_code(origin))] if origin else [],
                measure=_measure(claim_text),
                quantity=quantity,
                calibres=[],
                period=_period(rec.get("period")),
                place=[
                    EntityRef("territory", c, territory_code(c))
                    for c in rec.get("intermediaries") or []
                ],
                attributed_to=atts,
                direction=(origin, dest) if origin and dest else None,
            )
        )
        relays[str(rec["id"])] = rel
        if bool(origin) != bool(dest):  # one end only: kept for the data checks
            relays[f"__route__{rec['id']}"] = [origin or "", dest or ""]
    return doc, claims, relays
