"""``transship evaluate``: ingest a simulation's published files, run the detectors, score.

Only ``sim_dir/data`` is ingested (what reporters would publish); the detectors read the
store and nothing else. ``truth.jsonl`` is read here, after the detectors ran, to score them.
Rows (each says in ``data`` what it is scored on):

* ``certificates:diverted``, ``certificates:flaws``, ``certificates``, ``shipments``
  (:mod:`transship.evaluate.certificates`);
* ``assessment:licences`` and ``assessment:requests``: the criterion-7 assessment
  (:func:`transship.risk.assess.assess_all`) ranking licence requests by diversion risk,
  beside document checks alone, governance alone, value and random
  (:mod:`transship.evaluate.diversion`);
* ``hubs:<d>`` and ``routes:<d>`` (:mod:`transship.evaluate.hubs`,
  :mod:`transship.evaluate.routes`) per statistics dataset ``<d>``:

  - ``comtrade``: the Comtrade-style statistics as each side reports them;
  - ``reconciled``: :func:`transship.flows.reconcile.reconcile` run over those statistics
    in the same store (one FOB value per exporter, importer, product and year, derived the
    way CEPII derives BACI; no simulated answer goes into it);
  - ``baci``: only for folders written before issue 11, whose ``data/baci`` files the
    simulator drew from the true flows with 3 % noise (near-truth: kept so old folders
    still score as they did, never the figure to quote).

Thresholds are fixed round numbers, not tuned per noise level, so the rows show how
detection degrades. Rows carry ``noise``: the level recorded in the simulation's manifest.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transship.evaluate.certificates import certificate_stages, holdings, sha_list
from transship.evaluate.diversion import assessment_rows
from transship.evaluate.hubs import hub_stage
from transship.evaluate.routes import route_stage
from transship.evaluate.scoring import EvalRow
from transship.evaluate.truth import background, planted_hubs, planted_routes, read_truth
from transship.exc import InvalidInput
from transship.flows import reconcile as rec
from transship.ingest.pipeline import IngestResult, ingest_paths
from transship.simulate.run import DATA, read_manifest
from transship.store import Store, connect
from transship.store.engine import DuckDBEngine

log = logging.getLogger(__name__)

#: What each statistics dataset's rows are scored on (``EvalRow.data``).
DATASET_NOTES = {
    "comtrade": "SIMULATED Comtrade-style statistics as each side reports them (data/comtrade)",
    "reconciled": (
        "transship reconcile over the SIMULATED Comtrade-style statistics (derived by "
        "transship from both sides' reports; no true flow goes into it)"
    ),
    "baci": (
        "BACI-style file an older simulator drew from the true flows with 3% noise "
        "(near-truth; not comparable with the other rows)"
    ),
}
#: Store formats of the statistics files, and the row suffix each gets.
STATISTICS_FORMATS = (("comtrade-plus-csv", "comtrade"), ("baci", "baci"))


def evaluate(
    sim_dir: str | Path,
    store: Store | None = None,
    noise: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[EvalRow]:
    """Ingest ``sim_dir/data`` into ``store`` (a temporary one when None), run the stages
    that exist and score them against ``sim_dir/truth.jsonl``. ``noise`` labels the rows
    (default: the level in the manifest)."""
    sim = Path(sim_dir)
    manifest = read_manifest(sim)
    if manifest.get("simulated") is not True:
        raise InvalidInput(f"{sim}: the manifest does not say the folder is simulated")
    truth = read_truth(sim)
    label = noise or str(manifest.get("noise", "unknown"))
    if store is None:
        with tempfile.TemporaryDirectory(prefix="transship-eval-") as tmp:
            with connect(Path(tmp) / "eval.duckdb") as own:
                return _evaluate(sim, own, manifest, truth, label, progress)
    return _evaluate(sim, store, manifest, truth, label, progress)


def _evaluate(
    sim: Path,
    store: Store,
    manifest: dict[str, Any],
    truth: list[dict[str, Any]],
    label: str,
    progress: Callable[[str], None] | None,
) -> list[EvalRow]:
    say = progress or (lambda _msg: None)
    say("ingesting the simulated files")
    results = ingest_paths(store, [sim / DATA])
    bad = [r for r in results if r.status == "failed"]
    if bad:
        raise InvalidInput(f"{bad[0].file}: could not be ingested: {bad[0].message}")
    by_format = datasets(store, results)
    rows: list[EvalRow] = []
    say("certificate checks")
    rows.extend(
        certificate_stages(
            store,
            by_format.get("certificates", []),
            by_format.get("shipments", []),
            truth,
            manifest,
            label,
        )
    )
    say("criterion-7 assessment of every licence request")
    try:
        rows.extend(
            assessment_rows(
                store,
                by_format.get("licences", []),
                by_format.get("certificates", []),
                by_format.get("shipments", []),
                truth,
                holdings(manifest),
                label,
            )
        )
    except Exception as exc:  # noqa: BLE001 - one broken stage must not hide the others
        log.warning("the assessment failed and is not scored: %s: %s", type(exc).__name__, exc)
    years = manifest.get("years")
    span = (int(years[0]), int(years[-1])) if years else None
    break_date = manifest.get("break_date")
    break_year = int(str(break_date)[:4]) if break_date else None
    routes, hubs = planted_routes(truth), planted_hubs(truth)
    other_routes, other_hubs = background(truth)
    products = case_products(store, by_format) | {p for _, p in routes} | {p for _, p, _ in hubs}
    engine = DuckDBEngine(store)
    for name, dataset in statistics_datasets(store, by_format, say):
        data = DATASET_NOTES[name]
        stage = f"hubs:{name}"
        say(f"hubs on {name}")
        try:
            row = hub_stage(
                engine, dataset, hubs, products, span, break_year, stage, label, data, other_hubs
            )
        except Exception as exc:  # noqa: BLE001 - one broken stage must not hide the others
            log.warning("stage %s failed and is not scored: %s: %s", stage, type(exc).__name__, exc)
            row = None
        if row is not None:
            rows.append(row)
        stage = f"routes:{name}"
        say(f"routes on {name}")
        try:
            row = route_stage(
                engine,
                dataset,
                routes,
                products,
                span,
                break_date,
                stage,
                label,
                data,
                say,
                other_routes,
            )
        except Exception as exc:  # noqa: BLE001
            log.warning("stage %s failed and is not scored: %s: %s", stage, type(exc).__name__, exc)
            row = None
        if row is not None:
            rows.append(row)
    return rows


def datasets(store: Store, results: list[IngestResult]) -> dict[str, list[str]]:
    """Per store format, the sha256 of the simulation's files (a file ingested earlier
    under another dataset name is found by its content hash)."""
    out: dict[str, list[str]] = {}
    for r in results:
        if r.sha256 is None or r.status == "failed":
            continue
        row = store.fetchall(
            "SELECT format FROM ingest_runs WHERE sha256 = ? AND status = 'ok' "
            "ORDER BY run_id LIMIT 1",
            [r.sha256],
        )
        if row:
            out.setdefault(str(row[0][0]), []).append(r.sha256)
    return out


def _dataset_of(store: Store, shas: list[str]) -> str | None:
    got = store.fetchall(
        f"SELECT DISTINCT dataset FROM ingest_runs WHERE status = 'ok' AND sha256 IN {sha_list(shas)}"
    )
    names = sorted(str(r[0]) for r in got)
    return names[0] if len(names) == 1 else None


def statistics_datasets(
    store: Store, by_format: dict[str, list[str]], say: Callable[[str], None]
) -> list[tuple[str, str | None]]:
    """(row suffix, store dataset) of every statistics dataset to score: the folder's own
    files, then the reconciliation derived from its Comtrade-style ones."""
    out: list[tuple[str, str | None]] = []
    for fmt, name in STATISTICS_FORMATS:
        shas = by_format.get(fmt)
        if shas:
            dataset = _dataset_of(store, shas)
            _only_this_folder(store, dataset, shas)
            out.append((name, dataset))
    comtrade = next((d for n, d in out if n == "comtrade"), None)
    if any(n == "comtrade" for n, _ in out):
        say("reconciling the Comtrade-style statistics")
        out.insert(1, ("reconciled", reconcile(store, comtrade)))
    return out


def _only_this_folder(store: Store, dataset: str | None, shas: list[str]) -> None:
    """The flow detectors read a whole dataset: refuse a store whose dataset also holds
    statistics from other files (another simulation evaluated into the same ``--db``), which
    would be scored as if they were this folder's."""
    if dataset is None:
        raise InvalidInput(
            "the simulation's statistics files are stored under more than one dataset name; "
            "evaluate into a fresh store (omit --db)"
        )
    other = store.fetchall(
        f"SELECT count(*) FROM trade_flows WHERE dataset = ? AND source_sha256 NOT IN {sha_list(shas)}",
        [dataset],
    )[0][0]
    if other:
        raise InvalidInput(
            f"the store's dataset {dataset!r} holds {other:,} statistics rows from other files "
            "(another simulation?): they would be scored with this one; evaluate into a fresh "
            "store (omit --db, or one --db per folder)"
        )


def reconcile(store: Store, dataset: str | None) -> str:
    """Run transship's reconciliation over ``dataset`` (what ``transship reconcile
    --dataset D`` does) and return the dataset name its rows are stored under. A run over
    the same inputs is recognised and not repeated; a new one supersedes the old."""
    rec.reconcile(store, dataset=dataset)
    return rec.DATASET


def case_products(store: Store, by_format: dict[str, list[str]]) -> set[str]:
    """HS6 codes on the case's licences and certificates: the products a user studying the
    case would query."""
    out: set[str] = set()
    for table, fmt in (("licences", "licences"), ("certificates", "certificates")):
        shas = by_format.get(fmt)
        if not shas:
            continue
        got = store.fetchall(
            f"SELECT DISTINCT hs_code FROM {table} WHERE source_sha256 IN {sha_list(shas)} "
            "AND hs_code IS NOT NULL"
        )
        out |= {str(r[0]) for r in got if len(str(r[0])) == 6 and str(r[0]).isdigit()}
    return out
