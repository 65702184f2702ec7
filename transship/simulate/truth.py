"""The simulated world's true trade flows, for evaluation only.

A simulation publishes only what reporters would publish (Comtrade-style statistics as each
side reports them, customs records, documents). What really moved, one FOB value per
exporter, importer, HS6 and year before any reporting distortion, is the answer key of every
flows measurement (reconciliation error, route coverage, hub recall). It is written beside
``truth.jsonl``, outside ``data/``, so ``transship ingest OUT/data`` never reads it, and no
detector may read it: only evaluation code compares results with it.

File format (``<sim_dir>/truth_flows.csv.gz``, gzip, deterministic bytes per seed): a first
line ``# SIMULATED by transship simulate: not real data (...)``, then a CSV header and one row
per flow with at least one true component in the simulated years::

    year,exporter_iso3,importer_iso3,hs6,value_usd

``value_usd`` is the true FOB value in US dollars (rounded to cents), summed over the flow's
components (background trade and the case's consignment legs; any origin), whether or not any
side reported it. Rows come product by product, then by year, exporter and importer in the
simulator's territory order; nothing should rely on the order.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from transship.exc import InvalidInput, SourceFormatError

#: File name, relative to the simulation folder.
TRUTH_FLOWS = "truth_flows.csv.gz"

#: Columns and types of the file and of :func:`read_true_flows`'s table.
TRUTH_FLOWS_SCHEMA = pa.schema(
    [
        ("year", pa.int32()),
        ("exporter_iso3", pa.string()),
        ("importer_iso3", pa.string()),
        ("hs6", pa.string()),
        ("value_usd", pa.float64()),
    ]
)


def truth_flows_path(sim_dir: str | Path) -> Path:
    """Where a simulation folder keeps its true flows."""
    return Path(sim_dir) / TRUTH_FLOWS


def read_true_flows(sim_dir: str | Path) -> pa.Table:
    """The true FOB flows of a simulation folder as an Arrow table with the columns of
    :data:`TRUTH_FLOWS_SCHEMA` (``year, exporter_iso3, importer_iso3, hs6, value_usd``).

    For evaluation only: detectors must never call this (the review's rule: no figure scored
    on data that contains the answer)."""
    path = truth_flows_path(sim_dir)
    if not path.is_file():
        raise InvalidInput(
            f"{sim_dir} holds no {TRUTH_FLOWS}: not a folder written by `transship simulate` "
            "(or written by a version before true flows were kept)"
        )
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types=TRUTH_FLOWS_SCHEMA, include_columns=TRUTH_FLOWS_SCHEMA.names
            ),
        )
    except (pa.ArrowInvalid, KeyError, OSError) as exc:
        raise SourceFormatError(path, f"not a true-flows file: {exc}") from None
    return table.select(TRUTH_FLOWS_SCHEMA.names).cast(TRUTH_FLOWS_SCHEMA)
