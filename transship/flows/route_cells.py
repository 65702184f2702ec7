"""The cells :func:`transship.flows.route_data.load_flows` turns into matrices: one row per
exporter, importer, product and year, reconciled from the two reports
(:func:`transship.flows.reconcile.reconcile_pairs`), then the cells only a reconciled dataset
(BACI, a stored reconciliation) gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa


@dataclass(slots=True)
class _Cell:
    exporter: str
    importer: str
    product: str
    year: int
    value: float
    x: float
    m_raw: float
    m_fob: float
    margin: float
    w_x: float
    basis: str
    log_sd: float
    sigma_x: float
    sigma_m: float
    simulated: bool
    evidence: list[str]


def _num(v: Any) -> float:
    return float("nan") if v is None else float(v)


def _cells(reported: pa.Table | None, other: pa.Table) -> list[_Cell]:
    """Reconciled cells, then cells only a reconciled dataset gives (log_sd NaN for now)."""
    out: list[_Cell] = []
    seen: set[tuple[str, str, str, int]] = set()
    for r in reported.to_pylist() if reported is not None else ():
        key = (str(r["exporter"]), str(r["importer"]), str(r["product"]), int(r["year"]))
        seen.add(key)
        out.append(
            _Cell(
                *key,
                value=_num(r["value_usd"]),
                x=_num(r["x_value"]),
                m_raw=_num(r["m_value"]),
                m_fob=_num(r["m_fob"]),
                margin=_num(r["margin"]),
                w_x=_num(r["w_x"]),
                basis=str(r["basis"]),
                log_sd=_num(r["log_sd"]),
                sigma_x=_num(r["sigma_x"]),
                sigma_m=_num(r["sigma_m"]),
                simulated=bool(r["simulated"]),
                evidence=[str(e) for e in r["evidence"] or ()],
            )
        )
    nan = float("nan")
    for r in other.to_pylist():
        key = (str(r["exporter"]), str(r["importer"]), str(r["product"]), int(r["year"]))
        if key in seen or r["r_value"] is None:
            continue
        out.append(
            _Cell(
                *key,
                value=float(r["r_value"]),
                x=nan,
                m_raw=nan,
                m_fob=nan,
                margin=nan,
                w_x=nan,
                basis="reconciled",
                log_sd=nan,
                sigma_x=nan,
                sigma_m=nan,
                simulated=bool(r["simulated"]),
                evidence=[str(e) for e in r["evidence"] or ()],
            )
        )
    return out
