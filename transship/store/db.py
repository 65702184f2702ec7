"""Open the store (one DuckDB file), apply migrations, write batches in one transaction.

This module holds the only ``duckdb.connect`` call in transship. Limits come from
``transship.settings``; the project machines have 2 cores and 24 GiB, so the defaults are
2 threads and an 8 GB memory limit, which leaves room for Python and Spark beside DuckDB.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from transship import settings
from transship.exc import InvalidInput, NotFound, StoreError
from transship.store.locks import LOCK_HELD, holder
from transship.store.migrate import MIGRATIONS_TABLE, apply_migrations
from transship.store.sqlcheck import (
    check_read_only_sql,
    one_line,
    query_error,
    time_limit,
    user_query,
)

__all__ = [
    "BEHIND_VIEWS",
    "FACT_TABLES",
    "MIGRATIONS_TABLE",
    "WRITES_TO",
    "Store",
    "check_read_only_sql",
    "connect",
    "now",
]

log = logging.getLogger(__name__)

#: Tables whose rows carry provenance columns and may be written by readers.
FACT_TABLES = (
    "trade_flows",
    "arms_transfers",
    "arms_tiv",
    "licences",
    "licence_stats",
    "shipments",
    "certificates",
    "entities",
    "documents",
    "claims",
    "statements",
)


def connect(
    path: str | Path | None = None,
    read_only: bool = False,
    *,
    lazy: bool = False,
    sandbox: bool = False,
) -> Store:
    """Open the store at ``path`` (default: settings ``TRANSSHIP_DB``).

    * ``read_only``: a reader. The file must exist (a wrong path is NotFound, never a new empty
      store); it is opened on first use, waiting up to ``TRANSSHIP_LOCK_WAIT`` seconds while a
      writing process holds it.
    * default: a writer, as the CLI's ``ingest``/``demo`` and the library use it: the file is
      created and migrated now and the write lock is held until :meth:`Store.close`.
    * ``lazy``: a session (``transship.open_store``): nothing is opened now; reads open the
      file read-only, the first write reopens it read-write (creating and migrating it), and the
      file is released whenever no operation, transaction or ``with`` block is running, so an
      idle notebook never blocks an ingest (docs/store.md, "Process model").
    * ``sandbox``: the DuckDB instance reads and writes the store and nothing else: external
      access off (no file, URL, ATTACH, COPY or extension) and the configuration locked, for
      every connection this process opens to the file while it is open (DuckDB shares one
      instance per file and process). ``transship serve`` opens its stores so, which lets
      user SQL run on its own connections; the store's own writes need no file access
      (:meth:`Store.append` hands DuckDB Arrow relations, not names to look up).
    """
    db = Path(path) if path is not None else settings.db_path()
    memory = str(db) == ":memory:"
    if read_only and not memory and not db.exists():
        raise NotFound(f"no store at {db} (run `transship ingest` or `transship demo` first)")
    store = Store(None, db, read_only=read_only, lazy=lazy and not memory, sandbox=sandbox)
    if not read_only and not store.lazy:
        store.migrate()  # opens read-write, creating the file
    return store


def _open(db: Path, *, read_only: bool, safe: bool = False) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while another process holds the file (bounded by TRANSSHIP_LOCK_WAIT).

    ``safe``: no file system access (no COPY, ATTACH, read_text/read_csv/read_blob/glob,
    extensions) and the configuration locked so that no statement can turn that back on: the
    connection for user SQL, and every connection of a sandboxed store. The setting belongs
    to the DuckDB instance, which one process shares for a file: while a safe connection is
    open, another open in this process gets a safe one too (it could not get another), and a
    safe open while an ordinary connection is open fails with StoreError."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": settings.get("TRANSSHIP_DUCKDB_MEMORY"),
        "threads": settings.get("TRANSSHIP_DUCKDB_THREADS"),
        "preserve_insertion_order": "false",
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "allocator_background_threads": settings.get("TRANSSHIP_DUCKDB_BACKGROUND_FREE"),
    }
    if safe:
        config["enable_external_access"] = False
    wait = settings.lock_wait()
    deadline = time.monotonic() + wait
    delay = 0.05
    warned = False
    while True:
        try:
            con = duckdb.connect(str(db), read_only=read_only, config=config)
            break
        except duckdb.Error as exc:
            text = str(exc)
            if "different configuration" in text and not safe:
                # The process holds the file in a sandboxed instance: join it as it is.
                try:
                    con = duckdb.connect(
                        str(db),
                        read_only=read_only,
                        config={**config, "enable_external_access": False},
                    )
                    safe = True
                    break
                except duckdb.Error:
                    pass
            if "different configuration" in text:
                raise StoreError(
                    f"cannot open store {db}: this process already has it open in another "
                    "mode (close that store first)"
                ) from exc
            if "Could not set lock" not in text:
                raise StoreError(f"cannot open store {db}: {one_line(text)}") from exc
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreError(
                    f"store {db} is held by {holder(text)}; waited {wait:g} s "
                    "(TRANSSHIP_LOCK_WAIT), try again when it has finished"
                ) from exc
            if not warned:
                held = LOCK_HELD.search(text)
                log.warning(
                    "%s is held by PID %s; waiting up to %g s",
                    db.name,
                    held["pid"] if held else "?",
                    wait,
                )
                warned = True
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.5)
    _prepare(con, safe)
    log.debug(
        "opened %s (%s%s, threads=%s, memory_limit=%s)",
        db,
        "read-only" if read_only else "read-write",
        ", user SQL" if safe else "",
        config["threads"],
        config["memory_limit"],
    )
    return con


def _locked(con: duckdb.DuckDBPyConnection) -> bool:
    [(value,)] = con.execute("SELECT current_setting('lock_configuration')").fetchall()
    return bool(value)


def _prepare(con: duckdb.DuckDBPyConnection, safe: bool) -> None:
    """Settings of a new connection. DuckDB draws its own progress bar on stdout, which would
    corrupt --json output; it is off by default in a script and turned off here for a
    terminal, unless an earlier connection of the instance locked the configuration (then it
    is off already: that connection turned it off before locking)."""
    if _locked(con):
        return
    con.execute("SET enable_progress_bar = false")
    if safe:
        con.execute("SET lock_configuration = true")


#: Views that readers and analyses write as if they were tables -> the table that takes the rows.
#: ``trade_flows`` is the wide rows UNION ALL the normalised BACI rows (migration 0004).
WRITES_TO: dict[str, str] = {"trade_flows": "trade_flow_rows"}
#: Tables that only store rows a view presents (not listed as data tables of their own).
BEHIND_VIEWS = frozenset(
    {
        "trade_flow_rows",
        "baci_rows",
        "baci_files",
        "baci_codes",
        # earlier versions of trade flows, shown by the view trade_flows_superseded (0005)
        "trade_flow_rows_superseded",
        "baci_rows_superseded",
    }
)


class Store:
    """A DuckDB store. Use :func:`connect` to get one.

    The connection is opened when first needed: read-only for reads, read-write for writes
    (a read-only connection is swapped for a read-write one at the first write). A ``lazy``
    store closes the file again whenever it is idle (no operation, transaction, stream or
    ``with`` block running), so that it never holds a lock another process waits for."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection | None,
        path: Path,
        *,
        read_only: bool = False,
        lazy: bool = False,
        sandbox: bool = False,
    ) -> None:
        self._con = con
        self._writable = con is not None and not read_only
        self.path = path
        self.read_only = read_only
        self.lazy = lazy
        self.sandbox = sandbox
        self._columns: dict[str, list[str]] = {}
        self._registered: dict[str, pa.Table] = {}
        self._holds = 0  # operations, transactions, streams and with-blocks running
        self._in_transaction = 0
        self._streams = 0
        self._migrated = False

    @property
    def memory(self) -> bool:
        return str(self.path) == ":memory:"

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the file (a later call opens it again)."""
        if self._con is not None:
            con, self._con = self._con, None
            self._writable = False
            con.close()

    def __enter__(self) -> Store:
        self._holds += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._holds = max(0, self._holds - 1)
        self.close()

    def _connection(self, write: bool) -> duckdb.DuckDBPyConnection:
        """The open connection, opening (or, for a first write, reopening read-write) as needed."""
        write = write and not self.read_only
        if self._con is not None and (self._writable or not write):
            return self._con
        if self._con is not None:
            if self._in_transaction:
                raise StoreError("cannot write inside a read-only transaction")
            self.close()
        # A lazy store reads read-only; a writer (non-lazy) keeps its read-write connection.
        write = write or (not self.read_only and not self.lazy)
        if not write and not self.memory and not self.path.exists():
            raise NotFound(f"no store at {self.path} (nothing has been written to it yet)")
        con = _open(self.path, read_only=not write, safe=self.sandbox)
        self._con, self._writable = con, write
        for name, rows in self._registered.items():
            con.register(name, rows)
        if write and not self._migrated:
            self._migrate(con)
        return con

    @contextlib.contextmanager
    def _using(self, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """One operation: a lazy store releases the file when the last one ends."""
        con = self._connection(write)
        self._holds += 1
        try:
            yield con
        finally:
            self._holds -= 1
            if self.lazy and self._holds == 0:
                self.close()

    def migrate(self) -> list[str]:
        """Apply the numbered migrations not yet recorded; return the names applied."""
        with self._using(write=True) as con:
            return self._migrate(con)

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        self._migrated = True
        applied = apply_migrations(con, self.path)
        self._columns.clear()
        return applied

    # -- reading ---------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run SQL and return an Arrow table (library use: any statement; user SQL goes
        through :meth:`query_readonly`)."""
        with self._using() as con:
            try:
                rel = con.sql(sql, params=list(params) if params else None)
                if rel is None:  # a statement without a result
                    return pa.table({})
                return rel.to_arrow_table()
            except duckdb.Error as exc:
                raise InvalidInput(f"query failed: {exc}") from exc

    def query_readonly(
        self, sql: str, params: Sequence[Any] | None = None, *, timeout: float | None = None
    ) -> pa.Table:
        """Run user SQL (`transship sql`, ``transship.query``): one statement that only reads.

        The statement is checked with DuckDB's parser, then run on a connection of its own,
        read-only, with file system access off and the configuration locked, so neither a
        statement the check missed nor a table function can write or read anything but the
        store. A sandboxed store's own connection is such a connection already, and an
        in-memory store has no file to open twice: there the statement runs on the store's
        connection inside a transaction that is rolled back.

        ``timeout``: seconds before the statement is interrupted (InvalidInput "query stopped
        after ..."); None: no limit."""
        check_read_only_sql(sql)
        if self.memory or self.sandbox:
            with self._using() as con:
                con.execute("BEGIN TRANSACTION")
                try:
                    with time_limit(con, timeout):
                        return user_query(con, sql, params)
                finally:
                    con.execute("ROLLBACK")
        if self._in_transaction or self._streams:
            raise StoreError("user SQL cannot run while a transaction or a stream is open")
        if not self.path.exists():
            raise NotFound(f"no store at {self.path} (nothing has been written to it yet)")
        # DuckDB refuses two connections with different settings to one file in one process.
        self.close()
        con = _open(self.path, read_only=True, safe=True)
        try:
            with time_limit(con, timeout):
                return user_query(con, sql, params)
        finally:
            con.close()

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self._using() as con:
            try:
                return con.execute(sql, params or []).fetchall()
            except duckdb.Error as exc:
                raise InvalidInput(f"query failed: {exc}") from exc

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """A few rows as dicts, through DuckDB's cursor rather than Arrow: for one record (the
        record pages) it is about half the cost of :meth:`query` and ``to_pylist``."""
        with self._using() as con:
            try:
                cursor = con.execute(sql, params or [])
                names = [d[0] for d in cursor.description or []]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            except duckdb.Error as exc:
                raise InvalidInput(f"query failed: {exc}") from exc

    def stream(self, sql: str, batch_rows: int = 100_000) -> Iterator[pa.RecordBatch]:
        """Stream a query's result as Arrow record batches (flat memory for big exports)."""
        with self._using() as con:
            try:
                reader = con.sql(sql).to_arrow_reader(batch_rows)
            except duckdb.Error as exc:
                raise query_error(exc) from None
            self._streams += 1
            try:
                while True:
                    try:
                        batch = reader.read_next_batch()
                    except StopIteration:
                        break
                    except (duckdb.Error, OSError, pa.ArrowException) as exc:
                        # A statement that fails while its rows stream (a cast in the last
                        # row group, an interrupt) comes out of Arrow's reader as
                        # OSError/ArrowInvalid carrying DuckDB's message.
                        raise query_error(exc) from None
                    yield batch
            finally:
                self._streams -= 1
                # An abandoned stream must not leave the connection busy for the next query.
                reader.close()

    def interrupt(self) -> None:
        """Stop the statement running on this store's connection, from another thread (a time
        limit): it fails with InvalidInput. Nothing happens when none is running."""
        con = self._con
        if con is not None:
            con.interrupt()

    def tables(self, views: bool = True) -> list[str]:
        """Table and view names in the store; with ``views=False`` the data tables as a user
        sees them: base tables, except the storage behind a view that stands for a table
        (``trade_flow_rows``, ``baci_*``), which appears under the view's name."""
        kind = "" if views else " AND table_type = 'BASE TABLE'"
        with self._using() as con:
            rows = con.execute(
                f"SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'{kind} ORDER BY 1"
            ).fetchall()
        names = [r[0] for r in rows]
        if views:
            return names
        present = set(names)
        shown = [n for n in names if n not in BEHIND_VIEWS]
        shown += [v for v, t in WRITES_TO.items() if t in present]
        return sorted(shown)

    def columns(self, table: str) -> list[str]:
        if table not in self._columns:
            with self._using() as con:
                rows = con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "AND table_schema = 'main' ORDER BY ordinal_position",
                    [table],
                ).fetchall()
            if not rows:
                raise NotFound(f"no table {table!r} in the store")
            self._columns[table] = [r[0] for r in rows]
        return self._columns[table]

    def count(self, table: str) -> int:
        self.columns(table)  # raises NotFound
        with self._using() as con:
            # fetchall, not fetchone: an unfinished result blocks the next query in DuckDB 2.
            return int(con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0])

    # -- writing ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """All or nothing: a failure (or a killed process) leaves the store as it was."""
        with self._using(write=True) as con:
            con.execute("BEGIN TRANSACTION")
            self._in_transaction += 1
            try:
                yield self
            except BaseException:
                con.execute("ROLLBACK")
                raise
            else:
                con.execute("COMMIT")
            finally:
                self._in_transaction -= 1

    @contextlib.contextmanager
    def writing(self) -> Iterator[Store]:
        """Hold the write lock for a batch of writes (``transship.ingest``): the reads that
        decide a write (``source_run``, ``next_run_id``) and the write see the same store."""
        with self._using(write=True):
            yield self

    def append(self, table: str, rows: pa.Table | pa.RecordBatch) -> int:
        """Append Arrow rows to ``table``; columns are matched by name, missing ones are NULL.

        A view that stands for a table (``trade_flows``, see ``WRITES_TO``) is written through
        the table behind it."""
        table = WRITES_TO.get(table, table)
        with self._using(write=True) as con:
            cols = self.columns(table)
            extra = [c for c in rows.schema.names if c not in cols]
            if extra:
                raise StoreError(f"table {table} has no columns {extra}")
            present = [c for c in cols if c in rows.schema.names]
            collist = ", ".join(f'"{c}"' for c in present)
            # Through a relation, not register(): a registered view (and the Arrow batch it
            # pins) lives until COMMIT, so memory would grow with the file inside the file's
            # transaction (measured in docs/performance.md). The relation is named inside
            # the statement itself, not looked up by name in Python's frame (a replacement
            # scan, which a sandboxed store's instance refuses).
            batch = con.from_arrow(rows)
            batch.query(
                "_transship_batch",
                f'INSERT INTO "{table}" ({collist}) SELECT {collist} FROM _transship_batch',
            )
            del batch
        return int(rows.num_rows)

    @contextlib.contextmanager
    def single_thread(self) -> Iterator[None]:
        """Insert with one thread: parallel Arrow inserts leave part-filled row groups that the
        checkpoint rewrites, costing time and memory at close (docs/performance.md). A
        sandboxed store's configuration is locked: it inserts with the threads it has (the
        server's uploads; the cost is that checkpoint's)."""
        threads = settings.get("TRANSSHIP_DUCKDB_THREADS")
        with self._using(write=True) as con:
            if _locked(con):
                yield
                return
            con.execute("SET threads = 1")
            try:
                yield
            finally:
                con.execute(f"SET threads = {int(threads)}")

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement that changes the store (library use only; the CLI's `sql` is read-only)."""
        with self._using(write=True) as con:
            try:
                con.execute(sql, params or [])
            except duckdb.Error as exc:
                raise InvalidInput(f"statement failed: {exc}") from exc

    def next_run_id(self) -> int:
        # On the write connection: the run id is taken for a write that follows.
        with self._using(write=True) as con:
            [row] = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM ingest_runs").fetchall()
        return int(row[0]) if row else 1

    def source_run(self, sha256: str) -> tuple[int, str] | None:
        """The successful run that already loaded a file with this content, if any (asked on
        the write connection: the answer decides whether to write)."""
        with self._using(write=True) as con:
            rows = con.execute(
                "SELECT run_id, format FROM ingest_runs WHERE sha256 = ? AND status = 'ok' ORDER BY run_id LIMIT 1",
                [sha256],
            ).fetchall()
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def register_arrow(self, name: str, rows: pa.Table) -> None:
        """Make an Arrow table visible to SQL under ``name`` (for analysis stages); it stays
        registered when the store reopens its connection."""
        self._registered[name] = rows
        if self._con is not None:
            self._con.register(name, rows)

    def unregister(self, name: str) -> None:
        self._registered.pop(name, None)
        if self._con is not None:
            self._con.unregister(name)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def now() -> datetime:
    """UTC now, naive (DuckDB TIMESTAMP)."""
    return _now()
