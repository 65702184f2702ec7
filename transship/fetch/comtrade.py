"""`transship fetch comtrade`: UN Comtrade+ data through its API, raw answers kept.

The parameters carry Comtrade+'s names (``reporterCode``, ``partnerCode``, ``cmdCode``,
``flowCode``, ``period``, ``freqCode``, ``clCode``), as ``comtradeapicall`` does. Without a
key the public preview answers (``/public/v1/preview``, at most 500 rows a call); with one,
the data API (``/data/v1/get``, a ``subscription-key``).

How a request becomes calls. One call per period first (the API's own unit of revision). An
answer holding as many rows as the call's limit may have been cut: the call is split, by
reporter, then flow, then product, then partner when those are lists, and asked again; a call
that cannot be split further is kept and reported as possibly truncated (``truncated`` in the
result and the manifest) with what to do (a key, or a narrower request). Each answer is
written as it came (``calls/<name>.json``) and entered in the manifest before the next call,
so an interrupted fetch resumes from the next call not yet in the manifest. Bulk files (a
reporter's whole period) are :mod:`transship.fetch.comtrade_bulk`.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from transship import settings
from transship.exc import InvalidInput, UnknownCode
from transship.fetch.http import Client, FetchError, sha256_bytes
from transship.fetch.manifest import Entry, Manifest
from transship.normalise import territories

log = logging.getLogger(__name__)

SOURCE = "comtrade"
LICENCE = (
    "UN Comtrade data (c) United Nations, https://comtradeplus.un.org: cite 'UN Comtrade "
    "Database'; the UN's terms of use restrict redistributing bulk data."
)
PREVIEW_ROWS = 500
KEYED_ROWS = 250_000
FLOWS = ("M", "X", "RM", "RX")
CLASSIFICATIONS = ("HS", "H0", "H1", "H2", "H3", "H4", "H5", "H6")
#: Split order for a cut answer: lists that can be asked for one by one.
SPLITS = ("reporterCode", "flowCode", "cmdCode", "partnerCode")


@dataclass(frozen=True, slots=True)
class Call:
    """One API call: Comtrade+'s parameters, comma lists where the API takes them."""

    period: str
    reporterCode: str | None
    partnerCode: str | None
    cmdCode: str
    flowCode: str
    freqCode: str = "A"
    clCode: str = "HS"

    def params(self) -> dict[str, str]:
        out = {
            "reporterCode": self.reporterCode,
            "partnerCode": self.partnerCode,
            "cmdCode": self.cmdCode,
            "flowCode": self.flowCode,
            "period": self.period,
        }
        return {k: v for k, v in out.items() if v is not None}

    def name(self) -> str:
        """A stable file name: the period and a hash of the whole call."""
        blob = json.dumps([self.freqCode, self.clCode, self.params()], sort_keys=True)
        return f"{self.freqCode}_{self.period}_{hashlib.sha256(blob.encode()).hexdigest()[:12]}"

    def split(self) -> list[Call] | None:
        for key in SPLITS:
            value = getattr(self, key)
            if value is not None and "," in value:
                return [replace(self, **{key: one}) for one in value.split(",")]
        return None


@dataclass(slots=True)
class CallResult:
    call: Call
    file: str
    rows: int
    truncated: bool
    skipped: bool  # already in the manifest (resume)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "params": self.call.params(),
            "rows": self.rows,
            "truncated": self.truncated,
            "resumed": self.skipped,
        }


@dataclass(slots=True)
class ComtradeFetch:
    folder: Path
    keyed: bool
    calls: list[CallResult] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        return [self.folder / c.file for c in self.calls if c.rows]

    @property
    def truncated(self) -> list[CallResult]:
        return [c for c in self.calls if c.truncated]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": SOURCE,
            "folder": str(self.folder),
            "api": "data (keyed)" if self.keyed else "public preview",
            "calls": [c.to_dict() for c in self.calls],
            "rows": sum(c.rows for c in self.calls),
            "truncated": len(self.truncated),
            "licence": LICENCE,
        }


@functools.cache
def _current_codes() -> dict[str, str]:
    """Territory -> the Comtrade code it reports under today, from the shipped deviations
    table (historic rows such as 841 'United States including Puerto Rico (to 1980)' left
    out)."""
    text = resources.files("transship.data").joinpath("comtrade_areas.csv").read_text("utf-8")
    out: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["is_area"] == "false" and "(to " not in row["name"] and row["territory"]:
            out.setdefault(row["territory"], row["code"])
    return out


def area_code(value: str) -> str:
    """A reporter or partner as Comtrade's numeric code: digits as given, else an ISO code
    or a name through transship's territory table (Comtrade's own codes where they differ
    from ISO's: USA 842, France 251, India 699)."""
    text = value.strip()
    if text.isdigit():
        return str(int(text))
    try:
        territory = territories.lookup(text)
    except UnknownCode:
        raise InvalidInput(
            f"unknown reporter or partner {value!r}: use an ISO code, a name or a Comtrade code"
        ) from None
    current = _current_codes().get(territory.code)
    if current is not None:
        return current
    if territory.m49:
        return str(int(territory.m49))
    raise InvalidInput(f"{value!r} has no Comtrade code")


