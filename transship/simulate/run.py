"""``transship simulate``: a case in, a folder of simulated files with ground truth out.

Layout of the output folder (everything in ``data/`` is what a store ingests; the truth and
the manifest sit beside it so ``transship ingest OUT/data`` never reads them as data)::

    manifest.json                  {"simulated": true, case, seed, scale, noise, years, files...}
    truth.jsonl                    one record per shipment, certificate, planted route and hub
    truth_flows.csv.gz             the true FOB flows (transship.simulate.truth), evaluation only
    data/comtrade/comtrade_plus_sim_<year>.csv   Comtrade+ records as each side reports them
    data/customs/shipments.csv, licences.csv, certificates.csv   transship's own formats

Only what reporters publish is data. No reconciled (BACI-style) file is written: reconciled
flows are derived from the Comtrade-style rows by ``transship reconcile`` like real ones, so a
measurement on them meets the same reporting distortions a real observer does.

Determinism: every random draw comes from a generator seeded with the run's seed and a fixed
stream number (documents, reporting profiles, each product's background and reporting), and
rows are written in a fixed order, so two runs with the same arguments write identical bytes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from transship.exc import InvalidInput
from transship.normalise.money import usd_per_eur
from transship.simulate.case import Case, holdings_table, load_case
from transship.simulate.documents import build_documents
from transship.simulate.register import COLUMNS as REGISTER_COLUMNS
from transship.simulate.statistics import COMTRADE_SCHEMA, StatisticsGenerator
from transship.simulate.truth import TRUTH_FLOWS, TRUTH_FLOWS_SCHEMA
from transship.simulate.world import load_territories, reporting_profiles
from transship.simulate.writers import (
    ArrowCsvSink,
    GzipCsvSink,
    banner,
    sha256_file,
    write_jsonl,
    write_records_csv,
)

MANIFEST = "manifest.json"
TRUTH = "truth.jsonl"
DATA = "data"
#: Rows buffered per output file before a write (bounded memory at any scale).
FLUSH_ROWS = 200_000

SHIPMENT_COLUMNS = [
    "shipment_id",
    "ccd_number",
    "direction",
    "date",
    "year",
    "declarant",
    "sender",
    "sender_country",
    "receiver",
    "receiver_country",
    "origin_country",
    "departure_country",
    "destination_country",
    "trading_country",
    "transit_countries",
    "hs_code",
    "ml_category",
    "goods_description",
    "calibre",
    "quantity",
    "unit",
    "net_weight_kg",
    "value",
    "currency",
    "value_usd",
    "licence_id",
    "certificate_id",
    "transport",
    "simulated",
]
LICENCE_COLUMNS = [
    "licence_id",
    "authority_country",
    "licence_type",
    "status",
    "exporter",
    "exporter_id",
    "consignee",
    "consignee_country",
    "end_user",
    "end_user_country",
    "destination",
    "ml_category",
    "hs_code",
    "goods_description",
    "calibre",
    "quantity",
    "unit",
    "value",
    "currency",
    "value_eur",
    "value_usd",
    "issued_date",
    "valid_until",
    "certificate_id",
    "denial_criteria",
    "simulated",
]
CERTIFICATE_COLUMNS = [
    "certificate_id",
    "exporter",
    "exporter_country",
    "consignee",
    "consignee_country",
    "end_user",
    "end_user_country",
    "final_destination",
    "goods_description",
    "hs_code",
    "ml_category",
    "calibre",
    "quantity",
    "unit",
    "end_use",
    "non_reexport_clause",
    "issuing_authority",
    "signatory",
    "issue_date",
    "valid_until",
    "delivery_verification",
    "licence_id",
    "simulated",
]

Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class SimulationResult:
    """What a run wrote; ``to_dict`` is the ``transship simulate --json`` output."""

    out_dir: Path
    case: str
    seed: int
    scale: float
    noise: str
    noise_factor: float
    years: tuple[int, int]
    files: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.out_dir / DATA

    @property
    def truth_path(self) -> Path:
        return self.out_dir / TRUTH

    @property
    def truth_flows_path(self) -> Path:
        return self.out_dir / TRUTH_FLOWS

    @property
    def manifest_path(self) -> Path:
        return self.out_dir / MANIFEST

    def data_files(self) -> list[Path]:
        return [self.out_dir / f["path"] for f in self.files if f["path"].startswith(DATA + "/")]

    def summary(self) -> list[str]:
        """A few human lines about the run (every one says SIMULATED)."""
        c = self.counts
        flows, rows, true_flows = (
            c.get("flow_components", 0),
            c.get("comtrade_rows", 0),
            c.get("true_flows", 0),
        )
        ships, div = c.get("shipments", 0), c.get("diverted_shipments", 0)
        certs, false = c.get("certificates", 0), c.get("false_certificates", 0)
        return [
            f"SIMULATED case {self.case}, seed {self.seed}, noise {self.noise}, years "
            f"{self.years[0]}-{self.years[1]}, scale {self.scale:g}",
            f"SIMULATED statistics: {flows:,} flow components -> {rows:,} Comtrade rows (both "
            f"sides); {true_flows:,} true flows kept for evaluation in {self.truth_flows_path}",
            f"SIMULATED documents: {ships:,} shipments ({div:,} diverted), {certs:,} certificates "
            f"({false:,} false), {c.get('planted_routes', 0)} planted routes "
            f"(ground truth in {self.truth_path})",
        ]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["out_dir"] = str(self.out_dir)
        d["years"] = list(self.years)
        d["simulated"] = True
        return d


def parse_years(text: str | None) -> tuple[int, int] | None:
    """``2019-2024`` or ``2023`` -> (start, end)."""
    if text is None or not str(text).strip():
        return None
    parts = str(text).strip().split("-")
    try:
        if len(parts) == 1:
            y = int(parts[0])
            return (y, y)
        if len(parts) == 2:
            a, b = int(parts[0]), int(parts[1])
            if b < a:
                raise InvalidInput(f"--years {text}: the end is before the start")
            return (a, b)
    except ValueError:
        pass
    raise InvalidInput(f"--years {text!r}: expected YEAR or START-END, e.g. 2019-2024")


def noise_factor(case: Case, noise: str | float) -> tuple[str, float]:
    if isinstance(noise, int | float):
        return (f"{float(noise):g}", float(noise))
    if noise in case.noise_levels:
        return (noise, case.noise_levels[noise])
    try:
        f = float(noise)
    except ValueError:
        raise InvalidInput(
            f"unknown noise level {noise!r}; known: {', '.join(case.noise_levels)} or a number"
        ) from None
    return (f"{f:g}", f)


def _prepare_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        manifest = out / MANIFEST
        ours = False
        if manifest.exists():
            try:
                ours = json.loads(manifest.read_text("utf-8")).get("simulated") is True
            except (OSError, json.JSONDecodeError):
                ours = False
        if not ours:
            raise InvalidInput(
                f"{out} is not empty and holds no simulation; choose an empty or new folder"
            )
        shutil.rmtree(out / DATA, ignore_errors=True)
        for name in (MANIFEST, TRUTH, TRUTH_FLOWS):
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def run(
    case_dir: str | Path,
    out_dir: str | Path,
    seed: int = 0,
    scale: float = 1.0,
    years: tuple[int, int] | str | None = None,
    progress: Progress | None = None,
    noise: str | float = "medium",
) -> SimulationResult:
    """Simulate ``case_dir`` into ``out_dir``. ``scale`` multiplies the background flow rows
    (1.0 = the case's ``background.flow_rows``); ``years`` narrows the case's years;
    ``progress(stage, done, total)`` is called as products are written."""
    if scale <= 0:
        raise InvalidInput("--scale must be positive")
    if seed < 0:
        raise InvalidInput("--seed must be zero or positive")
    case = load_case(case_dir)
    span = parse_years(years) if isinstance(years, str) else years
    span = span or case.years
    noise_name, factor = noise_factor(case, noise)
    if factor < 0:
        raise InvalidInput("noise must be zero or positive")
    out = Path(out_dir)
    _prepare_out(out)
    terr = load_territories()
    for iso2 in _case_territories(case):
        terr.index(iso2)  # raises a clear error for a territory the simulator lacks
    first_line = banner(case.id, seed, noise_name)

    docs = build_documents(
        case,
        terr,
        span,
        np.random.default_rng([seed, 1]),
        factor,
        np.random.default_rng([seed, 3]),
    )
    rep = reporting_profiles(case, terr, factor, np.random.default_rng([seed, 2]))
    units = _case_units(case)
    gen = StatisticsGenerator(
        case, terr, rep, docs.flows, span, scale, seed, units, docs.population_flows
    )

    result = SimulationResult(out, case.id, seed, scale, noise_name, factor, span)
    data = out / DATA
    comtrade = {
        y: ArrowCsvSink(
            data / "comtrade" / f"comtrade_plus_sim_{y}.csv", COMTRADE_SCHEMA, first_line
        )
        for y in range(span[0], span[1] + 1)
    }
    true_sink = GzipCsvSink(out / TRUTH_FLOWS, TRUTH_FLOWS_SCHEMA, first_line)
    buf_c: dict[int, list[Any]] = {y: [] for y in comtrade}
    buf_t: list[Any] = []
    sizes = {y: 0 for y in comtrade}
    true_rows = 0
    flow_rows = 0
    total = len(gen.plan.products)
    try:
        for p, hs in gen.products():
            comps, unit = gen.background(p, hs)
            flow_rows += len(comps)
            ct, tt = gen.report(p, hs, comps, unit)
            for y in comtrade:
                c = ct.filter(_eq(ct["refYear"], y))
                buf_c[y].append(c)
                sizes[y] += c.num_rows
                if sizes[y] >= FLUSH_ROWS:
                    _flush(comtrade[y], buf_c[y])
                    sizes[y] = 0
            buf_t.append(tt)
            true_rows += tt.num_rows
            if true_rows >= FLUSH_ROWS:
                _flush(true_sink, buf_t)
                true_rows = 0
            if progress is not None:
                progress("statistics", p + 1, total)
        for y in comtrade:
            _flush(comtrade[y], buf_c[y])
        _flush(true_sink, buf_t)
    finally:
        for sink in comtrade.values():
            sink.close()
        true_sink.close()

    customs = data / "customs"
    n_ship = write_records_csv(
        customs / "shipments.csv", docs.shipments, SHIPMENT_COLUMNS, first_line
    )
    n_lic = write_records_csv(customs / "licences.csv", docs.licences, LICENCE_COLUMNS, first_line)
    n_cert = write_records_csv(
        customs / "certificates.csv", docs.certificates, CERTIFICATE_COLUMNS, first_line
    )
    register = data / "sipri" / "sipri_register_sim.csv"
    n_reg = (
        write_records_csv(register, docs.register, REGISTER_COLUMNS, first_line)
        if docs.register
        else 0
    )
    n_truth = write_jsonl(out / TRUTH, docs.truth)
    if progress is not None:
        progress("documents", 1, 1)

    paths = [s.path for s in comtrade.values()]
    paths += [
        customs / "shipments.csv",
        customs / "licences.csv",
        customs / "certificates.csv",
        *([register] if n_reg else []),
        out / TRUTH,
        true_sink.path,
    ]
    rows: dict[Path, int] = {s.path: s.rows for s in comtrade.values()}
    rows[true_sink.path] = true_sink.rows
    rows.update(
        {
            customs / "shipments.csv": n_ship,
            customs / "licences.csv": n_lic,
            customs / "certificates.csv": n_cert,
            register: n_reg,
            out / TRUTH: n_truth,
        }
    )
    result.files = [
        {"path": p.relative_to(out).as_posix(), "rows": rows[p], "sha256": sha256_file(p)}
        for p in paths
    ]
    result.counts = {
        "flow_components": flow_rows,
        "comtrade_rows": sum(s.rows for s in comtrade.values()),
        "true_flows": true_sink.rows,
        "shipments": n_ship,
        "licences": n_lic,
        "certificates": n_cert,
        "diverted_shipments": sum(
            1 for t in docs.truth if t["kind"] == "shipment" and t["diverted"]
        ),
        "false_certificates": sum(
            1 for t in docs.truth if t["kind"] == "certificate" and t["false"]
        ),
        "planted_routes": sum(1 for t in docs.truth if t["kind"] == "route"),
        "licence_requests": sum(1 for t in docs.truth if t["kind"] == "licence"),
        "diverted_requests": sum(1 for t in docs.truth if t["kind"] == "licence" and t["diverted"]),
        "register_rows": n_reg,
    }
    manifest = {
        "simulated": True,
        "notice": "SIMULATED data written by transship simulate; "
        "not an observation of the real world",
        "case": case.id,
        "case_sha256": sha256_file(case.path),
        "seed": seed,
        "scale": scale,
        "noise": noise_name,
        "noise_factor": factor,
        "years": list(span),
        "break_date": case.break_date,
        "holdings": holdings_table(case),
        "usd_per_eur": {
            str(y): usd_per_eur(min(max(y, 1999), 2025)) for y in range(span[0], span[1] + 1)
        },
        "counts": result.counts,
        "files": result.files,
    }
    (out / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return result


def _eq(column: Any, value: int) -> Any:
    import pyarrow.compute as pc

    return pc.equal(column, value)


def _flush(sink: ArrowCsvSink | GzipCsvSink, buffer: list[Any]) -> None:
    import pyarrow as pa

    if buffer:
        sink.write(pa.concat_tables(buffer))
        buffer.clear()


def _case_territories(case: Case) -> set[str]:
    out = {p.country for p in case.parties.values()}
    for d in case.legitimate:
        out |= {d.seller_country, d.buyer_country}
    for s in case.schemes:
        out |= set(s.path)
        for leg in s.legs:
            out |= set(leg.transit)
    out |= set(case.holdings)
    return out


def _case_units(case: Case) -> dict[str, tuple[str, float]]:
    """Statistical unit and USD per unit for each HS code the case trades (mid-range prices)."""
    by_hs: dict[str, list[tuple[str, float]]] = {}
    rate = usd_per_eur(min(max(case.years[1], 1999), 2025))
    for prod in case.products.values():
        unit = "kg" if prod.unit == "kg" else "u"
        by_hs.setdefault(prod.hs_code, []).append((unit, prod.unit_value_eur.value * rate))
    out = {}
    for hs, items in sorted(by_hs.items()):
        unit = items[0][0] if all(u == items[0][0] for u, _ in items) else "kg"
        out[hs] = (unit, float(np.mean([v for _, v in items])))
    return out


def read_manifest(sim_dir: str | Path) -> dict[str, Any]:
    path = Path(sim_dir) / MANIFEST
    if not path.exists():
        raise InvalidInput(
            f"{sim_dir} holds no {MANIFEST}: not a folder written by `transship simulate`"
        )
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data
