"""Ingest benchmark: `transship ingest` of a BACI-shaped CSV against DuckDB's bare ``read_csv``.

Why a baseline in the same run: absolute seconds depend on the machine; the ratio to the
fastest thing DuckDB itself can do with the same file on the same machine does not (much).
The goal is ``transship / bare <= 2`` and a peak RSS that stays flat as the file grows.

Each measurement runs in a fresh subprocess (``python benchmarks/ingest.py _measure ...``)
on a fresh store, and reports its wall time and its peak RSS (``getrusage`` ``ru_maxrss``,
what ``/usr/bin/time -v`` prints as "Maximum resident set size").

    python benchmarks/ingest.py --smoke                        # ~200k rows, CI, < 1 minute
    python benchmarks/ingest.py --rows 1000000,5000000,10000000 --repeat 3

The input is generated (seeded, so every run reads the same bytes): BACI's layout
``t,i,j,k,v,q`` with BACI country codes, HS6 codes that lost their leading zero, values in
thousands of USD with 3 decimals and about 3% of quantities given as BACI's padded
``           NA``. A table is printed and the figures are written as JSON to benchmarks/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
SEED = 20240101
SMOKE_ROWS = 200_000
NA_SHARE = 0.03

#: BACI country codes (numeric; CEPII's own list: 251 France, 490 Other Asia, 699 India,
#: 842 USA...). Codes the shipped territory table cannot resolve are dropped at run time.
BACI_CODES = (
    4,
    8,
    12,
    16,
    20,
    24,
    28,
    31,
    32,
    36,
    40,
    44,
    48,
    50,
    51,
    52,
    56,
    58,
    60,
    64,
    68,
    70,
    72,
    76,
    84,
    86,
    90,
    92,
    96,
    100,
    104,
    108,
    112,
    116,
    120,
    124,
    132,
    136,
    140,
    144,
    148,
    152,
    156,
    162,
    166,
    170,
    174,
    175,
    178,
    180,
    184,
    188,
    191,
    192,
    196,
    200,
    203,
    204,
    208,
    212,
    214,
    218,
    222,
    226,
    231,
    232,
    233,
    238,
    242,
    246,
    251,
    258,
    260,
    262,
    266,
    268,
    270,
    275,
    276,
    278,
    280,
    288,
    292,
    296,
    300,
    304,
    308,
    316,
    320,
    324,
    328,
    332,
    340,
    344,
    348,
    352,
    360,
    364,
    368,
    372,
    376,
    381,
    384,
    388,
    392,
    398,
    400,
    404,
    408,
    410,
    414,
    417,
    418,
    422,
    426,
    428,
    430,
    434,
    440,
    442,
    446,
    450,
    454,
    458,
    462,
    466,
    470,
    478,
    480,
    484,
    490,
    496,
    498,
    499,
    500,
    504,
    508,
    512,
    516,
    520,
    524,
    528,
    530,
    531,
    533,
    534,
    535,
    540,
    548,
    554,
    558,
    562,
    566,
    570,
    574,
    579,
    580,
    583,
    584,
    585,
    586,
    591,
    598,
    600,
    604,
    608,
    612,
    616,
    620,
    624,
    626,
    634,
    642,
    643,
    646,
    652,
    654,
    659,
    660,
    662,
    666,
    670,
    674,
    678,
    682,
    686,
    688,
    690,
    694,
    697,
    699,
    702,
    703,
    704,
    705,
    706,
    710,
    711,
    716,
    724,
    728,
    729,
    736,
    740,
    748,
    752,
    757,
    760,
    762,
    764,
    768,
    772,
    776,
    780,
    784,
    788,
    792,
    795,
    796,
    798,
    800,
    804,
    807,
    810,
    818,
    826,
    834,
    842,
    849,
    854,
    858,
    860,
    862,
    876,
    882,
    887,
    891,
    894,
)
CHUNK = 1_000_000


# -- input -----------------------------------------------------------------------------------
def usable_codes() -> list[int]:
    """The BACI codes transship resolves (so the benchmark measures loading, not rejecting)."""
    from transship.exc import UnknownCode
    from transship.normalise.territories import from_baci

    out = []
    for code in BACI_CODES:
        try:
            from_baci(code)
        except UnknownCode:
            continue
        out.append(code)
    return out


def generate(path: Path, rows: int, codes: list[int], seed: int = SEED) -> None:
    """Write a BACI-shaped CSV of ``rows`` data rows (same seed, same bytes)."""
    rng = np.random.default_rng(seed)
    # ~5,000 HS6 codes over chapters 1-97, as BACI writes them: integers, leading zero lost.
    chapters = rng.integers(1, 98, 5000)
    hs6 = np.unique(chapters * 10_000 + rng.integers(100, 10_000, 5000))
    country = np.asarray(codes, dtype=np.int32)
    # Distinct (i, j, k) flows, in BACI's order: a key repeated within a file is a reject
    # (docs/store.md, Revisions), and BACI never repeats one.
    nc, nk = len(country), len(hs6)
    if rows > nc * nc * nk:
        raise SystemExit(f"at most {nc * nc * nk:,} distinct flows with these codes")
    flows = np.sort(rng.choice(nc * nc * nk, size=rows, replace=False))
    opts = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with open(path, "wb") as f:
        f.write(b"t,i,j,k,v,q\n")
        done = 0
        while done < rows:
            n = min(CHUNK, rows - done)
            flat = flows[done : done + n]
            value = np.maximum(np.round(rng.lognormal(2.0, 2.5, n), 3), 0.001)
            qty = np.maximum(np.round(rng.lognormal(1.0, 3.0, n), 3), 0.001)
            qty_text = pa.array(qty).cast(pa.string())
            na = pa.array(rng.random(n) < NA_SHARE)
            qty_text = pa.compute.if_else(na, pa.scalar("           NA"), qty_text)
            table = pa.table(
                {
                    "t": pa.array(np.full(n, 2022, dtype=np.int32)),
                    "i": pa.array(country[flat // (nc * nk)]),
                    "j": pa.array(country[(flat // nk) % nc]),
                    "k": pa.array(hs6[flat % nk]),
                    "v": pa.array(value),
                    "q": qty_text,
                }
            )
            pacsv.write_csv(table, f, write_options=opts)
            done += n


# -- measurements (each in its own process) ---------------------------------------------------
def measure(kind: str, csv_path: Path, db_path: Path) -> dict[str, Any]:
    """Load ``csv_path`` into a fresh store at ``db_path``; wall time, peak RSS, rows.

    The clock starts after the one-off set-up (imports, the reader registry, the territory
    index): that is a constant per process, reported on its own as ``setup_s``, not a cost
    per row. The bare load gets the same treatment (DuckDB is imported and the store opened
    before its clock starts). The clock stops when the store is closed: closing checkpoints,
    and DuckDB may leave the real write of a big transaction to that checkpoint
    (``close_s``).
    """
    sys.path.insert(0, str(ROOT))
    t0 = time.perf_counter()
    from transship.ingest import ingest_file
    from transship.ingest.registry import readers
    from transship.normalise.territories import from_baci
    from transship.store import connect

    readers()
    from_baci(688)
    store = connect(db_path)
    setup = time.perf_counter() - t0
    try:
        start = time.perf_counter()
        cpu = time.process_time()
        if kind == "bare":
            store.execute(f"CREATE TABLE bare AS SELECT * FROM read_csv('{csv_path}')")
            rows = store.count("bare")
            rejected = 0
        else:
            result = ingest_file(store, csv_path, format="baci")
            rows, rejected = result.rows_loaded, result.rows_rejected
        loaded = time.perf_counter() - start
    finally:
        # Closing checkpoints the store: DuckDB may defer writing the table until then, so
        # the time until the data is safely in the file includes it (for both sides).
        store.close()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "kind": kind,
        "seconds": round(seconds, 3),
        "close_s": round(seconds - loaded, 3),
        "setup_s": round(setup, 3),
        "cpu_s": round(cpu, 2),  # all threads of the process (Python, Arrow, DuckDB)
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "rows": rows,
        "rejected": rejected,
        "db_mib": round(db_path.stat().st_size / 2**20, 1),
    }


def run_measure(kind: str, csv_path: Path, workdir: Path) -> dict[str, Any]:
    db = workdir / f"{kind}.duckdb"
    for p in (db, db.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, __file__, "_measure", kind, str(csv_path), str(db)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{kind} measurement failed:\n{proc.stderr[-3000:]}")
    db.unlink(missing_ok=True)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# -- driver -----------------------------------------------------------------------------------
def bench(sizes: list[int], workdir: Path, repeat: int) -> dict[str, Any]:
    codes = usable_codes()
    results = []
    for rows in sizes:
        csv_path = workdir / f"baci_HS17_Y2022_bench{rows}.csv"
        t0 = time.perf_counter()
        generate(csv_path, rows, codes)
        gen_s = time.perf_counter() - t0
        bare = [run_measure("bare", csv_path, workdir) for _ in range(repeat)]
        ours = [run_measure("transship", csv_path, workdir) for _ in range(repeat)]
        best_bare = min(bare, key=lambda r: r["seconds"])
        best_ours = min(ours, key=lambda r: r["seconds"])
        if best_ours["rows"] != rows:
            raise SystemExit(f"transship loaded {best_ours['rows']} of {rows} rows")
        results.append(
            {
                "rows": rows,
                "file_mib": round(csv_path.stat().st_size / 2**20, 1),
                "generate_s": round(gen_s, 2),
                "bare": best_bare,
                "transship": best_ours,
                "ratio_time": round(best_ours["seconds"] / best_bare["seconds"], 2),
                "all_bare_s": [r["seconds"] for r in bare],
                "all_transship_s": [r["seconds"] for r in ours],
            }
        )
        csv_path.unlink()
        print_row(results[-1], header=len(results) == 1)
    return {
        "benchmark": "ingest",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "duckdb_threads": os.environ.get("TRANSSHIP_DUCKDB_THREADS", "2"),
            "batch_rows": os.environ.get("TRANSSHIP_BATCH_ROWS", "262144"),
        },
        "repeat": repeat,
        "results": results,
    }


def print_row(r: dict[str, Any], header: bool) -> None:
    if header:
        print(
            f"{'rows':>11} {'file MiB':>9} {'bare s':>8} {'transship s':>12} {'ratio':>6} "
            f"{'bare RSS MiB':>13} {'transship RSS MiB':>18}"
        )
    print(
        f"{r['rows']:>11,} {r['file_mib']:>9} {r['bare']['seconds']:>8.2f} "
        f"{r['transship']['seconds']:>12.2f} {r['ratio_time']:>6.2f} "
        f"{r['bare']['peak_rss_mib']:>13.0f} {r['transship']['peak_rss_mib']:>18.0f}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_measure":
        kind, csv_path, db = argv[1], Path(argv[2]), Path(argv[3])
        print(json.dumps(measure(kind, csv_path, db)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,5000000,10000000", help="comma-separated sizes")
    parser.add_argument(
        "--smoke", action="store_true", help=f"one size of {SMOKE_ROWS:,} rows (CI)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (best kept)")
    parser.add_argument("--workdir", type=Path, default=None, help="where inputs and stores go")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the JSON result")
    args = parser.parse_args(argv)
    sizes = [SMOKE_ROWS] if args.smoke else [int(s.replace("_", "")) for s in args.rows.split(",")]
    sys.path.insert(0, str(ROOT))
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="transship-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        report = bench(sizes, workdir, args.repeat)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    rss = [r["transship"]["peak_rss_mib"] for r in report["results"]]
    if len(rss) > 1:
        print(f"peak RSS, largest / smallest size: {max(rss[-1], 1) / max(rss[0], 1):.2f}")
    args.out.mkdir(parents=True, exist_ok=True)
    name = "ingest-smoke.json" if args.smoke else "ingest.json"
    (args.out / name).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
