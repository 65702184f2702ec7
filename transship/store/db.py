"""Open the store (one DuckDB file), apply migrations, write batches in one transaction.

This module holds the only ``duckdb.connect`` call in transship. Limits come from
``transship.settings``; the project machines have 2 cores and 24 GiB, so the defaults are
2 threads and an 8 GB memory limit, which leaves room for Python and Spark beside DuckDB.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from transship import settings
from transship.exc import InvalidInput, NotFound, StoreError

log = logging.getLogger(__name__)

MIGRATIONS_TABLE = "_transship_migrations"
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
#: The whole of the lock error DuckDB raises when another process holds the file.
_LOCK_HELD = re.compile(r"Conflicting lock is held in (?P<cmd>.*?) \(PID (?P<pid>\d+)\)")
#: Statement types user SQL may run: SELECT covers WITH, FROM-first, VALUES, TABLE, DESCRIBE,
#: SHOW, SUMMARIZE and UNPIVOT (DuckDB's parser turns them into selects); PIVOT parses as MULTI.
_ALLOWED_KINDS = "SELECT, WITH, FROM, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE, PIVOT, EXPLAIN"
#: PRAGMAs that only report (the ones that set something are SET in disguise).
_READ_PRAGMAS = frozenset(
    {
        "show_tables",
        "show_tables_expanded",
        "table_info",
        "show",
        "version",
        "database_size",
        "database_list",
        "storage_info",
        "metadata_info",
        "functions",
        "collations",
        "platform",
        "user_agent",
    }
)


def _migrations() -> list[tuple[str, str]]:
    folder = resources.files("transship.store") / "migrations"
    files = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(name, (folder / name).read_text(encoding="utf-8")) for name in files]


def connect(
    path: str | Path | None = None, read_only: bool = False, *, lazy: bool = False
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
    """
    db = Path(path) if path is not None else settings.db_path()
    memory = str(db) == ":memory:"
    if read_only and not memory and not db.exists():
        raise NotFound(f"no store at {db} (run `transship ingest` or `transship demo` first)")
    store = Store(None, db, read_only=read_only, lazy=lazy and not memory)
    if not read_only and not store.lazy:
        store.migrate()  # opens read-write, creating the file
    return store


def _holder(message: str) -> str:
    """What holds the store, from DuckDB's lock error: its PID and, through psutil, its command
    line (DuckDB names only the executable, which is ``python`` for every transship)."""
    found = _LOCK_HELD.search(message)
    if found is None:
        return "another process"
    pid = int(found["pid"])
    command = found["cmd"]
    try:
        import psutil  # noqa: PLC0415 (only needed when the store is locked)

        command = " ".join(psutil.Process(pid).cmdline()) or command
    except Exception:  # noqa: BLE001 (the process may be gone or foreign; keep DuckDB's name)
        pass
    command = _one_line(command)
    if len(command) > 300:
        command = command[:297] + "..."
    return f"PID {pid} ({command})"


def _one_line(message: str) -> str:
    """DuckDB's message without its LINE/caret context and blank lines, on one line."""
    lines = [ln.strip() for ln in message.splitlines()]
    keep = [ln for ln in lines if ln and not ln.startswith("LINE ") and set(ln) != {"^"}]
    return " ".join(keep)


def _open(db: Path, *, read_only: bool, safe: bool = False) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while another process holds the file (bounded by TRANSSHIP_LOCK_WAIT).

    ``safe``: the connection for user SQL: read-only, no file system access (no COPY, ATTACH,
    read_text/read_csv/read_blob/glob, extensions) and the configuration locked so that no
    statement can turn that back on."""
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
            if "different configuration" in text:
                raise StoreError(
                    f"cannot open store {db}: this process already has it open in another "
                    "mode (close that store first)"
                ) from exc
            if "Could not set lock" not in text:
                raise StoreError(f"cannot open store {db}: {_one_line(text)}") from exc
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreError(
                    f"store {db} is held by {_holder(text)}; waited {wait:g} s "
                    "(TRANSSHIP_LOCK_WAIT), try again when it has finished"
                ) from exc
            if not warned:
                held = _LOCK_HELD.search(text)
                log.warning(
                    "%s is held by PID %s; waiting up to %g s",
                    db.name,
                    held["pid"] if held else "?",
                    wait,
                )
                warned = True
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.5)
    # DuckDB draws its own progress bar on stdout, which would corrupt --json output.
    con.execute("SET enable_progress_bar = false")
    if safe:
        con.execute("SET lock_configuration = true")
    log.debug(
        "opened %s (%s%s, threads=%s, memory_limit=%s)",
        db,
        "read-only" if read_only else "read-write",
        ", user SQL" if safe else "",
        config["threads"],
        config["memory_limit"],
    )
    return con


def check_read_only_sql(sql: str) -> None:
    """Refuse anything but one statement that only reads, judged by DuckDB's own parser (so
    ``SELECT 'a;b'`` is one statement and ``EXPLAIN ANALYZE COPY ...`` is a COPY)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise InvalidInput(_syntax_error(str(exc))) from None
    if not statements:
        raise InvalidInput("no SQL statement given")
    if len(statements) > 1:
        raise InvalidInput(f"one statement at a time, got {len(statements)}")
    _check_statement(statements[0].type, sql)


def _syntax_error(message: str) -> str:
    first = _one_line(message.split("\n\n")[0]).removeprefix("Parser Error:").strip()
    first = first.removeprefix("syntax error").strip() or "cannot parse"
    line = re.search(r"^LINE (\d+):", message, re.M)
    return f"syntax error: {first}" + (f" (line {line[1]})" if line else "")


