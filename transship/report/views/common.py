"""Names, source lines and JSON cleaning shared by every view.

Every code shown to a user carries its name (``Serbia (SRB)``, ``9306 — Bombs,
grenades, ...``), every figure a source line naming the data, its years and whether it is
SIMULATED. Names come from the shipped reference tables (``transship.normalise``), never
from the network.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from transship.exc import InvalidInput, UnknownCode
from transship.normalise.commodities import hs_description
from transship.normalise.territories import lookup
from transship.store import Store

#: The word every simulated page and figure carries.
SIMULATED = "SIMULATED"


# -- names ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Place:
    """A territory as shown: ISO3 (or the store code upper-cased), name, store code."""

    iso3: str
    name: str
    code: str | None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.iso3})" if self.name != self.iso3 else self.iso3

    def to_dict(self) -> dict[str, Any]:
        return {"iso3": self.iso3, "name": self.name, "code": self.code, "label": self.label}


@lru_cache(maxsize=4096)
def place(code: str | None) -> Place:
    """ISO3, ISO2, a store code or a name -> how it is shown; unknown codes show as given."""
    if code is None or not str(code).strip():
        return Place("?", "unknown", None)
    text = str(code).strip()
    try:
        t = lookup(text)
    except UnknownCode:
        return Place(text.upper(), text.upper(), None)
    iso3 = t.iso3 or t.code.upper()
    return Place(iso3, t.name, t.code)


def territory_label(code: str | None) -> str:
    """``Serbia (SRB)``."""
    return place(code).label


def territory_name(code: str | None) -> str:
    return place(code).name


@lru_cache(maxsize=4096)
def product_label(code: str | None) -> str:
    """``9306 — Bombs, grenades, ...``; ``HS 851762`` when transship ships no description."""
    if code is None or not str(code).strip():
        return "all products"
    text = str(code).strip()
    try:
        desc = hs_description(text)
    except (InvalidInput, UnknownCode, ValueError):
        desc = None
    if desc is None and len(text) == 2:
        return f"HS chapter {text}"
    return f"{text} — {desc}" if desc else f"HS {text}"


def product_dict(code: str | None) -> dict[str, Any]:
    return {"code": code, "label": product_label(code)}


# -- sources -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What a dataset is, as a source line and a licence line."""

    name: str
    kind: str
    licence: str


#: Known datasets by name (the readers' default dataset names) or name prefix.
KNOWN_SOURCES: dict[str, SourceInfo] = {
    "comtrade": SourceInfo(
        "UN Comtrade",
        "reporter reports",
        "UN Comtrade terms of use: free use with attribution (United Nations Statistics "
        "Division); bulk data not redistributed",
    ),
    "baci": SourceInfo(
        "CEPII BACI",
        "reconciled by CEPII (Gaulier & Zignago 2010)",
        "CEPII BACI, Etalab Open Licence 2.0: reuse with attribution",
    ),
    "reconciled": SourceInfo(
        "transship reconciliation of reporter reports",
        "both sides weighted by their fitted reliability",
        "derived by transship from the reports it cites",
    ),
    "sipri": SourceInfo(
        "SIPRI Arms Transfers Database",
        "trade register, major conventional weapons, TIV (not money)",
        "© SIPRI; free use with attribution (Source: SIPRI Arms Transfers Database)",
    ),
    "coarm": SourceInfo(
        "EU annual reports on arms exports (COARM), compiled by CAAT",
        "licences and exports by member state",
        "Official Journal of the EU; CAAT asks for attribution",
    ),
    "opensanctions": SourceInfo(
        "OpenSanctions",
        "sanctions and related lists",
        "OpenSanctions data, CC BY-NC 4.0 (non-commercial; attribution)",
    ),
    "transship_case_": SourceInfo(
        "transship case file",
        "parties, products and claims in the project's own words, citing real outlets",
        "Apache-2.0 (this project); the outlets it cites keep their rights",
    ),
    "customs": SourceInfo("customs records", "transship shipment format", "as supplied"),
    "licences": SourceInfo("licence records", "transship licence format", "as supplied"),
    "certificates": SourceInfo(
        "end-user certificates", "transship certificate format", "as supplied"
    ),
    "claims": SourceInfo("claims", "transship claim format", "as supplied"),
    "ftm": SourceInfo("FollowTheMoney entities", "FtM JSON lines", "as supplied"),
}
SIMULATED_LICENCE = "written by `transship simulate`: not an observation of the real world"


