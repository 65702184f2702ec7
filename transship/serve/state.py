"""What the server holds: the store's connections, the ingest lock and the result cache.

The server is the one long-lived process that owns the DuckDB file (docs/store.md, "Process
model"). DuckDB lets one process hold the file read-write and serve many connections from it;
every connection opened with the same settings shares one database instance, and each sees
the store as of its own transaction (MVCC). So:

* **Reads** run on a pool of ``TRANSSHIP_SERVE_READERS`` stores (each its own connection to
  the shared instance), one request per store at a time: a read never waits for an ingest,
  and sees whole files only (each file is one transaction).
* **Writes** (``POST /api/ingest``) run on one more store, in a worker thread, one ingest at
  a time (``ingest_lock``); the reads go on meanwhile on their own connections.
* A **read-only** server (no token) opens the file read-only: other processes may read it
  too (``transship sql``...), and none may write it while the server runs.
* Every connection is **sandboxed** (``connect(..., sandbox=True)``): the DuckDB instance has
  external access off and its configuration locked, so nothing run on it, user SQL from
  ``/api/sql`` included, reads or writes anything but the store. The ingest needs no file
  access from DuckDB (the readers parse files in Python and hand Arrow relations over).

Analyses (routes, hubs, mirror, territory pages) cost seconds; their results are kept in a
:class:`ResultCache` keyed by the query, computed once however many clients ask at the same
moment, and dropped when an ingest changes the store.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from transship import settings
from transship.exc import NotFound
from transship.store import Store, connect

log = logging.getLogger(__name__)

T = TypeVar("T")
#: Bytes of finished responses kept (see :class:`ResponseCache`).
RESPONSE_CACHE_BYTES = 256 << 20


class ResultCache:
    """An LRU of computed results with single flight: concurrent requests for one key wait
    for the one computation instead of starting their own. Errors are not kept."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._done: OrderedDict[Hashable, Any] = OrderedDict()
        self._running: dict[Hashable, Future[Any]] = {}
        self.generation = 0
        self.hits = 0
        self.misses = 0

    def peek(self, key: Hashable) -> tuple[bool, Any]:
        """(True, value) when ``key`` is computed, without waiting for anything."""
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                self.hits += 1
                return True, self._done[key]
        return False, None

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value for ``key``, computing it (once) when absent. Blocks: call in a thread."""
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                self.hits += 1
                return self._done[key]  # type: ignore[no-any-return]
            future = self._running.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._running[key] = future
                self.misses += 1
            generation = self.generation
        if not owner:
            return future.result()  # type: ignore[no-any-return]
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                self._running.pop(key, None)
            future.set_exception(exc)
            raise
        with self._lock:
            self._running.pop(key, None)
            if generation == self.generation and self.size > 0:
                self._done[key] = value
                while len(self._done) > self.size:
                    self._done.popitem(last=False)
        future.set_result(value)
        return value

    def clear(self) -> None:
        """Forget every result (the store changed); computations running now are not kept."""
        with self._lock:
            self._done.clear()
            self.generation += 1


@dataclass(frozen=True, slots=True)
class StoredResponse:
    body: bytes
    status: int
    media_type: str | None
    headers: tuple[tuple[str, str], ...]

    def response(self) -> Response:
        return Response(
            self.body,
            status_code=self.status,
            media_type=self.media_type,
            headers=dict(self.headers),
        )


class ResponseCache:
    """Finished response bodies by URL (path and query), up to ``max_bytes`` in all: a page
    asked again is sent as it was, without building or serialising it again (a route page
    with its record ids is half a megabyte of JSON, about 10 ms of Python to write)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[str, StoredResponse] = OrderedDict()
        self._bytes = 0

    def get(self, key: str) -> StoredResponse | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, item: StoredResponse) -> None:
        if len(item.body) > self.max_bytes // 8:
            return  # one huge page must not empty the cache
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._items[key] = item
            self._bytes += len(item.body)
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


@dataclass
class IngestStatus:
    """The running (or last) ingest, for ``GET /api/ingest``."""

    running: bool = False
    files: list[str] = field(default_factory=list)
    current: str | None = None
    bytes_read: int = 0
    bytes_total: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "files": list(self.files),
            "current": self.current,
            "bytes_read": self.bytes_read,
            "bytes_total": self.bytes_total,
            "results": list(self.results),
        }


class Job:
    """A computation run once in a background thread (``GET /api/evaluate``): what it is
    doing, and its result or error when it ends."""

    def __init__(self, run: Callable[[Callable[[str], None]], Any]) -> None:
        self.started = datetime.now(UTC)
        self._t0 = time.monotonic()
        self.step: str | None = None
        self.steps_done: list[str] = []
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(run,), daemon=True)
        self._thread.start()

    def _say(self, step: str) -> None:
        if self.step is not None:
            self.steps_done.append(self.step)
        self.step = step

    def _main(self, run: Callable[[Callable[[str], None]], Any]) -> None:
        try:
            self.result = run(self._say)
        except BaseException as exc:  # noqa: BLE001 - kept and raised to the asker
            self.error = exc
        finally:
            if self.step is not None:
                self.steps_done.append(self.step)
            self.step = None
            self.done.set()

    @property
    def elapsed_s(self) -> float:
        return round(time.monotonic() - self._t0, 1)


