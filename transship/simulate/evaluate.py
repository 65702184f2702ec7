"""``transship evaluate``: how well do the detection stages find what the simulation planted?

Ingest a simulated folder into a store, run every detection stage that exists, and score
each against ``truth.jsonl``:

* ``certificates`` -- a certificate is flagged when any check of
  :mod:`transship.risk.certificates` fails; positives are the certificates of diverted
  consignments (forged, reused, naming an end user without compatible systems, or genuine
  but misleading -- the last kind shows nothing on paper, which caps recall honestly);
* ``shipments`` -- a customs record is flagged when it cites a flagged certificate;
  positives are the records of diverted consignments (every leg);
* ``hubs:<dataset>`` -- (territory, product, year) with a hub score of at least
  ``HUB_THRESHOLD``; positives are the intermediaries of each scheme in the years it ran;
* ``routes:<dataset>`` -- paths origin -> ... -> destination ranked by
  :func:`transship.flows.routes.find_routes` with a score of at least ``ROUTE_THRESHOLD``;
  positives are the schemes' paths. Queried per planted origin and product.

Flow stages run on each statistics dataset the folder holds: Comtrade as reported by each
side (noisy, one-sided, suppressed) and BACI-style reconciled flows. The thresholds are fixed
round numbers, not tuned per noise level, so the table shows how detection degrades.
Results carry ``noise``: the level recorded in the simulation's manifest.
"""

from __future__ import annotations

import importlib
import json
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transship.exc import InvalidInput, NotFound
from transship.flows.engine import DuckDBEngine
from transship.flows.hubs import hub_scores
from transship.flows.routes import find_routes
from transship.ingest.pipeline import IngestResult, ingest_paths
from transship.simulate.run import DATA, TRUTH, read_manifest
from transship.store import Store, connect

log = logging.getLogger(__name__)

HUB_THRESHOLD = 0.6
ROUTE_THRESHOLD = 0.2
ROUTE_RESAMPLES = 50


@dataclass(slots=True)
class EvalRow:
    """One stage at one noise level; ``to_dict`` is the ``--json`` interface (exactly
    stage, noise, precision, recall, f1, support)."""

    stage: str
    noise: str
    precision: float
    recall: float
    f1: float
    support: int
    tp: int = 0
    fp: int = 0
    fn: int = 0
    note: str = ""
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "noise": self.noise,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "support": self.support,
        }


def score(stage: str, noise: str, predicted: set[Any], actual: set[Any], note: str = "") -> EvalRow:
    """Precision, recall and F1 of a predicted set against the true one (0 when undefined)."""
    tp = len(predicted & actual)
    fp = len(predicted - actual)
    fn = len(actual - predicted)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return EvalRow(
        stage,
        noise,
        round(p, 4),
        round(r, 4),
        round(f1, 4),
        len(actual),
        tp,
        fp,
        fn,
        note,
        sorted(map(_label, actual - predicted))[:20],
        sorted(map(_label, predicted - actual))[:20],
    )


def _label(item: Any) -> str:
    if isinstance(item, tuple):
        return " ".join("-".join(x) if isinstance(x, tuple) else str(x) for x in item)
    return str(item)


def read_truth(sim_dir: str | Path) -> list[dict[str, Any]]:
    path = Path(sim_dir) / TRUTH
    if not path.exists():
        raise NotFound(f"{sim_dir} holds no {TRUTH}: not a folder written by `transship simulate`")
    rows = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{path}, line {n}: not JSON ({exc.msg})") from exc
    return rows


def _holdings(manifest: dict[str, Any]) -> Callable[[str, str, str | None], list[str]]:
    """Shipped operator table plus the case holdings the manifest carries."""
    from transship.exc import InvalidInput as _Invalid
    from transship.normalise.military import calibre as canonical
    from transship.risk.certificates import shipped_holdings

    extra: dict[str, list[list[str | None]]] = manifest.get("holdings", {})

    def held(country: str, cal: str, kind: str | None) -> list[str]:
        names = set(shipped_holdings(country, cal, kind))
        for system, s_cal, s_kind in extra.get(country.lower(), []):
            try:
                same = canonical(str(s_cal)) == canonical(cal)
            except _Invalid:
                same = False
            if same and (kind is None or s_kind is None or kind in str(s_kind)):
                names.add(str(system))
        return sorted(names)

    return held


