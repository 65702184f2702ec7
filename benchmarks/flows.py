"""Flows benchmark: what ``transship mirror``, ``hubs`` and ``routes`` run, against baselines.

Every figure names the function the CLI calls, with the CLI's defaults:

* ``transship mirror`` -> :func:`transship.flows.mirror.mirror_gaps` (``--limit 50``), and
  ``mirror_gaps`` over every row (what ``--json --limit N`` asks for when N is at least
  the number of pairs), each against hand-written DuckDB SQL giving the same rows
  (:func:`baseline_mirror`, ``tests/flows/test_mirror.py`` checks it row for row);
* ``transship hubs`` -> :func:`transship.flows.hubs.hub_scores` (``--limit 30``) against
  the hand-written statement in ``baseline_hubs.py`` with ``LIMIT 30``;
* ``transship routes --origin O --product 93`` -> :func:`transship.flows.routes.find_routes`
  (defaults: 3 hops, 200 resamples) against :func:`baseline_routes`, a plain DuckDB query
  of the directed pairs and world imports plus a plain numpy absorbing-chain path
  enumeration over the same scope. The baseline computes the point shares only: no
  intervals, no indicators, no evidence, no de-duplication of HS levels (the generated
  data has one level), no reconciliation beyond "exporter's value, else importer's / 1.05".
  So the routes ratio is the cost of what transship adds to the bare computation, not a
  like-for-like race; ``routes_r0`` (``--resamples 0``) shows how much of it the intervals
  are. Both must find the same top paths by share (``top10_agree`` in the JSON).

Why ratios: absolute seconds depend on the machine and, on a shared one, on what else runs;
the ratio to a baseline measured in the same run much less so, and the CPU-time ratio
(user + system, all threads) least. Targets (issue 4), checked at full size only:
``mirror`` and ``hubs`` at most 1.25x their baselines. A smoke run reports ratios and checks
nothing (at 200k rows fixed costs dominate and one loaded core moves them by half).

Every measurement runs in a fresh subprocess (``python benchmarks/flows.py _measure TASK
STORE [ORIGIN]``) on the same store file, timed after imports and the store connection,
and reports wall seconds, CPU seconds and peak RSS. transship and its baseline alternate
``--repeat`` times; the best of each is kept.

    python benchmarks/flows.py --smoke                  # 200k rows, CI, about a minute
    python benchmarks/flows.py --rows 2000000           # what docs/performance.md quotes now
    python benchmarks/flows.py --rows 10000000 --scaling 1000000,10000000,50000000  # big

Data: generated and seeded, BACI-shaped (5,000 HS6-shaped products, 200 countries with
Zipf-like sizes), written as Comtrade-style reported rows so mirror statistics have two
sides: each bilateral flow gives an exporter-reported X row and an importer-reported M row
(each missing 7% of the time; imports CIF ~ +5%, per-country noise), ~1% re-export (RX) rows
from a few hub countries, and one year per 10 million rows. Labelled simulated.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
SEED = 20240601
SMOKE_ROWS = 200_000
ROWS_PER_YEAR = 10_000_000
N_PRODUCTS = 5_000
GIB = 1 << 30
#: The CLI's defaults (transship/cli/flows.py, transship/cli/routes.py).
MIRROR_LIMIT = 50
HUBS_LIMIT = 30
#: The route query: one chapter, every destination, from the largest exporter of it.
ROUTE_PRODUCT = "93"
#: Targets (issue 4) on the ratio to the baseline, checked at full size.
TARGETS = {"mirror": 1.25, "mirror_all": 1.25, "hubs": 1.25}

sys.path.insert(0, str(ROOT))


# -- data ----------------------------------------------------------------------------------
def _countries() -> tuple[list[str], list[str]]:
    import pycountry

    codes, iso3 = [], []
    for c in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        codes.append(c.alpha_2.lower())
        iso3.append(c.alpha_3)
    return codes[:200], iso3[:200]


def _products() -> list[str]:
    """N_PRODUCTS HS6-shaped codes spread over chapters 01-97 (about 50 per chapter)."""
    return [f"{1 + i % 97:02d}{i // 97:04d}" for i in range(N_PRODUCTS)]


def generate(store_path: Path, rows: int, seed: int = SEED) -> dict[str, Any]:
    """Write about ``rows`` trade_flows rows (seeded) into a fresh store."""
    from transship.store import connect

    rng = np.random.default_rng(seed)
    codes, iso3 = _countries()
    n_c = len(codes)
    products = _products()
    years = max(1, math.ceil(rows / ROWS_PER_YEAR))
    per_year = rows // years
    size = 1.0 / np.arange(1, n_c + 1) ** 0.8
    size /= size.sum()
    noise = rng.uniform(0.03, 0.4, n_c)
    hubs = rng.choice(n_c, 8, replace=False)
    code_arr, iso_arr = pa.array(codes), pa.array(iso3)
    prod_arr = pa.array(products)
    line = 0
    t0 = time.perf_counter()
    with connect(store_path) as store:
        for y in range(years):
            year = 2015 + y
            # ~1.87 rows per flow, ~14% of draws collide (gravity-weighted pairs): 1.6 per draw
            n_flows = int(per_year / 1.6)
            e = rng.choice(n_c, n_flows, p=size)
            i = rng.choice(n_c, n_flows, p=size)
            p = rng.integers(0, N_PRODUCTS, n_flows)
            keep = e != i
            key = np.unique((e[keep].astype(np.int64) * n_c + i[keep]) * N_PRODUCTS + p[keep])
            e, i, p = key // N_PRODUCTS // n_c, key // N_PRODUCTS % n_c, key % N_PRODUCTS
            n = len(key)
            v = rng.lognormal(10, 2.0, n)
            has_x = rng.random(n) < 0.93
            has_m = rng.random(n) < 0.93
            xv = v * np.exp(rng.normal(0, noise[e]))
            mv = v * 1.05 * np.exp(rng.normal(0, noise[i]))
            rx = np.isin(e, hubs) & (rng.random(n) < 0.12)
            parts = [
                (e[has_x], i[has_x], p[has_x], xv[has_x], "X"),
                (i[has_m], e[has_m], p[has_m], mv[has_m], "M"),
                (e[rx], i[rx], p[rx], 0.6 * xv[rx], "RX"),
            ]
            for rep, par, prod, val, flow in parts:
                for start in range(0, len(rep), 2_000_000):
                    sl = slice(start, start + 2_000_000)
                    m = len(rep[sl])
                    lines = pa.array(np.arange(line + 1, line + m + 1, dtype=np.int64))
                    line += m
                    table = pa.table(
                        {
                            "record_id": pc.binary_join_element_wise(
                                "bench0000000000:", pc.cast(lines, pa.string()), ""
                            ),
                            "dataset": pa.repeat("bench-baci", m)
                            if hasattr(pa, "repeat")
                            else pa.array(["bench-baci"] * m),
                            "source_sha256": pa.array(["0" * 64] * 1, pa.string()).take(
                                pa.array(np.zeros(m, dtype=np.int32))
                            ),
                            "run_id": pa.array(np.ones(m, dtype=np.int64)),
                            "line": lines,
                            "simulated": pa.array(np.ones(m, dtype=bool)),
                            "reporter": code_arr.take(pa.array(rep[sl])),
                            "reporter_iso3": iso_arr.take(pa.array(rep[sl])),
                            "partner": code_arr.take(pa.array(par[sl])),
                            "partner_iso3": iso_arr.take(pa.array(par[sl])),
                            "partner_is_world": pa.array(np.zeros(m, dtype=bool)),
                            "partner_is_area": pa.array(np.zeros(m, dtype=bool)),
                            "flow": pa.array([flow] * 1).take(
                                pa.array(np.zeros(m, dtype=np.int32))
                            ),
                            "year": pa.array(np.full(m, year, dtype=np.int32)),
                            "period": pa.array([str(year)]).take(
                                pa.array(np.zeros(m, dtype=np.int32))
                            ),
                            "hs_code": prod_arr.take(pa.array(prod[sl])),
                            "value_usd": pa.array(val[sl]),
                            "qty": pa.array(np.round(val[sl] / 40.0)),
                            "qty_unit": pa.array(["kg"]).take(
                                pa.array(np.zeros(m, dtype=np.int32))
                            ),
                        }
                    )
                    store.append("trade_flows", table)
        total = store.fetchall("SELECT count(*) FROM trade_flows")[0][0]
    return {"rows": int(total), "years": years, "seconds": time.perf_counter() - t0}


# -- hand-written baselines ----------------------------------------------------------------
_BASE_SCOPE = """
    flow IN ('X', 'M') AND NOT partner_is_world AND NOT partner_is_area
    AND reporter IS NOT NULL AND partner IS NOT NULL AND reporter <> partner
    AND reporter NOT IN ('world', 'zz') AND partner NOT IN ('world', 'zz')
    AND reporter NOT LIKE 'zz-%' AND partner NOT LIKE 'zz-%' AND value_usd IS NOT NULL
