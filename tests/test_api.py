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
