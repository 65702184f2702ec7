"""`/api/certificates/check` and `/api/assess` (issue 14)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