"""

from baseline_hubs import baseline_hubs  # noqa: E402  (hub-quality work owns that file)

# The same fitted model as transship: medians over the same deterministic sample of pairs
# (transship.flows.mirror.fit_sample_sql), so that both produce the same output.
FIT_PAIRS = 20_000
#: Half-width of the band of ordinary gaps in pair standard deviations (mirror.NOISE_BAND).
NOISE_BAND = 2.0
_HASH_BUCKETS = 1 << 20


def baseline_mirror(fit_pairs: int = FIT_PAIRS) -> str:
    """The hand-written mirror baseline (one statement); ``fit_pairs`` as in transship.
    Ranked like ``mirror_gaps``: the USD of a gap beyond margin, biases and twice the pair's
    scatter first (``unexplained``; a phantom's whole value at FOB), then |z|."""
    band = f"{NOISE_BAND} * sqrt((sig_x ^ 2 + sig_m ^ 2) / 2)"
    return f"""
WITH p AS (
    SELECT CASE WHEN flow = 'X' THEN reporter ELSE partner END AS e,
           CASE WHEN flow = 'X' THEN partner ELSE reporter END AS i,
           hs_code AS product, year,
           sum(value_usd) FILTER (WHERE flow = 'X') AS x,
           sum(value_usd) FILTER (WHERE flow = 'M') AS m,
           sum(qty) FILTER (WHERE flow = 'X') AS xq, sum(qty) FILTER (WHERE flow = 'M') AS mq,
           min(qty_unit) AS u0, max(qty_unit) AS u1,
           sum(net_weight_kg) FILTER (WHERE flow = 'X') AS xkg,
           sum(net_weight_kg) FILTER (WHERE flow = 'M') AS mkg,
           bool_or(simulated) AS simulated,
           list_sort(list(record_id)) AS evidence
    FROM trade_flows WHERE {_BASE_SCOPE}
      AND (value_basis IS NULL OR value_basis <> 'reconciled')
    GROUP BY ALL
),
iso AS (SELECT code, max(iso3) AS iso3 FROM (
        SELECT reporter AS code, max(reporter_iso3) AS iso3 FROM trade_flows GROUP BY 1
        UNION ALL SELECT partner, max(partner_iso3) FROM trade_flows GROUP BY 1) GROUP BY 1),
m0 AS (SELECT e, i, product, year FROM p WHERE x > 0 AND m > 0),
ne AS (SELECT e, count(*) AS n FROM m0 GROUP BY e),
ni AS (SELECT i, count(*) AS n FROM m0 GROUP BY i),
m AS (SELECT e, i, substr(product, 1, 2) AS ch, ln(m / x) AS r, ln(x) AS lx, ln(m) AS lm
      FROM p JOIN ne USING (e) JOIN ni USING (i) WHERE x > 0 AND m > 0
      AND (abs(hash(e, i, product, year)) % {_HASH_BUCKETS}) / {float(_HASH_BUCKETS)}
          * least(ne.n, ni.n) < {int(fit_pairs)}),
mu AS (SELECT ch, median(r) AS mu FROM m GROUP BY ch),
m1 AS (SELECT m.*, r - mu AS r1 FROM m JOIN mu USING (ch)),
a0 AS (SELECT e, median(r1) * count(*) / (count(*) + 5) AS a FROM m1 GROUP BY e),
b1 AS (SELECT i, median(r1 - a) * count(*) / (count(*) + 5) AS b, count(*) AS n
       FROM m1 JOIN a0 USING (e) GROUP BY i),
a1 AS (SELECT e, median(r1 - b) * count(*) / (count(*) + 5) AS a, count(*) AS n
       FROM m1 JOIN b1 USING (i) GROUP BY e),
res AS (SELECT e, i, r1 - a1.a - b1.b AS res, lx, lm FROM m1 JOIN a1 USING (e) JOIN b1 USING (i)),
g AS (SELECT 1.4826 * median(abs(res)) AS g FROM res),
sx AS (SELECT e, 1.4826 * median(abs(res)) AS s, count(*) AS n, avg(lx) AS lmean,
       stddev_samp(lx) AS lsd FROM res GROUP BY e),
sm AS (SELECT i, 1.4826 * median(abs(res)) AS s, count(*) AS n, avg(lm) AS lmean,
       stddev_samp(lm) AS lsd FROM res GROUP BY i),
rx AS (SELECT DISTINCT e, year FROM p WHERE x IS NOT NULL),
rm AS (SELECT DISTINCT i, year FROM p WHERE m IS NOT NULL),
o AS (
    SELECT p.*, mu.mu AS margin, mu.mu + coalesce(a1.a, 0) + coalesce(b1.b, 0) AS expected,
        greatest(0.05, CASE WHEN sx.n IS NULL THEN g.g
            ELSE sqrt((sx.n * sx.s * sx.s + 5 * g.g * g.g) / (sx.n + 5)) END) AS sig_x,
        greatest(0.05, CASE WHEN sm.n IS NULL THEN g.g
            ELSE sqrt((sm.n * sm.s * sm.s + 5 * g.g * g.g) / (sm.n + 5)) END) AS sig_m,
        CASE WHEN x > 0 AND m > 0 THEN 'matched'
             WHEN x > 0 AND rm.i IS NOT NULL THEN 'phantom_export'
             WHEN x > 0 THEN 'unreported_import'
             WHEN m > 0 AND rx.e IS NOT NULL THEN 'phantom_import'
             ELSE 'unreported_export' END AS kind,
        sx.lmean AS xl, sx.lsd AS xsd, sm.lmean AS ml, sm.lsd AS msd
    FROM p CROSS JOIN g LEFT JOIN mu ON mu.ch = substr(p.product, 1, 2)
    LEFT JOIN a1 ON a1.e = p.e LEFT JOIN b1 ON b1.i = p.i
    LEFT JOIN sx ON sx.e = p.e LEFT JOIN sm ON sm.i = p.i
    LEFT JOIN rx ON rx.e = p.e AND rx.year = p.year LEFT JOIN rm ON rm.i = p.i AND rm.year = p.year
)
SELECT e, i, ie.iso3 AS e_iso3, ii.iso3 AS i_iso3, product, year, kind, x, m,
    CASE WHEN u0 = u1 THEN xq END AS xq, CASE WHEN u0 = u1 THEN mq END AS mq,
    CASE WHEN u0 = u1 THEN u0 END AS unit, xkg, mkg, ln(m / x) AS log_gap, expected, sig_x, sig_m,
    ln(m / x) - expected AS residual,
    CASE WHEN kind = 'matched' THEN (ln(m / x) - expected) / sqrt((sig_x ^ 2 + sig_m ^ 2) / 2)
         WHEN kind = 'phantom_export' THEN (ln(x) - coalesce(xl, ln(x))) / greatest(0.5, coalesce(xsd, 0.5))
         WHEN kind = 'phantom_import' THEN (ln(m) - coalesce(ml, ln(m))) / greatest(0.5, coalesce(msd, 0.5))
    END AS z,
    CASE WHEN kind = 'matched' THEN abs(x * (exp(ln(m / x) - expected) - exp(least(greatest(
             ln(m / x) - expected, -{band}), {band}))))
         WHEN kind = 'phantom_export' THEN x
         WHEN kind = 'phantom_import' THEN m * exp(-margin) END AS unexplained,
    simulated, evidence
FROM o LEFT JOIN iso ie ON ie.code = e LEFT JOIN iso ii ON ii.code = i
ORDER BY unexplained DESC NULLS LAST, abs(z) DESC NULLS LAST, coalesce(x, m) DESC,
    e, i, product, year
"""


BASELINE_MIRROR = baseline_mirror()


BASELINE_HUBS = baseline_hubs(_BASE_SCOPE)


def _limited(sql: str, limit: int) -> str:
    """A baseline statement (ending in its ORDER BY) cut to the first ``limit`` rows."""
    return f"{sql.rstrip()}\nLIMIT {int(limit)}"


def baseline_routes(
    store: Any,
    origin_iso3: str,
    product: str = ROUTE_PRODUCT,
    max_hops: int = 3,
    min_share: float = 1e-5,
    min_absorption: float = 0.1,
) -> list[tuple[tuple[str, ...], float]]:
    """Paths origin -> ... -> end of at most ``max_hops`` legs and the share of the origin's
    exports (over every year) that ends at the last territory along each, best first.

    What one would write by hand for the same model as transship's point estimate
    (docs/methods.md, routes): one DuckDB group-by for the directed pairs (exporter's value,
    else importer's / 1.05) and one for each reporter's imports from World, then per year a
    dense matrix, supply = max(imports + net exports, exports / (1 - min_absorption)),
    transitions = flows / supply, and a breadth-first walk from the origin's export basket
    that prunes walks below ``min_share``."""
    like = f"hs_code LIKE '{product}%'"
    pairs = store.query(
        "SELECT CASE WHEN flow = 'X' THEN reporter_iso3 ELSE partner_iso3 END AS e, "
        "CASE WHEN flow = 'X' THEN partner_iso3 ELSE reporter_iso3 END AS i, year, "
        "coalesce(sum(value_usd) FILTER (WHERE flow = 'X'), "
        "sum(value_usd) FILTER (WHERE flow = 'M') / 1.05) AS v "
        f"FROM trade_flows WHERE {_BASE_SCOPE} AND {like} GROUP BY ALL"
    ).to_pydict()
    world = store.query(
        "SELECT reporter_iso3 AS c, year, sum(value_usd) / 1.05 AS w FROM trade_flows "
        f"WHERE flow = 'M' AND partner_is_world AND {like} GROUP BY ALL"
    ).to_pydict()
    codes = sorted({c for c in pairs["e"] + pairs["i"] if c is not None})
    idx = {c: k for k, c in enumerate(codes)}
    if origin_iso3 not in idx:
        return []
    o, n = idx[origin_iso3], len(codes)
    e = np.array([idx.get(c, -1) for c in pairs["e"]], dtype=np.int64)
    i = np.array([idx.get(c, -1) for c in pairs["i"]], dtype=np.int64)
    v = np.array(pairs["v"], dtype=np.float64)
    yrs = np.array(pairs["year"], dtype=np.int64)
    values: dict[tuple[int, ...], float] = {}
    total = 0.0
    for year in sorted(set(pairs["year"])):
        sel = (yrs == year) & (e >= 0) & (i >= 0) & (e != i) & (v > 0)
        f = np.zeros((n, n))
        f[e[sel], i[sel]] = v[sel]
        exports = f.sum(axis=1)
        if exports[o] <= 0:
            continue
        imports = f.sum(axis=0)
        for c, y, w in zip(world["c"], world["year"], world["w"], strict=True):
            if y == year and c in idx and w is not None:
                imports[idx[c]] = max(imports[idx[c]], w)
        supply = np.maximum(
            imports + np.maximum(exports - imports, 0), exports / (1 - min_absorption)
        )
        q = np.divide(f, supply[:, None], out=np.zeros_like(f), where=supply[:, None] > 0)
        absorb = 1.0 - q.sum(axis=1)
        total += exports[o]
        start = f[o] / exports[o]
        first = np.flatnonzero(start >= min_share)
        prefix: npt.NDArray[np.int64] = np.column_stack([np.full(len(first), o), first])
        reach = start[first]
        for hop in range(1, max_hops + 1):
            last = prefix[:, -1]
            mass = reach * absorb[last]
            for k in np.flatnonzero(mass >= min_share):
                key = tuple(int(t) for t in prefix[k])
                values[key] = values.get(key, 0.0) + float(mass[k]) * exports[o]
            if hop == max_hops:
                break
            step = reach[:, None] * q[last]
            step[np.arange(len(prefix))[:, None], prefix] = 0.0  # no territory twice
            rows, nxt = np.nonzero(step >= min_share)
            prefix = np.column_stack([prefix[rows], nxt])
            reach = step[rows, nxt]
    out = [(tuple(codes[t] for t in p), val / total) for p, val in values.items()]
    out.sort(key=lambda r: (-r[1], r[0]))
    return out


# -- measurements (each in its own process) --------------------------------------------------
def _rss() -> int:
    """Peak RSS of this process: VmHWM, the high-water mark of its own address space.
    Not ``ru_maxrss``: Linux carries that across fork and exec, so a measurement process
    started by the benchmark (which just generated the data, ~2 GiB) reported at least
    its parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _cpu() -> float:
    """User + system CPU seconds of this process, all threads: less sensitive than wall time
    to other work on a shared machine."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return float(r.ru_utime + r.ru_stime)


def _top(paths: list[tuple[tuple[str, ...], float]], k: int = 10) -> list[str]:
    return [">".join(p) for p, _ in sorted(paths, key=lambda r: (-r[1], r[0]))[:k]]


def measure(task: str, db: Path, origin: str | None = None) -> dict[str, Any]:
    """One measurement: the function the CLI calls (or its baseline) on the store ``db``."""
    from transship.store import connect

    with connect(db, read_only=True) as store:
        # each task imports only its command's module (as the CLI does), before the clock
        from transship.store.engine import DuckDBEngine

        if task.startswith("mirror"):
            from transship.flows.mirror import mirror_gaps
        elif task.startswith("hubs"):
            from transship.flows.hubs import hub_scores
        elif task.startswith("routes"):
            from transship.flows.routes import find_routes

        engine = DuckDBEngine(store)
        out: dict[str, Any] = {"task": task}
        c0 = _cpu()
        t0 = time.perf_counter()
        if task == "mirror":
            out["rows_out"] = mirror_gaps(engine, limit=MIRROR_LIMIT).num_rows
        elif task == "mirror_base":
            out["rows_out"] = store.query(_limited(BASELINE_MIRROR, MIRROR_LIMIT)).num_rows
        elif task == "mirror_all":
            out["rows_out"] = mirror_gaps(engine).num_rows
        elif task == "mirror_all_base":
            out["rows_out"] = store.query(BASELINE_MIRROR).num_rows
        elif task == "hubs":
            out["rows_out"] = len(hub_scores(engine, limit=HUBS_LIMIT))
        elif task == "hubs_base":
            out["rows_out"] = store.query(_limited(BASELINE_HUBS, HUBS_LIMIT)).num_rows
        elif task in ("routes", "routes_r0"):
            kw: dict[str, Any] = {"resamples": 0} if task == "routes_r0" else {}
            found = find_routes(engine, str(origin), product=ROUTE_PRODUCT, **kw)
            out["rows_out"] = len(found)
            out["top"] = _top([(tuple(r.path), r.share) for r in found])
        elif task == "routes_base":
            paths = baseline_routes(store, str(origin))
            out["rows_out"] = len(paths)
            out["top"] = _top(paths)
        else:
            raise SystemExit(f"unknown task {task}")
        out["seconds"] = time.perf_counter() - t0
        out["cpu_seconds"] = _cpu() - c0
        out["peak_rss"] = _rss()
        return out


def run_task(
    task: str, db: Path, origin: str | None = None, env: dict[str, str] | None = None
) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "_measure", task, str(db)] + ([origin] if origin else [])
    proc = subprocess.run(
        cmd, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})}
    )
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"{task} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


