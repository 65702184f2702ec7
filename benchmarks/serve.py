"""Serve benchmark: latency of route, hub, territory and record queries under 50 clients.

What ``transship serve`` runs, as it runs: the command itself in a subprocess (uvicorn, one
process, read-only, loopback, a free port), over the demo store (``transship demo``, built
fresh unless ``--db`` names one). Then:

1. **Cold**: each distinct route, hub and territory query once, one at a time: the cost of an
   analysis the server has not computed yet (afterwards it is kept in the result cache).
2. **Load**: ``--clients`` concurrent clients (default 50) on keep-alive connections, each
   asking, in a loop for ``--seconds``, one query drawn at random from the four kinds:
   routes and hubs (a handful of queries a user would ask, each computed once above),
   territory pages (every territory with flows), and records (ids drawn at random from every
   record table: most are asked for the first time, so they hit DuckDB). Latency is measured
   per request from send to last byte. The benchmark stops by itself.
3. **Baseline**: a fifth kind in the same mix, ``/api/health`` (no store query: routing,
   JSON and the socket). Each kind's p50/p99 is also given as a ratio to the baseline's,
   which says what a kind costs beyond serving any request on this machine at this moment
   (the machine is shared: absolute latencies move with its load, the ratios much less).
4. **Cost**: before the load, :data:`COST_REQUESTS` requests of each kind one at a time, and
   the server's CPU time per request (psutil): what each kind costs the server, which the
   machine's load does not change.

The clients are a few lines of asyncio HTTP/1.1 (no HTTP library): on a 2-core machine the
load generator shares the CPU with the server, and a heavy client would measure itself.
Goal (issue 12): p99 under 200 ms per kind at 50 clients on 2 cores; the report says per
kind whether it is met. Results: ``benchmarks/out/serve[-smoke].json`` (not committed).

    python benchmarks/serve.py --smoke            # 5 s of load, 50 clients, 10 territories (CI)
    python benchmarks/serve.py                    # 30 s
    python benchmarks/serve.py --db transship-demo/transship.duckdb --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "out"
GOAL_P99_MS = 200.0
#: The kind every other is compared with (see the module docstring).
BASELINE = "baseline"
#: Requests per kind of the cost phase (server CPU per request, one at a time).
COST_REQUESTS = 200
#: Territory pages a smoke run asks for (a full run: every territory with flows).
SMOKE_TERRITORIES = 10
ROUTES = [
    "/api/routes?origin=SRB&destination=UKR&product=9306&break=2022-02",
    "/api/routes?origin=SRB&destination=UKR&product=9306",
    "/api/routes?origin=SRB&product=9306&break=2022-02&max_hops=2",
]
HUBS = [
    "/api/hubs?product=9306",
    "/api/hubs?product=9306&break=2022",
    "/api/hubs?product=9306&kind=entrepot",
    "/api/hubs?product=93&limit=50",
]


def build_demo(folder: Path) -> Path:
    from transship.demo import run_demo

    return Path(run_demo(folder).store)


def start_server(db: Path) -> tuple[subprocess.Popen[str], str, int]:
    env = {**os.environ, "TRANSSHIP_API_TOKEN": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "transship.cli.main", "serve", "--port", "0", "--db", str(db)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()
    if not first.startswith("serving "):
        proc.kill()
        raise SystemExit(f"server did not start: {first}{proc.stderr.read()}")
    url = first.split(" on ", 1)[1].split("/ ", 1)[0]
    host, port = url.removeprefix("http://").rsplit(":", 1)
    assert host == "127.0.0.1", "the benchmark only talks to loopback"
    return proc, host, int(port)


class Connection:
    """One keep-alive HTTP/1.1 connection: GET and read the whole response."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode("ascii")
        )
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        body = await self.reader.readexactly(length)
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def fetch_json(host: str, port: int, path: str) -> Any:
    conn = Connection(host, port)
    try:
        status, body = await conn.get(path)
    finally:
        conn.close()
    if status != 200:
        raise SystemExit(f"{path}: HTTP {status} {body[:300]!r}")
    return json.loads(body)


