"""The public API works as the README shows (the README's Python block is run as written)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import transship

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(
    tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    (tmp_path / "work").mkdir()
    # The README is written from the repository root, with ../shared beside it.
    (tmp_path / "shared").symlink_to(shared_dir)
    monkeypatch.chdir(tmp_path / "work")
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    table = namespace["table"]
    assert table.num_rows > 0  # type: ignore[attr-defined]
    assert (tmp_path / "work" / "case.duckdb").exists()


def test_public_api_names() -> None:
    assert set(transship.__all__) >= {"open_store", "ingest", "query", "records", "TransshipError"}


def test_query_reads_and_never_writes(tmp_path: Path, shared_dir: Path) -> None:
    """``transship.query`` is the user's SQL: it reads; data changes only through ``ingest``."""
    path = tmp_path / "api.duckdb"
    store = transship.open_store(path)
    assert not path.exists()  # opening takes no lock and creates nothing
    tiv = shared_dir / "data" / "sipri-tiv-360info" / "raw-tiv-by-exporter"
    [result] = transship.ingest(store, tiv / "TIV-Export-ALB-1950-2021.csv")
    assert result.rows_loaded > 0
    count = "SELECT count(*) AS n FROM arms_tiv"
    n = transship.query(store, count).column("n")[0].as_py()
    assert n == result.rows_loaded
    for sql in ["DELETE FROM arms_tiv", "DROP TABLE arms_tiv", "SELECT 1; DELETE FROM arms_tiv"]:
        with pytest.raises(transship.TransshipError):
            transship.query(store, sql)
    assert transship.query(store, count).column("n")[0].as_py() == n
