"""Lever models: what a lever does, as arithmetic on arrays of draws (one element per run).

Each model names the parameters it needs and returns its impacts. The arithmetic is the
whole model; it is written out in docs/outlook.md and tested against hand computation.

``gas_cut`` (a supplier cuts pipeline gas by a share for some months):
  annual cut      = volume_bcm * cut_share
  unmet           = annual cut * min(lead, months) / 12                     (before a substitute)
                    + max(0, annual cut - spare_bcm) * max(0, months - lead) / 12
  replaced        = min(annual cut, spare_bcm) * max(0, months - lead) / 12
  price           = paid_eur / volume_bcm                                   (EUR per bcm)
  cost to target  = replaced * price * premium_share + unmet * price * shortage_multiplier
  cost to actor   = annual cut * months / 12 * price * (1 - resale_share)   (revenue lost)
  share of GDP    = cost to target / gdp_eur * 100
  covered         = 1 where spare_bcm >= annual cut (the cut can be replaced in full)

``oil_restriction`` (crude supply to the refinery restricted, e.g. sanctions enforced on its
owner): the same structure in million tonnes, with ``crude_eur_per_t`` as the price and
``actor_margin_share`` as the share of the lost sales that was the supplier's margin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Arrays = dict[str, FloatArray]


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    parameters: tuple[str, ...]
    outputs: dict[str, str]  # output -> unit
    run: Callable[[Arrays], Arrays]


def _substitution(
    cut: FloatArray, spare: FloatArray, months: FloatArray, lead: FloatArray
) -> tuple[FloatArray, FloatArray]:
    waiting = np.minimum(lead, months) / 12.0
    after = np.maximum(0.0, months - lead) / 12.0
    replaced = np.minimum(cut, spare) * after
    unmet = cut * waiting + np.maximum(0.0, cut - spare) * after
    return replaced, unmet


def gas_cut(p: Arrays) -> Arrays:
    cut = p["volume_bcm"] * p["cut_share"]
    replaced, unmet = _substitution(cut, p["spare_bcm"], p["months"], p["lead_months"])
    price = p["paid_eur"] / p["volume_bcm"]
    cost_target = replaced * price * p["premium_share"] + unmet * price * p["shortage_multiplier"]
    lost = cut * p["months"] / 12.0 * price
    return {
        "cut_bcm": cut * p["months"] / 12.0,
        "replaced_bcm": replaced,
        "unmet_bcm": unmet,
        "cost_to_target_eur": cost_target,
        "cost_to_actor_eur": lost * (1.0 - p["resale_share"]),
        "share_of_gdp_pct": cost_target / p["gdp_eur"] * 100.0,
        "covered": (p["spare_bcm"] >= cut).astype(np.float64),
    }


def oil_restriction(p: Arrays) -> Arrays:
    cut = p["volume_mt"] * p["cut_share"]
    replaced, unmet = _substitution(cut, p["spare_mt"], p["months"], p["lead_months"])
    price = p["crude_eur_per_t"] * 1e6  # EUR per million tonnes
    cost_target = replaced * price * p["premium_share"] + unmet * price * p["shortage_multiplier"]
    lost = cut * p["months"] / 12.0 * price
    return {
        "cut_mt": cut * p["months"] / 12.0,
        "replaced_mt": replaced,
        "unmet_mt": unmet,
        "cost_to_target_eur": cost_target,
        "cost_to_actor_eur": lost * p["actor_margin_share"],
        "share_of_gdp_pct": cost_target / p["gdp_eur"] * 100.0,
        "covered": (p["spare_mt"] >= cut).astype(np.float64),
    }


_COMMON = ("cut_share", "months", "lead_months", "premium_share", "shortage_multiplier", "gdp_eur")
MODELS: dict[str, Model] = {
    "gas_cut": Model(
        "gas_cut",
        ("volume_bcm", "paid_eur", "spare_bcm", "resale_share", *_COMMON),
        {
            "cut_bcm": "bcm",
            "replaced_bcm": "bcm",
            "unmet_bcm": "bcm",
            "cost_to_target_eur": "EUR",
            "cost_to_actor_eur": "EUR",
            "share_of_gdp_pct": "% of GDP",
            "covered": "share of runs",
        },
        gas_cut,
    ),  # fmt: skip
    "oil_restriction": Model(
        "oil_restriction",
        ("volume_mt", "crude_eur_per_t", "spare_mt", "actor_margin_share", *_COMMON),
        {
            "cut_mt": "Mt",
            "replaced_mt": "Mt",
            "unmet_mt": "Mt",
            "cost_to_target_eur": "EUR",
            "cost_to_actor_eur": "EUR",
            "share_of_gdp_pct": "% of GDP",
            "covered": "share of runs",
        },
        oil_restriction,
    ),  # fmt: skip
}


def _scalar(model: str, p: dict[str, float]) -> dict[str, float]:
    """One run in plain Python floats: the benchmark's baseline, and a second writing of the
    documented arithmetic that the tests hold the vectorised one to."""
    volume = p["volume_bcm"] if model == "gas_cut" else p["volume_mt"]
    spare = p["spare_bcm"] if model == "gas_cut" else p["spare_mt"]
    cut = volume * p["cut_share"]
    months, lead = p["months"], p["lead_months"]
    after = max(0.0, months - lead) / 12.0
    replaced = min(cut, spare) * after
    unmet = cut * min(lead, months) / 12.0 + max(0.0, cut - spare) * after
    if model == "gas_cut":
        price = p["paid_eur"] / volume
        keep = 1.0 - p["resale_share"]
        unit = "bcm"
    else:
        price = p["crude_eur_per_t"] * 1e6
        keep = p["actor_margin_share"]
        unit = "mt"
    cost = replaced * price * p["premium_share"] + unmet * price * p["shortage_multiplier"]
    return {
        f"cut_{unit}": cut * months / 12.0,
        f"replaced_{unit}": replaced,
        f"unmet_{unit}": unmet,
        "cost_to_target_eur": cost,
        "cost_to_actor_eur": cut * months / 12.0 * price * keep,
        "share_of_gdp_pct": cost / p["gdp_eur"] * 100.0,
        "covered": 1.0 if spare >= cut else 0.0,
    }


def run_python(model: str, params: dict[str, list[float]]) -> dict[str, list[float]]:
    """The model one run at a time in a plain-Python loop."""
    m = MODELS[model]
    n = len(next(iter(params.values())))
    out: dict[str, list[float]] = {k: [] for k in m.outputs}
    names = list(params)
    for i in range(n):
        one = {k: params[k][i] for k in names}
        for k, v in _scalar(model, one).items():
            out[k].append(v)
    return out