def _datasets(store: Store, results: list[IngestResult]) -> dict[str, list[str]]:
    """Per store table, the (dataset, sha256) the simulation's files went in under (a file
    ingested earlier under another dataset name is found by its content hash)."""
    out: dict[str, list[str]] = {}
    for r in results:
        if r.sha256 is None or r.status == "failed":
            continue
        row = store.fetchall(
            "SELECT format, dataset FROM ingest_runs WHERE sha256 = ? AND status = 'ok' "
            "ORDER BY run_id LIMIT 1",
            [r.sha256],
        )
        if row:
            out.setdefault(str(row[0][0]), []).append(r.sha256)
    return out


def _in(shas: list[str]) -> str:
    return (
        "("
        + ", ".join("'" + s + "'" for s in shas if all(c in "0123456789abcdef" for c in s))
        + ")"
    )


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
    by_format = _datasets(store, results)
    rows: list[EvalRow] = []
    say("certificate checks")
    rows.extend(_certificate_stages(store, by_format, truth, manifest, label))
    years = tuple(manifest.get("years", ())) or None
    break_date = manifest.get("break_date")
    for fmt, name in (("comtrade-plus-csv", "comtrade"), ("baci", "baci")):
        shas = by_format.get(fmt)
        if not shas:
            continue
        dataset = _dataset_of(store, shas)
        for kind, stage_fn in (("hubs", _hub_stage), ("routes", _route_stage)):
            stage = f"{kind}:{name}"
            say(f"{kind} on {name}")
            try:
                row = stage_fn(store, dataset, truth, years, break_date, stage, label)
            except Exception as exc:  # noqa: BLE001 - one broken stage must not hide the others
                log.warning(
                    "stage %s failed and is not scored: %s: %s", stage, type(exc).__name__, exc
                )
                continue
            if row is not None:
                rows.append(row)
    return rows


def _dataset_of(store: Store, shas: list[str]) -> str | None:
    got = store.fetchall(
        f"SELECT DISTINCT dataset FROM ingest_runs WHERE status = 'ok' AND sha256 IN {_in(shas)}"
    )
    names = sorted(str(r[0]) for r in got)
    return names[0] if len(names) == 1 else None


def _certificate_stages(
    store: Store,
    by_format: dict[str, list[str]],
    truth: list[dict[str, Any]],
    manifest: dict[str, Any],
    label: str,
) -> list[EvalRow]:
    try:
        certs_mod = importlib.import_module("transship.risk.certificates")
    except ImportError:  # pragma: no cover - the stage ships with transship
        log.warning("certificate checks not available: stage skipped")
        return []
    cert_shas = by_format.get("certificates", [])
    ship_shas = by_format.get("shipments", [])
    if not cert_shas:
        return []
    certs = store.query(
        f"SELECT * FROM certificates WHERE source_sha256 IN {_in(cert_shas)} "
        "ORDER BY certificate_id"
    ).to_pylist()
    ships = store.query(
        "SELECT record_id, shipment_id, date, certificate_id, quantity, unit, sender_country, "
        "departure_country, destination_country FROM shipments "
        f"WHERE source_sha256 IN {_in(ship_shas or ['none'])} ORDER BY shipment_id"
    ).to_pylist()
    results = certs_mod.run_checks(certs, ships, _holdings(manifest))
    flagged = set(certs_mod.failed(results))
    true_false = {t["id"] for t in truth if t.get("kind") == "certificate" and t.get("false")}
    misleading_only = {
        t["id"]
        for t in truth
        if t.get("kind") == "certificate" and t.get("false") and t.get("reasons") == ["misleading"]
    }
    rows = [
        score(
            "certificates",
            label,
            flagged,
            true_false,
            f"{len(misleading_only)} of {len(true_false)} false certificates are genuine but "
            "misleading "
            "papers with no visible flaw",
        ),
    ]
    diverted = {t["id"] for t in truth if t.get("kind") == "shipment" and t.get("diverted")}
    flagged_ships = {str(s["shipment_id"]) for s in ships if s.get("certificate_id") in flagged}
    rows.append(
        score(
            "shipments",
            label,
            flagged_ships,
            diverted,
            "a shipment is flagged when it cites a flagged certificate",
        )
    )
    return rows


