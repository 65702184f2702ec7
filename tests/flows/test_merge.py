"""transship.flows.merge: batches merged into one order, columns gathered once."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from transship.flows import merge
from transship.flows.merge import merge_batches

ORDER = [("score", "descending"), ("key", "ascending")]


def _keys(table: pa.Table) -> tuple[pa.Table, list[tuple[str, str]]]:
    return table.select(["score", "key"]), ORDER


def _pieces(n: int, batches: int) -> list[pa.Table]:
    rng = random.Random(7)
    rows = [
        {
            "key": f"k{i:05d}",
            "score": rng.choice([0.1, 0.5, 0.9, rng.random()]),  # ties broken by key
            "ids": [f"r{i}:{j}" for j in range(rng.randint(0, 4))],
        }
        for i in range(n)
    ]
    size = -(-n // batches)
    return [pa.Table.from_pylist(rows[s : s + size]) for s in range(0, n, size)]


def _expected(pieces: list[pa.Table]) -> list[dict]:
    rows = [r for p in pieces for r in p.to_pylist()]
    return sorted(rows, key=lambda r: (-r["score"], r["key"]))


@pytest.mark.parametrize("large", [False, True])
def test_batches_come_out_in_one_order(large: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if large:  # every variable-width column through the 64-bit-offset path, in chunks
        monkeypatch.setattr(merge, "ONE_ARRAY_BYTES", 0)
        monkeypatch.setattr(merge, "GATHER_ROWS", 97)
    pieces = _pieces(1000, 4)
    want = _expected(pieces)
    schema = pieces[0].schema
    got = merge_batches(list(pieces), _keys, first="ids")
    assert got.schema == schema
    assert got.to_pylist() == want
    if large:
        assert got.column("ids").num_chunks > 1
    top = merge_batches(list(pieces), _keys, limit=10, first="ids")
    assert top.to_pylist() == want[:10]
    assert merge_batches(list(pieces), _keys, limit=0).num_rows == 0


def test_one_piece_is_returned_as_it_came() -> None:
    """A single batch was ordered by the SQL that made it: not sorted again."""
    piece = pa.table({"score": [0.1, 0.9], "key": ["a", "b"]})
    pieces = [piece]
    assert merge_batches(pieces, _keys) is piece
    assert pieces == []
    assert merge_batches([piece], _keys, limit=1).to_pylist() == [{"score": 0.1, "key": "a"}]
