"""The assessment's weights and thresholds, read from ``transship/risk/weights.yaml``.

One documented file holds every number the assessment weighs with (docs/risk.md explains
them); this module reads and checks it once, so a typo in a weight fails loudly instead of
silently scoring with a default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    "request_size",
    "prior_claims",
)
#: Keys of the ``request_size`` section (transship.risk.size).
REQUEST_SIZE_KEYS = ("fleet_low", "fleet_high", "history_low", "history_high", "history_min")

#: Admiralty grades (NATO AJP-2.1) the claims stage gives.
RELIABILITIES = ("A", "B", "C", "D", "E", "F")
CREDIBILITIES = (1, 2, 3, 4, 5, 6)
#: How a stored claim can involve a request (see ``prior_claims.roles`` in weights.yaml).
CLAIM_ROLES = ("party", "intermediary", "named", "destination", "origin")


@dataclass(frozen=True, slots=True)
class PriorClaimsWeights:
    """How a graded claim counts in the ``prior_claims`` indicator (weights.yaml says why)."""

    reliability: dict[str, float] = field(default_factory=dict)
    credibility: dict[int, float] = field(default_factory=dict)
    corroboration: float = 0.5
    unconfirmed_origins: float = 0.5
    roles: dict[str, float] = field(default_factory=dict)
    low: float = 0.1
    medium: float = 0.3


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
    prior_claims: PriorClaimsWeights = field(default_factory=PriorClaimsWeights)
    request_size: dict[str, float] = field(default_factory=dict)

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
    prior = _prior_claims(doc.get("prior_claims"), f"{where}: prior_claims")
    size_doc = doc.get("request_size") or {}
    size = {k: _number(size_doc, k, f"{where}: request_size") for k in REQUEST_SIZE_KEYS}
    if not (
        0 < size["fleet_low"] < size["fleet_high"]
        and 0 < size["history_low"] < size["history_high"]
    ):
        raise InvalidInput(f"{where}: request_size: need 0 < low < high for fleet and history")
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
        prior_claims=prior,
        request_size=size,
    )


def _unit_numbers(doc: dict[Any, Any], keys: tuple[Any, ...], where: str) -> dict[Any, float]:
    out = {}
    for k in keys:
        v = _number(doc, k, where) if k in doc else _number(doc, str(k), where)
        if not 0 <= v <= 1:
            raise InvalidInput(f"{where}: {k} must lie in [0, 1]")
        out[k] = v
    return out


def _prior_claims(doc: Any, where: str) -> PriorClaimsWeights:
    """The ``prior_claims`` section: every grade and role needs a factor in [0, 1], and a
    better grade may not count less than a worse one (A >= B >= ... >= E; 1 >= ... >= 5)."""
    if not isinstance(doc, dict):
        raise InvalidInput(f"{where}: missing (reliability, credibility, corroboration, roles)")
    rel = _unit_numbers(doc.get("reliability") or {}, RELIABILITIES, f"{where}: reliability")
    cred = _unit_numbers(doc.get("credibility") or {}, CREDIBILITIES, f"{where}: credibility")
    ordered_r = [rel[k] for k in RELIABILITIES[:5]]
    ordered_c = [cred[k] for k in CREDIBILITIES[:5]]
    if ordered_r != sorted(ordered_r, reverse=True) or ordered_c != sorted(ordered_c, reverse=True):
        raise InvalidInput(f"{where}: a better grade cannot count less than a worse one")
    roles = _unit_numbers(doc.get("roles") or {}, CLAIM_ROLES, f"{where}: roles")
    corroboration = _number(doc, "corroboration", where)
    unconfirmed = _number(doc, "unconfirmed_origins", where)
    if not 0 < corroboration <= 1 or not 0 <= unconfirmed <= 1:
        raise InvalidInput(f"{where}: corroboration in (0, 1], unconfirmed_origins in [0, 1]")
    sev = doc.get("severity") or {}
    low, medium = (
        _number(sev, "low", f"{where}: severity"),
        _number(sev, "medium", f"{where}: severity"),
    )
    if not 0 <= low <= medium <= 1:
        raise InvalidInput(f"{where}: severity thresholds must rise within [0, 1]")
    return PriorClaimsWeights(rel, cred, corroboration, unconfirmed, roles, low, medium)


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


__all__ = [
    "CLAIM_ROLES",
    "CREDIBILITIES",
    "INDICATORS",
    "RELIABILITIES",
    "REQUEST_SIZE_KEYS",
    "PriorClaimsWeights",
    "Weights",
    "default_weights",
    "load_weights",
    "parse_weights",
]
