"""The route score's evidence indicators beyond attribution (DESIGN.md, "Methods: hubs and
routes"), each an :class:`~transship.flows.explain.Indicator` with its value, weight, record
ids and a sentence saying how it was computed:

* ``attribution``: the route's share of the origin's exports against the query's best, on
  a log scale (:func:`attribution_value`);
* ``co_movement``: lagged correlation of each intermediary's imports from the previous
  territory with its exports to the next (a hub passes on what it receives: the two series
  move together, the outflow at the same time or one period later);
* ``surge``: difference-in-differences of each leg around a break date against control
  destinations and control products (``transship.flows.surge``), the leg's weakest z used;
* ``reported_reexport``: where an intermediary reports re-exports (Comtrade flow RX) to
  the next territory, their share of its exports there.

An indicator that does not apply (a direct route has no intermediary, no break date was
given) has weight 0 and says why, so the weighted score uses only what applies.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from transship.flows import chains
from transship.flows.chains import Years
from transship.flows.explain import Indicator, weighted_score
from transship.flows.route_data import ProductData
from transship.flows.surge import BreakDate, DiD, did, is_post
from transship.store.engine import Engine, temp_name

#: Indicator weights in the route score (indicators that do not apply are left out).
WEIGHTS = {"attribution": 0.45, "co_movement": 0.2, "surge": 0.25, "reported_reexport": 0.1}
#: Control cells per side (destinations, products) in the surge regression.
CONTROLS = 10


def route_indicators(
    pd: ProductData,
    path: tuple[int, ...],
    leg_ids: list[str],
    years: list[int],
    share: float,
    best: float,
    check: dict[str, float],
    brk: BreakDate | None,
    controls: dict[tuple[int, int], list[Cell]],
    did_cache: dict[tuple[int, int], tuple[DiD | None, list[str], str]],
) -> tuple[list[Indicator], float]:
    """The four indicators of one route and its weighted score. ``leg_ids``: the record ids
    behind the route's legs; ``share`` its attributed share and ``best`` the query's largest
    (the attribution value is relative); ``controls`` and ``did_cache`` are shared by every
    route of a query, so a leg's regression runs once however many routes use it."""
    world = [rid for y in years for i in path for rid in pd.world_ids.get((y, i), ())]
    inds = [
        Indicator(
            name="attribution",
            value=attribution_value(share, best),
            weight=WEIGHTS["attribution"],
            evidence=sorted(set(leg_ids) | set(world)),
            detail=(
                f"{share:.4%} of {pd.labels[path[0]]}'s exports of {pd.product} end in "
                f"{pd.labels[path[-1]]} along this path (all paths: {check['paths_share']:.4%}, "
                f"chain total (I-Q)^-1 R: {check['chain_share']:.4%}); value = 1 + log10(share / "
                f"best share of the query) / 3, in [0, 1]; supply rows per node in "
                f"nodes[].record_ids"
            ),
        ),
        _co_movement(pd, path, years),
        _surge(pd, path, years, brk, controls, did_cache),
        _reported_reexport(pd, path, years),
    ]
    return inds, weighted_score(inds)


def attribution_value(share: float, best: float) -> float:
    """The attribution indicator in [0, 1]: 1 for the query's largest share, falling by a
    third per factor of ten below it (0 at a thousandth). Logarithmic because
    proportional mixing dilutes every path through a large intermediary by the size of
    that intermediary's supply: a real diversion route can carry a hundredth of the
    largest route's share and still be the one that matters."""
    if share <= 0 or best <= 0:
        return 0.0
    return float(np.clip(1.0 + math.log10(share / best) / 3.0, 0.0, 1.0))


def _series(pd: ProductData, i: int, j: int, years: list[int]) -> tuple[dict[str, float], bool]:
    """A cell's values by period: months where both legs' data are monthly, else years."""
    monthly = pd.monthly.get((i, j))
    if monthly and len(monthly) >= 6:
        return monthly, True
    return {str(y): float(pd.point(y)[i, j]) for y in years}, False


