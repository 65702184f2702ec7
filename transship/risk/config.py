"""The assessment's weights and thresholds, read from ``transship/risk/weights.yaml``.

One documented file holds every number the assessment weighs with (docs/risk.md explains
them); this module reads and checks it once, so a typo in a weight fails loudly instead of
silently scoring with a default.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from transship.exc import InvalidInput
from transship.risk.model import LEVELS, SEVERITIES

INDICATORS = (
    "certificate_document",
    "certificate_crosscheck",
    "end_user_plausibility",
    "party_screening",
    "consignee_hub",
    "consignee_route",
    "reexport_record",
    "treaty_commitments",
    "governance",
)


@dataclass(frozen=True, slots=True)
class Weights:
    """Everything ``weights.yaml`` sets (see the file for the why of each number)."""

    indicators: dict[str, float]
    severity_values: dict[str, float]
    levels: dict[str, float]
    screening_match: float
    screening_critical: float
    hub_years: int
    use_per_system: dict[str, float]
    near_identical: float
    path: str

    def level(self, score: float, critical: bool = False) -> str:
        """The level a score reaches (``refuse-indicated`` whenever ``critical``)."""
        if critical:
            return "refuse-indicated"
        reached = LEVELS[0]
        for name in LEVELS[1:]:
            if score >= self.levels[name]:
                reached = name
        return reached


def _number(doc: dict[str, Any], key: str, where: str) -> float:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{where}: {key} must be a number, got {value!r}")
    return float(value)


def parse_weights(doc: Any, where: str) -> Weights:
    """Check a weights document (the YAML's content) and build :class:`Weights`."""
    if not isinstance(doc, dict):
        raise InvalidInput(f"{where}: not a mapping")
    inds = doc.get("indicators") or {}
    unknown = sorted(set(inds) - set(INDICATORS))
    if unknown:
        raise InvalidInput(f"{where}: unknown indicators {', '.join(unknown)}")
    weights = {}
    for name in INDICATORS:
        if name not in inds:
            raise InvalidInput(f"{where}: no weight for indicator {name}")
        w = _number(inds[name] or {}, "weight", f"{where}: {name}")
        if w < 0:
            raise InvalidInput(f"{where}: {name}: a weight cannot be negative")
        weights[name] = w
    sev = doc.get("severity_values") or {}
    severity = {s: _number(sev, s, f"{where}: severity_values") for s in SEVERITIES}
    if any(not 0 <= v <= 1 for v in severity.values()):
        raise InvalidInput(f"{where}: severity values must lie in [0, 1]")
    lv = doc.get("levels") or {}
    levels = {name: _number(lv, name, f"{where}: levels") for name in LEVELS[1:]}
    ordered = [levels[n] for n in LEVELS[1:]]
    if ordered != sorted(ordered):
        raise InvalidInput(f"{where}: level thresholds must rise with the level")
    scr = doc.get("screening") or {}
    use = doc.get("use_per_system") or {}
    return Weights(
        indicators=weights,
        severity_values=severity,
        levels=levels,
        screening_match=_number(scr, "match", f"{where}: screening"),
        screening_critical=_number(scr, "critical", f"{where}: screening"),
        hub_years=int(_number(doc.get("hubs") or {}, "years", f"{where}: hubs")),
        use_per_system={str(k): _number(use, k, f"{where}: use_per_system") for k in use},
        near_identical=_number(doc.get("reuse") or {}, "near_identical", f"{where}: reuse"),
        path=where,
    )


@cache
def default_weights() -> Weights:
    """The shipped ``weights.yaml`` (read once)."""
    text = resources.files("transship.risk").joinpath("weights.yaml").read_text(encoding="utf-8")
    return parse_weights(yaml.safe_load(text), "transship/risk/weights.yaml")


def load_weights(path: str | Path | None = None) -> Weights:
    """The weights in ``path`` (same layout as the shipped file), else the shipped ones."""
    if path is None:
        return default_weights()
    file = Path(path)
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{file}: cannot read weights: {str(exc).splitlines()[0]}") from exc
    return parse_weights(doc, str(file))


__all__ = ["INDICATORS", "Weights", "default_weights", "load_weights", "parse_weights"]
