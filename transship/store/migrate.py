"""Numbered migrations (``transship/store/migrations/NNNN_*.sql``), applied once each, in
order, each in its own transaction, and recorded in ``_transship_migrations``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from transship.exc import StoreError

log = logging.getLogger("transship.store.db")

MIGRATIONS_TABLE = "_transship_migrations"


def migration_files() -> list[tuple[str, str]]:
    folder = resources.files("transship.store") / "migrations"
    files = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(name, (folder / name).read_text(encoding="utf-8")) for name in files]


def apply_migrations(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Apply the migrations ``con``'s store has not recorded; return the names applied."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
        "(name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)"
    )
    done = {r[0] for r in con.execute(f"SELECT name FROM {MIGRATIONS_TABLE}").fetchall()}
    known = migration_files()
    unknown = done - {name for name, _ in known}
    if unknown:
        raise StoreError(f"store {path} has migrations this version lacks: {sorted(unknown)}")
    applied = []
    for name, sql in known:
        if name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            now = datetime.now(UTC).replace(tzinfo=None)
            con.execute(f"INSERT INTO {MIGRATIONS_TABLE} VALUES (?, ?)", [name, now])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(name)
        log.debug("applied migration %s", name)  # a user's ingest prints one line per file
    return applied
