"""A tiny case for the outlook tests: a claims file and helpers to write outlook files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CLAIMS = [
    # Attributed to sources the registry grades A (statistics offices, the IMF).
    {"id": "T1", "claim": "Gas deliveries were 2.0 billion cubic metres in 2023.", "quantity": 2.0, "unit": "bcm", "period": "2023", "origin": "RS", "original_source": "Eurostat Energy Price Statistics, 2024"},
    {"id": "T2", "claim": "The country paid EUR 1.0 billion for gas in 2024.", "quantity": 1000000000, "currency": "EUR", "period": "2024", "origin": "RS", "original_source": "IMF World Economic Outlook, April 2025"},
]  # fmt: skip


@pytest.fixture
def case(tmp_path: Path) -> Path:
    folder = tmp_path / "case"
    folder.mkdir()
    with (folder / "claims.jsonl").open("w", encoding="utf-8") as f:
        for c in CLAIMS:
            f.write(json.dumps(c) + "\n")
    return folder