def source_info(dataset: str | None, attribution: str | None = None) -> SourceInfo:
    """The source and licence of a dataset; an unknown one is named as it is stored."""
    name = str(dataset or "")
    info = KNOWN_SOURCES.get(name)
    if info is None:
        for prefix, known in KNOWN_SOURCES.items():
            if prefix.endswith("_") and name.startswith(prefix):
                info = known
                break
    if info is None:
        label = (attribution or "").removeprefix("Source: ").strip() or f"dataset {name!r}"
        info = SourceInfo(label, "as ingested", "licence not recorded: check the file's source")
    return info


def years_text(years: Iterable[int] | None) -> str:
    """``2014–2016``, ``2022``, or ``""``."""
    ys = sorted({int(y) for y in years or ()})
    if not ys:
        return ""
    return str(ys[0]) if ys[0] == ys[-1] else f"{ys[0]}–{ys[-1]}"


def source_line(
    datasets: Sequence[tuple[str, bool]] | Mapping[str, bool],
    years: Iterable[int] | None = None,
) -> str:
    """``Source: UN Comtrade, reporter reports, 2014–2016``; a simulated dataset says so first:
    ``Source: SIMULATED statistics in the format of UN Comtrade, reporter reports, ...``."""
    pairs = list(datasets.items()) if isinstance(datasets, Mapping) else list(datasets)
    span = years_text(years)
    parts: list[str] = []
    seen: set[tuple[str, bool]] = set()
    for name, simulated in pairs:
        if (name, simulated) in seen:
            continue
        seen.add((name, simulated))
        info = source_info(name)
        text = f"{info.name}, {info.kind}"
        if simulated and name == "reconciled":
            text = f"{info.name} ({SIMULATED} reports written by transship simulate)"
        elif simulated:
            text = f"{SIMULATED} data in the format of {text} (transship simulate)"
        parts.append(text)
    if not parts:
        parts.append("no data")
    return "Source: " + "; ".join(parts) + (f", {span}" if span else "")


# -- store helpers -------------------------------------------------------------------------
def rows(store: Store, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """A query's rows as dicts (library SQL with parameters; never user text in the SQL)."""
    return [clean(r) for r in store.query(sql, params).to_pylist()]


def has_table(store: Store, name: str) -> bool:
    return name in set(store.tables())


def trade_datasets(store: Store) -> list[dict[str, Any]]:
    """The trade-flow datasets in the store: name, simulated, rows, first and last year."""
    if not has_table(store, "trade_flows"):
        return []
    return rows(
        store,
        "SELECT dataset, simulated, count(*) AS rows, min(year) AS first_year, "
        "max(year) AS last_year FROM trade_flows GROUP BY ALL ORDER BY dataset, simulated",
    )


def flows_source(
    store: Store, dataset: str | None, years: Iterable[int] | None
) -> tuple[str, bool]:
    """The source line of a figure made from trade flows of ``dataset`` (all when None) in
    ``years``, and whether any of those rows is simulated."""
    found = [d for d in trade_datasets(store) if dataset is None or d["dataset"] == dataset]
    ys = [int(y) for y in years or ()]
    if not ys:
        for d in found:
            if d["first_year"] is not None:
                ys += [int(d["first_year"]), int(d["last_year"])]
    pairs = [(str(d["dataset"]), bool(d["simulated"])) for d in found]
    return source_line(pairs, ys), any(s for _, s in pairs)


# -- JSON ----------------------------------------------------------------------------------
def clean(value: Any) -> Any:
    """JSON-ready: NaN and infinities become None, dates ISO text, Decimals floats, tuples
    lists; dict keys text. Raises TypeError on anything else it cannot represent."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Decimal):
        return clean(float(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [clean(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return clean(to_dict())
    raise TypeError(f"cannot show a {type(value).__name__} as JSON")


def as_float(value: Any) -> float | None:
    """A number field read defensively: None stays None, NaN becomes None."""
    if value is None:
        return None
    f = float(value)
    return None if math.isnan(f) or math.isinf(f) else f


def usd(value: float | None) -> str:
    """``$12.3 m``: short money for tables and charts (the JSON keeps full values)."""
    if value is None:
        return "–"
    v = float(value)
    sign = "-" if v < 0 else ""
    v = abs(v)
    if v >= 1e9:
        return f"{sign}${v / 1e9:.2f} bn"
    if v >= 1e6:
        return f"{sign}${v / 1e6:.1f} m"
    if v >= 1e3:
        return f"{sign}${v / 1e3:.0f} k"
    return f"{sign}${v:.0f}"


__all__ = [
    "SIMULATED",
    "Place",
    "SourceInfo",
    "as_float",
    "clean",
    "flows_source",
    "place",
    "product_label",
    "rows",
    "source_info",
    "source_line",
    "territory_label",
    "usd",
    "years_text",
]
