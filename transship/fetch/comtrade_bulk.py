"""`transship fetch comtrade --bulk`: Comtrade+ bulk files (a subscription key needed).

A bulk file is one reporter's final data for one period, every product, partner and flow:
tab-separated text with the API's field names, gzipped. Comtrade+ lists the files a request
covers (``/bulk/v1/get/C/{freqCode}/{clCode}?reportercode=&period=``, the call
``comtradeapicall.bulkDownloadFinalFile`` makes) with each file's ``fileUrl`` and
``publicationDate``; transship downloads each through ``.part`` with range requests (an
interrupted run resumes, a file already in the manifest is not asked again), checks that it
is a whole gzip (a corrupt one is deleted and reported, never ingested), counts its rows and
enters it in the manifest (the listing's URL and parameters, never the key) before the next.

The file names keep Comtrade's own pattern (``COMTRADE-FINAL-CA688-2022-H6-2024-05-01``)
with ``.txt.gz``, so the ordinary pipeline reads them (the Comtrade+ CSV reader takes tabs).
"""

from __future__ import annotations

import gzip
import re
import urllib.parse
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transship import settings
from transship.exc import InvalidInput
from transship.fetch.comtrade import CLASSIFICATIONS, LICENCE, SOURCE, area_code, periods
from transship.fetch.http import Client, FetchError, Progress
from transship.fetch.manifest import Entry, Manifest

#: Fields every listed file must carry (the listing's documented shape).
LISTED = ("fileUrl", "reporterCode", "period", "classificationCode")
FOLDER = "bulk"


@dataclass(frozen=True, slots=True)
class BulkQuery:
    """One listing call: a reporter (or every reporter) and a period."""

    period: str
    reporterCode: str | None
    freqCode: str = "A"
    clCode: str = "HS"

    def params(self) -> dict[str, str]:
        out = {"reportercode": self.reporterCode, "period": self.period}
        return {k: v for k, v in out.items() if v is not None}


@dataclass(slots=True)
class BulkFile:
    file: str
    url: str
    reporterCode: str
    period: str
    classification: str
    published: str | None
    size_bytes: int
    rows: int
    resumed_from: int = 0
    skipped: bool = False  # already in the manifest (resume)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "url": self.url,
            "reporterCode": self.reporterCode,
            "period": self.period,
            "classification": self.classification,
            "published": self.published,
            "size_bytes": self.size_bytes,
            "rows": self.rows,
            "resumed_from": self.resumed_from,
            "resumed": self.skipped,
        }


@dataclass(slots=True)
class BulkFetch:
    folder: Path
    files: list[BulkFile] = field(default_factory=list)
    empty: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": SOURCE,
            "folder": str(self.folder),
            "api": "bulk (keyed)",
            "files": [f.to_dict() for f in self.files],
            "rows": sum(f.rows for f in self.files),
            "no_file_for": self.empty,
            "licence": LICENCE,
        }


def bulk_plan(
    reporters: Sequence[str],
    years: str | None = None,
    period: str | None = None,
    frequency: str = "A",
    classification: str = "HS",
) -> list[BulkQuery]:
    """The listing calls for a request: one per reporter and period (checked before any
    network; no reporter: every reporter's files for the period)."""
    frequency = frequency.upper()
    if frequency not in ("A", "M"):
        raise InvalidInput(f"--frequency {frequency!r}: A (annual) or M (monthly)")
    classification = classification.upper()
    if classification not in CLASSIFICATIONS:
        raise InvalidInput(
            f"--classification {classification!r}: one of {', '.join(CLASSIFICATIONS)}"
        )
    codes: list[str | None] = [area_code(r) for r in reporters] or [None]
    return [
        BulkQuery(p, code, frequency, classification)
        for p in periods(years, period, frequency)
        for code in codes
    ]


def file_name(item: dict[str, Any], freq: str) -> str:
    """Comtrade's own name for a listed file, as ``.txt.gz`` under ``bulk/``."""
    published = str(item.get("publicationDate") or "")[:10] or "undated"
    parts = (
        f"C{freq}{str(item['reporterCode']).zfill(3)}",
        str(item["period"]),
        str(item["classificationCode"]),
        published,
    )
    safe = "-".join(re.sub(r"[^0-9A-Za-z]+", "", p) if i < 3 else p for i, p in enumerate(parts))
    return f"{FOLDER}/COMTRADE-FINAL-{safe}.txt.gz"


