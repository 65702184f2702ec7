"""Write simulated files that say they are simulated, in the formats the readers ingest.

CSV files start with a ``# SIMULATED ...`` line (the readers skip it and mark every row
simulated); JSON lines carry ``"simulated": true`` on every record. Big tables stream through
Arrow's CSV writer in batches, so a file of any size needs only one batch in memory.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

BANNER = "# SIMULATED by transship simulate: not real data"


def banner(case_id: str, seed: int, noise: str) -> str:
    return f"{BANNER} (case {case_id}, seed {seed}, noise {noise})\n"


class ArrowCsvSink:
    """An Arrow CSV writer behind a ``# SIMULATED`` first line; counts rows."""

    def __init__(self, path: Path, schema: pa.Schema, first_line: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.rows = 0
        self._file = pa.OSFile(str(path), "wb")
        self._file.write(first_line.encode("utf-8"))
        self._writer = pacsv.CSVWriter(
            self._file, schema, write_options=pacsv.WriteOptions(quoting_style="none")
        )

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._writer.write_table(table)
            self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()
        self._file.close()


class GzipCsvSink:
    """Like :class:`ArrowCsvSink`, gzip-compressed, with a fixed gzip header (no file name,
    mtime 0) and level, so the same rows give the same bytes on every run."""

    def __init__(self, path: Path, schema: pa.Schema, first_line: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.rows = 0
        self._raw = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._gz = gzip.GzipFile(
            filename="", mode="wb", fileobj=self._raw, compresslevel=6, mtime=0
        )
        self._gz.write(first_line.encode("utf-8"))
        self._writer = pacsv.CSVWriter(
            self._gz, schema, write_options=pacsv.WriteOptions(quoting_style="none")
        )

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._writer.write_table(table)
            self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()
        self._gz.close()
        self._raw.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, float):
        return (
            repr(value)
            if value != int(value)
            else str(int(value))
            if abs(value) < 1e15
            else repr(value)
        )
    return str(value)


def write_records_csv(
    path: Path, rows: list[dict[str, Any]], columns: list[str], first_line: str
) -> int:
    """Own-format CSV (shipments, licences, certificates): header = store columns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(first_line)
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([_cell(row.get(c)) for c in columns])
    return len(rows)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
