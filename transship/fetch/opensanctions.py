"""`transship fetch opensanctions`: a dataset's FtM entities at its published version.

OpenSanctions publishes each dataset with an index (``<base>/<dataset>/index.json``) naming
its version and its resources, each with a URL and a checksum. transship downloads the
``entities.ftm.json`` resource into ``<folder>/<dataset>/<version>/`` (an earlier version
stays where it is: the store keeps it as a revision when the new one is ingested), checks it,
and compares it with the last version fetched: entities added, changed (schema or
properties) and removed. OpenSanctions data is licensed CC BY-NC 4.0: non-commercial use
only; commercial users need OpenSanctions' licence.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transship import settings
from transship.exc import InvalidInput
from transship.fetch.http import Client, FetchError, Progress
from transship.fetch.manifest import Entry, Manifest

SOURCE = "opensanctions"
RESOURCE = "entities.ftm.json"
LICENCE = (
    "OpenSanctions (https://www.opensanctions.org), CC BY-NC 4.0: non-commercial use only, "
    "with attribution; commercial use needs a licence from OpenSanctions."
)
_ALGORITHMS = {32: "md5", 40: "sha1", 64: "sha256"}


@dataclass(slots=True)
class Changes:
    added: int = 0
    changed: int = 0
    removed: int = 0
    since: str | None = None  # the version compared with

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
        }


@dataclass(slots=True)
class SanctionsFetch:
    dataset: str
    version: str
    path: Path
    sha256: str
    entities: int
    changes: Changes = field(default_factory=Changes)
    already_had: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": SOURCE,
            "dataset": self.dataset,
            "version": self.version,
            "file": str(self.path),
            "sha256": self.sha256,
            "entities": self.entities,
            "changes": self.changes.to_dict(),
            "already_had": self.already_had,
            "licence": LICENCE,
        }


def _fingerprints(path: Path) -> dict[str, str]:
    """Entity id -> a hash of what it says (schema and properties; not the crawl dates)."""
    out: dict[str, str] = {}
    for lineno, entity in _entities(path):
        eid = entity.get("id")
        if not isinstance(eid, str):
            raise FetchError(
                SOURCE,
                f"{path.name}, line {lineno}: an entity without an id",
                "the dataset's format may have changed: report it",
            )
        blob = json.dumps([entity.get("schema"), entity.get("properties")], sort_keys=True)
        out[eid] = hashlib.sha1(blob.encode(), usedforsecurity=False).hexdigest()
    return out


def _entities(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                entity = json.loads(line)
            except ValueError:
                raise FetchError(
                    SOURCE,
                    f"{path.name}, line {lineno}: not a JSON entity",
                    "the download may be damaged: delete the version folder and fetch again",
                ) from None
            if isinstance(entity, dict):
                yield lineno, entity


def compare(old: Path | None, new: Path, since: str | None) -> tuple[int, Changes]:
    now = _fingerprints(new)
    if old is None or not old.exists():
        return len(now), Changes(added=len(now), since=None)
    before = _fingerprints(old)
    added = sum(1 for k in now if k not in before)
    removed = sum(1 for k in before if k not in now)
    changed = sum(1 for k, v in now.items() if k in before and before[k] != v)
    return len(now), Changes(added, changed, removed, since)


def fetch(
    dataset: str = "default",
    folder: Path | None = None,
    client: Client | None = None,
    progress: Progress | None = None,
) -> SanctionsFetch:
    if not re.fullmatch(r"[a-z0-9_]+", dataset):
        raise InvalidInput(
            f"--dataset {dataset!r}: an OpenSanctions dataset name (e.g. default, sanctions, eu_fsf)"
        )
    folder = folder or settings.fetch_dir() / SOURCE
    client = client or Client(SOURCE)
    base = settings.get("TRANSSHIP_OPENSANCTIONS_URL").rstrip("/")
    index = client.get(f"{base}/{dataset}/index.json").json(SOURCE)
    try:
        version = str(index["version"])
        resource = next(r for r in index["resources"] if r.get("name") == RESOURCE)
        url = str(resource["url"])
    except (KeyError, TypeError, StopIteration):
        raise FetchError(
            SOURCE,
            f"the index of {dataset!r} names no version or no {RESOURCE} resource",
            "the index format may have changed: report it",
        ) from None
    if not re.fullmatch(r"[0-9A-Za-z._-]+", version):
        raise FetchError(
            SOURCE, f"the index of {dataset!r} gives an odd version {version!r}", "report it"
        )
    manifest = Manifest.load(folder)
    file = f"{dataset}/{version}/{RESOURCE}"
    previous = [
        e for e in manifest.entries if e.params.get("dataset") == dataset and e.file != file
    ]
    known = manifest.find(file)
    if known is not None and (folder / file).exists():
        return SanctionsFetch(
            dataset,
            version,
            folder / file,
            known.sha256,
            int(known.rows or 0),
            Changes(**{k: v for k, v in known.extra.get("changes", {}).items()}),
            already_had=True,
        )
    checksum = resource.get("checksum")
    algorithm = _ALGORITHMS.get(len(checksum)) if isinstance(checksum, str) else None
    got = client.download(
        url, folder / file, progress, (algorithm, checksum) if algorithm and checksum else None
    )
    last = previous[-1] if previous else None
    count, changes = compare(
        folder / last.file if last else None, got.path, last.params.get("version") if last else None
    )
    manifest.add(
        Entry(
            source=SOURCE,
            file=file,
            sha256=got.sha256,
            size_bytes=got.size,
            url=url,
            params={"dataset": dataset, "version": version},
            rows=count,
            licence=LICENCE,
            extra={
                "changes": changes.to_dict(),
                "checksum": f"published {algorithm} matched" if algorithm else "none published",
            },
        )
    )
    return SanctionsFetch(dataset, version, got.path, got.sha256, count, changes)


__all__ = ["LICENCE", "Changes", "SanctionsFetch", "compare", "fetch"]