def _tokens(sql: str) -> list[str]:
    """The statement's tokens as text, comments left out."""
    tokens = duckdb.tokenize(sql)
    ends = [pos for pos, _ in tokens[1:]] + [len(sql)]
    return [
        sql[pos:end].strip()
        for (pos, kind), end in zip(tokens, ends, strict=True)
        if kind != duckdb.token_type.comment
    ]


def _check_statement(kind: Any, sql: str) -> None:
    name = str(getattr(kind, "name", kind)).upper()
    words = [t.upper() for t in _tokens(sql)]
    if name == "SELECT" or (name == "MULTI" and words[:1] == ["PIVOT"]):
        return
    if name == "EXPLAIN":
        # EXPLAIN [ANALYZE] [(options)] <statement>: ANALYZE runs the statement, so what it
        # explains must itself be a read.
        tokens = duckdb.tokenize(sql)
        texts = _tokens(sql)
        positions = [p for p, k in tokens if k != duckdb.token_type.comment]
        i = 1
        if i < len(texts) and texts[i].upper() in {"ANALYZE", "ANALYSE"}:
            i += 1
        if i < len(texts) and texts[i] == "(":
            depth = 0
            while i < len(texts):
                depth += texts[i].count("(") - texts[i].count(")")
                i += 1
                if depth <= 0:
                    break
        if i >= len(texts):
            raise InvalidInput("syntax error: EXPLAIN of nothing")
        inner = sql[positions[i] :]
        [statement] = duckdb.extract_statements(inner)
        if statement.type == kind:
            raise InvalidInput("EXPLAIN of EXPLAIN is not allowed")
        try:
            _check_statement(statement.type, inner)
        except InvalidInput as exc:
            raise InvalidInput(f"EXPLAIN of a statement that writes: {exc.message}") from None
        return
    if name == "PRAGMA" and len(words) >= 2 and words[1].lower() in _READ_PRAGMAS:
        if "=" not in words:
            return
    label = words[0] if words else name
    raise InvalidInput(
        f"{label} is not allowed: SQL here runs one read-only statement ({_ALLOWED_KINDS})"
    )


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
    ) -> None:
        self._con = con
        self._writable = con is not None and not read_only
        self.path = path
        self.read_only = read_only
        self.lazy = lazy
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
        con = _open(self.path, read_only=not write)
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
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)"
        )
        done = {r[0] for r in con.execute(f"SELECT name FROM {MIGRATIONS_TABLE}").fetchall()}
        known = _migrations()
        unknown = done - {name for name, _ in known}
        if unknown:
            raise StoreError(
                f"store {self.path} has migrations this version lacks: {sorted(unknown)}"
            )
        applied = []
        for name, sql in known:
            if name in done:
                continue
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(sql)
                con.execute(f"INSERT INTO {MIGRATIONS_TABLE} VALUES (?, ?)", [name, _now()])
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            applied.append(name)
            log.debug("applied migration %s", name)  # a user's ingest prints one line per file
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

    def query_readonly(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run user SQL (`transship sql`, ``transship.query``): one statement that only reads.

        The statement is checked with DuckDB's parser, then run on a connection of its own,
        read-only, with file system access off and the configuration locked, so neither a
        statement the check missed nor a table function can write or read anything but the
        store. An in-memory store has no file to open twice: there the statement runs on the
        store's connection inside a transaction that is rolled back."""
        check_read_only_sql(sql)
        if self.memory:
            with self._using() as con:
                con.execute("BEGIN TRANSACTION")
                try:
                    return _user_query(con, sql, params)
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
            return _user_query(con, sql, params)
        finally:
            con.close()

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self._using() as con:
            try:
                return con.execute(sql, params or []).fetchall()
            except duckdb.Error as exc:
                raise InvalidInput(f"query failed: {exc}") from exc

    def stream(self, sql: str, batch_rows: int = 100_000) -> Iterator[pa.RecordBatch]:
        """Stream a query's result as Arrow record batches (flat memory for big exports)."""
        with self._using() as con:
            try:
                reader = con.sql(sql).to_arrow_reader(batch_rows)
            except duckdb.Error as exc:
                raise InvalidInput(f"query failed: {exc}") from exc
            self._streams += 1
            try:
                yield from reader
            finally:
                self._streams -= 1
                # An abandoned stream must not leave the connection busy for the next query.
                reader.close()

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
            # Read by name through a relation, not register(): a registered view (and the
            # Arrow batch it pins) lives until COMMIT, so memory would grow with the file
            # inside the file's transaction (measured in docs/performance.md).
            batch = con.from_arrow(rows)
            con.execute(f'INSERT INTO "{table}" ({collist}) SELECT {collist} FROM batch')
            del batch
        return int(rows.num_rows)

    @contextlib.contextmanager
    def single_thread(self) -> Iterator[None]:
        """Insert with one thread: parallel Arrow inserts leave part-filled row groups that the
        checkpoint rewrites, costing time and memory at close (docs/performance.md)."""
        threads = settings.get("TRANSSHIP_DUCKDB_THREADS")
        with self._using(write=True) as con:
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


def _user_query(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None) -> pa.Table:
    try:
        rel = con.sql(sql, params=list(params) if params else None)
        return pa.table({}) if rel is None else rel.to_arrow_table()
    except duckdb.ParserException as exc:
        raise InvalidInput(_syntax_error(str(exc))) from None
    except duckdb.PermissionException as exc:
        raise InvalidInput(
            f"refused: SQL here reads the store and nothing else ({_one_line(str(exc))})"
        ) from None
    except duckdb.Error as exc:
        raise InvalidInput(f"query failed: {_one_line(str(exc))}") from None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def now() -> datetime:
    """UTC now, naive (DuckDB TIMESTAMP)."""
    return _now()
