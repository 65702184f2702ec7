"""The simulated world's territories and how each one's statistics see trade.

Territories come from ``territories.csv`` beside this module (about a hundred countries with
their Comtrade codes and a rough GDP used only as a gravity weight). Reporting behaviour comes
from the case: a default plus per-territory overrides; territories the case does not mention
get the default with a seeded spread, so no two reporters are exactly alike (real reporters
differ in coverage and care, and a detector must not mistake that for diversion).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from transship.exc import InvalidInput
from transship.simulate.case import Case

#: Comtrade partner code for "Areas, nes" (where misattributed or confidential partners go).
AREAS_NES = 899


@dataclass(frozen=True, slots=True)
class Territories:
    """Parallel arrays over the simulated territories (index = position)."""

    comtrade: np.ndarray  # int
    iso2: list[str]  # lowercase
    iso3: list[str]
    names: list[str]
    gdp: np.ndarray  # float, USD bn (gravity weight only)
    region: list[str]

    def __len__(self) -> int:
        return len(self.iso2)

    def index(self, iso2: str) -> int:
        try:
            return self.iso2.index(iso2.lower())
        except ValueError:
            raise InvalidInput(
                f"territory {iso2!r} is not among the simulated territories"
            ) from None


def load_territories() -> Territories:
    text = (resources.files("transship.simulate") / "territories.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return Territories(
        comtrade=np.array([int(r["comtrade_code"]) for r in rows], dtype=np.int64),
        iso2=[r["iso2"].lower() for r in rows],
        iso3=[r["iso3"] for r in rows],
        names=[r["name"] for r in rows],
        gdp=np.array([float(r["gdp_usd_bn"]) for r in rows]),
        region=[r["region"] for r in rows],
    )


@dataclass(frozen=True, slots=True)
class Reporting:
    """Per-territory reporting arrays (index = territory), already scaled by the noise factor."""

    coverage: np.ndarray
    cif_fob_margin: np.ndarray
    valuation_noise: np.ndarray
    misattributed: np.ndarray
    suppress_ch93: np.ndarray
    lag_years: np.ndarray
    qty_missing: np.ndarray
    reexport_share: np.ndarray
    imports_by_origin: np.ndarray
    hs_edition: list[list[tuple[int, str]]]

    def edition(self, territory: int, year: int) -> str:
        chosen = "H5"
        for start, ed in self.hs_edition[territory]:
            if year >= start:
                chosen = ed
        return chosen


_KEYS = {
    "coverage": "coverage",
    "cif_fob_margin": "cif_fob_margin",
    "valuation_noise": "valuation_noise",
    "misattributed_partner_share": "misattributed",
    "suppress_ch93": "suppress_ch93",
    "reporting_lag_years": "lag_years",
    "qty_missing": "qty_missing",
    "reexport_share": "reexport_share",
    "imports_by_origin": "imports_by_origin",
}
_FALLBACK = {
    "coverage": 0.82,
    "cif_fob_margin": 0.09,
    "valuation_noise": 0.28,
    "misattributed_partner_share": 0.03,
    "suppress_ch93": 0.1,
    "reporting_lag_years": 0,
    "qty_missing": 0.08,
    "reexport_share": 0.2,
    "imports_by_origin": 0.7,
}


def _value(spec: dict[str, Any], key: str, default: dict[str, Any]) -> float:
    item = spec.get(key, default.get(key))
    if item is None:
        return float(_FALLBACK[key])
    return float(item["value"])


def reporting_profiles(
    case: Case, terr: Territories, noise: float, rng: np.random.Generator
) -> Reporting:
    """Reporting arrays for every territory. ``noise`` multiplies valuation noise, partner
    misattribution and chapter-93 suppression (suppression capped at 0.97)."""
    n = len(terr)
    default = case.reporting_default
    out: dict[str, np.ndarray] = {v: np.zeros(n) for v in _KEYS.values()}
    editions: list[list[tuple[int, str]]] = []
    # One draw per territory and key, in a fixed order, whether overridden or not: adding an
    # override to one territory does not shift any other territory's draws.
    spread = rng.standard_normal((n, len(_KEYS)))
    for t in range(n):
        spec = case.reporting_territories.get(terr.iso2[t], {})
        for k, (key, attr) in enumerate(_KEYS.items()):
            base = _value(spec, key, default)
            if key not in spec:
                base = _jitter(key, base, spread[t, k])
            out[attr][t] = base
        ed = spec.get(
            "hs_edition", default.get("hs_edition", [{"from_year": 2017, "edition": "H5"}])
        )
        editions.append(sorted((int(e["from_year"]), str(e["edition"])) for e in ed))
    out["valuation_noise"] *= noise
    out["misattributed"] = np.clip(out["misattributed"] * noise, 0, 0.9)
    out["suppress_ch93"] = np.clip(out["suppress_ch93"] * noise, 0, 0.97)
    return Reporting(
        coverage=np.clip(out["coverage"], 0.05, 1.0),
        cif_fob_margin=out["cif_fob_margin"],
        valuation_noise=out["valuation_noise"],
        misattributed=out["misattributed"],
        suppress_ch93=out["suppress_ch93"],
        lag_years=np.round(out["lag_years"]).astype(np.int64),
        qty_missing=np.clip(out["qty_missing"], 0, 1),
        reexport_share=np.clip(out["reexport_share"], 0, 1),
        imports_by_origin=np.clip(out["imports_by_origin"], 0, 1),
        hs_edition=editions,
    )


def _jitter(key: str, base: float, z: float) -> float:
    """Heterogeneity for territories the case leaves at the default."""
    if key == "coverage":
        return float(np.clip(base + 0.08 * z, 0.4, 0.99))
    if key in ("valuation_noise", "misattributed_partner_share", "suppress_ch93", "qty_missing"):
        return float(base * np.exp(0.35 * z))
    if key == "cif_fob_margin":
        return float(max(0.0, base + 0.02 * z))
    return base
