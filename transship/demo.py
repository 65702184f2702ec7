"""The demo pipeline: reference data + the Serbia case -> simulation -> ingest -> stages.

Library code, so the CLI, the tests and a notebook run the same thing. Every simulated row
is labelled SIMULATED in the store (``simulated = true``) and in what the demo prints.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from transship import cases
from transship.exc import NotFound
from transship.ingest.pipeline import ingest_paths
from transship.store import Store, connect
from transship.store.reference import load_reference

#: What later issues will add; printed so nobody mistakes the demo for the whole system.
NOT_BUILT = {
    "resolve": "party resolution and sanctions screening (transliteration, ownership traversal)",
    "risk": "the criterion-7 / ATT art. 11 diversion-risk assessment (certificate checks exist)",
    "claims": "Admiralty grading, corroboration by independent origin, contradictions",
    "outlook": "dependencies, leverage scenarios (Monte Carlo), competing hypotheses (ACH)",
    "report": "HTML/PDF reports, GEXF/GraphML (FtM and CSV/Parquet export exist)",
    "serve": "REST API and web UI",
}
#: The simulation writes the same world as Comtrade-style and BACI-style statistics; the
#: demo reads the flows stage off the Comtrade-style one (both sides reporting, mirror gaps).
DEMO_DATASET = "comtrade"
DEMO_FILES = ("transship.duckdb", "transship.duckdb.wal", "simulated", "routes.html")


@dataclass
class DemoReport:
    store: str
    tables: list[dict[str, Any]] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    not_built: dict[str, str] = field(default_factory=lambda: dict(NOT_BUILT))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_demo(
    out: Path,
    seed: int = 1,
    case: Path | None = None,
    log: Callable[[str], None] | None = None,
) -> DemoReport:
    """Build a fresh demo store in ``out`` and run every stage that exists."""
    say = log or (lambda _m: None)
    case_dir = case or cases.default_case()
    if not case_dir.is_dir():
        raise NotFound(f"no case folder {case_dir}")
    out.mkdir(parents=True, exist_ok=True)
    for name in DEMO_FILES:  # a fresh store, but never touch anything else in `out`
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    db = out / "transship.duckdb"
    report = DemoReport(store=str(db))
    with connect(db) as store:
        say("loading shipped reference tables")
        ref = load_reference(store)
        report.sections.append(
            {
                "title": "Reference data (shipped)",
                "lines": [f"{t}: {n:,} rows" for t, n in ref.items()],
            }
        )
        _case(store, case_dir, report, say)
        sim_dir = _simulate(store, case_dir, out / "simulated", seed, report, say)
        _flows(store, report, say, out / "routes.html")
        _evaluate(sim_dir, report, say)
        report.tables = _table_counts(store)
    return report


def _case(store: Store, case_dir: Path, report: DemoReport, say: Callable[[str], None]) -> None:
    from transship.simulate.case import case_files, load_case

    say(f"reading case {case_dir}")
    case = load_case(case_dir)
    # The case's own dataset name, so its parties and claims stay apart from any other source.
    results = ingest_paths(store, case_files(case), dataset=case_dataset(case_dir))
    lines = [
        f"{Path(r.file).name}: {r.rows_loaded:,} rows ({r.format}, {r.status})" for r in results
    ]
    parties = store.fetchall(
        "SELECT caption, schema, json_extract_string(properties, '$.country[0]') FROM entities "
        "WHERE dataset = ? AND schema IN ('Company', 'Organization', 'LegalEntity', 'PublicBody') "
        "ORDER BY caption",
        [case_dataset(case_dir)],
    )
    if parties:
        lines.append("parties: " + "; ".join(f"{p[0]} ({p[2] or '?'})" for p in parties))
    for product in case.products.values():
        v = product.unit_value_eur
        basis = f"claim {v.source}" if v.source else f"assumption: {v.reason}"
        lines.append(
            f"product {product.name} (HS {product.hs_code}, {product.ml_category}, {product.calibre or '-'}): "
            f"EUR {_money(v.low)}-{_money(v.high)} per {product.unit.rstrip('s')} [{basis}]"
        )
    claims = store.fetchall("SELECT claim_id, attributed_to FROM claims ORDER BY claim_id")
    if claims:
        lines.append(
            f"claims: {len(claims)} with their attributed sources, e.g. "
            + "; ".join(f"{c[0]} <- {c[1]}" for c in claims[:3])
        )
    report.sections.append(
        {"title": f"Case {case_dir.name} (real sources, project's own words)", "lines": lines}
    )


def _money(x: float) -> str:
    return f"{x:,.2f}" if x < 10 else f"{x:,.0f}"


def case_dataset(case_dir: Path) -> str:
    """The dataset name a case's files are stored under (``transship_case_serbia_2025``)."""
    return "transship_case_" + case_dir.name.replace("-", "_")


