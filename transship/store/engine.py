"""Where the relational work of ``flows`` runs: DuckDB (default) or Apache Spark.

The SQL is written once, in DuckDB's dialect, over named relations (``trade_flows`` and the
temporary relations a stage creates). ``DuckDBEngine`` runs it on the store through
``transship.store`` (never a second DuckDB connection). ``SparkEngine`` transpiles it with
SQLGlot (``read="duckdb", write="spark"``) and runs it over the same relations, read from
Parquet (exported from the store, or given as paths/URLs on a cluster). Small dense math
(a country x country matrix per product and year, median-polish residuals) happens in SQL or
in numpy on the Arrow results, identically for both engines.

Why SQLGlot and not Ibis: the queries here are a handful of group-bys, joins and windows
that read naturally as SQL; SQLGlot alone is a pure-Python dependency, and the Ibis 12 +
SQLGlot 30 combination fails in ``create_table`` (see DESIGN.md). Transpiling plain DuckDB
SQL with SQLGlot 30 works for every construct used here (``tests/flows/test_engine.py``
checks them on both engines).

Portable-SQL rules for code that runs through an :class:`Engine` (both engines agree):

* natural log is ``ln`` (DuckDB's ``log`` is base 10, Spark's is natural);
* exact medians with ``median``; no ``quantile_cont``; no ``QUALIFY``;
* lists: ``list_sort(array_agg(x))``; array size with ``array_length``; concatenation with
  ``list_concat``; no ``len``/``length`` on lists;
* string prefixes with ``LIKE 'ab%'`` (values checked to be digits/codes first).
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from transship import settings
from transship.exc import InvalidInput
from transship.store import Store

log = logging.getLogger(__name__)

ENGINES = ("duckdb", "spark")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_counter = itertools.count(1)


def temp_name(prefix: str) -> str:
    """A fresh relation name (``_ts_<prefix>_<n>``) so concurrent analyses never collide."""
    return f"_ts_{prefix}_{next(_counter)}"


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(f"bad relation name {name!r}")
    return name


class Engine(ABC):
    """Run DuckDB-dialect SQL over named relations and return Arrow tables.

    Relations: ``trade_flows`` is always there; :meth:`view`, :meth:`materialize` and
    :meth:`register` add temporary ones (visible only to this engine), :meth:`drop` removes
    them. Results are Arrow; big results are streamed with :meth:`stream`.
    """

    name: str

    @abstractmethod
    def sql(self, query: str) -> pa.Table:
        """Run a SELECT and return its whole result."""

    @abstractmethod
    def stream(self, query: str, batch_rows: int = 131_072) -> Iterator[pa.RecordBatch]:
        """Run a SELECT and yield its result in batches (memory bounded by the batch size
        on DuckDB; on Spark the whole result is collected first, so by its size)."""

    @abstractmethod
    def view(self, name: str, query: str) -> None:
        """Create (or replace) a temporary view ``name`` from a SELECT (evaluated lazily)."""

    @abstractmethod
    def materialize(self, name: str, query: str) -> None:
        """Compute a SELECT once and keep it as temporary relation ``name`` (a temp table on
        DuckDB, a cached view on Spark): for relations read several times."""

    @abstractmethod
    def register(self, name: str, table: pa.Table) -> None:
        """Make a (small) Arrow table visible as relation ``name``."""

    @abstractmethod
    def drop(self, name: str) -> None:
        """Forget a temporary relation created by this engine (no error if absent)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the engine holds (the store stays open: its owner closes it)."""

    def scalar(self, query: str) -> Any:
        """The first value of the first row (None for an empty result)."""
        table = self.sql(query)
        if table.num_rows == 0 or table.num_columns == 0:
            return None
        return table.column(0)[0].as_py()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DuckDBEngine(Engine):
    """The default engine: the store's own DuckDB connection, through ``Store`` methods."""

    name = "duckdb"

    def __init__(self, store: Store) -> None:
        self.store = store
        self._registered: set[str] = set()
        self._tables: set[str] = set()

    def sql(self, query: str) -> pa.Table:
        return self.store.query(query)

    def stream(self, query: str, batch_rows: int = 131_072) -> Iterator[pa.RecordBatch]:
        return self.store.stream(query, batch_rows=batch_rows)

    def view(self, name: str, query: str) -> None:
        self.store.execute(f'CREATE OR REPLACE TEMP VIEW "{_check_name(name)}" AS {query}')

    def materialize(self, name: str, query: str) -> None:
        self.store.execute(f'CREATE OR REPLACE TEMP TABLE "{_check_name(name)}" AS {query}')
        self._tables.add(name)

    def register(self, name: str, table: pa.Table) -> None:
        self.store.register_arrow(_check_name(name), table)
        self._registered.add(name)

    def drop(self, name: str) -> None:
        _check_name(name)
        if name in self._registered:
            self.store.unregister(name)
            self._registered.discard(name)
        elif name in self._tables:
            self.store.execute(f'DROP TABLE IF EXISTS temp."{name}"')
            self._tables.discard(name)
        else:
            self.store.execute(f'DROP VIEW IF EXISTS temp."{name}"')

    def close(self) -> None:
        for name in list(self._registered | self._tables):
            self.drop(name)


