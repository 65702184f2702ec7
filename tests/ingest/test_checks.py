"""Impossible values are refused (issue 10, point 3): real files with one value changed.

Each case takes a real file (or a fixture in the source's layout), changes one field to a
value the source cannot mean (``1e400``, ``-5``, ``nan``, a year outside its coverage) and
checks the reject (line, column, reason) in lenient mode and the error in strict mode.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from transship.exc import SourceFormatError
from transship.ingest import checks, ingest_file
from transship.store import Store

BACI = "baci_HS17_Y2022_V202401_sample.csv"
NEXT_YEAR = date.today().year + 1


def _lenient_and_strict(
    path: Path, fmt: str, store: Store, tmp_path: Path
) -> tuple[list[tuple[int, str, str]], SourceFormatError]:
    result = ingest_file(store, path, format=fmt)
    assert result.status == "ok" and result.rows_rejected == 1
    rejects = store.fetchall('SELECT line, "column", reason FROM rejects ORDER BY line')
    from transship.store import connect

    other = connect(tmp_path / "strict.duckdb")
    try:
        with pytest.raises(SourceFormatError) as err:
            ingest_file(other, path, format=fmt, strict=True)
    finally:
        other.close()
    return rejects, err.value


# -- BACI ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "old", "new", "column", "reason"),
    [
        ("v", "1234.567", "1e400", "v", "value is not a finite number: '1e400'"),
        ("v", "1234.567", "-5", "v", "negative value: '-5'"),
        ("v", "1234.567", "nan", "v", "value is not a number: 'nan'"),
        ("v", "1234.567", "inf", "v", "value is not a number: 'inf'"),
        ("v", "1234.567", "1e13", "v", "value over 1e+15: '1e13'"),
        ("q", "45.2", "-0.5", "q", "negative quantity: '-0.5'"),
        ("q", "45.2", "NaN", "q", "quantity is not a number: 'NaN'"),
        ("t", "2022,688,203", "1990,688,203", "t", "year 1990 outside the source's coverage"),
        ("t", "2022,688,203", "2099,688,203", "t", "year 2099 outside the source's coverage"),
    ],
)
def test_baci_refuses_impossible_values(
    fixtures: Path,
    tmp_path: Path,
    store: Store,
    field: str,
    old: str,
    new: str,
    column: str,
    reason: str,
) -> None:
    text = (fixtures / BACI).read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / BACI
    path.write_text(text.replace(old, new), encoding="utf-8")
    rejects, err = _lenient_and_strict(path, "baci", store, tmp_path)
    assert len(rejects) == 1
    line, col, why = rejects[0]
    assert (line, col) == (3, column) and why.startswith(reason)
    assert (err.line, err.column) == (3, column) and err.reason.startswith(reason)
    # the other rows are stored, and nothing infinite, NaN or negative is
    assert store.count("trade_flows") == 8
    bad = store.fetchall(
        "SELECT count(*) FROM trade_flows WHERE isinf(value_usd) OR isnan(value_usd) "
        "OR value_usd < 0 OR qty < 0 OR isinf(qty)"
    )
    assert bad == [(0,)]


def test_baci_sample_still_loads_whole(fixtures: Path, store: Store) -> None:
    result = ingest_file(store, fixtures / BACI)
    assert (result.rows_loaded, result.rows_rejected) == (9, 0)


# -- Comtrade (real legacy file, first 200 lines) ------------------------------------------
VALUE = "Trade Value (US$)"


def _comtrade_copy(shared_data: Path, tmp_path: Path, line: int, column: str, value: str) -> Path:
    """The first 200 lines of a real Comtrade file with one field of ``line`` changed."""
    import csv

    src = shared_data / "comtrade-hs2-oil-wood-sample" / "comtrade_oil_hs27_2013.csv"
    with open(src, encoding="utf-8-sig", newline="") as f:
        rows = [row for _, row in zip(range(200), csv.reader(f), strict=False)]
    idx = rows[0].index(column)
    rows[line - 1][idx] = value
    dst = tmp_path / "comtrade_oil_hs27_2013.csv"
    with open(dst, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return dst


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        (VALUE, "1e400", "value is not a finite number: '1e400'"),
        (VALUE, "-5", "negative value: '-5'"),
        (VALUE, "nan", "value is not a number: 'nan'"),
        ("Netweight (kg)", "-12", "negative net weight: '-12'"),
        ("Qty", "1e999", "quantity is not a finite number: '1e999'"),
        ("Year", "1950", "year 1950 outside the source's coverage (1962-"),
        ("Year", str(NEXT_YEAR + 1), f"year {NEXT_YEAR + 1} outside the source's coverage"),
    ],
)
def test_comtrade_refuses_impossible_values(
    shared_data: Path, tmp_path: Path, store: Store, column: str, value: str, reason: str
) -> None:
    path = _comtrade_copy(shared_data, tmp_path, 5, column, value)
    rejects, err = _lenient_and_strict(path, "comtrade-legacy", store, tmp_path)
    assert rejects[0][:2] == (5, column) and rejects[0][2].startswith(reason)
    assert (err.line, err.column) == (5, column) and err.reason.startswith(reason)
    assert store.count("trade_flows") == 198


def test_comtrade_plus_json_refuses_infinite_value(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / "comtrade_plus_9306_min.json").read_text(encoding="utf-8")
    import json
    import re

    m = re.search(r'"primaryValue"\s*:\s*([0-9.]+)', text)
    assert m is not None
    path = tmp_path / "plus.json"
    path.write_text(text[: m.start(1)] + "1e400" + text[m.end(1) :], encoding="utf-8")
    assert json.loads(path.read_text())  # still valid JSON
    from transship.store import connect

    s = connect(tmp_path / "s.duckdb")
    try:
        result = ingest_file(s, path, format="comtrade-plus-json")
        reasons = [r[0] for r in s.fetchall("SELECT reason FROM rejects")]
        assert result.rows_rejected == 1 and reasons == ["value is not a finite number: '1e400'"]
    finally:
        s.close()


# -- the shared helpers --------------------------------------------------------------------
def test_amount_masks_clean_and_bad() -> None:
    assert checks.amount_masks(pa.array([0.0, 1.5, None, 3e14])) == []
    masks = dict((kind, m.tolist()) for m, kind in checks.amount_masks(
        pa.array([1.0, float("inf"), -2.0, 2e15, float("nan"), None])
    ))  # fmt: skip
    assert masks == {
        "not finite": [False, True, False, False, True, False],
        "negative": [False, False, True, False, False, False],
        "too large": [False, False, False, True, False, False],
    }
    # BACI's thousands: 2e12 kUSD is 2e15 USD
    assert [k for _, k in checks.amount_masks(pa.array([2e12]), scale=1000.0)] == ["too large"]


def test_amount_and_year_problem() -> None:
    assert checks.amount_problem(0.0) is None
    assert checks.amount_problem(float("inf"), "TIV", "1e400") == (
        "TIV is not a finite number: '1e400'"
    )
    assert checks.amount_problem(-1.0, "quantity") == "negative quantity: -1.0"
    assert checks.year_problem(1949, "sipri") == (
        f"year 1949 outside the source's coverage (1950-{NEXT_YEAR})"
    )
    assert checks.year_problem(1950, "sipri") is None
    assert checks.year_problem(NEXT_YEAR, "coarm") is None
    mask = checks.year_mask(pa.array([1995, 1994, None, NEXT_YEAR + 1], pa.int32()), "baci")
    assert mask is not None and mask.tolist() == [False, True, False, True]
    assert checks.year_mask(pa.array([1995, 2020], pa.int32()), "baci") is None


def test_json_depth_is_iterative() -> None:
    assert checks.json_depth(1) == 0 and checks.json_depth({"a": [1, {"b": []}]}) == 4
    deep: list[object] = []
    for _ in range(50_000):
        deep = [deep]
    assert checks.json_depth(deep) == 50_001
    text = ' {"a": "]}", "b": [[1], {"c": "\\"]"}]} , 2'
    end = checks.json_value_end(text, 0)
    assert end is not None and text[:end].endswith("]}") and text[end:] == " , 2"
    assert checks.json_value_end("[[1]", 0) is None