def lagged_correlation(
    inflow: dict[str, float], outflow: dict[str, float], max_lag: int
) -> tuple[float, int, int] | None:
    """Best Pearson correlation of log(1 + inflow[t]) with log(1 + outflow[t + lag]).

    Periods are sorted labels (``2019`` or ``2019-03``); a period missing from one series
    counts as zero trade. Returns (correlation, lag, pairs) or None with < 3 pairs or a
    constant series.
    """
    periods = sorted(set(inflow) | set(outflow))
    a = np.log1p(np.array([max(inflow.get(p, 0.0), 0.0) for p in periods]))
    b = np.log1p(np.array([max(outflow.get(p, 0.0), 0.0) for p in periods]))
    best: tuple[float, int, int] | None = None
    for lag in range(max_lag + 1):
        u = a[: len(a) - lag] if lag else a
        v = b[lag:]
        if len(u) < 3 or u.std() == 0 or v.std() == 0:
            continue
        r = float(np.corrcoef(u, v)[0, 1])
        if best is None or r > best[0]:
            best = (r, lag, len(u))
    return best


def _co_movement(pd: ProductData, path: tuple[int, ...], years: list[int]) -> Indicator:
    if len(path) < 3:
        return Indicator("co_movement", 0.0, 0.0, [], "direct route: no intermediary")
    parts: list[str] = []
    rs: list[float] = []
    ids: list[str] = []
    for t in range(1, len(path) - 1):
        a, m, b = path[t - 1], path[t], path[t + 1]
        inflow, mi = _series(pd, a, m, years)
        outflow, mo = _series(pd, m, b, years)
        monthly = mi and mo
        if not monthly:
            inflow = {str(y): float(pd.point(y)[a, m]) for y in years}
            outflow = {str(y): float(pd.point(y)[m, b]) for y in years}
        res = lagged_correlation(inflow, outflow, 3 if monthly else 1)
        unit = "month" if monthly else "year"
        if res is None:
            parts.append(f"{pd.labels[m]}: too few {unit}s with trade")
            rs.append(0.0)
            continue
        r, lag, n = res
        rs.append(r)
        parts.append(f"{pd.labels[m]}: r={r:+.2f} at lag {lag} {unit}(s) over {n} pairs")
        ids.extend(pd.cell_ids(a, m, years) + pd.cell_ids(m, b, years))
        if monthly:
            ids.extend(pd.monthly_ids.get((a, m), []) + pd.monthly_ids.get((m, b), []))
    if not ids:
        return Indicator("co_movement", 0.0, 0.0, [], "; ".join(parts))
    mean = float(np.mean(rs))
    return Indicator(
        "co_movement",
        max(0.0, mean),
        WEIGHTS["co_movement"],
        sorted(set(ids)),
        f"mean over intermediaries {mean:+.2f} ({'; '.join(parts)})",
    )


@dataclass(slots=True)
class Cell:
    """A control cell for the surge regression: values by year and their record ids."""

    label: str
    values: dict[int, float]
    record_ids: list[str]


def _leg_did(
    pd: ProductData,
    i: int,
    j: int,
    years: list[int],
    brk: BreakDate,
    controls: dict[tuple[int, int], list[Cell]],
) -> tuple[DiD | None, list[str], str]:
    totals = sorted(
        ((sum(float(pd.point(y)[i, k]) for y in years), k) for k in range(pd.n) if k not in (i, j)),
        reverse=True,
    )
    dests = [k for v, k in totals[:CONTROLS] if v > 0]
    rows = [[float(pd.point(y)[i, j]) for y in years]]
    ids = pd.cell_ids(i, j, years)
    for k in dests:
        rows.append([float(pd.point(y)[i, k]) for y in years])
        ids = ids + pd.cell_ids(i, k, years)
    prods = controls.get((i, j), [])
    for cell in prods:
        rows.append([cell.values.get(y, 0.0) for y in years])
        ids = ids + cell.record_ids
    post = np.array([is_post(str(y), brk) for y in years])
    res = did(np.array(rows), post)
    label = f"{pd.labels[i]}->{pd.labels[j]} vs {len(dests)} destinations, {len(prods)} products"
    return res, ids, label


