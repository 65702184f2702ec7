"""Shared fixtures.

- ``shared_data``: the real third-party datasets in ../shared/data (never copied into the repo;
  UN Comtrade and OpenSanctions files are for tests only). Tests that need them fail loudly
  when the folder is missing: CI always has it beside the clone.
- ``store``: a fresh, migrated store in a temporary file.
- ``fixtures``: tests/fixtures, small hand-made files that reproduce real quirks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from transship.store import Store, connect

ROOT = Path(__file__).resolve().parents[1]


def _shared() -> Path:
    env = os.environ.get("TRANSSHIP_SHARED")
    return Path(env) if env else ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = _shared() / "data"
    assert path.is_dir(), f"real data folder missing: {path} (set TRANSSHIP_SHARED)"
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _shared()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = connect(tmp_path / "test.duckdb")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return ROOT / "tests" / "fixtures"
