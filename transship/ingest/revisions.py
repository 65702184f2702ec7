"""Natural keys at ingest: duplicates within a file, and later files that revise earlier ones.

Sources revise what they published (UN Comtrade revises figures, SIPRI republishes its
register each March, BACI has versions). Each reader declares per store table the columns
that identify one fact (``Reader.natural_key``) and, where a revision replaces more than the
rows with its keys, the unit it replaces (``Reader.revision_unit``). Both steps run in SQL
inside the file's transaction, after its rows were appended, so a failure or a killed process
still leaves the store as it was:

* **Duplicates**: a key repeated within the file is a reject ("duplicate key ... first seen on
  line N"); the first occurrence is kept, the later rows are deleted (``--strict``: an error).
  While a file's rows arrive in strictly increasing key order (BACI files are sorted by
  ``t, i, j, k``) no key can repeat, which :class:`KeyOrder` sees batch by batch for the cost
  of a few comparisons; otherwise one hash aggregate over the new rows finds whether there are
  any (about a fifth of a BACI load); only then does a window query name them.
* **Supersede**: earlier rows of the same dataset with a unit the new file has are moved,
  unchanged, to ``<table>_superseded`` with ``superseded_by`` (migration 0005), so the fact
  tables show the latest value and ``statements_all`` keeps every version with its file and
  line. ``as_new`` skips this step (a user who means two datasets). When no earlier run of the
  same dataset wrote the table, the step is one small query.

Why not delete and copy statements: a BACI release is ~10 million rows and twelve statements
each; moving the narrow rows costs one copy of what is stored, not twelve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from transship.exc import SourceFormatError
from transship.ingest.base import ReadContext, Reader, Reject
from transship.store import Store
from transship.store.db import WRITES_TO

#: Rows of another table that stand or fall with a rejected row on the same line (an FtM
#: entity line also wrote its statements).
LINE_COMPANIONS: dict[str, tuple[str, ...]] = {"entities": ("statements",)}
#: Tables whose earlier runs are found through a per-file table instead of a ``dataset``
#: column: storage -> (file table, the columns that must match, besides the dataset).
FILE_SCOPED: dict[str, tuple[str, tuple[str, ...]]] = {
    "baci_rows": ("baci_files", ("classification", "simulated")),
}
#: Columns that scope a revision besides the key: the dataset, and whether the rows are
#: simulated (a simulated file never replaces real rows, nor real ones simulated rows).
SCOPE = ("dataset", "simulated")
#: How many duplicate rejects are returned to the caller (for messages); all are stored.
SAMPLE = 3


@dataclass(slots=True)
class Revision:
    """What the key checks did to one file's rows."""

    duplicates: int = 0
    #: Rows the duplicates removed from the loaded count (facts only).
    removed: int = 0
    #: The first duplicate rejects, by line.
    sample: list[Reject] = field(default_factory=list)
    rows_superseded: int = 0
    supersedes: list[int] = field(default_factory=list)


class KeyOrder:
    """Watches each keyed table's rows as they are appended, in file order: while every key is
    greater than the one before, the file has no repeated key and the duplicate check after
    the load is skipped. A null in a key, or any step that is not an increase, ends it for
    that table (the check then runs in SQL)."""

    def __init__(self, reader: Reader) -> None:
        self._key = dict(reader.natural_key)
        self._last: dict[str, tuple[Any, ...]] = {}
        self._broken: set[str] = set()

    @property
    def ordered(self) -> frozenset[str]:
        """Tables whose rows so far came in strictly increasing key order."""
        return frozenset(t for t in self._key if t not in self._broken)

    def see(self, table: str, data: pa.Table) -> None:
        key = self._key.get(table)
        if key is None or table in self._broken or data.num_rows == 0:
            return
        if not _increasing(data, key, self._last.get(table)):
            self._broken.add(table)
            return
        self._last[table] = tuple(data.column(c)[-1].as_py() for c in key)


