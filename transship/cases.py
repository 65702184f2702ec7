"""Where the shipped cases live: inside the wheel (transship/cases) or beside the package."""

from __future__ import annotations

from pathlib import Path

from transship.exc import NotFound

_PACKAGE = Path(__file__).resolve().parent
DEFAULT_CASE = "serbia-2025"


def cases_root() -> Path:
    for candidate in (_PACKAGE / "cases", _PACKAGE.parent / "cases"):
        if candidate.is_dir():
            return candidate
    raise NotFound("no shipped cases found (expected cases/ beside the transship package)")


def default_case() -> Path:
    return cases_root() / DEFAULT_CASE


def find_case(name_or_path: str | Path) -> Path:
    """A case by folder path or by shipped name (``serbia-2025``)."""
    p = Path(name_or_path)
    if p.is_dir():
        return p
    candidate = cases_root() / str(name_or_path)
    if candidate.is_dir():
        return candidate
    raise NotFound(
        f"no case {name_or_path!r} (a folder, or one of: {', '.join(sorted(x.name for x in cases_root().iterdir()))})"
    )
