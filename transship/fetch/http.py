"""HTTP for the fetch commands: retries with back-off, a pace, resumable downloads.

The standard library's ``urllib`` and nothing else: it honours ``HTTP_PROXY``,
``HTTPS_PROXY`` and ``NO_PROXY`` as every other tool on the machine does, and adds no
dependency to a package that is offline everywhere else. (``comtradeapicall``, UN Comtrade's
own client, prints errors instead of raising them, returns a pandas frame without the raw
answer and has its host written in; transship keeps the raw bytes of every answer for
provenance, so it speaks the same API with the same parameter names itself.)

Every failure becomes :class:`FetchError`: one line naming the source, what happened and what
to do. A download is written to ``<file>.part`` and renamed only when complete and checked,
so a folder never holds a half-written file under its real name; the ``.part`` is what the
next run resumes from (an HTTP range request).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transship import __version__, settings
from transship.exc import TransshipError

log = logging.getLogger(__name__)

USER_AGENT = f"transship/{__version__} (+https://github.com/transship)"
#: Statuses worth another try: rate limited, or the server's own trouble.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
CHUNK = 1 << 20

Progress = Callable[[int, int | None], None]


class FetchError(TransshipError):
    """A fetch that could not be done: the source, what happened, what to do."""

    def __init__(self, source: str, reason: str, todo: str | None = None) -> None:
        self.source = source
        self.reason = reason
        self.todo = todo
        super().__init__(f"{source}: {reason}" + (f"; {todo}" if todo else ""))


@dataclass(slots=True)
class Response:
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self, source: str) -> Any:
        try:
            return json.loads(self.body)
        except json.JSONDecodeError as exc:
            raise FetchError(
                source,
                f"the answer from {redact(self.url)} is not JSON ({exc.msg} at byte {exc.pos})",
                "the source may have changed its format: report it with the URL",
            ) from None
        except UnicodeDecodeError:
            raise FetchError(
                source,
                f"the answer from {redact(self.url)} is not JSON (not UTF-8 text)",
                "the source may have changed its format: report it with the URL",
            ) from None


@dataclass(slots=True)
class Download:
    path: Path
    sha256: str
    size: int
    #: Bytes that were already on disk from an earlier, interrupted run.
    resumed_from: int


def redact(url: str) -> str:
    """``url`` without secrets (a subscription key must not reach a log or a manifest)."""
    parts = urllib.parse.urlsplit(url)
    query = [
        (k, "***" if "key" in k.lower() or "token" in k.lower() else v)
        for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


@dataclass
class Client:
    """One source's HTTP client: paced calls, retries with back-off, one-line errors."""

    source: str
    #: Most calls per minute (None: no pace).
    calls_per_minute: float | None = None
    retries: int = field(default_factory=settings.fetch_retries)
    backoff: float = field(default_factory=settings.fetch_backoff)
    timeout: float = field(default_factory=settings.fetch_timeout)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _last: float | None = None

    # -- plain calls --------------------------------------------------------------------

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """GET ``url`` with ``params``; a non-2xx answer after the retries is a FetchError."""
        full = _with_params(url, params)
        for attempt in range(self.retries + 1):
            self._pace()
            try:
                with self._open(full, headers or {}) as answer:
                    return Response(full, answer.status, dict(answer.headers), answer.read())
            except urllib.error.HTTPError as exc:
                if exc.code in RETRY_STATUSES and attempt < self.retries:
                    self._wait(attempt, exc.headers.get("Retry-After"), f"HTTP {exc.code}")
                    continue
                raise self._http_error(exc, full) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                if attempt < self.retries:
                    self._wait(attempt, None, _reason(exc))
                    continue
                raise self._network_error(exc, full) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # -- downloads ----------------------------------------------------------------------

    def download(
        self,
        url: str,
        dest: Path,
        progress: Progress | None = None,
        checksum: tuple[str, str] | None = None,
    ) -> Download:
        """Download ``url`` to ``dest`` through ``dest.part``, resuming a ``.part`` left by an
        interrupted run (or attempt) with a range request. ``checksum`` is ``(algorithm,
        hex)`` as the publisher gives it; a mismatch deletes the download and fails."""
        part = dest.with_name(dest.name + ".part")
        dest.parent.mkdir(parents=True, exist_ok=True)
        start = part.stat().st_size if part.exists() else 0
        resumed_from = start
        for attempt in range(self.retries + 1):
            self._pace()
            have = part.stat().st_size if part.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                with self._open(url, headers) as answer:
                    if have and answer.status != 206:
                        log.info("%s: the server ignored the range; downloading anew", self.source)
                        have = 0
                    total = _total(answer, have)
                    with part.open("ab" if have else "wb") as out:
                        done = have
                        while chunk := answer.read(CHUNK):
                            out.write(chunk)
                            done += len(chunk)
                            if progress:
                                progress(done, total)
                    if total is not None and done < total:
                        raise http.client.IncompleteRead(b"", total - done)
                break
            except urllib.error.HTTPError as exc:
                if exc.code == 416 and have:  # the .part already holds every byte
                    break
                if exc.code in RETRY_STATUSES and attempt < self.retries:
                    self._wait(attempt, exc.headers.get("Retry-After"), f"HTTP {exc.code}")
                    continue
                raise self._http_error(exc, url) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                if attempt < self.retries:
                    self._wait(attempt, None, f"{_reason(exc)} (the next try resumes)")
                    continue
                raise FetchError(
                    self.source,
                    f"the download of {redact(url)} stopped: {_reason(exc)}",
                    f"run the same command again to resume from byte {part.stat().st_size if part.exists() else 0:,}",
                ) from None
        sha = _digest(part, "sha256")
        if checksum is not None:
            algorithm, expected = checksum
            got = sha if algorithm == "sha256" else _digest(part, algorithm)
            if got.lower() != expected.lower():
                part.unlink()
                raise FetchError(
                    self.source,
                    f"{dest.name} does not match its published {algorithm} ({got[:12]}... "
                    f"against {expected[:12]}...); the download was deleted",
                    "run the command again; if it fails again, the published file changed",
                )
        os.replace(part, dest)
        return Download(dest, sha, dest.stat().st_size, resumed_from)

    # -- internals ----------------------------------------------------------------------

    def _open(self, url: str, headers: Mapping[str, str]) -> Any:
        """One request through an opener built now: its ProxyHandler reads HTTP(S)_PROXY and
        NO_PROXY at this moment (``urlopen``'s shared opener keeps what it saw first)."""
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
        return urllib.request.build_opener().open(request, timeout=self.timeout)

    def _pace(self) -> None:
        if self.calls_per_minute:
            gap = 60.0 / self.calls_per_minute
            now = self.clock()
            if self._last is not None and now - self._last < gap:
                self.sleep(gap - (now - self._last))
            self._last = self.clock()

    def _wait(self, attempt: int, retry_after: str | None, why: str) -> None:
        delay = self.backoff * (2**attempt)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        log.warning("%s: %s; retrying in %.1f s", self.source, why, delay)
        self.sleep(delay)

    def _http_error(self, exc: urllib.error.HTTPError, url: str) -> FetchError:
        where = redact(url)
        if exc.code in (401, 403):
            return FetchError(
                self.source,
                f"the server refused the request (HTTP {exc.code}) at {where}",
                "check the key (a wrong or expired subscription key is refused)",
            )
        if exc.code == 404:
            return FetchError(
                self.source,
                f"not found (HTTP 404): {where}",
                "check the release, dataset or parameters asked for",
            )
        if exc.code == 429:
            return FetchError(
                self.source,
                f"rate limited (HTTP 429) after {self.retries} retries",
                "wait and run the same command again (it resumes), or lower the pace",
            )
        return FetchError(self.source, f"HTTP {exc.code} from {where}", "try again later")

    def _network_error(self, exc: BaseException, url: str) -> FetchError:
        host = urllib.parse.urlsplit(url).hostname or url
        return FetchError(
            self.source,
            f"cannot reach {host} ({_reason(exc)})",
            "check the network connection and the HTTPS_PROXY / NO_PROXY settings",
        )


def _with_params(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    return url + ("&" if "?" in url else "?") + query


def _total(answer: Any, have: int) -> int | None:
    length = answer.headers.get("Content-Length")
    if length is None or not length.isdigit():
        return None
    return have + int(length) if answer.status == 206 else int(length)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        inner = exc.reason
        return str(inner) if not isinstance(inner, socket.timeout) else "timed out"
    if isinstance(exc, http.client.IncompleteRead):
        return f"the connection closed {exc.expected:,} bytes early"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    return str(exc) or type(exc).__name__


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = ["Client", "Download", "FetchError", "Response", "redact", "sha256_bytes"]
