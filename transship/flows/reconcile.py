"""Reconciled flows: one FOB value per exporter, importer, product and year from both reports.

Every flow is reported twice: the exporter's FOB value ``x`` and the importer's CIF value
``m``. They never agree, and often one side says nothing. CEPII's BACI (Gaulier & Zignago
2010, "BACI: International Trade Database at the Product-Level", CEPII WP 2010-23) derives one
value from the two: the importer's value brought to FOB with an estimated CIF/FOB margin, each
side weighted by how reliable its reporter is, one side alone where the other is silent. This
module does the same from the reported rows in the store, with the reporting model that
:mod:`transship.flows.mirror` fits (its ``_fit``, imported, not a second fit):

    ln m - ln x = mu[chapter] + a[E] + b[I] + e,   sigma_x[E], sigma_m[I] = robust sd of e

**Margin.** ``margin = exp(mu[chapter])`` (the fitted median log ratio of the chapter; the
median over chapters where the chapter had no matched pair; chains.CIF_FACTOR when nothing
could be fitted), ``m_fob = m / margin``. Country effects a, b are not applied, as in BACI:
only their sum is identified, so any split between exporter and importer would be arbitrary.

**Weights: inverse variances from the fitted dispersions.** With ``ln x = v + ex`` and
``ln m_fob = v + em`` (v the true log FOB value, ex and em independent errors), the
minimum-variance combination weighs each side by the inverse of its error variance. The
variances are the fitted dispersions, shrunk as mirror shrinks them (a country seen in few
pairs is pulled toward the global value)::

    value  = w_x x + w_m m_fob,   w_x = sigma_x^-2 / (sigma_x^-2 + sigma_m^-2),   w_m = 1 - w_x
    log_sd = tail * (sigma_x^-2 + sigma_m^-2)^-1/2     (one side only: tail * its sigma)

**Dollars, not logs, as BACI averages.** The weighted mean is taken of the dollar values. A
weighted mean of the logs (a geometric mean) would suit the multiplicative errors, but it lets
a report that is nearly silent pull the value by orders of magnitude: Saudi Arabia's USD 62
thousand of crude to the US in 2014 against the US's USD 42.5 billion (FOB) moves a geometric
mean with weight 0.04 to USD 23 billion, a dollar mean to USD 40.6 billion. Measured on
simulated truth the two differ little (docs/validation.md, "Reconciliation"). To first order
the dollar mean's relative error is ``w_x ex + w_m em``, so log_sd is the same expression.

``sigma_x[E]`` is the dispersion of E's residuals as exporter, so it holds its partners' noise
too (the residual is ``em - ex``): the weights are less extreme than those of each side's own
error. Removing the partners' share would need an assumption the data cannot check (only
differences between countries are identified, not how the total splits between exporters and
importers); ``split=True`` makes the neutral one (``s^2 = sigma^2 - g^2 / 2``, g the global
dispersion, floored at mirror's SIGMA_FLOOR) and is kept for comparison only: it improves the
median error on simulated data a little but, in a fifth of the real oil pairs, floors a
reporter's error at 0.05, where the band becomes far too narrow (docs/validation.md, "Reconciliation").

``tail`` (:func:`tail_factor`) widens the dispersions, which describe the core of the residuals
(medians of |e|), to their 90 % quantile: +-1.645 log_sd is the stated 90 % band.

``log_sd`` is what route intervals resample (log-normally). A pair with two positive reports has ``basis`` 'both'; with one, 'exporter' or 'importer' and weights
1/0. Zero or missing values count as silence; a pair where neither side reports a positive value
is not reconciled. Rows that are themselves reconciled (BACI files, earlier runs of this
module) are never read (``chains.scope_sql(reconciled=False)``).

:func:`reconcile` stores the rows as the dataset ``reconciled`` (table ``reconciled_flows``,
in the ``trade_flows`` view with value_basis 'reconciled', flow 'X', reporter = exporter and
the basis in ``flag``), each with its evidence record ids, weights, margin and dispersions; a
run in ``ingest_runs`` (format 'reconcile') and ``reconcile_runs`` (the scope), superseding an
earlier reconciliation of the same scope and any earlier reconciled row with the same key
(docs/methods.md, Reconciliation).
"""

from __future__ import annotations