def _simulate(
    store: Store,
    case_dir: Path,
    sim_dir: Path,
    seed: int,
    report: DemoReport,
    say: Callable[[str], None],
) -> Path:
    from transship.simulate import run as simulate

    say(f"simulating the diversion system (seed {seed}) -> {sim_dir}  [SIMULATED]")
    result = simulate(case_dir, sim_dir, seed=seed)
    # Only the data folder: truth.jsonl and manifest.json are the answer key, not evidence.
    results = ingest_paths(store, [result.data_dir])
    loaded = sum(r.rows_loaded for r in results)
    rejected = sum(r.rows_rejected for r in results)
    failed = [r for r in results if r.status == "failed"]
    lines = [
        f"SIMULATED data written to {sim_dir} (seed {seed}); every file and every stored row is marked simulated",
        f"ingested {len(results)} files: {loaded:,} rows loaded, {rejected:,} rejected",
    ]
    summary = getattr(result, "summary", None)
    if callable(summary):
        lines.extend(str(x) for x in summary())
    lines.extend(f"FAILED {r.file}: {r.message}" for r in failed)
    report.sections.append({"title": "Simulation [SIMULATED]", "lines": lines})
    return sim_dir


def _flows(store: Store, report: DemoReport, say: Callable[[str], None], picture: Path) -> None:
    from transship.flows.engine import DuckDBEngine
    from transship.flows.hubs import hub_scores
    from transship.flows.routes import find_routes, sankey
    from transship.report.sankey import render_html

    say("flows: hubs and routes for HS 9306 (ammunition) [on SIMULATED Comtrade-style statistics]")
    engine = DuckDBEngine(store)
    lines = []
    hubs = sorted(hub_scores(engine, product="9306", dataset=DEMO_DATASET), key=lambda h: -h.score)[
        :5
    ]
    for h in hubs:
        top = max(h.indicators, key=lambda i: i.value * i.weight) if h.indicators else None
        why = f" (strongest: {top.name} = {top.value:.2f})" if top else ""
        lines.append(f"hub {h.territory} {h.year}: score {h.score:.2f}{why}")
    found = find_routes(
        engine,
        origin="SRB",
        destination="UKR",
        product="9306",
        break_date="2022-02",
        dataset=DEMO_DATASET,
    )
    routes = found[:5]
    for r in routes:
        lines.append(
            f"route {' -> '.join(r.path)}: share {r.share:.1%} [{r.low:.1%}, {r.high:.1%}], "
            f"USD {r.value_usd:,.0f}, score {r.score:.2f}, {_evidence_rows(r)} evidence rows"
        )
    if found:
        title = "Routes of HS 9306 from SRB to UKR (simulated Serbia 2025 case)"
        note = "Each band cites its trade_flows record ids: transship routes ... --json."
        picture.write_text(render_html(sankey(found[:10]), title, [note]), encoding="utf-8")
        lines.append(f"Sankey diagram of the top {min(len(found), 10)} routes: {picture}")
    if not lines:
        lines.append("no hubs or routes found")
    report.sections.append({"title": "Flows: hubs and routes [SIMULATED data]", "lines": lines})


def _evidence_rows(route: Any) -> int:
    """How many trade_flows rows stand behind a route (each leg lists its record ids)."""
    return sum(len(leg["record_ids"]) for leg in route.evidence)


def _evaluate(sim_dir: Path, report: DemoReport, say: Callable[[str], None]) -> None:
    from transship.evaluate import evaluate

    say("evaluating detection against the simulation's ground truth")
    rows = evaluate(sim_dir)
    lines = []
    for r in rows:
        d = r.to_dict()
        lines.append(
            f"{d['stage']:<14} noise {d['noise']!s:<7} precision {d['precision']:.2f}  recall {d['recall']:.2f}  "
            f"F1 {d['f1']:.2f}  (support {d['support']})"
        )
    report.sections.append(
        {"title": "Detection quality against ground truth [SIMULATED]", "lines": lines}
    )


def _table_counts(store: Store) -> list[dict[str, Any]]:
    rows = []
    for t in store.tables(views=False):
        if t.startswith("_") or t.startswith("ref_"):
            continue
        cols = store.columns(t)
        n = store.count(t)
        if n == 0 and t.endswith("_superseded"):  # revision history: shown once there is some
            continue
        sim = 0
        if "simulated" in cols and n:
            sim = int(store.fetchall(f'SELECT count(*) FROM "{t}" WHERE simulated')[0][0])
        rows.append({"table": t, "rows": n, "simulated": sim})
    return rows