def _hub_stage(
    store: Store,
    dataset: str | None,
    truth: list[dict[str, Any]],
    years: tuple[int, ...] | None,
    break_date: str | None,
    stage: str,
    label: str,
) -> EvalRow | None:
    planted = {
        (t["territory"], t["product"], int(t["year"])) for t in truth if t.get("kind") == "hub"
    }
    if not planted:
        return None
    engine = DuckDBEngine(store)
    span = (int(years[0]), int(years[1])) if years else None
    brk = int(break_date[:4]) if break_date else None
    predicted: set[tuple[str, str, int]] = set()
    for product in sorted({p for _, p, _ in planted}):
        for h in hub_scores(engine, product=product, years=span, dataset=dataset, break_year=brk):
            if h.score >= HUB_THRESHOLD and (h.product == product or product.startswith(h.product)):
                predicted.add((h.territory, product, int(h.year)))
    return score(stage, label, predicted, planted, f"hub score >= {HUB_THRESHOLD}")


def _route_stage(
    store: Store,
    dataset: str | None,
    truth: list[dict[str, Any]],
    years: tuple[int, ...] | None,
    break_date: str | None,
    stage: str,
    label: str,
) -> EvalRow | None:
    planted = {(tuple(t["path"]), t["product"]) for t in truth if t.get("kind") == "route"}
    if not planted:
        return None
    engine = DuckDBEngine(store)
    span = (int(years[0]), int(years[1])) if years else None
    queries = sorted({(path[0], path[-1], product) for path, product in planted})
    predicted: set[tuple[tuple[str, ...], str]] = set()
    for origin, destination, product in queries:
        found = find_routes(
            engine,
            origin,
            destination,
            product=product,
            years=span,
            break_date=break_date,
            max_hops=3,
            resamples=ROUTE_RESAMPLES,
            dataset=dataset,
        )
        for r in found:
            if r.score >= ROUTE_THRESHOLD:
                predicted.add((tuple(r.path), product))
    return score(stage, label, predicted, planted, f"route score >= {ROUTE_THRESHOLD}")


def mean_rows(rows: list[EvalRow]) -> list[EvalRow]:
    """Average several runs (seeds) per stage and noise level: precision, recall and F1 are
    means over runs, support and counts are totals. Order: first appearance."""
    groups: dict[tuple[str, str], list[EvalRow]] = {}
    for r in rows:
        groups.setdefault((r.stage, r.noise), []).append(r)
    out = []
    for (stage, noise), rs in groups.items():
        n = len(rs)
        out.append(
            EvalRow(
                stage,
                noise,
                round(sum(r.precision for r in rs) / n, 4),
                round(sum(r.recall for r in rs) / n, 4),
                round(sum(r.f1 for r in rs) / n, 4),
                sum(r.support for r in rs),
                sum(r.tp for r in rs),
                sum(r.fp for r in rs),
                sum(r.fn for r in rs),
                f"mean of {n} runs; " + rs[0].note if n > 1 else rs[0].note,
            )
        )
    return out


def format_rows(rows: list[EvalRow]) -> list[dict[str, Any]]:
    """Rows for a human table (with the counts behind each figure)."""
    return [{**r.to_dict(), "tp": r.tp, "fp": r.fp, "fn": r.fn} for r in rows]


def stage_notes(rows: list[EvalRow]) -> list[str]:
    """One line per stage saying what was counted (for under the table)."""
    seen: dict[str, str] = {}
    for r in rows:
        seen.setdefault(r.stage, r.note)
    return [f"{stage}: {note}" for stage, note in seen.items() if note]