import hashlib
import logging
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from transship.exc import InvalidInput, NotFound
from transship.flows.chains import (
    CIF_FACTOR,
    Years,
    check_dataset,
    check_product,
    check_years,
    open_scope,
    territory_map_sql,
)
from transship.flows.mirror import SIGMA_FLOOR, _fit, _shrunk, sample_unit_sql
from transship.store import Store
from transship.store.db import now
from transship.store.engine import DuckDBEngine, Engine, temp_name

log = logging.getLogger(__name__)

#: Dataset name of the stored rows (``trade_flows.dataset``).
DATASET = "reconciled"
#: ``ingest_runs.format`` of a reconciliation run.
RUN_FORMAT = "reconcile"
#: Method version: part of the inputs digest, so a changed method re-derives unchanged inputs.
METHOD = "reconcile-1: mirror fit, chapter margin, inverse-variance dollar mean, tail-scaled log_sd"

#: Output columns of :func:`reconcile_pairs`, in order.
COLUMNS = (
    "exporter",
    "importer",
    "exporter_iso3",
    "importer_iso3",
    "product",
    "year",
    "value_usd",
    "x_value",
    "m_value",
    "m_fob",
    "margin",
    "w_x",
    "w_m",
    "basis",
    "sigma_x",
    "sigma_m",
    "log_sd",
    "simulated",
    "evidence",
)
#: The stated level of ``log_sd``: +-z(0.95) log_sd holds 90 % of the fitted residuals.
LEVEL = 0.9
_Z = statistics.NormalDist().inv_cdf(0.5 + LEVEL / 2)
#: Matched pairs read to measure the residuals' tails (a deterministic hash sample above it).
TAIL_SAMPLE = 200_000

_STRINGS = ("exporter", "importer", "exporter_iso3", "importer_iso3", "product", "basis")
_TYPES = {"year": pa.int32(), "simulated": pa.bool_(), "evidence": pa.list_(pa.string())}

Progress = Callable[[str], None]


def reconcile_pairs(
    engine: Engine,
    product: str | None = None,
    years: Years | None = None,
    dataset: str | None = None,
    *,
    split: bool = False,
) -> pa.Table:
    """One reconciled FOB value per exporter, importer, product and year of the scope
    (``product`` an HS prefix, ``years`` inclusive, ``dataset`` one reported dataset or every
    non-reconciled one), ordered by exporter, importer, product, year. Columns
    :data:`COLUMNS`: ``value_usd`` (reconciled FOB), ``x_value`` (FOB) and ``m_value`` (CIF)
    as reported, ``m_fob``, ``margin``, weights ``w_x`` + ``w_m`` = 1, ``basis``
    ('both' | 'exporter' | 'importer'), the dispersions the weights came from ``sigma_x`` /
    ``sigma_m``, ``log_sd`` (log-scale standard deviation of the value: +-1.645 log_sd is its
    90 % band), ``simulated``, ``evidence`` (record ids of both sides' rows). See the module
    docstring for the formulas; ``split`` is for comparison only (docs/validation.md)."""
    product = check_product(product)
    years = check_years(years)
    dataset = check_dataset(dataset)
    if dataset == DATASET:
        raise InvalidInput(
            f"dataset {DATASET!r} holds reconciled rows: reconciliation reads reported rows only"
        )
    pairs, fx, cx, gl = (temp_name(n) for n in ("rpairs", "rfit", "rcx", "rgl"))
    scope = open_scope(engine, product, years, dataset, reconciled=False, quantities=False)
    try:
        engine.materialize(pairs, scope.pairs_sql(evidence=True))
    finally:
        scope.close()
    try:
        _fit(engine, pairs, fx)
        engine.materialize(gl, _globals_sql(fx, split))
        engine.materialize(cx, _sides_sql(fx, gl, split))
        tail = tail_factor(engine, pairs, fx, cx, gl)
        table = engine.sql(_output_sql(pairs, fx, cx, gl, territory_map_sql(years, dataset), tail))
    finally:
        for name in (cx, gl, fx, pairs):
            engine.drop(name)
    return _conform(table)


