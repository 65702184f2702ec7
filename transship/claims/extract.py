"""Claim extraction from documents. Filled in below."""

from __future__ import annotations

from typing import TYPE_CHECKING

from transship.claims.model import DocumentText, ExtractedClaim

if TYPE_CHECKING:
    from transship.store import Store


def extract(doc: DocumentText, store: Store | None = None) -> list[ExtractedClaim]:
    """Extract atomic claims from one document."""
    raise NotImplementedError("extract: being written (H7)")
