"""A simulated SIPRI-style trade register: the weapons each country's forces received, so the
size of its forces (what they can fire in a year) is visible the way a real officer sees it.

The request population (:mod:`transship.simulate.requests`) gives each country's forces a
latent yearly need for each calibre. Forces of that need field ``need / FIRED_PER_SYSTEM``
weapons of the calibre (the systems the shipped weapon-system table says they operate). A
register is a floor, not a census: a country's deliveries are recorded with probability
``RECORDED``, and a recorded fleet shows between half and all of the weapons (older stock and
unrecorded deals), with a log-normal error that grows with the noise level. The file is
written in the current SIPRI layout (``SIPRI AT Database ID,Supplier,Recipient,...``) behind a
``# SIMULATED`` line, so `transship ingest` stores it in ``arms_transfers`` marked simulated,
and deal ids are numbers from 900,000,000 up (no real SIPRI id is that large).
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

#: Weapons of a calibre the forces' yearly need keeps busy: rounds each fires in a year
#: (an assumption, about half of the generous rates a risk check would allow).
FIRED_PER_SYSTEM = {
    "rocket": 200.0,
    "shell": 500.0,
    "howitzer": 500.0,
    "mortar": 500.0,
    "cartridge": 20000.0,
    None: 500.0,
}
#: Chance that a country's deliveries of a calibre are in the register at all.
RECORDED = 0.75
#: First simulated deal id (real SIPRI ids are five or six digits).
FIRST_DEAL = 900_000_001
COLUMNS = [
    "SIPRI AT Database ID",
    "Supplier",
    "Recipient",
    "Designation",
    "Description",
    "Armament category",
    "Order date",
    "Order date is estimate",
    "Numbers delivered",
    "Numbers delivered is estimate",
    "Delivery year",
    "Delivery year is estimate",
    "Status",
    "SIPRI estimate",
    "TIV deal unit",
    "TIV delivery values",
    "Local production",
]


@cache
def designations() -> dict[str, str]:
    """Weapon system -> the SIPRI designation pattern of the shipped table (may be empty)."""
    text = (resources.files("transship.data") / "weapon_systems.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line[:1] != "#")
    return {r["weapon_system"]: r.get("sipri_designation") or "" for r in rows}


def designation(system: str) -> str | None:
    """A designation the register would print for ``system`` that its pattern matches (the
    system's name), or None when the table gives no pattern or the name does not match it."""
    pattern = designations().get(system, "")
    if not pattern:
        return None
    try:
        return system if re.search(pattern, system) else None
    except re.error:
        return None


def register_rows(
    fleets: list[tuple[str, str, str, float]],
    names: dict[str, str],
    year: int,
    rng: np.random.Generator,
    noise: float,
) -> list[dict[str, Any]]:
    """Register rows for ``fleets`` ((country ISO2, weapon system, description, true count)):
    one delivery row per recorded fleet, dated ``year``. Three draws per fleet, whatever is
    recorded (paired noise levels)."""
    out: list[dict[str, Any]] = []
    deal = FIRST_DEAL
    for country, system, description, count in fleets:
        u, share, z = float(rng.random()), float(rng.uniform(0.5, 1.0)), rng.standard_normal()
        shown = round(count * share * float(np.exp(0.25 * noise * z)))
        if u >= RECORDED or shown < 1:
            continue
        out.append(
            {
                "SIPRI AT Database ID": str(deal),
                "Supplier": "Unknown supplier(s)",
                "Recipient": names[country],
                "Designation": system,
                "Description": f"{description} (simulated)",
                "Armament category": "Artillery",
                "Order date": str(year - 1),
                "Order date is estimate": "Yes",
                "Numbers delivered": str(shown),
                "Numbers delivered is estimate": "Yes",
                "Delivery year": str(year),
                "Delivery year is estimate": "Yes",
                "Status": "New",
                "SIPRI estimate": "",
                "TIV deal unit": "",
                "TIV delivery values": "0",
                "Local production": "No",
            }
        )
        deal += 1
    return out


__all__ = ["COLUMNS", "FIRED_PER_SYSTEM", "designation", "register_rows"]
