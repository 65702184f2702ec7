"""The manifest a fetch writes beside its files: what was asked, when, and what came back.

``<folder>/manifest.json`` holds one entry per file: the URL (secrets removed) or the call's
parameters, the time, the bytes' sha256, the rows, the licence line. It is rewritten whole
through a temporary file and a rename after each file, so it is never half-written and a
fetch that stops part-way leaves a manifest of exactly the files it completed: the next run
reads it to skip them (resume).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from transship.exc import SourceFormatError

NAME = "manifest.json"


@dataclass(slots=True)
class Entry:
    source: str
    #: The file, relative to the manifest's folder.
    file: str
    sha256: str
    size_bytes: int
    url: str
    params: dict[str, Any] = field(default_factory=dict)
    fetched_at: str = field(default_factory=lambda: now())
    rows: int | None = None
    licence: str = ""
    #: Anything the source adds (a dataset's version, a call's split, entities changed).
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Manifest:
    folder: Path
    entries: list[Entry] = field(default_factory=list)

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        path = folder / NAME
        if not path.exists():
            return cls(folder)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = [Entry(**e) for e in data["entries"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceFormatError(
                path, f"not a transship fetch manifest ({exc}); move it away to fetch anew"
            ) from None
        return cls(folder, entries)

    def find(self, file: str) -> Entry | None:
        for entry in self.entries:
            if entry.file == file:
                return entry
        return None

    def add(self, entry: Entry) -> None:
        """Record ``entry`` (replacing one for the same file) and rewrite the manifest."""
        self.entries = [e for e in self.entries if e.file != entry.file] + [entry]
        self.save()

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / (NAME + ".tmp")
        body = {"entries": [e.to_dict() for e in self.entries]}
        tmp.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, self.folder / NAME)


__all__ = ["NAME", "Entry", "Manifest", "now"]
