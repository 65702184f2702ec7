"""Reading documents (text, Markdown, HTML, PDF) into DocumentText. Filled in below."""

from __future__ import annotations

from pathlib import Path

from transship.claims.model import DocumentText


def read_document(path: str | Path) -> DocumentText:
    """Read one document file."""
    raise NotImplementedError("read_document: being written (H7)")
