"""Load the shipped reference tables (transship/data/*.csv) into the store as ``ref_<name>``.

They are replaced wholesale on each load: reference tables belong to the transship
version, not to any ingest, so they carry no provenance rows of their own; their origin and
licence are in transship/data/README.md.
"""

from __future__ import annotations

from importlib import resources

import pyarrow as pa
import pyarrow.csv as pacsv

from transship.store.db import Store


def reference_files() -> dict[str, str]:
    """``ref_<stem>`` -> file name, for every CSV shipped in transship/data."""
    folder = resources.files("transship.data")
    return {
        "ref_" + p.name.removesuffix(".csv"): p.name
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".csv")
    }


def _comment_lines(raw: bytes) -> int:
    """How many lines at the top of a shipped table are '#' comments (its source, licence)."""
    n = 0
    for line in raw.splitlines():
        if not line.startswith(b"#"):
            break
        n += 1
    return n


def load_reference(store: Store) -> dict[str, int]:
    """(Re)load every shipped reference table; return row counts by table name."""
    folder = resources.files("transship.data")
    counts: dict[str, int] = {}
    with store.transaction():
        for table, name in reference_files().items():
            with (folder / name).open("rb") as f:
                raw = f.read()
                data = pacsv.read_csv(
                    pa.BufferReader(raw),
                    # A table may open with '#' lines saying where it comes from.
                    read_options=pacsv.ReadOptions(
                        use_threads=False, skip_rows=_comment_lines(raw)
                    ),
                    convert_options=pacsv.ConvertOptions(strings_can_be_null=True),
                    parse_options=pacsv.ParseOptions(newlines_in_values=True),
                )
            store.register_arrow("_ref", data)
            try:
                store.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM _ref')
            finally:
                store.unregister("_ref")
            counts[table] = data.num_rows
    return counts