def _increasing(data: pa.Table, key: tuple[str, ...], before: tuple[Any, ...] | None) -> bool:
    if any(c not in data.schema.names for c in key):
        return False
    cols = [data.column(c) for c in key]
    first = tuple(c[0].as_py() for c in cols)
    if None in first:
        return False
    if before is not None:
        try:
            if not before < first:
                return False
        except TypeError:  # a key column that changed type between batches
            return False
    n = data.num_rows
    if n == 1:
        return True
    # Row r > row r-1 in the key's lexicographic order, column by column (nulls: not known).
    greater: Any = pa.repeat(pa.scalar(False), n - 1)
    equal: Any = pa.repeat(pa.scalar(True), n - 1)
    for col in cols:
        later, earlier = col.slice(1), col.slice(0, n - 1)
        greater = pc.or_(greater, pc.and_(equal, pc.greater(later, earlier)))
        equal = pc.and_(equal, pc.equal(later, earlier))
    return bool(pc.all(greater, skip_nulls=False).as_py())


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _keyed(cols: tuple[str, ...], alias: str = "") -> str:
    """SQL: the row has a key (its revision unit is not entirely empty: a SIPRI row of the
    classic layout has no deal id, so no key)."""
    prefix = f"{alias}." if alias else ""
    return "NOT (" + " AND ".join(f"{prefix}{_q(c)} IS NULL" for c in cols) + ")"


def revise(
    store: Store,
    reader: Reader,
    ctx: ReadContext,
    as_new: bool = False,
    ordered: frozenset[str] = frozenset(),
) -> Revision:
    """Reject repeated keys of this run, then supersede earlier rows (unless ``as_new``).
    ``ordered``: tables whose rows came in strictly increasing key order (no check needed)."""
    out = Revision()
    tables = sorted(set(reader.natural_key) | set(reader.revision_unit))
    for table in tables:
        storage = WRITES_TO.get(table, table)
        key = reader.natural_key.get(table)
        if key and table not in ordered:
            unit = reader.revision_unit.get(table) or key
            _duplicates(store, ctx, storage, key, unit, out)
    if as_new:
        return out
    runs: set[int] = set()
    for table in tables:
        storage = WRITES_TO.get(table, table)
        unit = reader.revision_unit.get(table, reader.natural_key.get(table, ()))
        if unit:
            out.rows_superseded += _supersede(store, ctx, storage, unit, runs)
    out.supersedes = sorted(runs)
    return out


def _duplicates(
    store: Store,
    ctx: ReadContext,
    storage: str,
    key: tuple[str, ...],
    unit: tuple[str, ...],
    out: Revision,
) -> None:
    cols = store.columns(storage)
    part = (["dataset"] if "dataset" in cols else []) + list(key)
    group = ", ".join(_q(c) for c in part)
    run = int(ctx.run_id)
    any_dup = store.fetchall(
        f"SELECT 1 FROM {_q(storage)} WHERE run_id = {run} AND {_keyed(unit)} "
        f"GROUP BY {group} HAVING count(*) > 1 LIMIT 1"
    )
    if not any_dup:
        return
    shown = " || ', ' || ".join(f"'{c}=' || coalesce(CAST({_q(c)} AS VARCHAR), '')" for c in key)
    # The window runs only over the rows whose key is repeated (a semi join on the groups).
    store.execute(
        f"""CREATE OR REPLACE TEMP TABLE _transship_dups AS
        WITH d AS (
            SELECT {group} FROM {_q(storage)} WHERE run_id = {run} AND {_keyed(unit)}
            GROUP BY {group} HAVING count(*) > 1
        ), r AS (
            SELECT s.rowid AS rid, s.line, {shown} AS shown,
                   row_number() OVER w AS n, first_value(s.line) OVER w AS first_line
            FROM {_q(storage)} s SEMI JOIN d ON {
            " AND ".join(f"s.{_q(c)} IS NOT DISTINCT FROM d.{_q(c)}" for c in part)
        }
            WHERE s.run_id = {run}
            WINDOW w AS (PARTITION BY {", ".join(f"s.{_q(c)}" for c in part)}
                         ORDER BY s.line, s.rowid)
        )
        SELECT rid, line, 'duplicate key (' || shown || '), first seen on line '
               || CAST(first_line AS VARCHAR) AS reason
        FROM r WHERE n > 1"""
    )
    first = store.fetchall(
        f"SELECT line, reason FROM _transship_dups ORDER BY line, rid LIMIT {SAMPLE}"
    )
    if ctx.strict:
        line, reason = first[0]
        raise SourceFormatError(ctx.path, str(reason), line=int(line))
    [(n,)] = store.fetchall("SELECT count(*) FROM _transship_dups")
    store.execute(
        "INSERT INTO rejects (run_id, file, line, reason) "
        "SELECT ?, ?, line, reason FROM _transship_dups",
        [run, str(ctx.path)],
    )
    for companion in LINE_COMPANIONS.get(storage, ()):
        where = f"WHERE run_id = {run} AND line IN (SELECT line FROM _transship_dups)"
        [(m,)] = store.fetchall(f"SELECT count(*) FROM {_q(companion)} {where}")
        store.execute(f"DELETE FROM {_q(companion)} {where}")
        out.removed += int(m)
    store.execute(f"DELETE FROM {_q(storage)} WHERE rowid IN (SELECT rid FROM _transship_dups)")
    store.execute("DROP TABLE _transship_dups")
    out.duplicates += int(n)
    out.removed += int(n)
    out.sample.extend(Reject(int(line), None, str(reason)) for line, reason in first)