@functools.lru_cache(maxsize=512)
def to_spark_sql(query: str) -> str:
    """Transpile one DuckDB-dialect SELECT to Spark SQL (cached: the same text recurs)."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    try:
        out = sqlglot.transpile(query, read="duckdb", write="spark")
    except SqlglotError as exc:
        raise InvalidInput(f"cannot transpile query for Spark: {exc}") from exc
    if len(out) != 1:
        raise InvalidInput("expected exactly one statement")
    return out[0]


class SparkEngine(Engine):
    """Apache Spark (``pyspark``): local (``local[2]``) or a cluster (``TRANSSHIP_SPARK_MASTER``).

    The relations are Parquet: ``tables`` maps a relation name to a path, a glob or a URL
    Spark can read (``hdfs://``, ``s3a://`` ...); :meth:`from_store` exports the store's
    ``trade_flows`` to a local Parquet file first (fine for local mode; on a cluster give
    shared paths instead, see docs/spark.md).
    """

    name = "spark"

    def __init__(
        self,
        tables: Mapping[str, str | Path],
        master: str | None = None,
        conf: Mapping[str, str] | None = None,
        workdir: Path | None = None,
    ) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # pragma: no cover - pyspark is an optional extra
            raise InvalidInput(
                "--engine spark needs pyspark (pip install 'transship[spark]') and Java 17"
            ) from exc
        self.master = master or settings.get("TRANSSHIP_SPARK_MASTER")
        builder = (
            SparkSession.builder.master(self.master)
            .appName("transship-flows")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config(
                "spark.sql.shuffle.partitions", "2" if self.master.startswith("local") else "200"
            )
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        )
        for key, value in (conf or {}).items():
            builder = builder.config(key, value)
        self.spark = builder.getOrCreate()
        self.spark.sparkContext.setLogLevel("ERROR")
        self._workdir = workdir
        self._views: set[str] = set()
        self._cached: dict[str, Any] = {}
        for name, path in tables.items():
            self.spark.read.parquet(str(path)).createOrReplaceTempView(_check_name(name))
            self._views.add(name)

    @classmethod
    def from_store(
        cls,
        store: Store,
        tables: tuple[str, ...] = ("trade_flows",),
        master: str | None = None,
        workdir: Path | None = None,
        where: str | None = None,
    ) -> SparkEngine:
        """Export ``tables`` from the store to Parquet (through ``Store.execute``'s COPY) and
        open Spark over them. ``where`` (DuckDB SQL) limits the rows exported."""
        own = workdir is None
        folder = Path(tempfile.mkdtemp(prefix="transship-spark-")) if own else Path(workdir)  # type: ignore[arg-type]
        folder.mkdir(parents=True, exist_ok=True)
        paths: dict[str, str] = {}
        for name in tables:
            store.columns(name)  # NotFound for a missing table
            target = folder / f"{_check_name(name)}.parquet"
            cond = f" WHERE {where}" if where else ""
            path_sql = str(target).replace("'", "''")
            store.execute(
                f"COPY (SELECT * FROM \"{name}\"{cond}) TO '{path_sql}' "
                "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)"
            )
            paths[name] = str(target)
        engine = cls(paths, master=master, workdir=folder if own else None)
        return engine

    def _df(self, query: str) -> Any:
        return self.spark.sql(to_spark_sql(query))

    def sql(self, query: str) -> pa.Table:
        table: pa.Table = self._df(query).toArrow()
        return _normalise_arrow(table)

    def stream(self, query: str, batch_rows: int = 131_072) -> Iterator[pa.RecordBatch]:
        # The whole result comes to the driver in one toArrow: callers that need bounded
        # memory ask for smaller results (mirror reads one batch of years at a time).
        table = self.sql(query)
        yield from table.to_batches(max_chunksize=batch_rows)

    def view(self, name: str, query: str) -> None:
        self._df(query).createOrReplaceTempView(_check_name(name))
        self._views.add(name)

    def materialize(self, name: str, query: str) -> None:
        # localCheckpoint (eager) computes the result once and cuts its lineage: later
        # queries plan against the stored result instead of re-planning (and, after an
        # upstream view is dropped, re-running) every step that led to it.
        df = self._df(query).localCheckpoint(eager=True)
        df.createOrReplaceTempView(_check_name(name))
        old = self._cached.pop(name, None)
        self._cached[name] = df
        self._views.add(name)
        if old is not None:
            old.unpersist()

    def register(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(_check_name(name))
        self._views.add(name)

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(_check_name(name))
        self._views.discard(name)
        df = self._cached.pop(name, None)
        if df is not None:
            df.unpersist()

    def close(self) -> None:
        for name in list(self._views):
            self.drop(name)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def stop(self) -> None:
        """Stop the Spark session (the JVM stays up for the next session in this process)."""
        self.close()
        self.spark.stop()


def _normalise_arrow(table: pa.Table) -> pa.Table:
    """Spark marks list elements non-null and gives decimals for some literals: make the
    schema the one DuckDB gives, so results compare and serialise the same way."""
    fields = []
    changed = False
    for field in table.schema:
        typ = field.type
        if pa.types.is_list(typ) and not typ.value_field.nullable:
            typ = pa.list_(typ.value_type)
        elif pa.types.is_decimal(typ):
            typ = pa.float64()
        if typ != field.type:
            changed = True
        fields.append(pa.field(field.name, typ))
    return table.cast(pa.schema(fields)) if changed else table


def open_engine(
    kind: str, store: Store, master: str | None = None, trade_flows: str | None = None
) -> Engine:
    """The engine ``--engine`` names, over ``store``. Spark reads the store's trade_flows
    exported to Parquet, or ``trade_flows`` (a Parquet path/glob/URL the Spark cluster can
    read itself, e.g. ``s3a://bucket/trade_flows/*.parquet``) when given."""
    if kind == "duckdb":
        return DuckDBEngine(store)
    if kind == "spark":
        if trade_flows:
            return SparkEngine({"trade_flows": trade_flows}, master=master)
        return SparkEngine.from_store(store, master=master)
    raise InvalidInput(f"unknown engine {kind!r}; use one of {', '.join(ENGINES)}")


__all__ = [
    "ENGINES",
    "DuckDBEngine",
    "Engine",
    "SparkEngine",
    "open_engine",
    "temp_name",
    "to_spark_sql",
]
