"""The only place that talks to DuckDB: connect(), numbered migrations, bulk writers."""

from transship.store.db import Store, connect

__all__ = ["Store", "connect"]
