"""Where the relational work of ``flows`` runs: DuckDB (default) or Apache Spark.

The SQL is written once, in DuckDB's dialect, over named relations (``trade_flows`` and
views the stage creates). ``DuckDBEngine`` runs it on the store; ``SparkEngine`` transpiles
it with SQLGlot to Spark SQL and runs it over the same relations, exported to Parquet.
Small dense math (a country x country matrix per product and year) happens in numpy on the
Arrow results, identically for both engines.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import pyarrow as pa

from transship.store import Store


class Engine(ABC):
    """Run DuckDB-dialect SQL over named relations and return Arrow tables."""

    name: str

    @abstractmethod
    def sql(self, query: str) -> pa.Table:
        """Run a SELECT and return its result."""

    @abstractmethod
    def view(self, name: str, query: str) -> None:
        """Create (or replace) a temporary view ``name`` from a SELECT."""

    @abstractmethod
    def register(self, name: str, table: pa.Table) -> None:
        """Make a small Arrow table visible as relation ``name``."""


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(self, store: Store) -> None:
        self.store = store

    def sql(self, query: str) -> pa.Table:
        return self.store.query(query)

    def view(self, name: str, query: str) -> None:
        self.store.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {query}')

    def register(self, name: str, table: pa.Table) -> None:
        self.store.register_arrow(name, table)