def _peer_runs(store: Store, ctx: ReadContext, storage: str) -> list[int]:
    """Earlier runs that wrote ``storage`` for the same dataset as this run."""
    run = int(ctx.run_id)
    if storage in FILE_SCOPED:
        files, also = FILE_SCOPED[storage]
        match = " AND ".join(
            f"o.{_q(c)} IS NOT DISTINCT FROM n.{_q(c)}" for c in ("dataset", *also)
        )
        rows = store.fetchall(
            f"SELECT DISTINCT o.run_id FROM {_q(files)} o JOIN {_q(files)} n ON {match} "
            f"WHERE n.run_id = {run} AND o.run_id <> {run}"
        )
    else:
        rows = store.fetchall(
            f"SELECT DISTINCT run_id FROM {_q(storage)} WHERE run_id <> {run} AND dataset IN "
            f"(SELECT DISTINCT dataset FROM {_q(storage)} WHERE run_id = {run})"
        )
    return sorted(int(r[0]) for r in rows)


def _supersede(
    store: Store, ctx: ReadContext, storage: str, unit: tuple[str, ...], runs: set[int]
) -> int:
    peers = _peer_runs(store, ctx, storage)
    if not peers:
        return 0
    run = int(ctx.run_id)
    cols = store.columns(storage)
    part = [c for c in SCOPE if c in cols] + list(unit)
    group = ", ".join(_q(c) for c in part)
    on = " AND ".join(f"o.{_q(c)} IS NOT DISTINCT FROM n.{_q(c)}" for c in part)
    peer_list = ", ".join(str(p) for p in peers)
    store.execute(
        f"""CREATE OR REPLACE TEMP TABLE _transship_old AS
        SELECT o.rowid AS rid FROM {_q(storage)} o
        SEMI JOIN (SELECT DISTINCT {group} FROM {_q(storage)}
                   WHERE run_id = {run} AND {_keyed(unit)}) n ON {on}
        WHERE o.run_id IN ({peer_list})"""
    )
    [(n,)] = store.fetchall("SELECT count(*) FROM _transship_old")
    if n:
        collist = ", ".join(_q(c) for c in cols)
        store.execute(
            f"INSERT INTO {_q(storage + '_superseded')} ({collist}, superseded_by) "
            f"SELECT {collist}, {run} FROM {_q(storage)} "
            "WHERE rowid IN (SELECT rid FROM _transship_old)"
        )
        runs.update(
            int(r[0])
            for r in store.fetchall(
                f"SELECT DISTINCT run_id FROM {_q(storage + '_superseded')} "
                f"WHERE superseded_by = {run}"
            )
        )
        store.execute(f"DELETE FROM {_q(storage)} WHERE rowid IN (SELECT rid FROM _transship_old)")
    store.execute("DROP TABLE _transship_old")
    return int(n)
