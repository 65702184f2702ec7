"""The web UI's pages (H7 owns this package; this placeholder only fixes the contract).

``router`` is the :class:`fastapi.APIRouter` of HTML pages that
:func:`transship.serve.app.create_app` includes.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