def periods(years: str | None, period: str | None, frequency: str) -> list[str]:
    """``--years 2019-2024`` or ``--period 2019,2020`` (monthly: ``202301``) as a list."""
    if years and period:
        raise InvalidInput("give --years or --period, not both")
    if period:
        out = [p.strip() for p in period.split(",") if p.strip()]
    elif years:
        text = years.strip()
        try:
            if "-" in text:
                lo, hi = (int(x) for x in text.split("-", 1))
            else:
                lo = hi = int(text)
        except ValueError:
            raise InvalidInput(f"--years {years!r}: expected YYYY or YYYY-YYYY") from None
        if hi < lo:
            raise InvalidInput(f"--years {years!r}: the end is before the start")
        years_list = [str(y) for y in range(lo, hi + 1)]
        out = (
            years_list
            if frequency == "A"
            else [f"{y}{m:02d}" for y in years_list for m in range(1, 13)]
        )
    else:
        raise InvalidInput("give --years (e.g. 2019-2024) or --period (e.g. 2019,2020)")
    for p in out:
        want = 4 if frequency == "A" else 6
        if not p.isdigit() or len(p) != want:
            raise InvalidInput(
                f"period {p!r}: {'YYYY' if want == 4 else 'YYYYMM'} for frequency {frequency}"
            )
    return out


def plan(
    reporters: Sequence[str],
    partners: Sequence[str],
    products: Sequence[str],
    years: str | None = None,
    period: str | None = None,
    flows: Sequence[str] = ("M", "X"),
    frequency: str = "A",
    classification: str = "HS",
) -> list[Call]:
    """The calls for a request, one per period (checked and coded, before any network)."""
    frequency = frequency.upper()
    if frequency not in ("A", "M"):
        raise InvalidInput(f"--frequency {frequency!r}: A (annual) or M (monthly)")
    classification = classification.upper()
    if classification not in CLASSIFICATIONS:
        raise InvalidInput(
            f"--classification {classification!r}: one of {', '.join(CLASSIFICATIONS)}"
        )
    bad = [f for f in flows if f.upper() not in FLOWS]
    if bad:
        raise InvalidInput(f"--flow {bad[0]!r}: one of {', '.join(FLOWS)}")
    cmds = [p.strip() for p in products if p.strip()]
    if not cmds or any(not c.isdigit() or len(c) not in (2, 4, 6) for c in cmds):
        raise InvalidInput("--product: HS codes of 2, 4 or 6 digits (e.g. 93 or 9306)")
    reporter = ",".join(area_code(r) for r in reporters) or None
    partner = ",".join(area_code(p) for p in partners) or None
    return [
        Call(
            period=p,
            reporterCode=reporter,
            partnerCode=partner,
            cmdCode=",".join(cmds),
            flowCode=",".join(f.upper() for f in flows),
            freqCode=frequency,
            clCode=classification,
        )
        for p in periods(years, period, frequency)
    ]


def fetch(
    calls: Sequence[Call],
    folder: Path,
    key: str | None = None,
    client: Client | None = None,
    say: Callable[[str], None] | None = None,
) -> ComtradeFetch:
    """Make ``calls`` (skipping those the folder's manifest already holds), splitting cut
    answers; write each answer and its manifest entry before the next call."""
    key = key or settings.comtrade_key()
    client = client or Client(SOURCE, calls_per_minute=settings.comtrade_calls_per_minute())
    base = settings.get("TRANSSHIP_COMTRADE_URL").rstrip("/")
    manifest = Manifest.load(folder)
    result = ComtradeFetch(folder, keyed=key is not None)
    limit = KEYED_ROWS if key else PREVIEW_ROWS
    queue = list(calls)
    while queue:
        call = queue.pop(0)
        file = f"calls/{call.name()}.json"
        done = manifest.find(file)
        if done is not None and (folder / file).exists():
            result.calls.append(
                CallResult(call, file, done.rows or 0, bool(done.extra.get("truncated")), True)
            )
            continue
        path = "data/v1/get" if key else "public/v1/preview"
        url = f"{base}/{path}/C/{call.freqCode}/{call.clCode}"
        params: dict[str, Any] = {**call.params(), "maxRecords": limit, "includeDesc": "true"}
        if key:
            params["subscription-key"] = key
        answer = client.get(url, params)
        body = answer.json(SOURCE)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise FetchError(
                SOURCE,
                f"the answer to {call.params()} has no 'data' list (keys: {sorted(body)[:6] if isinstance(body, dict) else type(body).__name__})",
                "the API's format may have changed: report it; nothing of this call was kept",
            )
        if body.get("error"):
            raise FetchError(
                SOURCE, f"the API answered with an error: {body['error']}", "check the parameters"
            )
        rows = len(body["data"])
        cut = rows >= limit
        if cut:
            parts = call.split()
            if parts:
                if say:
                    say(
                        f"comtrade: {call.params()} reached the {limit:,}-row limit; split into {len(parts)} calls"
                    )
                queue[:0] = parts
                continue
            if say:
                say(
                    f"comtrade: {call.params()} reached the {limit:,}-row limit and cannot be split "
                    "further: it may be truncated (use a key, or a narrower --partner/--product)"
                )
        target = folder / file
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(answer.body)
        tmp.replace(target)
        manifest.add(
            Entry(
                source=SOURCE,
                file=file,
                sha256=sha256_bytes(answer.body),
                size_bytes=len(answer.body),
                url=f"{base}/{path}/C/{call.freqCode}/{call.clCode}",
                params={
                    **call.params(),
                    "freqCode": call.freqCode,
                    "clCode": call.clCode,
                    "maxRecords": limit,
                },
                rows=rows,
                licence=LICENCE,
                extra={"truncated": cut, "api": "data" if key else "preview"},
            )
        )
        result.calls.append(CallResult(call, file, rows, cut, False))
        if say:
            say(f"comtrade: {call.params()}: {rows:,} rows")
    return result


__all__ = ["LICENCE", "Call", "ComtradeFetch", "area_code", "fetch", "periods", "plan"]
