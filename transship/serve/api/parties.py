"""`/api/parties/...`: resolved actors (issue 13)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
