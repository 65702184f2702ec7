"""transship: find where arms and ammunition really go.

ingest raw records -> normalise to canonical codes -> store in DuckDB with provenance ->
resolve parties -> infer flows, score risk, weigh claims -> report and serve.

The public API (promised to notebooks and scripts) is what ``__all__`` lists::

    import transship
    store = transship.open_store("case.duckdb")
    transship.ingest(store, ["comtrade_wood_hs44_2017.csv"])
    table = transship.query(store, "SELECT reporter_iso3, sum(value_usd) FROM trade_flows GROUP BY 1")

``transship.query`` reads and never writes (one statement, no file access); data changes
only through named functions such as ``ingest``.
"""

from __future__ import annotations

from transship.api import ingest, open_store, query, records
from transship.exc import TransshipError

__version__ = "0.1.0"
__all__ = ["TransshipError", "__version__", "ingest", "open_store", "query", "records"]