class Jobs:
    """Background jobs by key, each started once; a failed one is forgotten (asking again
    starts it again)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[Hashable, Job] = {}

    def get(self, key: Hashable, run: Callable[[Callable[[str], None]], Any]) -> Job:
        """The job for ``key``, started now when there is none. A failed job is returned
        once (its asker reports the error) and forgotten."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                job = Job(run)
                self._jobs[key] = job
            elif job.done.is_set() and job.error is not None:
                del self._jobs[key]
            return job


class ServerState:
    """The store the server owns, its connections and what is computed from it."""

    def __init__(self, db: Path, token: str | None, read_only: bool) -> None:
        self.db = db
        self.token = token
        self.read_only = read_only
        self.cache = ResultCache(settings.serve_cache())
        self.responses = ResponseCache(RESPONSE_CACHE_BYTES if settings.serve_cache() else 0)
        self.ingest_lock = threading.Lock()
        self.ingest_status = IngestStatus()
        self.jobs = Jobs()
        self._readers: queue.Queue[Store] = queue.Queue()
        self._all: list[Store] = []
        self._writer: Store | None = None
        self._closed = False
        self._open()

    # -- connections ------------------------------------------------------------------------
    def _open(self) -> None:
        if str(self.db) != ":memory:" and not self.db.exists() and self.read_only:
            raise NotFound(
                f"no store at {self.db} (create one with `transship ingest FILE --db "
                f"{self.db}` or `transship demo`, or give a token to upload into a new one)"
            )
        try:
            if not self.read_only:
                # The writer first: it creates and migrates the file; readers then share it.
                self._writer = connect(self.db, sandbox=True)
                self._all.append(self._writer)
            for _ in range(settings.serve_readers()):
                store = connect(self.db, read_only=self.read_only, sandbox=True)
                store.fetchall("SELECT 1")  # open now: a held file fails at startup
                self._all.append(store)
                self._readers.put(store)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close every connection (the file is released when the last one closes)."""
        self._closed = True
        for store in self._all:
            with contextlib.suppress(Exception):
                store.close()
        self._all.clear()

    @contextlib.contextmanager
    def reader(self) -> Iterator[Store]:
        """A store to read from, for one request (waits while all are busy, bounded by
        ``TRANSSHIP_LOCK_WAIT``)."""
        wait = max(settings.lock_wait(), 1.0)
        try:
            store = self._readers.get(timeout=wait)
        except queue.Empty:
            from transship.serve.errors import ApiError

            raise ApiError(
                503,
                "busy",
                f"every read connection is busy; waited {wait:g} s (TRANSSHIP_LOCK_WAIT)",
                headers={"Retry-After": "5"},
            ) from None
        try:
            yield store
        finally:
            self._readers.put(store)

    @property
    def writer(self) -> Store:
        if self._writer is None:
            raise RuntimeError("a read-only server has no writer")
        return self._writer

    # -- cached results ---------------------------------------------------------------------
    async def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per key and store generation; a hit answers without a thread."""
        found, value = self.cache.peek(key)
        if found:
            return value  # type: ignore[no-any-return]
        return await anyio.to_thread.run_sync(self.cache.get, key, compute)

    def changed(self) -> None:
        """The store changed (an ingest): forget every result and response."""
        self.cache.clear()
        self.responses.clear()

    async def respond_cached(
        self, request: Request, build: Callable[[], Awaitable[Response]]
    ) -> Response:
        """The response to ``request``'s URL as sent before, else ``build()``'s (kept when it
        is a 200 and the store did not change meanwhile)."""
        key = request.url.path + "?" + request.url.query
        found = self.responses.get(key)
        if found is not None:
            return found.response()
        generation = self.cache.generation
        response = await build()
        if response.status_code == 200 and generation == self.cache.generation:
            headers = tuple(
                (k, v)
                for k, v in response.headers.items()
                if k not in ("content-length", "content-type")
            )
            self.responses.put(
                key,
                StoredResponse(bytes(response.body), 200, response.media_type, headers),
            )
        return response

    async def read(self, fn: Callable[[Store], T]) -> T:
        """``fn(store)`` on a free reader, in a worker thread."""

        def run() -> T:
            with self.reader() as store:
                return fn(store)

        return await anyio.to_thread.run_sync(run)

    async def cached_read(self, key: Hashable, fn: Callable[[Store], T]) -> T:
        """``fn(store)`` on a reader, computed once per key (see :meth:`cached`)."""

        def compute() -> T:
            with self.reader() as store:
                return fn(store)

        return await self.cached(key, compute)
