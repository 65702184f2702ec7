"""``GET /api/health``: is the server up, which store does it serve, does it take writes."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from transship import __version__
from transship.serve.deps import Server

router = APIRouter(tags=["server"])


class Health(BaseModel):
    ok: bool
    version: str
    store: str
    read_only: bool


@router.get("/api/health", response_model=Health, summary="Server status")
async def health(server: Server) -> Health:
    """Liveness, the store file's name and whether writes are accepted (a read-only
    server has no TRANSSHIP_API_TOKEN)."""
    return Health(ok=True, version=__version__, store=server.db.name, read_only=server.read_only)