def _globals_sql(fx: str, split: bool) -> str:
    """One row: the global dispersion ``g``, the median chapter margin ``mu`` (for a chapter
    without matched pairs) and ``dflt``, the dispersion of a country the fit never saw in a
    matched pair: ``g`` (``sqrt(g^2 / 2)`` with ``split``)."""
    g = "max(CASE WHEN kind = 'g' THEN sigma END)"
    dflt = f"sqrt(greatest({SIGMA_FLOOR * SIGMA_FLOOR}, {g} * {g} / 2))" if split else g
    return (
        f"SELECT {g} AS g, median(CASE WHEN kind = 'mu' THEN effect END) AS mu, "
        f"{dflt} AS dflt FROM {fx}"
    )


def _sides_sql(fx: str, gl: str, split: bool) -> str:
    """Per country: the dispersion that weighs its reports as exporter (``sx``) and importer
    (``sm``), log points: mirror's shrunk dispersions (``_shrunk``); with ``split``, minus half
    the global residual variance, floored at SIGMA_FLOOR (see the module docstring)."""
    sx = _shrunk("x.sigma", "x.n", "gl.g")
    sm = _shrunk("m.sigma", "m.n", "gl.g")
    if split:
        floor = SIGMA_FLOOR * SIGMA_FLOOR
        sx = f"sqrt(greatest({floor}, {sx} * {sx} - gl.g * gl.g / 2))"
        sm = f"sqrt(greatest({floor}, {sm} * {sm} - gl.g * gl.g / 2))"
    return (
        f"SELECT c.key, {sx} AS sx, {sm} AS sm "
        f"FROM (SELECT DISTINCT key FROM {fx} WHERE kind IN ('sx', 'sm')) c CROSS JOIN {gl} gl "
        f"LEFT JOIN (SELECT key, sigma, n FROM {fx} WHERE kind = 'sx') x ON x.key = c.key "
        f"LEFT JOIN (SELECT key, sigma, n FROM {fx} WHERE kind = 'sm') m ON m.key = c.key"
    )


def tail_factor(engine: Engine, pairs: str, fx: str, cx: str, gl: str) -> float:
    """How much wider than a normal law the fitted residuals are, at the stated level.

    For each matched pair the residual ``e = ln(m/x) - mu - a - b`` (the fit's own, with
    its parameters) is divided by its model scale ``sqrt(sigma_x^2 + sigma_m^2)``; the factor is the
    90 % quantile of ``|u|`` over z(0.95) = 1.645 (1 for normal residuals). ``log_sd`` is
    multiplied by it, so that +-1.645 log_sd is a 90 % band. Why this transfers to the
    reconciled value: with symmetric independent errors, ``em - ex`` (the residual) and
    ``em + ex`` have the same law, so the residuals' quantiles are those of the equal-weight
    mean's error, scaled by 2; the dispersions (medians of |e|) describe the core only, and
    real and simulated mirror ratios have fat tails. Read from the data, never from truth."""
    n = engine.scalar(f"SELECT count(*) FROM {pairs} WHERE x_value > 0 AND m_value > 0")
    if not n:
        return 1.0
    frac = min(1.0, TAIL_SAMPLE / float(n))
    u = sample_unit_sql("p.exporter, p.importer, p.product, p.year")
    got = engine.sql(
        "SELECT abs(ln(p.m_value / p.x_value) - coalesce(mu.effect, gl.mu) "
        "- coalesce(ax.effect, 0.0) - coalesce(bm.effect, 0.0)) / sqrt("
        "coalesce(ce.sx, gl.dflt) * coalesce(ce.sx, gl.dflt) + "
        "coalesce(ci.sm, gl.dflt) * coalesce(ci.sm, gl.dflt)) AS u "
        f"FROM {pairs} p CROSS JOIN {gl} gl "
        f"LEFT JOIN (SELECT chapter, effect FROM {fx} WHERE kind = 'mu') mu "
        "ON mu.chapter = substr(p.product, 1, 2) "
        f"LEFT JOIN (SELECT key, effect FROM {fx} WHERE kind = 'ax') ax ON ax.key = p.exporter "
        f"LEFT JOIN (SELECT key, effect FROM {fx} WHERE kind = 'bm') bm ON bm.key = p.importer "
        f"LEFT JOIN {cx} ce ON ce.key = p.exporter LEFT JOIN {cx} ci ON ci.key = p.importer "
        f"WHERE p.x_value > 0 AND p.m_value > 0 AND {u} < {frac!r}"
    ).column("u")
    got = pc.drop_null(got)
    if len(got) == 0:
        return 1.0
    q = pc.quantile(got, q=LEVEL, interpolation="linear")[0].as_py()
    return float(q) / _Z if q and q > 0 else 1.0


