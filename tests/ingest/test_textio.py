"""Line and CSV helpers shared by the text readers (moved here from test_sipri.py)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from transship.ingest.base import Reject, Rows
from transship.ingest.textio import batched, csv_records, decode_line


def test_decode_line_falls_back_to_latin1() -> None:
    assert decode_line("Côte".encode()) == "Côte"
    assert decode_line("Côte".encode("latin-1")) == "Côte"
    assert decode_line(b"Serbia") == "Serbia"


def test_csv_records_report_the_line_a_record_starts_on(tmp_path: Path) -> None:
    lines = ['a,"two\n', 'lines",x\n', "b,one,y\n", "\n", "c,z,w\n"]
    recs = list(csv_records(tmp_path, lines, 1))
    assert [(r.line, r.fields[0]) for r in recs if r.fields] == [(1, "a"), (3, "b"), (5, "c")]
    assert recs[0].raw == 'a,"two\nlines",x'


def test_batched_keeps_rejects_in_order_and_cuts_batches() -> None:
    schema = pa.schema([("line", pa.int64()), ("name", pa.string())])
    items: list[dict[str, object] | Reject] = [
        {"line": 1, "name": "a"},
        Reject(2, "name", "bad"),
        {"line": 3, "name": "b"},
        {"line": 4},
    ]
    out = list(batched(items, "t", schema, 2))
    assert [type(o).__name__ for o in out] == ["Reject", "Rows", "Rows"]
    assert isinstance(out[1], Rows) and isinstance(out[2], Rows)
    assert out[1].data.to_pydict() == {"line": [1, 3], "name": ["a", "b"]}
    assert out[2].data.to_pydict() == {"line": [4], "name": [None]}
    assert out[2].table == "t"
