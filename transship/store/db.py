"""Open the store (one DuckDB file), apply migrations, write batches in one transaction.

This module holds the only ``duckdb.connect`` call in transship. Limits come from
``transship.settings``; the project machines have 2 cores and 24 GiB, so the defaults are
2 threads and an 8 GB memory limit, which leaves room for Python and Spark beside DuckDB.
"""

from __future__ import annotations

import contextlib
import logging
import re
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
_READ_ONLY_SQL = re.compile(
    r"^\s*(select|with|from|describe|show|summarize|pivot|unpivot|explain|values|table)\b", re.I
)


def _migrations() -> list[tuple[str, str]]:
    folder = resources.files("transship.store") / "migrations"
    files = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(name, (folder / name).read_text(encoding="utf-8")) for name in files]


def connect(path: str | Path | None = None, read_only: bool = False) -> Store:
    """Open (and create or migrate) the store at ``path`` (default: settings ``TRANSSHIP_DB``)."""
    db = Path(path) if path is not None else settings.db_path()
    if str(db) != ":memory:":
        if read_only and not db.exists():
            raise NotFound(f"no store at {db} (run `transship ingest` or `transship demo` first)")
        db.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": settings.get("TRANSSHIP_DUCKDB_MEMORY"),
        "threads": settings.get("TRANSSHIP_DUCKDB_THREADS"),
        "preserve_insertion_order": "false",
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "allocator_background_threads": settings.get("TRANSSHIP_DUCKDB_BACKGROUND_FREE"),
    }
    try:
        con = duckdb.connect(str(db), read_only=read_only, config=config)
    except duckdb.Error as exc:
        raise StoreError(f"cannot open store {db}: {exc}") from exc
    # DuckDB draws its own progress bar on stdout, which would corrupt --json output.
    con.execute("SET enable_progress_bar = false")
    log.debug(
        "opened %s (threads=%s, memory_limit=%s)", db, config["threads"], config["memory_limit"]
    )
    store = Store(con, db)
    if not read_only:
        store.migrate()
    return store


#: Views that readers and analyses write as if they were tables -> the table that takes the rows.
#: ``trade_flows`` is the wide rows UNION ALL the normalised BACI rows (migration 0004).
WRITES_TO: dict[str, str] = {"trade_flows": "trade_flow_rows"}
#: Tables that only store rows a view presents (not listed as data tables of their own).
BEHIND_VIEWS = frozenset({"trade_flow_rows", "baci_rows", "baci_files", "baci_codes"})


class Store:
    """A DuckDB store. Use :func:`connect` to get one."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        self._con = con
        self.path = path
        self._columns: dict[str, list[str]] = {}

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def migrate(self) -> list[str]:
        """Apply the numbered migrations not yet recorded; return the names applied."""
        con = self._con
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
            log.info("applied migration %s", name)
        self._columns.clear()
        return applied

    # -- reading ---------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run SQL and return an Arrow table."""
        try:
            rel = self._con.sql(sql, params=list(params) if params else None)
            if rel is None:  # a statement without a result
                return pa.table({})
            return rel.to_arrow_table()
        except duckdb.Error as exc:
            raise InvalidInput(f"query failed: {exc}") from exc

    def query_readonly(self, sql: str) -> pa.Table:
        """Run one statement that cannot change the store (for `transship sql`)."""
        if not _READ_ONLY_SQL.match(sql) or ";" in sql.strip().rstrip(";"):
            raise InvalidInput(
                "only one read-only statement (SELECT, WITH, DESCRIBE, ...) is allowed"
            )
        self._con.execute("BEGIN TRANSACTION")
        try:
            return self.query(sql)
        finally:
            self._con.execute("ROLLBACK")

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            return self._con.execute(sql, params or []).fetchall()
        except duckdb.Error as exc:
            raise InvalidInput(f"query failed: {exc}") from exc

    def stream(self, sql: str, batch_rows: int = 100_000) -> Iterator[pa.RecordBatch]:
        """Stream a query's result as Arrow record batches (flat memory for big exports)."""
        try:
            reader = self._con.sql(sql).to_arrow_reader(batch_rows)
        except duckdb.Error as exc:
            raise InvalidInput(f"query failed: {exc}") from exc
        try:
            yield from reader
        finally:
            # An abandoned stream must not leave the connection busy for the next query.
            reader.close()

    def tables(self, views: bool = True) -> list[str]:
        """Table and view names in the store; with ``views=False`` the data tables as a user
        sees them: base tables, except the storage behind a view that stands for a table
        (``trade_flow_rows``, ``baci_*``), which appears under the view's name."""
        kind = "" if views else " AND table_type = 'BASE TABLE'"
        rows = self._con.execute(
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
            rows = self._con.execute(
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
        # fetchall, not fetchone: an unfinished result blocks the next query in DuckDB 2.
        return int(self._con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0])

    # -- writing ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """All or nothing: a failure (or a killed process) leaves the store as it was."""
        self._con.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        else:
            self._con.execute("COMMIT")

    def append(self, table: str, rows: pa.Table | pa.RecordBatch) -> int:
        """Append Arrow rows to ``table``; columns are matched by name, missing ones are NULL.

        A view that stands for a table (``trade_flows``, see ``WRITES_TO``) is written through
        the table behind it."""
        table = WRITES_TO.get(table, table)
        cols = self.columns(table)
        extra = [c for c in rows.schema.names if c not in cols]
        if extra:
            raise StoreError(f"table {table} has no columns {extra}")
        present = [c for c in cols if c in rows.schema.names]
        collist = ", ".join(f'"{c}"' for c in present)
        # Read by name through a relation, not register(): a registered view (and the Arrow
        # batch it pins) lives until COMMIT, so memory would grow with the file inside the
        # file's transaction (measured in docs/performance.md).
        batch = self._con.from_arrow(rows)
        self._con.execute(f'INSERT INTO "{table}" ({collist}) SELECT {collist} FROM batch')
        del batch
        return int(rows.num_rows)

    @contextlib.contextmanager
    def single_thread(self) -> Iterator[None]:
        """Insert with one thread: parallel Arrow inserts leave part-filled row groups that the
        checkpoint rewrites, costing time and memory at close (docs/performance.md)."""
        threads = settings.get("TRANSSHIP_DUCKDB_THREADS")
        self._con.execute("SET threads = 1")
        try:
            yield
        finally:
            self._con.execute(f"SET threads = {int(threads)}")

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement that changes the store (library use only; the CLI's `sql` is read-only)."""
        try:
            self._con.execute(sql, params or [])
        except duckdb.Error as exc:
            raise InvalidInput(f"statement failed: {exc}") from exc

    def next_run_id(self) -> int:
        [row] = self._con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM ingest_runs").fetchall()
        return int(row[0]) if row else 1

    def source_run(self, sha256: str) -> tuple[int, str] | None:
        """The successful run that already loaded a file with this content, if any."""
        rows = self._con.execute(
            "SELECT run_id, format FROM ingest_runs WHERE sha256 = ? AND status = 'ok' ORDER BY run_id LIMIT 1",
            [sha256],
        ).fetchall()
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def register_arrow(self, name: str, rows: pa.Table) -> None:
        """Make an Arrow table visible to SQL under ``name`` (for analysis stages)."""
        self._con.register(name, rows)

    def unregister(self, name: str) -> None:
        self._con.unregister(name)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def now() -> datetime:
    """UTC now, naive (DuckDB TIMESTAMP)."""
    return _now()