def _output_sql(pairs: str, fx: str, cx: str, gl: str, tmap: str, tail: float) -> str:
    """The reconciled row of every pair where some side reports a positive value.

    A country the fit never saw in a matched pair takes the global default (``gl.dflt``)."""
    base = (
        "SELECT p.exporter, p.importer, p.product, p.year, "
        "CASE WHEN p.x_value > 0 THEN p.x_value END AS x_value, "
        "CASE WHEN p.m_value > 0 THEN p.m_value END AS m_value, "
        f"exp(coalesce(mu.effect, gl.mu, ln({CIF_FACTOR}))) AS margin, "
        f"coalesce(ce.sx, gl.dflt) AS sigma_x, coalesce(ci.sm, gl.dflt) AS sigma_m, "
        "p.simulated, p.evidence "
        f"FROM {pairs} p "
        f"CROSS JOIN {gl} gl "
        f"LEFT JOIN (SELECT chapter, effect FROM {fx} WHERE kind = 'mu') mu "
        "ON mu.chapter = substr(p.product, 1, 2) "
        f"LEFT JOIN {cx} ce ON ce.key = p.exporter "
        f"LEFT JOIN {cx} ci ON ci.key = p.importer "
        "WHERE p.x_value > 0 OR p.m_value > 0"
    )
    # Inverse variances; when nothing was fitted (no matched pair: sigmas NULL) both sides
    # count the same and log_sd stays NULL.
    ix = "coalesce(1.0 / (sigma_x * sigma_x), 1.0)"
    im = "coalesce(1.0 / (sigma_m * sigma_m), 1.0)"
    w_x = (
        "CASE WHEN x_value IS NOT NULL AND m_value IS NOT NULL "
        f"THEN {ix} / ({ix} + {im}) WHEN x_value IS NOT NULL THEN 1.0 ELSE 0.0 END"
    )
    weighted = (
        "SELECT b.*, m_value / margin AS m_fob, "
        "CASE WHEN x_value IS NOT NULL AND m_value IS NOT NULL THEN 'both' "
        "WHEN x_value IS NOT NULL THEN 'exporter' ELSE 'importer' END AS basis, "
        f"{w_x} AS w_x FROM ({base}) b"
    )
    value = (
        "CASE WHEN basis = 'both' THEN w_x * x_value + (1.0 - w_x) * m_fob "
        "WHEN basis = 'exporter' THEN x_value ELSE m_fob END"
    )
    log_sd = (
        f"{tail!r} * CASE WHEN basis = 'both' THEN "
        "sigma_x * sigma_m / sqrt(sigma_x * sigma_x + sigma_m * sigma_m) "
        "WHEN basis = 'exporter' THEN sigma_x ELSE sigma_m END"
    )
    return (
        "SELECT w.exporter, w.importer, te.iso3 AS exporter_iso3, ti.iso3 AS importer_iso3, "
        f"w.product, w.year, {value} AS value_usd, w.x_value, w.m_value, w.m_fob, w.margin, "
        "w.w_x, 1.0 - w.w_x AS w_m, w.basis, w.sigma_x, w.sigma_m, "
        f"{log_sd} AS log_sd, w.simulated, w.evidence "
        f"FROM ({weighted}) w "
        f"LEFT JOIN ({tmap}) te ON te.code = w.exporter "
        f"LEFT JOIN ({tmap}) ti ON ti.code = w.importer "
        "ORDER BY w.exporter, w.importer, w.product, w.year"
    )


def _conform(table: pa.Table) -> pa.Table:
    """Same column types whichever engine ran the query."""
    arrays = []
    for name in COLUMNS:
        typ = _TYPES.get(name, pa.string() if name in _STRINGS else pa.float64())
        arrays.append(table.column(name).cast(typ))
    return pa.table(arrays, names=list(COLUMNS))


