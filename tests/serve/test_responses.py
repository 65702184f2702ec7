"""JSON through orjson sends the same values as the standard library's way (which it falls
back to for what orjson refuses), and a derived record's branch of a view is found or not."""

from __future__ import annotations

import datetime
import json
import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from transship.serve.api.records import _branch_of
from transship.serve.responses import dumps, dumps_std

AWKWARD = [
    {"nan": math.nan, "inf": [math.inf, -math.inf], "tuple": (1, 2), "set": {3}},
    {"date": datetime.date(2024, 1, 2), "naive": datetime.datetime(2024, 1, 2, 3, 4, 5, 6)},
    {"aware": datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC), "time": datetime.time(1, 2)},
    {"decimal": Decimal("1.50"), "path": Path("/x/y"), "bytes": b"a\xff"},
    {"np_nan": np.float64("nan"), "np": np.float64(1.5), "np_int": np.int64(3)},
    {"floats": [1e16, 1e-7, 0.1, 123456789.125], "big": 2**70, "neg": -(2**63)},
    {1: "an int key", None: "a None key"},
    {"text": "é\u2028\x00\x1f\x7f<script>&'\"", "nested": [{"a": [None, True, False]}]},
]


@pytest.mark.parametrize("obj", AWKWARD)
def test_same_values_either_way(obj: object) -> None:
    assert json.loads(dumps(obj)) == json.loads(dumps_std(obj))


def test_text_that_is_not_utf8_is_refused_either_way() -> None:
    for fn in (dumps, dumps_std):
        with pytest.raises(UnicodeEncodeError):
            fn({"x": "\ud800"})


def test_branch_of_a_union_view() -> None:
    sql = (
        "CREATE VIEW v AS (SELECT * FROM a) UNION ALL (SELECT ')UNION ALL (' AS s, x FROM "
        "(b AS r INNER JOIN c ON (c.id = r.id)));"
    )
    assert _branch_of(sql, "b") == (
        "SELECT ')UNION ALL (' AS s, x FROM (b AS r INNER JOIN c ON (c.id = r.id))"
    )
    assert _branch_of(sql, "a") == "SELECT * FROM a"
    assert _branch_of(sql, "c") is None  # joined, not read from: no branch of its own
    assert _branch_of("CREATE VIEW v AS SELECT * FROM b", "b") is None  # no union
