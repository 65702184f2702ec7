"""Documents (reports, press pieces) as `transship ingest` reads them: text, Markdown, HTML, PDF.

A document is one row of ``documents`` (title, publisher, published, url, kind and the text
claims are extracted from) and one row of ``document_meta`` (language, whether the file said
it, format, path, length; migration 0010). The reading itself is
:func:`transship.claims.documents.parse_document`, shared with ``transship claims extract``
so both see the same text and count the same spans.

Sniffing: a PDF (``%PDF-``), an HTML page and a Markdown file with YAML front matter are
recognised by content; a ``.md`` file by its name; a plain ``.txt`` file only when it reads
as prose (more than 30 words, long lines, no delimiter columns), and with a low confidence
so that every tabular reader wins over it; a shorter piece needs ``--format documents``.
A PDF is recognised by its header, binary bytes and all
(``tests/claims/test_documents.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pyarrow as pa

from transship.exc import SourceFormatError
from transship.ingest.base import ReadContext, Reader, Reject, Rows

_FRONT = re.compile(
    r"\A\ufeff?---[ \t]*\r?\n(?:.*\r?\n){0,40}?(?:title|url|publisher|date|language)\s*:", re.I
)


def _looks_like_prose(head: str) -> bool:
    lines = [ln for ln in head.splitlines()[:200] if ln.strip()]
    if not lines:
        return False
    text = " ".join(lines)
    letters = sum(ch.isalpha() for ch in text)
    if letters < 0.6 * len(text):
        return False
    long_lines = sum(len(ln) > 60 for ln in lines)
    words = len(text.split())
    delims = [ln.count(",") for ln in lines[:20]]
    tabular = len(lines) > 3 and len(set(delims)) == 1 and delims[0] > 2
    tabs = sum("\t" in ln for ln in lines) > len(lines) / 2
    return not tabular and not tabs and words > 30 and long_lines >= max(1, len(lines) // 4)


class DocumentReader(Reader):
    """A report or press piece: plain text, Markdown (YAML front matter, pipe tables), HTML or PDF."""

    name: ClassVar[str] = "documents"
    dataset: ClassVar[str] = "documents"
    description: ClassVar[str] = (
        "Reports and press pieces (text, Markdown with front matter, HTML, PDF) for claims extraction"
    )
    tables: ClassVar[tuple[str, ...]] = ("documents", "document_meta")
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {}
    revision_unit: ClassVar[dict[str, tuple[str, ...]]] = {"documents": (), "document_meta": ()}

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        start = head.lstrip("\ufeff \t\r\n")
        low = start[:200].lower()
        suffix = path.suffix.lower()
        if start.startswith("%PDF-"):
            return 95
        if low.startswith(("<!doctype html", "<html")) or (
            suffix in (".html", ".htm") and "<" in low
        ):
            return 90
        if _FRONT.match(head):
            return 90
        if suffix in (".md", ".markdown"):
            return 60
        if suffix in (".txt", ".text", "") and _looks_like_prose(head):
            return 35
        return 0

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        from transship.claims.documents import parse_document_declared, sniff_kind

        # the raw (unpacked, not transcoded) bytes: their sha256 is the run's, so the
        # document id is the one `transship claims extract` gives the same file
        source = ctx.unit
        if source.container is None:
            data = source.file.read_bytes()
        else:
            with source.open_unpacked() as f:
                data = f.read()
        if ctx.on_progress is not None:
            ctx.on_progress(len(data))
        logical = ctx.unit.logical
        kind = sniff_kind(logical, data)
        try:
            doc, declared = parse_document_declared(data, ctx.path, kind)
        except SourceFormatError:
            raise
        except (ValueError, KeyError) as exc:
            raise SourceFormatError(ctx.path, f"not a readable {kind} document: {exc}") from None
        yield Rows(
            "documents",
            pa.table(
                {
                    "line": pa.array([1], pa.int64()),
                    "document_id": [doc.document_id],
                    "title": [doc.title],
                    "publisher": [doc.publisher],
                    "published": [doc.date],
                    "url": [doc.url],
                    "kind": [kind],
                    "text": [doc.text],
                }
            ),
        )
        yield Rows(
            "document_meta",
            pa.table(
                {
                    "line": pa.array([1], pa.int64()),
                    "document_id": [doc.document_id],
                    "language": [doc.language],
                    "language_given": [declared],
                    "format": [kind],
                    "path": [str(ctx.path)],
                    "chars": pa.array([len(doc.text)], pa.int64()),
                }
            ),
            facts=False,
        )
