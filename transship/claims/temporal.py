"""Temporal plausibility: the dates of a claim, its sources and its document.

A source dated before the end of the period it is credited with, a claim about a time after
the document's own date, a document crediting a source dated after itself. Forecasts are not
checked.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from transship.claims.findings import Finding
from transship.claims.sourced import SourcedClaim

_PROJECTION = re.compile(
    r"\b(project(s|ed|ion)?|forecast|expect(s|ed)?|will|could|would|may|plans?|aims?|target)\b",
    re.I,
)


def as_date(iso: str | None, end: bool = False) -> date | None:
    """An ISO date, month or year as a date: its first day, or its last with ``end`` (a
    period's end is compared at its last day); None when it is not one."""
    if not iso:
        return None
    parts = iso.split("-")
    try:
        y = int(parts[0])
        m = int(parts[1]) if len(parts) > 1 else (12 if end else 1)
        d = int(parts[2]) if len(parts) > 2 else (31 if end and m == 12 else 1)
        if end and len(parts) == 2:
            d = calendar.monthrange(y, m)[1]
        return date(y, m, d)
    except (ValueError, IndexError):
        return None


def document_date(sc: SourcedClaim, others: list[SourcedClaim]) -> tuple[date | None, str]:
    """The document's date, or the latest date it credits (a lower bound) when it has none."""
    d = as_date(sc.document.date)
    if d:
        return d, "its date"
    dates = [
        as_date(lk.date)
        for o in others
        if o.document.document_id == sc.document.document_id
        for lk in o.credited
    ]
    known = [x for x in dates if x]
    if known:
        return max(known), "the latest date it cites (it has no date of its own)"
    return None, ""


def check_temporal(sc: SourcedClaim, doc_date: date | None, doc_how: str) -> list[Finding]:
    """A source dated before the period it is credited with, a claim about a time after the
    document, a source dated after the document.

    Severity follows how sure the dates are: a source dated before the period *starts* is
    high; before a later year of the period, medium; within the period's last year, low (the
    figure may be a total "to date"). Year-only source dates are not compared within their
    own year (the day is unknown). Forecasts ("projects", "could", "will") are not checked.
    """
    out: list[Finding] = []
    if _PROJECTION.search(sc.claim.text):
        return out
    periods = sc.periods or ([sc.years] if sc.years else [])
    end_iso = sc.claim.period[1] if sc.claim.period else None
    # sources credited together ("Razumkov Centre, May 2025; ISW, 2024-09-30"): which said
    # what is unknown, so the period is judged against the latest of them; unless the same
    # document credits the figure to one of them alone elsewhere (``pinned``)
    first = sc.origin
    together = [lk for lk in sc.chain if lk.role == "origin" and as_date(lk.date)]
    if len(together) > 1 and sc.pinned is None:
        first = max(together, key=lambda lk: as_date(lk.date, end=True) or date.min)
    seen: set[tuple[str, str | None]] = set()
    for link in [first, *(lk for lk in sc.chain if lk.role == "reaction")]:
        if link.role == "document" or (link.written, link.date) in seen:
            continue
        seen.add((link.written, link.date))
        ld = as_date(link.date)
        if ld is None:
            continue
        precise = bool(link.date and len(link.date) >= 7)
        if sc.dimension is not None:
            for p in periods:
                last = (
                    as_date(end_iso, end=True)
                    if end_iso and p == sc.years and len(end_iso) >= 7
                    else date(p[1], 12, 31)
                )
                if last is None or ld >= last:
                    continue
                if ld < date(p[0], 1, 1):
                    severity = "high" if precise else "medium"
                    how = f"before the period {p[0]}-{p[1]} begins"
                elif ld.year < p[1]:
                    severity, how = "medium", f"before {p[1]}, the period's last year"
                elif precise:
                    severity = "low"
                    how = f"{(last - ld).days} days before the period {p[0]}-{p[1]} ends"
                else:
                    continue
                out.append(
                    Finding(
                        "temporal.source_before_period",
                        severity,
                        [sc.id],
                        f"{link.written!r} is dated {link.date}, {how}; it is credited with a "
                        f"figure for {p[0]}-{p[1]}.",
                        {"source_date": link.date, "period": list(p)},
                    )
                )
                break
        if doc_date and ld > doc_date and doc_how == "its date":
            out.append(
                Finding(
                    "temporal.source_after_document",
                    "medium",
                    [sc.id],
                    f"{link.written!r} is dated {ld.isoformat()}, after the document "
                    f"({doc_date.isoformat()}).",
                    {"source_date": ld.isoformat(), "document_date": doc_date.isoformat()},
                )
            )
    start = as_date(sc.claim.period[0]) if sc.claim.period else None
    if doc_date and start and start > doc_date:
        out.append(
            Finding(
                "temporal.after_document",
                "medium",
                [sc.id],
                f"the claim describes {start.isoformat()} onwards, after the document's "
                f"{doc_how} ({doc_date.isoformat()}).",
                {"period_start": start.isoformat(), "document_date": doc_date.isoformat()},
            )
        )
    return out
