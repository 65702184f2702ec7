"""`transship fetch baci`: a CEPII BACI release, downloaded with resume and checked.

A release is one zip (``BACI_<HS>_V<release>.zip``, hundreds of MB): a CSV per year plus the
country and product code tables. The download goes through ``.part`` with HTTP range
requests (an interrupted run resumes), is checked against a published checksum when one is
given (``--sha256``; CEPII publishes none today, so transship records its own) and then as
a zip (every member's CRC): a corrupt archive is deleted and reported, never ingested. The
ingest reads the yearly members and notes the code tables (docs/sources.md, BACI).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transship import settings
from transship.exc import InvalidInput
from transship.fetch.http import Client, FetchError, Progress
from transship.fetch.manifest import Entry, Manifest

SOURCE = "baci"
LICENCE = (
    "CEPII BACI, Etalab Open Licence 2.0: cite Gaulier, G. and Zignago, S. (2010), BACI: "
    "International Trade Database at the Product-Level, CEPII Working Paper 2010-23."
)
HS_EDITIONS = ("HS92", "HS96", "HS02", "HS07", "HS12", "HS17", "HS22")


@dataclass(slots=True)
class BaciFetch:
    path: Path
    sha256: str
    size_bytes: int
    release: str
    hs: str
    members: list[str] = field(default_factory=list)
    resumed_from: int = 0
    already_had: bool = False

    @property
    def years(self) -> list[str]:
        return sorted({m for name in self.members if (m := _year(name))})

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": SOURCE,
            "file": str(self.path),
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "release": self.release,
            "hs": self.hs,
            "members": self.members,
            "years": self.years,
            "resumed_from": self.resumed_from,
            "already_had": self.already_had,
            "licence": LICENCE,
        }


def _year(name: str) -> str | None:
    m = re.search(r"_Y(\d{4})_", name)
    return m.group(1) if m else None


def file_name(release: str, hs: str) -> str:
    if not re.fullmatch(r"\d{6}[a-z]?", release):
        raise InvalidInput(f"--release {release!r}: CEPII's release name, e.g. 202501")
    hs = hs.upper()
    if hs not in HS_EDITIONS:
        raise InvalidInput(f"--hs {hs!r}: one of {', '.join(HS_EDITIONS)}")
    return f"BACI_{hs}_V{release}.zip"


def check_zip(path: Path) -> list[str]:
    """The archive's members; a FetchError (and the file deleted) if it is not a sound zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            members = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        path.unlink(missing_ok=True)
        raise FetchError(
            SOURCE,
            f"{path.name} is not a readable zip ({exc}); it was deleted",
            "run the command again to download it anew",
        ) from None
    if bad is not None:
        path.unlink(missing_ok=True)
        raise FetchError(
            SOURCE,
            f"{path.name} is corrupt (bad CRC in {bad}); it was deleted",
            "run the command again to download it anew",
        )
    if not any(_year(m) for m in members):
        raise FetchError(
            SOURCE,
            f"{path.name} holds no yearly BACI file ({', '.join(members[:4])})",
            "the release's layout may have changed: report it",
        )
    return members


def fetch(
    release: str,
    hs: str = "HS17",
    folder: Path | None = None,
    sha256: str | None = None,
    client: Client | None = None,
    progress: Progress | None = None,
) -> BaciFetch:
    name = file_name(release, hs)
    folder = folder or settings.fetch_dir() / SOURCE
    manifest = Manifest.load(folder)
    target = folder / name
    known = manifest.find(name)
    if known is not None and target.exists():
        return BaciFetch(
            target,
            known.sha256,
            known.size_bytes,
            release,
            hs.upper(),
            check_zip(target),
            already_had=True,
        )
    url = f"{settings.get('TRANSSHIP_BACI_URL').rstrip('/')}/{name}"
    client = client or Client(SOURCE)
    got = client.download(url, target, progress, ("sha256", sha256) if sha256 else None)
    members = check_zip(target)
    manifest.add(
        Entry(
            source=SOURCE,
            file=name,
            sha256=got.sha256,
            size_bytes=got.size,
            url=url,
            params={"release": release, "hs": hs.upper()},
            licence=LICENCE,
            extra={
                "members": members,
                "checksum": "published sha256 matched"
                if sha256
                else "none published; sha256 recorded",
            },
        )
    )
    return BaciFetch(target, got.sha256, got.size, release, hs.upper(), members, got.resumed_from)


__all__ = ["LICENCE", "BaciFetch", "check_zip", "fetch", "file_name"]