async def discover(host: str, port: int, records: int, seed: int) -> dict[str, list[str]]:
    """The queries of each kind: territories with flows, record ids drawn at random."""
    sql = (
        "SELECT DISTINCT reporter_iso3 AS t FROM trade_flows WHERE reporter_iso3 IS NOT NULL "
        "UNION SELECT DISTINCT partner_iso3 FROM trade_flows WHERE partner_iso3 IS NOT NULL "
        "ORDER BY t"
    )
    body = await fetch_json(host, port, "/api/sql?limit=1000&q=" + quote(sql))
    territories = [f"/api/territories/{r['t']}" for r in body["items"]]
    tables = ["trade_flows", "shipments", "certificates", "licences", "claims", "entities"]
    union = " UNION ALL ".join(f"SELECT record_id FROM {t}" for t in tables)
    sample = f"SELECT record_id FROM ({union}) USING SAMPLE {records} ROWS (reservoir, {seed})"
    body = await fetch_json(host, port, "/api/sql?limit=1000&q=" + quote(sample))
    record_paths = [f"/api/records/{r['record_id']}" for r in body["items"]]
    while len(record_paths) < records:  # more than one page
        offset = len(record_paths)
        more = await fetch_json(
            host, port, f"/api/sql?limit=1000&offset={offset}&q=" + quote(sample)
        )
        if not more["items"]:
            break
        record_paths += [f"/api/records/{r['record_id']}" for r in more["items"]]
    return {
        "route": ROUTES,
        "hub": HUBS,
        "territory": territories,
        "record": record_paths,
        BASELINE: ["/api/health"],
    }


async def cold(host: str, port: int, queries: dict[str, list[str]]) -> dict[str, list[float]]:
    """First request of every route, hub and territory query, one at a time (ms)."""
    out: dict[str, list[float]] = {}
    conn = Connection(host, port)
    try:
        for kind in ("route", "hub", "territory"):
            for path in queries[kind]:
                t0 = time.perf_counter()
                status, body = await conn.get(path)
                out.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
                if status != 200:
                    raise SystemExit(f"{path}: HTTP {status} {body[:300]!r}")
    finally:
        conn.close()
    return out


async def load(
    host: str, port: int, queries: dict[str, list[str]], clients: int, seconds: float, seed: int
) -> tuple[dict[str, list[float]], dict[str, int], float]:
    """``clients`` loops of random queries for ``seconds``; latencies (ms) and errors per kind."""
    latencies: dict[str, list[float]] = {k: [] for k in queries}
    errors: dict[str, int] = {k: 0 for k in queries}
    kinds = list(queries)
    records = list(queries.get("record", []))
    random.Random(seed).shuffle(records)
    deadline = time.perf_counter() + seconds

    async def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        conn = Connection(host, port)
        try:
            while time.perf_counter() < deadline:
                kind = rng.choice(kinds)
                path = records.pop() if kind == "record" and records else rng.choice(queries[kind])
                t0 = time.perf_counter()
                try:
                    status, _ = await conn.get(path)
                except (OSError, asyncio.IncompleteReadError):
                    status = 0
                    conn.close()
                    conn = Connection(host, port)
                latencies[kind].append((time.perf_counter() - t0) * 1000)
                if status != 200:
                    errors[kind] += 1
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    return latencies, errors, time.perf_counter() - t0


