"""Line and CSV helpers shared by the text readers (moved here from test_sipri.py)."""

from __future__ import annotations

from pathlib import Path

from transship.ingest.textio import csv_records, decode_line


def test_decode_line_falls_back_to_latin1() -> None:
    assert decode_line("Côte".encode()) == "Côte"
    assert decode_line("Côte".encode("latin-1")) == "Côte"
    assert decode_line(b"Serbia") == "Serbia"


def test_csv_records_report_the_line_a_record_starts_on(tmp_path: Path) -> None:
    lines = ['a,"two\n', 'lines",x\n', "b,one,y\n", "\n", "c,z,w\n"]
    recs = list(csv_records(tmp_path, lines, 1))
    assert [(r.line, r.fields[0]) for r in recs if r.fields] == [(1, "a"), (3, "b"), (5, "c")]
    assert recs[0].raw == 'a,"two\nlines",x'
