"""Ordering results that arrive in several batches (mirror and hubs over many years).

A scope too big for one group-by is worked one batch of years at a time, and each batch's
result comes back as an Arrow table. The final order is then found in Arrow on the key
columns only, and every column is gathered once, two at a time (DuckDB is idle
meanwhile; Arrow's gathers release the GIL), the heaviest column (the evidence lists)
first, each original column released once gathered.

Arrow joins a chunked column into one array to gather from it, and one ``string`` or
``list`` array holds at most 2 GiB of values: a variable-width column larger than
:data:`ONE_ARRAY_BYTES` is gathered through the 64-bit-offset types (``large_list``,
``large_string``) in chunks of :data:`GATHER_ROWS` rows, each within one array's limit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

#: Above this many bytes a variable-width column is gathered through Arrow's 64-bit-offset
#: types (the evidence lists take about 25-60 bytes per id: some 30M-80M ids).
ONE_ARRAY_BYTES = 1_900_000_000
#: Rows per gathered chunk of a column gathered through the 64-bit-offset types.
GATHER_ROWS = 1 << 20

#: Builds the sort keys of a concatenated table: (a table of key columns, Arrow sort keys
#: over it). The keys must make a total order (unique), so any correct sort gives one result.
KeysFn = Callable[[pa.Table], tuple[pa.Table, Sequence[tuple[Any, ...]]]]


def merge_batches(
    pieces: list[pa.Table], keys: KeysFn, limit: int | None = None, first: str | None = None
) -> pa.Table:
    """The batches ``pieces`` (emptied here) as one table in the order ``keys`` gives,
    its first ``limit`` rows; ``first`` names the column to gather first (the longest). A
    single piece is returned as it came (the caller's SQL ordered it)."""
    if len(pieces) == 1:
        table = pieces.pop()
        return table if limit is None else table.slice(0, max(0, int(limit)))
    table = pa.concat_tables(pieces)
    pieces.clear()
    key_table, order = keys(table)
    idx = pc.sort_indices(key_table, sort_keys=order)
    del key_table
    if limit is not None:
        idx = idx.slice(0, max(0, int(limit)))
    schema = table.schema
    cols: list[pa.ChunkedArray] = list(table.columns)
    del table

    def gather(i: int) -> None:
        cols[i] = take(cols[i], idx)

    head = [schema.get_field_index(first)] if first in schema.names else []
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(gather, [*head, *(i for i in range(len(cols)) if i not in head)]))
    return pa.table(cols, schema=schema)


def take(col: pa.ChunkedArray, idx: pa.Array) -> pa.ChunkedArray:
    """``col`` gathered at ``idx``, in its own type; a variable-width column of more than
    :data:`ONE_ARRAY_BYTES` through the 64-bit-offset type, in chunks of
    :data:`GATHER_ROWS` rows (each then within the 2 GiB of one array)."""
    typ = col.type
    if col.nbytes <= ONE_ARRAY_BYTES or not (pa.types.is_list(typ) or pa.types.is_string(typ)):
        return col.take(idx)
    whole = col.cast(large_type(typ)).combine_chunks()
    chunks = [
        whole.take(idx.slice(s, GATHER_ROWS)).cast(typ) for s in range(0, len(idx), GATHER_ROWS)
    ]
    return pa.chunked_array(chunks, typ)


def large_type(typ: pa.DataType) -> pa.DataType:
    """The 64-bit-offset form of a string or list type."""
    if pa.types.is_list(typ):
        return pa.large_list(large_type(typ.value_type))
    return pa.large_string() if pa.types.is_string(typ) else typ