async def cost(
    host: str, port: int, queries: dict[str, list[str]], server: psutil.Process
) -> dict[str, float]:
    """Server CPU (ms, all its threads) per request of each kind, asked one at a time on one
    connection: what a request costs the server whatever else runs on the machine, unlike
    its latency. Records are ids not asked before (each costs a DuckDB lookup)."""
    out: dict[str, float] = {}
    conn = Connection(host, port)
    try:
        for kind, paths in queries.items():
            n = COST_REQUESTS if kind != "record" else len(paths)
            before = server.cpu_times()
            for i in range(n):
                status, body = await conn.get(paths[i % len(paths)])
                if status != 200:
                    raise SystemExit(f"{paths[i % len(paths)]}: HTTP {status} {body[:300]!r}")
            after = server.cpu_times()
            used = (after.user - before.user) + (after.system - before.system)
            out[kind] = round(used * 1000 / max(n, 1), 2)
    finally:
        conn.close()
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "p99_ms": round(percentile(values, 99), 2),
        "max_ms": round(max(values), 2) if values else float("nan"),
        "mean_ms": round(statistics.fmean(values), 2) if values else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--smoke", action="store_true", help="5 s of load (CI)")
    ap.add_argument("--seconds", type=float, default=30.0, help="Seconds of load.")
    ap.add_argument("--clients", type=int, default=50, help="Concurrent clients.")
    ap.add_argument("--records", type=int, default=2000, help="Record ids to draw.")
    ap.add_argument("--db", type=Path, help="Store to serve (default: a fresh demo store).")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    seconds = 5.0 if args.smoke else args.seconds
    with tempfile.TemporaryDirectory(prefix="transship-bench-serve-") as tmp:
        db = args.db
        if db is None:
            print("building the demo store ...", file=sys.stderr)
            db = build_demo(Path(tmp) / "demo")
        proc, host, port = start_server(db)
        try:
            queries = asyncio.run(discover(host, port, args.records, args.seed))
            if args.smoke:  # every territory page costs seconds on its first request
                queries["territory"] = queries["territory"][:SMOKE_TERRITORIES]
                queries["route"] = queries["route"][:1]
            first = asyncio.run(cold(host, port, queries))
            server_cpu = psutil.Process(proc.pid)
            # record ids for the cost phase are not asked again under load (first asks only)
            cost_records = queries["record"][-COST_REQUESTS:]
            queries["record"] = queries["record"][:-COST_REQUESTS]
            cost_ms = asyncio.run(cost(host, port, {**queries, "record": cost_records}, server_cpu))
            before = server_cpu.cpu_times()
            latencies, errors, elapsed = asyncio.run(
                load(host, port, queries, args.clients, seconds, args.seed)
            )
            after = server_cpu.cpu_times()
            cpu_s = (after.user - before.user) + (after.system - before.system)
        finally:
            proc.terminate()
            proc.wait(60)
    kinds: dict[str, dict[str, Any]] = {}
    base = summary(latencies[BASELINE])
    for kind, values in latencies.items():
        s: dict[str, Any] = dict(summary(values))
        s["errors"] = errors[kind]
        s["p50_vs_baseline"] = round(s["p50_ms"] / base["p50_ms"], 2) if base["n"] else None
        s["p99_vs_baseline"] = round(s["p99_ms"] / base["p99_ms"], 2) if base["n"] else None
        if kind != BASELINE:
            s["goal_p99_met"] = bool(values) and s["p99_ms"] < GOAL_P99_MS
        kinds[kind] = s
    total = sum(len(v) for v in latencies.values())
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "store": str(args.db) if args.db else "fresh demo store",
        "clients": args.clients,
        "seconds": round(elapsed, 2),
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        # CPU the server spent per request (all its threads): what the machine's load does
        # not change, unlike latency; at N clients in a closed loop, latency ~ N x this /
        # the cores the server can use
        "server_cpu_ms_per_request": round(cpu_s * 1000 / max(total, 1), 2),
        "server_cpu_share": round(cpu_s / elapsed, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "goal": f"p99 < {GOAL_P99_MS:g} ms per kind",
        "load": kinds,
        "cold_first_request": {k: summary(v) for k, v in first.items()},
        "server_cpu_ms_per_request_by_kind": cost_ms,
        "queries": {k: len(v) for k, v in queries.items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / ("serve-smoke.json" if args.smoke else "serve.json")
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        f"{total:,} requests in {elapsed:.1f} s ({total / elapsed:,.0f}/s), {args.clients} clients"
    )
    print(
        f"{'kind':<10} {'n':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'errors':>6} "
        f"{'p50/base':>8} {'p99/base':>8}  goal"
    )
    for kind, s in kinds.items():
        met = "" if kind == BASELINE else "met" if s["goal_p99_met"] else "MISSED"
        print(
            f"{kind:<10} {s['n']:>6} {s['p50_ms']:>8.1f} {s['p95_ms']:>8.1f} {s['p99_ms']:>8.1f} "
            f"{s['errors']:>6} {s['p50_vs_baseline']:>8} {s['p99_vs_baseline']:>8}  {met}"
        )
    print(
        "server CPU per request, one at a time: "
        + ", ".join(f"{k} {v:.2f} ms" for k, v in cost_ms.items())
    )
    for kind, s in report["cold_first_request"].items():
        print(f"cold {kind:<10} n={s['n']} p50={s['p50_ms']:.0f} ms max={s['max_ms']:.0f} ms")
    print(f"written {out}")


if __name__ == "__main__":
    main()