def _surge(
    pd: ProductData,
    path: tuple[int, ...],
    years: list[int],
    brk: BreakDate | None,
    controls: dict[tuple[int, int], list[Cell]],
    did_cache: dict[tuple[int, int], tuple[DiD | None, list[str], str]],
) -> Indicator:
    if brk is None:
        return Indicator("surge", 0.0, 0.0, [], "no break date given (--break)")
    worst: tuple[float, DiD, str] | None = None
    parts: list[str] = []
    ids: list[str] = []
    for t in range(len(path) - 1):
        leg = (path[t], path[t + 1])
        if leg not in did_cache:
            did_cache[leg] = _leg_did(pd, leg[0], leg[1], years, brk, controls)
        res, leg_ids, label = did_cache[leg]
        if res is None:
            parts.append(f"{label}: no periods on one side of {brk} or no controls")
            worst = None
            break
        ids.extend(leg_ids)
        parts.append(f"{label}: {res.estimate:+.2f} log points (se {res.se:.2f}, z {res.z:+.2f})")
        if worst is None or res.z < worst[0]:
            worst = (res.z, res, label)
    if worst is None:
        return Indicator("surge", 0.0, 0.0, [], "; ".join(parts))
    z, res, _ = worst
    return Indicator(
        "surge",
        float(np.clip(z / 3.0, 0.0, 1.0)),
        WEIGHTS["surge"],
        sorted(set(ids)),
        f"weakest leg z={z:+.2f} after {brk} (value = z/3 clipped to [0, 1]); " + "; ".join(parts),
    )


def _reported_reexport(pd: ProductData, path: tuple[int, ...], years: list[int]) -> Indicator:
    if len(path) < 3:
        return Indicator("reported_reexport", 0.0, 0.0, [], "direct route: no intermediary")
    ratios: list[float] = []
    parts: list[str] = []
    ids: list[str] = []
    for t in range(1, len(path) - 1):
        m, b = path[t], path[t + 1]
        reports = any(np.isfinite(pd.rx[y][m]).any() for y in years)
        if not reports:
            parts.append(f"{pd.labels[m]} reports no re-exports of {pd.product}")
            continue
        rx = sum(float(np.nan_to_num(pd.rx[y][m, b])) for y in years)
        x = sum(float(pd.point(y)[m, b]) for y in years)
        ratio = min(1.0, rx / x) if x > 0 else 0.0
        ratios.append(ratio)
        parts.append(
            f"{pd.labels[m]}->{pd.labels[b]}: re-exports {rx:,.0f} USD = {ratio:.1%} of exports"
        )
        for y in years:
            ids.extend(pd.rx_ids.get((y, m, b), ()))
        ids.extend(pd.cell_ids(m, b, years))
    if not ratios:
        return Indicator("reported_reexport", 0.0, 0.0, [], "; ".join(parts))
    return Indicator(
        "reported_reexport",
        float(np.mean(ratios)),
        WEIGHTS["reported_reexport"],
        sorted(set(ids)),
        "; ".join(parts),
    )


def control_products(
    eng: Engine,
    pd: ProductData,
    cells: set[tuple[int, int]],
    span: Years | None,
    dataset: str | None,
) -> dict[tuple[int, int], list[Cell]]:
    """Each leg's trade in other products of the same code length (largest first).

    Read through ``chains.pairs_sql`` over every product (one code level per reporter), with
    the legs' territory pairs joined in first, so only those pairs' rows are grouped.
    """
    if not cells:
        return {}
    legs = temp_name("route_ctrl")
    pairs = sorted(cells)
    eng.register(
        legs,
        pa.table({"src": [pd.codes[i] for i, _ in pairs], "dst": [pd.codes[j] for _, j in pairs]}),
    )
    scope = chains.scope_sql(None, span, dataset)
    try:
        table = eng.sql(
            f"""
WITH s AS (
  SELECT sc.* FROM (
    SELECT *, CASE WHEN flow = 'M' THEN partner ELSE reporter END AS src,
              CASE WHEN flow = 'M' THEN reporter ELSE partner END AS dst
    FROM ({scope}) x
    WHERE length(product) = {len(pd.product)} AND product <> '{pd.product}'
  ) sc JOIN {legs} l ON sc.src = l.src AND sc.dst = l.dst
)
SELECT exporter, importer, product, year, value_usd, evidence
FROM ({chains.pairs_sql("SELECT * FROM s")}) p
"""
        )
    finally:
        eng.drop(legs)
    grouped: dict[tuple[int, int, str], Cell] = {}
    for row in table.to_pylist():
        cell = (pd.index[row["exporter"]], pd.index[row["importer"]])
        c = grouped.setdefault((*cell, str(row["product"])), Cell(str(row["product"]), {}, []))
        c.values[int(row["year"])] = float(row["value_usd"] or 0.0)
        c.record_ids.extend(str(r) for r in row["evidence"] or ())
    out: dict[tuple[int, int], list[Cell]] = defaultdict(list)
    for (i, j, _), c in grouped.items():
        out[(i, j)].append(c)
    for pair, lst in out.items():
        lst.sort(key=lambda c: -sum(c.values.values()))
        out[pair] = lst[:CONTROLS]
    return dict(out)
