"""Named errors. Raised inside the library, converted once at each edge
(CLI: one line on stderr and exit code 1; API: JSON body with a status)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class TransshipError(Exception):
    """Base of every error transship raises on purpose."""

    status = 400

    def __init__(self, message: str, errors: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class InvalidInput(TransshipError):
    """Input that cannot be used: bad arguments, bad values."""


class SourceFormatError(TransshipError):
    """A file that cannot be read as the format asked for, with where and why."""

    def __init__(
        self,
        path: str | Path,
        reason: str,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.reason = reason
        where = self.path
        if line is not None:
            where += f", line {line}"
        if column:
            where += f", column {column!r}"
        super().__init__(f"{where}: {reason}")


class UnknownCode(TransshipError):
    """A code (territory, HS, ML category, unit, currency) that the reference tables lack."""

    def __init__(self, kind: str, value: object) -> None:
        self.kind = kind
        self.value = value
        super().__init__(f"unknown {kind}: {value!r}")


class NotFound(TransshipError):
    """A named thing (table, run, case, file) that does not exist."""

    status = 404


class StoreError(TransshipError):
    """The store cannot be opened or changed (locked, read-only, newer schema)."""