#: DuckDB memory limit for a baseline's second try at a scaling size where the default (8 GB)
#: ran out: the hubs baseline is one statement and needs ~17 GiB at 50M rows.
BASE_RETRY_MEMORY = "18GB"


def best_pair(
    ours: str, base: str, db: Path, repeat: int, origin: str | None = None
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Runs alternate (ours, base, ours, base, ...) so that load drifting on a shared machine
    hits both alike; the best of each by wall time is kept (the least disturbed run), and
    every run is returned too."""
    a: list[dict[str, Any]] = []
    b: list[dict[str, Any]] = []
    for _ in range(repeat):
        a.append(run_task(ours, db, origin))
        b.append(run_task(base, db, origin))
    return min(a, key=lambda r: r["seconds"]), min(b, key=lambda r: r["seconds"]), a, b


def route_origin(db: Path) -> str:
    """ISO3 of the largest exporter of :data:`ROUTE_PRODUCT` (by its own reports)."""
    from transship.store import connect

    with connect(db, read_only=True) as store:
        row = store.query(
            "SELECT reporter_iso3 AS o FROM trade_flows WHERE flow = 'X' AND "
            f"hs_code LIKE '{ROUTE_PRODUCT}%' GROUP BY ALL ORDER BY sum(value_usd) DESC LIMIT 1"
        )
    return str(row.column("o")[0].as_py())


# -- main ------------------------------------------------------------------------------------
#: (transship task, baseline task, the function the CLI calls, the command).
PAIRS = (
    ("mirror", "mirror_base", "mirror_gaps(limit=50)", "transship mirror"),
    (
        "mirror_all",
        "mirror_all_base",
        "mirror_gaps() every row",
        "transship mirror --json --limit N",
    ),
    ("hubs", "hubs_base", "hub_scores(limit=30)", "transship hubs"),
    ("routes", "routes_base", "find_routes(product='93')", "transship routes --product 93"),
    ("routes_r0", "routes_base", "find_routes(product='93', resamples=0)", "... --resamples 0"),
)


def bench(rows: int, repeat: int, workdir: Path) -> dict[str, Any]:
    db = workdir / f"flows-{rows}.duckdb"
    if db.exists():
        db.unlink()
    gen = generate(db, rows)
    print(f"generated {gen['rows']:,} rows ({gen['years']} year(s)) in {gen['seconds']:.1f} s")
    origin = route_origin(db)
    res: dict[str, Any] = {"rows": gen["rows"], "years": gen["years"], "route_origin": origin}
    for ours, base, function, command in PAIRS:
        a, b, runs_a, runs_b = best_pair(ours, base, db, repeat, origin)
        ratio = a["seconds"] / b["seconds"]
        cpu_ratio = min(r["cpu_seconds"] for r in runs_a) / max(
            1e-9, min(r["cpu_seconds"] for r in runs_b)
        )
        entry: dict[str, Any] = {
            "function": function,
            "command": command,
            "transship": a,
            "baseline": b,
            "ratio": ratio,
            "cpu_ratio": cpu_ratio,
            "runs": {"transship": runs_a, "baseline": runs_b},
        }
        if "top" in a:
            entry["top10_agree"] = a["top"] == b["top"]
            entry["top10_common"] = len(set(a["top"]) & set(b["top"]))
        res[ours] = entry
        agree = f"   top 10 paths in common {entry['top10_common']}/10" if "top" in a else ""
        print(
            f"  {function:40s} {_fmt_s(a['seconds'])} s   baseline {_fmt_s(b['seconds'])} s   "
            f"ratio {ratio:5.2f} (CPU {cpu_ratio:5.2f})   peak {a['peak_rss'] / GIB:.2f} GiB"
            f"   rows {a['rows_out']:,} / {b['rows_out']:,}{agree}"
        )
    db.unlink(missing_ok=True)
    return res


def _fmt_s(x: float) -> str:
    return f"{x:8.2f}"


def scaling(sizes: list[int], workdir: Path) -> list[dict[str, Any]]:
    """One run of each of mirror_gaps (every row), hub_scores and their baselines per size."""
    out = []
    for n in sizes:
        db = workdir / f"scale-{n}.duckdb"
        db.unlink(missing_ok=True)
        gen = generate(db, n)
        row: dict[str, Any] = {"rows": gen["rows"]}
        for task in ("mirror_all", "mirror_all_base", "hubs", "hubs_base"):
            try:
                m = run_task(task, db)
            except SystemExit as exc:  # e.g. out of DuckDB memory: reported, not fatal
                print(f"  scale {gen['rows']:,} rows: {exc}")
                m = {"seconds": math.nan, "cpu_seconds": math.nan, "peak_rss": 0}
                if task.endswith("_base"):
                    # a one-statement baseline that runs out of DuckDB's 8 GB gets more room
                    # rather than no figure: generous to the baseline, and recorded
                    try:
                        m = run_task(task, db, env={"TRANSSHIP_DUCKDB_MEMORY": BASE_RETRY_MEMORY})
                        row[f"{task}_memory_limit"] = BASE_RETRY_MEMORY
                    except SystemExit as exc2:
                        print(f"  scale {gen['rows']:,} rows: {exc2} (memory {BASE_RETRY_MEMORY})")
            row[task] = m["seconds"]
            row[f"{task}_cpu"] = m["cpu_seconds"]
            row[f"{task}_rss"] = m["peak_rss"]
        out.append(row)
        print(
            f"  scale {gen['rows']:>11,} rows: mirror_gaps {row['mirror_all']:.2f} s "
            f"(CPU {row['mirror_all_cpu']:.1f}; baseline {row['mirror_all_base']:.2f}), "
            f"hub_scores {row['hubs']:.2f} s (CPU {row['hubs_cpu']:.1f}; baseline "
            f"{row['hubs_base']:.2f}); mirror peak {row['mirror_all_rss'] / GIB:.1f} GiB"
        )
        db.unlink(missing_ok=True)
    return out


def check_targets(ratios: dict[str, Any]) -> list[str]:
    """Targets missed at full size. A wall ratio over its target whose CPU ratio meets it is
    reported as probable load, not as a miss: on a shared machine one busy core moves a
    two-threaded query's wall time far more than its CPU time."""
    missed = []
    for key, limit in TARGETS.items():
        r = ratios[key]
        if r["ratio"] <= limit:
            continue
        if r["cpu_ratio"] <= limit:
            print(
                f"  {r['function']}: wall ratio {r['ratio']:.2f} > {limit} but CPU ratio "
                f"{r['cpu_ratio']:.2f} meets it (load?); re-run on a quiet machine"
            )
        else:
            missed.append(f"{r['function']} ratio {r['ratio']:.2f} > {limit}")
    return missed


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "_measure":
        origin = sys.argv[4] if len(sys.argv) > 4 else None
        print(json.dumps(measure(sys.argv[2], Path(sys.argv[3]), origin)))
        return
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--smoke", action="store_true", help=f"{SMOKE_ROWS:,} rows, one repeat (CI)")
    ap.add_argument("--rows", type=int, default=ROWS_PER_YEAR, help="rows for the ratio table")
    ap.add_argument("--scaling", default="", help="row counts for the scaling table, e.g. 1e6,1e7")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="transship-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
    }
    rows = SMOKE_ROWS if args.smoke else args.rows
    report["ratios"] = bench(rows, 1 if args.smoke else args.repeat, workdir)
    sizes = [int(float(x)) for x in args.scaling.split(",") if x.strip()]
    report["scaling"] = [] if args.smoke else scaling(sizes, workdir)
    report["load_average_end"] = os.getloadavg()
    OUT.mkdir(exist_ok=True)
    name = "flows-smoke.json" if args.smoke else "flows.json"
    (OUT / name).write_text(json.dumps(report, indent=2))
    print(f"written {OUT / name} (load average {report['load_average_end'][0]:.1f})")
    if args.smoke:
        print("smoke size: ratios reported, targets checked only at full size")
        return
    missed = check_targets(report["ratios"])
    if missed:
        print("TARGETS MISSED: " + "; ".join(missed))


if __name__ == "__main__":
    main()