# -- storing -------------------------------------------------------------------------------
@dataclass(slots=True)
class ReconcileResult:
    """What :func:`reconcile` did; ``to_dict`` is the base of ``transship reconcile --json``."""

    run_id: int
    scope: str
    product: str | None
    years: Years | None
    source_dataset: str | None
    pairs: int
    by_basis: dict[str, int]
    simulated: bool
    #: Earlier runs whose rows this one superseded, and how many rows moved.
    supersedes: list[int] = field(default_factory=list)
    rows_superseded: int = 0
    #: True when the same inputs were already reconciled by ``run_id`` (nothing written).
    unchanged: bool = False
    #: Quantiles of the exporter's weight over pairs both sides report (0.1, 0.25, 0.5, ...).
    w_x_quantiles: dict[str, float] = field(default_factory=dict)
    rows: pa.Table | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("rows")
        d["years"] = list(self.years) if self.years else None
        d["dataset"] = DATASET
        return d


def scope_key(product: str | None, years: Years | None, dataset: str | None) -> str:
    """The scope as one string (``product=27;years=2014-2016;dataset=*``): the revision key."""
    y = f"{years[0]}-{years[1]}" if years else "*"
    return f"product={product or '*'};years={y};dataset={dataset or '*'}"


def inputs_digest(scope: str, rows: pa.Table) -> str:
    """sha256 of the method, the scope and every evidence record id in output order: the
    same reported rows give the same digest (record ids name file content and line)."""
    h = hashlib.sha256(f"{METHOD}\n{scope}\n".encode())
    for batch in rows.select(["evidence"]).to_batches(max_chunksize=65_536):
        joined = pc.binary_join(batch.column(0), ",")
        h.update("\n".join(joined.to_pylist()).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def reconcile(
    store: Store,
    product: str | None = None,
    years: Years | None = None,
    dataset: str | None = None,
    progress: Progress | None = None,
) -> ReconcileResult:
    """Reconcile the scope (see :func:`reconcile_pairs`) and store the rows as the dataset
    ``reconciled``, replacing an earlier reconciliation of the same scope and any earlier
    reconciled row for the same exporter, importer, product and year (they move to
    ``reconciled_flows_superseded``). Reconciling unchanged inputs again writes nothing
    (``unchanged``). Raises NotFound when the scope holds no reported flow."""
    say = progress or (lambda _m: None)
    product = check_product(product)
    years = check_years(years)
    dataset = check_dataset(dataset)
    scope = scope_key(product, years, dataset)
    say(f"reconciling {scope}")
    rows = reconcile_pairs(DuckDBEngine(store), product, years, dataset)
    if rows.num_rows == 0:
        raise NotFound(
            f"no reported exports or imports to reconcile for {scope} "
            "(reconciled rows, BACI's or earlier runs', are never reconciled again)"
        )
    digest = inputs_digest(scope, rows)
    by_basis = {
        str(r["basis"]): int(r["basis_count"])
        for r in rows.group_by("basis").aggregate([("basis", "count")]).to_pylist()
    }
    by_basis = {k: by_basis.get(k, 0) for k in ("both", "exporter", "importer")}
    simulated = bool(pc.any(rows.column("simulated")).as_py())
    result = ReconcileResult(
        run_id=0,
        scope=scope,
        product=product,
        years=years,
        source_dataset=dataset,
        pairs=rows.num_rows,
        by_basis=by_basis,
        simulated=simulated,
        w_x_quantiles=_weight_quantiles(rows),
        rows=rows,
    )
    with store.transaction():
        same = store.fetchall(
            "SELECT c.run_id FROM reconcile_runs c JOIN ingest_runs g ON g.run_id = c.run_id "
            "WHERE c.inputs_sha256 = ? AND g.status = 'ok' AND NOT EXISTS "
            "(SELECT 1 FROM reconciled_flows_superseded s WHERE s.run_id = c.run_id) "
            "AND EXISTS (SELECT 1 FROM reconciled_flows r WHERE r.run_id = c.run_id) "
            "ORDER BY c.run_id DESC LIMIT 1",
            [digest],
        )
        if same:
            result.run_id = int(same[0][0])
            result.unchanged = True
            return result
        started = now()
        run_id = store.next_run_id()
        result.run_id = run_id
        sha = hashlib.sha256(f"{digest}:{run_id}".encode()).hexdigest()
        stored = _stored_rows(rows, run_id, sha)
        new = temp_name("rnew")
        store.register_arrow(new, stored.select(["exporter", "importer", "product", "year"]))
        try:
            moved = (
                f"run_id IN (SELECT run_id FROM reconcile_runs WHERE scope = ?) OR EXISTS "
                f"(SELECT 1 FROM {new} n WHERE n.exporter = r.exporter AND "
                "n.importer = r.importer AND n.product = r.product AND n.year = r.year)"
            )
            old = store.fetchall(
                f"SELECT run_id, count(*) FROM reconciled_flows r WHERE {moved} "
                "GROUP BY run_id ORDER BY run_id",
                [scope],
            )
            store.execute(
                "INSERT INTO reconciled_flows_superseded "
                f"SELECT r.*, {run_id} FROM reconciled_flows r WHERE {moved}",
                [scope],
            )
            store.execute(f"DELETE FROM reconciled_flows r WHERE {moved}", [scope])
        finally:
            store.unregister(new)
        result.supersedes = [int(r[0]) for r in old]
        result.rows_superseded = sum(int(r[1]) for r in old)
        store.append("reconciled_flows", stored)
        store.execute(
            "INSERT INTO reconcile_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                product,
                years[0] if years else None,
                years[1] if years else None,
                dataset,
                scope,
                rows.num_rows,
                by_basis["both"],
                by_basis["exporter"],
                by_basis["importer"],
                METHOD,
                digest,
            ],
        )
        store.execute(
            "INSERT INTO ingest_runs (run_id, file, sha256, format, dataset, started, finished, "
            "rows_loaded, rows_rejected, status, message, supersedes, rows_superseded, as_new) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 'ok', ?, ?, ?, false)",
            [
                run_id,
                f"transship reconcile {scope}",
                sha,
                RUN_FORMAT,
                DATASET,
                started,
                now(),
                rows.num_rows,
                f"{METHOD}; inputs {digest}",
                result.supersedes or None,
                result.rows_superseded,
            ],
        )
    say(
        f"stored {rows.num_rows:,} reconciled flows as run {run_id}"
        + (f", superseding {result.rows_superseded:,} rows" if result.rows_superseded else "")
    )
    return result


