"""The demo pipeline: reference data + the Serbia case -> simulation -> ingest -> stages.

Library code, so the CLI, the tests and a notebook run the same thing. Every simulated row
is labelled SIMULATED in the store (``simulated = true``) and in what the demo prints.

The detectors read the store only. The demo then reads the simulation's answer key
(``truth.jsonl``) to mark every hub and route it shows as planted or not, to give the
precision and recall of each list, and to name the planted ones the list missed: a reader
sees hits and misses, not a list that looks convincing.
"""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from transship import cases
from transship.evaluate.truth import planted_hubs, planted_routes, read_truth
from transship.exc import NotFound, TransshipError
from transship.ingest.pipeline import ingest_paths
from transship.store import Store, connect
from transship.store.reference import load_reference

#: What is not built yet; printed so nobody mistakes the demo for the whole system.
NOT_BUILT: dict[str, str] = {
    "fetch": "the demo never touches the network; real data comes with `transship fetch` (docs/sources.md)",
}
#: Each later stage's part of the demo: ``demo_section(store, out_dir) -> {"title", "lines"}``.
STAGE_SECTIONS = (
    "transship.resolve.demo",
    "transship.risk.demo",
    "transship.claims.demo",
    "transship.outlook.demo",
)
#: The demo reads the flows stage off the Comtrade-style statistics (both sides reporting,
#: mirror gaps); the evaluation also scores transship's reconciliation of them.
DEMO_DATASET = "comtrade"
DEMO_PRODUCT = "9306"
#: How many hubs and routes the demo lists (each marked planted / not planted).
SHOWN = 10
DEMO_FILES = (
    "transship.duckdb",
    "transship.duckdb.wal",
    "simulated",
    "routes.html",
    "report.html",
    "risk_assessment.html",
    "claims.html",
    "claims.json",
)


@dataclass
class DemoReport:
    store: str
    tables: list[dict[str, Any]] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    not_built: dict[str, str] = field(default_factory=lambda: dict(NOT_BUILT))
    #: The HTML report written into the output folder.
    report: str | None = None
    #: Precision and recall of each list shown, against the simulation's truth.
    marks: dict[str, dict[str, Any]] = field(default_factory=dict)

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
        truth = read_truth(sim_dir)
        _flows(store, report, say, out / "routes.html", truth)
        rows = _evaluate(store, sim_dir, report, say)
        _stage_sections(store, out, report, say)
        report.tables = _table_counts(store)
        _html_report(store, out / "report.html", report, say, rows)
    return report


def _stage_sections(
    store: Store, out: Path, report: DemoReport, say: Callable[[str], None]
) -> None:
    """Parties, risk, claims and outlook, each from its own stage module. A named error in
    one stage is shown as that section's result; the others still run."""
    for name in STAGE_SECTIONS:
        stage = name.split(".")[1]
        say(f"running the {stage} stage")
        try:
            section = importlib.import_module(name).demo_section(store, out)
        except TransshipError as exc:
            section = {"title": f"{stage}: failed", "lines": [exc.message]}
        report.sections.append(section)


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


def _flows(
    store: Store,
    report: DemoReport,
    say: Callable[[str], None],
    picture: Path,
    truth: list[dict[str, Any]],
) -> None:
    from transship.flows.routes import find_routes, sankey
    from transship.report.sankey import render_html
    from transship.store.engine import DuckDBEngine

    say(
        f"flows: hubs and routes for HS {DEMO_PRODUCT} (ammunition) "
        "[on SIMULATED Comtrade-style statistics]"
    )
    engine = DuckDBEngine(store)
    lines = _hub_lines(engine, truth, report)
    found = find_routes(
        engine,
        origin="SRB",
        destination="UKR",
        product=DEMO_PRODUCT,
        break_date="2022-02",
        dataset=DEMO_DATASET,
    )
    lines += _route_lines(found, truth, report)
    if found:
        title = "Routes of HS 9306 from SRB to UKR (simulated Serbia 2025 case)"
        note = "Each band cites its trade_flows record ids: transship routes ... --json."
        picture.write_text(render_html(sankey(found[:10]), title, [note]), encoding="utf-8")
        lines.append(f"Sankey diagram of the top {min(len(found), 10)} routes: {picture}")
    report.sections.append(
        {
            "title": (
                "Flows: hubs and routes [SIMULATED data], each marked against the "
                "simulation's truth (the detectors never read it)"
            ),
            "lines": lines,
        }
    )


def _compatible(a: str, b: str) -> bool:
    """Two HS codes at different levels name the same goods (9306 and 930690)."""
    return a.startswith(b) or b.startswith(a)


def _hub_scores(engine: Any) -> list[Any]:
    """The conduit score: what a scheme opening after a break makes of a territory."""
    from transship.flows.hubs import hub_scores

    return list(hub_scores(engine, product=DEMO_PRODUCT, dataset=DEMO_DATASET, kind="conduit"))


