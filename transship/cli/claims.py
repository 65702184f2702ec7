"""`transship claims extract|check`: claims from reports, graded and checked (issue 15).

Registered in :data:`transship.cli.app.STAGE_MODULES`; its commands are added by ``register``.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to `app` (none yet: the stage is being built)."""