def _stored_rows(rows: pa.Table, run_id: int, sha: str) -> pa.Table:
    """The rows of ``reconciled_flows``: record ids ``<sha[:16]>:<line>``, lines from 1."""
    n = rows.num_rows
    lines = pa.array(range(1, n + 1), pa.int64())
    ids = pc.binary_join_element_wise(
        pa.array([sha[:16]] * n, pa.string()), pc.cast(lines, pa.string()), ":"
    )
    keep = [c for c in COLUMNS if c != "evidence"]
    table = rows.select(keep).append_column("evidence", rows.column("evidence"))
    table = table.append_column("record_id", ids)
    table = table.append_column("run_id", pa.array([run_id] * n, pa.int64()))
    return table.append_column("line", lines)


def _weight_quantiles(rows: pa.Table) -> dict[str, float]:
    both = rows.filter(pc.equal(rows.column("basis"), "both"))
    if both.num_rows == 0:
        return {}
    qs = (0.1, 0.25, 0.5, 0.75, 0.9)
    got = pc.quantile(both.column("w_x"), q=list(qs), interpolation="linear").to_pylist()
    return {f"{q:g}": float(v) for q, v in zip(qs, got, strict=True)}


def reconciled_evidence(store: Store, record_id: str) -> pa.Table:
    """The reported rows behind one reconciled value (``trade_flows`` rows whose record ids
    are in its evidence), with the value's weights and margin beside them: what
    ``transship reconcile --explain RECORD_ID`` prints."""
    found = store.query(
        "SELECT record_id, evidence FROM reconciled_flows WHERE record_id = ?", [record_id]
    )
    if found.num_rows == 0:
        raise NotFound(f"no reconciled flow with record id {record_id!r}")
    return store.query(
        "SELECT t.record_id, t.dataset, t.reporter, t.reporter_iso3, t.partner, t.partner_iso3, "
        "t.flow, t.year, t.hs_code, t.value_usd, t.value_basis, s.file, t.line, "
        "CASE WHEN t.flow = 'X' THEN r.w_x ELSE r.w_m END AS weight, r.margin "
        "FROM reconciled_flows r, unnest(r.evidence) AS e(id) "
        "JOIN trade_flows t ON t.record_id = e.id "
        "LEFT JOIN (SELECT sha256, min(file) AS file FROM ingest_runs GROUP BY sha256) s "
        "ON s.sha256 = t.source_sha256 "
        "WHERE r.record_id = ? ORDER BY t.flow DESC, t.record_id",
        [record_id],
    )
