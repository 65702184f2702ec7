"""Trade-flow rows for flows tests: a small seeded Comtrade-shaped set with a planted hub,
and a slice of the real Comtrade sample (read in place, never copied).

Rows go straight into ``trade_flows`` with ``Store.append`` and full provenance columns, so
these tests do not depend on the readers. Generated rows are labelled simulated.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pycountry

from transship.store import Store

#: (code, iso3) of the generated territories; 'bg' is the planted hub.
COUNTRIES = (
    ("rs", "SRB"),
    ("cz", "CZE"),
    ("bg", "BGR"),
    ("ua", "UKR"),
    ("pl", "POL"),
    ("sk", "SVK"),
    ("hu", "HUN"),
    ("ro", "ROU"),
    ("de", "DEU"),
    ("us", "USA"),
    ("tr", "TUR"),
    ("in", "IND"),
)
PRODUCTS = ("930610", "930690", "930200", "440710", "271019")
YEARS = tuple(range(2017, 2025))


def _row(
    rid: str,
    dataset: str,
    line: int,
    reporter: tuple[str, str | None],
    partner: tuple[str, str | None],
    flow: str,
    year: int,
    hs: str,
    value: float,
    qty: float | None = None,
    unit: str | None = None,
    world: bool = False,
    area: bool = False,
    simulated: bool = True,
    period: str | None = None,
    basis: str | None = None,
) -> dict[str, Any]:
    return {
        "record_id": rid,
        "dataset": dataset,
        "source_sha256": "0" * 64 if simulated else hashlib.sha256(dataset.encode()).hexdigest(),
        "run_id": 1,
        "line": line,
        "simulated": simulated,
        "reporter": reporter[0],
        "reporter_iso3": reporter[1],
        "partner": partner[0],
        "partner_iso3": partner[1],
        "partner_is_world": world,
        "partner_is_area": area,
        "flow": flow,
        "year": year,
        "period": period or str(year),
        "classification": "H5",
        "hs_code": hs,
        "value_usd": value,
        "value_basis": basis or ("cif" if flow == "M" else "fob"),
        "qty": qty,
        "qty_unit": unit,
    }


def generated_rows(seed: int = 7, hub: bool = True) -> pa.Table:
    """Seeded bilateral flows among :data:`COUNTRIES` with CIF margins and per-country
    reporting noise; 'us' reports imports 30% high (a biased reporter), 'tr' reports
    noisily; from 2022 'rs' ships 9306xx to 'bg' which passes most of it on to 'ua'
    (with RX rows from 'bg'). Includes World and nes rows that must never pair."""
    rng = np.random.default_rng(seed)
    noise = {c: 0.05 for c, _ in COUNTRIES}
    noise["tr"] = 0.4
    rows: list[dict[str, Any]] = []
    n = 0

    def add(**kw: Any) -> None:
        nonlocal n
        n += 1
        rows.append(_row(rid=f"sim0000000000000:{n}", dataset="sim-comtrade", line=n, **kw))

    for year in YEARS:
        for hs in PRODUCTS:
            for e in COUNTRIES:
                for i in COUNTRIES:
                    if e == i or rng.random() < 0.45:
                        continue
                    v = float(rng.lognormal(13, 1.2))
                    if hub and hs.startswith("9306") and year >= 2022:
                        if e[0] == "rs" and i[0] == "bg":
                            v *= 20
                        if e[0] == "bg" and i[0] == "ua":
                            v *= 30
                    q = round(v / 50.0)
                    if rng.random() < 0.93:
                        xv = v * float(np.exp(rng.normal(0, noise[e[0]])))
                        add(
                            reporter=e,
                            partner=i,
                            flow="X",
                            year=year,
                            hs=hs,
                            value=xv,
                            qty=q,
                            unit="kg",
                        )
                    if rng.random() < 0.93:
                        bias = 1.3 if i[0] == "us" else 1.0
                        mv = v * 1.06 * bias * float(np.exp(rng.normal(0, noise[i[0]])))
                        add(
                            reporter=i,
                            partner=e,
                            flow="M",
                            year=year,
                            hs=hs,
                            value=mv,
                            qty=q,
                            unit="kg",
                        )
            # aggregates that must never pair
            for c in COUNTRIES[:4]:
                add(
                    reporter=c,
                    partner=("world", "WLD"),
                    flow="X",
                    year=year,
                    hs=hs,
                    value=1e9,
                    world=True,
                )
                add(
                    reporter=c,
                    partner=("zz-899", None),
                    flow="M",
                    year=year,
                    hs=hs,
                    value=5e8,
                    area=True,
                )
    if hub:
        for year in YEARS:
            if year >= 2022:
                add(
                    reporter=("bg", "BGR"),
                    partner=("ua", "UKR"),
                    flow="RX",
                    year=year,
                    hs="930610",
                    value=4e7,
                )
    # a clear phantom: 'pl' reports a large export of 930200 to 'cz' in 2019 that cz never reports
    add(reporter=("pl", "POL"), partner=("cz", "CZE"), flow="X", year=2019, hs="930300", value=9e8)
    table = pa.Table.from_pylist(rows)
    return table


def load(store: Store, table: pa.Table) -> int:
    return store.append("trade_flows", table)


_FLOWS = {"1": "M", "2": "X", "3": "RX", "4": "RM"}


def _code(iso3: str, comtrade: str) -> tuple[str, str | None, bool, bool]:
    """(store code, iso3, is_world, is_area) for a Comtrade party, without the readers."""
    if comtrade == "0":
        return "world", "WLD", True, False
    c = pycountry.countries.get(alpha_3=iso3) if iso3 else None
    if c is None:
        return f"zz-{comtrade}", None, False, True
    return c.alpha_2.lower(), iso3, False, False


def comtrade_rows(path: Path, limit_reporters: set[str] | None = None) -> pa.Table:
    """Rows of one real legacy Comtrade CSV (read in place) as trade_flows rows; record ids
    ``<sha16>:<line>`` like the pipeline's."""
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        for line, rec in enumerate(reader, start=2):
            flow = _FLOWS.get(rec["Trade Flow Code"])
            if flow is None or not rec["Trade Value (US$)"]:
                continue
            rep = _code(rec["Reporter ISO"], rec["Reporter Code"])
            par = _code(rec["Partner ISO"], rec["Partner Code"])
            if rep[3] or rep[2]:
                continue
            if limit_reporters is not None and rep[1] not in limit_reporters:
                continue
            r = _row(
                rid=f"{sha[:16]}:{line}",
                dataset="comtrade",
                line=line,
                reporter=(rep[0], rep[1]),
                partner=(par[0], par[1]),
                flow=flow,
                year=int(rec["Year"]),
                hs=rec["Commodity Code"].zfill(2),
                value=float(rec["Trade Value (US$)"]),
                world=par[2],
                area=par[3],
                simulated=False,
            )
            r["source_sha256"] = sha
            rows.append(r)
    return pa.Table.from_pylist(rows)


def generated_store(path: Path, seed: int = 7) -> Store:
    """A store file holding :func:`generated_rows` (for module-scoped fixtures)."""
    from transship.store import connect

    store = connect(path)
    load(store, generated_rows(seed))
    return store
