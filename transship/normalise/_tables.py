"""Read the reference tables shipped in ``transship/data`` once.

The normalisers are pure functions; the only I/O they do is reading these small CSV files the
first time they are needed (cached for the life of the process), so a reader that normalises
250k-row batches never touches the disk again.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources


@cache
def read_table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``transship/data/<name>`` as dicts (all values text, stripped).

    Lines starting with ``#`` are comments. Cached: callers must not mutate the rows.
    """
    text = resources.files("transship.data").joinpath(name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    return tuple(
        {k.strip(): (v or "").strip() for k, v in row.items() if k is not None} for row in reader
    )


def as_bool(value: str) -> bool:
    """Parse the ``true``/``false`` cells of the shipped tables."""
    return value.strip().lower() in {"true", "1", "yes", "y"}
