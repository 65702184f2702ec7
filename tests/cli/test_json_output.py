"""JSON output never contains NaN or Infinity (issue 10, point 3): non-finite floats -> null."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from transship.cli.common import emit_json


@dataclass
class _Result:
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score}


def test_non_finite_numbers_become_null(capsys: pytest.CaptureFixture[str]) -> None:
    emit_json(
        {
            "rows": [{"value": float("inf"), "qty": float("nan"), "ok": 1.5}],
            "pair": (float("-inf"), 2),
            "decimal": Decimal("Infinity"),
            "result": _Result(float("nan")),
        }
    )
    out = capsys.readouterr().out
    assert "Infinity" not in out and "NaN" not in out
    parsed = json.loads(out, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert parsed == {
        "rows": [{"value": None, "qty": None, "ok": 1.5}],
        "pair": [None, 2],
        "decimal": None,
        "result": {"score": None},
    }