def _hub_lines(engine: Any, truth: list[dict[str, Any]], report: DemoReport) -> list[str]:
    planted = {(t, y): p for t, p, y in sorted(planted_hubs(truth)) if _compatible(p, DEMO_PRODUCT)}
    ranked = sorted(_hub_scores(engine), key=lambda h: (-h.score, h.territory, h.year))

    def is_planted(h: Any) -> bool:
        p = planted.get((h.territory, int(h.year)))
        return p is not None and _compatible(p, str(h.product))

    shown = ranked[:SHOWN]
    lines = [f"top {len(shown)} hubs by score (of {len(ranked)} territory-years with exports):"]
    for h in shown:
        top = max(h.indicators, key=lambda i: i.value * i.weight) if h.indicators else None
        why = f" (strongest: {top.name} = {top.value:.2f})" if top else ""
        mark = "PLANTED" if is_planted(h) else "not planted"
        lines.append(f"  [{mark}] hub {h.territory} {h.year}: score {h.score:.2f}{why}")
    hits = {(h.territory, int(h.year)) for h in shown if is_planted(h)}
    lines.append(_precision_line("hubs", len(shown), len(hits), len(planted), "intermediary-years"))
    report.marks["hubs"] = _marks(len(shown), len(hits), len(planted))
    rank = {
        (h.territory, int(h.year)): (k, h.score)
        for k, h in reversed(list(enumerate(ranked, 1)))
        if is_planted(h)
    }
    for key in sorted(set(planted) - hits):
        where = rank.get(key)
        lines.append(
            f"  missed (planted, not in the list): hub {key[0]} {key[1]}, "
            + (
                f"rank {where[0]}, score {where[1]:.2f}"
                if where
                else "no exports in the statistics, so no hub score"
            )
        )
    return lines


def _route_lines(found: list[Any], truth: list[dict[str, Any]], report: DemoReport) -> list[str]:
    planted = sorted(
        {
            path
            for path, p in planted_routes(truth)
            if path[0] == "SRB" and path[-1] == "UKR" and _compatible(p, DEMO_PRODUCT)
        }
    )
    shown = found[:SHOWN]
    lines = [f"top {len(shown)} routes SRB -> UKR by score (of {len(found)} found):"]
    for r in shown:
        mark = "PLANTED" if tuple(r.path) in planted else "not planted"
        lines.append(
            f"  [{mark}] route {' -> '.join(r.path)}: share {r.share:.1%} "
            f"[{r.low:.1%}, {r.high:.1%}], USD {r.value_usd:,.0f}, score {r.score:.2f}, "
            f"{_evidence_rows(r)} evidence rows"
        )
    hits = {tuple(r.path) for r in shown if tuple(r.path) in planted}
    lines.append(_precision_line("routes", len(shown), len(hits), len(planted), "paths"))
    report.marks["routes"] = _marks(len(shown), len(hits), len(planted))
    rank = {tuple(r.path): (k, r.score) for k, r in enumerate(found, 1)}
    for path in planted:
        if path in hits:
            continue
        where = rank.get(path)
        lines.append(
            f"  missed (planted, not in the list): route {' -> '.join(path)}, "
            + (
                f"rank {where[0]}, score {where[1]:.2f}"
                if where
                else "not found (a leg missing from the statistics, or below the share cut)"
            )
        )
    return lines


def _marks(shown: int, hits: int, planted: int) -> dict[str, Any]:
    return {
        "shown": shown,
        "planted_shown": hits,
        "planted": planted,
        "precision": round(hits / shown, 4) if shown else None,
        "recall": round(hits / planted, 4) if planted else None,
    }


def _precision_line(what: str, shown: int, hits: int, planted: int, unit: str) -> str:
    p = f"{hits / shown:.2f}" if shown else "-"
    r = f"{hits / planted:.2f}" if planted else "-"
    return (
        f"these {shown} {what}: precision {p} ({hits} of {shown} planted), recall {r} "
        f"({hits} of the {planted} planted {unit})"
    )


def _evidence_rows(route: Any) -> int:
    """How many trade_flows rows stand behind a route (each leg lists its record ids)."""
    return sum(len(leg["record_ids"]) for leg in route.evidence)


def _evaluate(
    store: Store, sim_dir: Path, report: DemoReport, say: Callable[[str], None]
) -> list[Any]:
    from transship.evaluate import evaluate

    say("evaluating detection against the simulation's ground truth")
    rows = evaluate(sim_dir, store=store, progress=say)
    lines = [
        "precision / recall / F1 at each stage's fixed threshold; AP = average precision of "
        "the whole ranking, beside baselines run in the same evaluation (docs/validation.md)"
    ]
    for r in rows:
        d = r.to_dict()
        line = (
            f"{d['stage']:<22} noise {d['noise']!s:<7} precision {d['precision']:.2f}  "
            f"recall {d['recall']:.2f}  F1 {d['f1']:.2f}  (support {d['support']})"
        )
        if r.average_precision is not None:
            base = ", ".join(
                f"{b.name} {b.average_precision:.2f}"
                for b in r.baselines
                if b.average_precision is not None
            )
            line += f"  AP {r.average_precision:.2f} (baselines: {base})"
        lines.append(line)
    lines.append(
        "certificates:diverted is the document row to read: diverted consignments found, "
        "flawed paper or not"
    )
    report.sections.append(
        {"title": "Detection quality against ground truth [SIMULATED]", "lines": lines}
    )
    return list(rows)


def _html_report(
    store: Store, path: Path, report: DemoReport, say: Callable[[str], None], rows: list[Any]
) -> None:
    """The HTML report of the demo store: the demo's query, and the evaluation rows beside
    its planted-against-found tables."""
    from transship.report.html import write_report

    say(f"writing the HTML report -> {path}")
    written = write_report(
        store,
        path,
        origin="SRB",
        destination="UKR",
        product=DEMO_PRODUCT,
        break_date="2022-02",
        dataset=DEMO_DATASET,
        evaluation=rows,
    )
    report.report = str(written)
    report.sections.append(
        {"title": "Report", "lines": [f"HTML report of this store (SIMULATED data): {written}"]}
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