def check_gzip(path: Path) -> int:
    """Rows in a downloaded bulk file (lines after the header); a FetchError (and the file
    deleted) when it is not a whole gzip."""
    try:
        with gzip.open(path, "rb") as f:
            lines = sum(1 for _ in f)
    except (OSError, EOFError, zlib.error) as exc:
        path.unlink(missing_ok=True)
        raise FetchError(
            SOURCE,
            f"{path.name} is not a whole gzip file ({exc}); it was deleted",
            "run the command again to download it anew",
        ) from None
    return max(lines - 1, 0)


def _listed(
    item: dict[str, Any],
    name: str,
    size: int,
    rows: int,
    resumed_from: int = 0,
    skipped: bool = False,
) -> BulkFile:
    """A listed file as fetched (or found in the manifest)."""
    return BulkFile(
        name,
        str(item["fileUrl"]),
        str(item["reporterCode"]),
        str(item["period"]),
        str(item["classificationCode"]),
        str(item.get("publicationDate") or "")[:10] or None,
        size,
        rows,
        resumed_from,
        skipped,
    )


def _keyed(url: str, key: str) -> str:
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode({"subscription-key": key})


def fetch_bulk(
    queries: Sequence[BulkQuery],
    folder: Path,
    key: str | None = None,
    client: Client | None = None,
    say: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> BulkFetch:
    """List and download the bulk files of ``queries`` (module docstring)."""
    key = key or settings.comtrade_key()
    if not key:
        raise FetchError(
            SOURCE,
            "bulk files need a subscription key",
            "give --key or set TRANSSHIP_COMTRADE_KEY (a key from comtradedeveloper.un.org); "
            "without one, leave out --bulk to use the public preview",
        )
    client = client or Client(SOURCE, calls_per_minute=settings.comtrade_calls_per_minute())
    base = settings.get("TRANSSHIP_COMTRADE_URL").rstrip("/")
    manifest = Manifest.load(folder)
    result = BulkFetch(folder)
    for q in queries:
        listing_url = f"{base}/bulk/v1/get/C/{q.freqCode}/{q.clCode}"
        body = client.get(listing_url, {**q.params(), "subscription-key": key}).json(SOURCE)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or any(
            not isinstance(i, dict) or any(i.get(k) in (None, "") for k in LISTED) for i in data
        ):
            raise FetchError(
                SOURCE,
                f"the bulk listing for {q.params()} is not a 'data' list of files with "
                f"{', '.join(LISTED)}",
                "the API's format may have changed: report it; nothing of this listing was kept",
            )
        if not data:
            result.empty.append(q.params())
            if say:
                say(f"comtrade bulk: no file for {q.params()}")
            continue
        for item in data:
            name = file_name(item, q.freqCode)
            target = folder / name
            url = str(item["fileUrl"])
            known = manifest.find(name)
            if known is not None and target.exists():
                result.files.append(
                    _listed(item, name, known.size_bytes, known.rows or 0, skipped=True)
                )
                continue
            got = client.download(_keyed(url, key), target, progress)
            rows = check_gzip(target)
            manifest.add(
                Entry(
                    source=SOURCE,
                    file=name,
                    sha256=got.sha256,
                    size_bytes=got.size,
                    url=url,
                    params={
                        **q.params(),
                        "freqCode": q.freqCode,
                        "clCode": q.clCode,
                        "listing": listing_url,
                    },
                    rows=rows,
                    licence=LICENCE,
                    extra={"api": "bulk", "publicationDate": item.get("publicationDate")},
                )
            )
            result.files.append(_listed(item, name, got.size, rows, got.resumed_from))
            if say:
                say(f"comtrade bulk: {name}: {rows:,} rows")
    return result


__all__ = ["BulkFetch", "BulkFile", "BulkQuery", "bulk_plan", "check_gzip", "fetch_bulk"]
