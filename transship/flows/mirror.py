"""Mirror statistics: what the exporter says it sent against what the importer says it got.

For each exporter E, importer I, product and year, ``x_value`` is E's reported export to I
(FOB) and ``m_value`` I's reported import from E (CIF). The two never agree exactly: imports
include freight and insurance, countries classify and time goods differently, some report
carelessly. Following the spirit of CEPII's BACI reconciliation (Gaulier & Zignago 2010,
"BACI: International Trade Database at the Product-Level", CEPII WP 2010-23), the log ratio
``r = ln(m_value / x_value)`` is modelled as

    r = mu[chapter] + a[E] + b[I] + e

* ``mu[chapter]`` - the expected CIF/FOB margin, the median of r per HS chapter over the
  scope (BACI regresses it on distance and contiguity; with no distance table shipped, a
  per-chapter median is the robust stand-in: it absorbs freight-heavy vs light goods);
* ``a[E]``, ``b[I]`` - robust per-country reporting effects (systematic over- or
  under-reporting as exporter and as importer), two rounds of Tukey median polish, each
  shrunk toward 0 by n / (n + 5) so a country seen in few pairs is not given a big effect;
* ``e`` - the residual; its scale per country and role, ``sigma_x[E]`` and ``sigma_m[I]``,
  is 1.4826 x the median absolute residual (a robust standard deviation), shrunk toward
  the global value by the same n / (n + 5) weight. That dispersion *is* the reliability
  estimate (BACI weights reporters by the same kind of dispersion): a country whose
  figures scatter widely around its partners' has a large sigma and its gaps count less.

The medians are taken over a deterministic sample of the matched pairs in which every
country keeps at least :data:`FIT_PAIRS` of its pairs (all of them when it has fewer; see
:func:`fit_sample_sql` and docs/methods.md for why that does not move the estimates).

The score is ``z = e / sqrt((sigma_x[E]^2 + sigma_m[I]^2) / 2)``: how unusual this gap is
given the margin and who reported it. A raw ratio of 1.3 is noise for two careless
reporters and a red flag for two careful ones.

Phantom flows: E reports an export that I does not report at all although I reported
imports (of any product in scope) that year (``phantom_export``), or the reverse
(``phantom_import``). Their z compares the logged value with the reporting country's
matched flows (mean and standard deviation of its ln values): a phantom far larger than
the flows that usually do match is the one to look at. One-sided rows whose counterpart
reported nothing that year are ``unreported_import`` / ``unreported_export`` (no score:
absence there says nothing).

Rows are ranked by ``unexplained_usd``, which weighs size and surprise together: the USD
of the gap that the expected margin, the two reporters' usual biases and twice their usual
scatter do not explain (:data:`NOISE_BAND`; for a phantom, its whole value at FOB). A USD 7
phantom with z -23 is surprising and immaterial; a USD 40 million gap at z 1.5 is ordinary
noise between two careless reporters; both rank below a USD 5 million gap at z 6. z stays
a column (how unusual), and ``min_usd`` drops pairs whose larger reported value is below
it.

Partners World, nes areas, bunkers and unknown never pair (``chains.scope_sql``).
Reconciled rows (BACI's, or transship's own) are not used here: they have no second side.
"""

from __future__ import annotations

import logging
import math

import pyarrow as pa
import pyarrow.compute as pc

from transship.exc import InvalidInput
from transship.flows.chains import (
    Scope,
    Years,
    check_code,
    check_dataset,
    check_product,
    check_years,
    open_scope,
    territory_map_sql,
)
from transship.flows.merge import merge_batches
from transship.store.engine import Engine, temp_name

log = logging.getLogger(__name__)

#: Pseudo-count for shrinking country effects and dispersions toward the global value.
SHRINK = 5.0
#: Floor for dispersions (log points): stops a handful of perfectly matching pairs from
#: making every later deviation look enormous.
SIGMA_FLOOR = 0.05
MAD_SCALE = 1.4826
#: The fit reads a deterministic sample of the matched pairs in which every country keeps
#: at least about this many of its pairs as exporter and as importer (all of them when it
#: has fewer): a median of 20,000 values is within ~0.01 standard deviations of the full
#: ones, and the fit then costs the same at 10 or 50 million rows (docs/methods.md).
FIT_PAIRS = 20_000
#: Scope rows per pairs group-by: years are grouped in batches of about this many rows, so
#: each hash aggregate (with its evidence lists) stays in memory instead of spilling.
PAIRS_BATCH_ROWS = 12_000_000
#: Half-width of the band of ordinary gaps, in the pair's residual standard deviations:
#: ``unexplained_usd`` counts only the part of a gap beyond it (about 95 % of gaps would fall
#: inside if the residuals were normal; they are heavier-tailed, so more fall outside).
NOISE_BAND = 2.0
_HASH_BUCKETS = 1 << 20
_OUTPUT_BATCH = 1 << 20

#: Output columns, in order (the `transship mirror --json` keys).
COLUMNS = (
    "exporter",
    "importer",
    "exporter_iso3",
    "importer_iso3",
    "product",
    "year",
    "kind",
    "export_value_usd",
    "import_value_usd",
    "export_qty",
    "import_qty",
    "qty_unit",
    "export_kg",
    "import_kg",
    "log_gap",
    "expected_log_gap",
    "cif_fob_margin",
    "exporter_effect",
    "importer_effect",
    "exporter_sigma",
    "importer_sigma",
    "residual",
    "z",
    "unexplained_usd",
    "simulated",
    "evidence",
)


def mirror_gaps(
    engine: Engine,
    product: str | None = None,
    years: Years | None = None,
    reporter: str | None = None,
    partner: str | None = None,
    dataset: str | None = None,
    limit: int | None = None,
    min_usd: float | None = None,
) -> pa.Table:
    """Scored mirror gaps and phantom flows, the largest unexplained amount first
    (``unexplained_usd`` descending, then |z|; rows without a score last).

    ``product`` is an HS prefix ('93', '9306'); ``years`` inclusive (first, last).
    ``reporter`` / ``partner`` are store territory codes ('rs'): rows with ``reporter`` on
    either side (and ``partner`` on the other, when given). ``min_usd`` keeps pairs whose
    larger reported value is at least that many USD. The model is fitted on the whole
    product/years scope so that reliability estimates use every country; the filters only
    select the rows returned. Columns: :data:`COLUMNS`.
    """
    product = check_product(product)
    years = check_years(years)
    dataset = check_dataset(dataset)
    reporter = check_code(reporter, "reporter")
    partner = check_code(partner, "partner")
    pairs, fx = temp_name("mpairs"), temp_name("mfit")
    scope = open_scope(engine, product, years, dataset, reconciled=False)
    try:
        parts = _materialize_pairs(engine, scope, pairs, evidence=True)
    finally:
        scope.close()
    try:
        _fit(engine, pairs, fx)
        where = []
        if reporter and partner:
            where.append(
                f"((p.exporter = '{reporter}' AND p.importer = '{partner}') OR "
                f"(p.exporter = '{partner}' AND p.importer = '{reporter}'))"
            )
        elif reporter:
            where.append(f"(p.exporter = '{reporter}' OR p.importer = '{reporter}')")
        elif partner:
            where.append(f"(p.exporter = '{partner}' OR p.importer = '{partner}')")
        if min_usd is not None:
            where.append(
                "greatest(coalesce(p.x_value, 0.0), coalesce(p.m_value, 0.0)) >= "
                f"{check_min_usd(min_usd)!r}"
            )
        engine.drop(pairs)  # the view over the batches: the output reads them one by one
        table = _output(engine, parts[1:], fx, where, limit, territory_map_sql(years, dataset))
    finally:
        engine.drop(fx)
        for name in parts:
            engine.drop(name)
    return _conform(table)


def check_min_usd(min_usd: float) -> float:
    """``min_usd`` as a float if it is a finite amount >= 0, else InvalidInput."""
    value = float(min_usd)
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(f"min_usd must be an amount of USD >= 0, not {min_usd!r}")
    return value


def _materialize_pairs(engine: Engine, scope: Scope, name: str, evidence: bool) -> list[str]:
    """Materialise the scope's pairs one batch of years at a time (about
    :data:`PAIRS_BATCH_ROWS` scope rows each; pairs never span years) and ``name`` as a view
    over the batches. Returns ``[name, *batches]`` (to drop in that order): no group-by
    ever holds every year's evidence lists, and the output reads one batch at a time."""
    spans: list[Years | None] = list(scope.year_batches(PAIRS_BATCH_ROWS))
    if len(spans) <= 1:
        spans = [None]
    parts = []
    for span in spans:
        part = temp_name("mpairs_part")
        engine.materialize(part, scope.pairs_sql(evidence, years=span))
        parts.append(part)
    engine.view(name, " UNION ALL ".join(f"SELECT * FROM {p}" for p in parts))
    return [name, *parts]


def reporting_reliability(
    engine: Engine,
    product: str | None = None,
    years: Years | None = None,
    dataset: str | None = None,
) -> pa.Table:
    """The fitted per-country reporting model, one row per territory code: its effect
    (log points; positive = reports more than its partners) and dispersion (``sigma``, a
    robust standard deviation of its residuals: lower = more reliable) as exporter and as
    importer, with the number of matched pairs behind each."""
    product = check_product(product)
    years = check_years(years)
    pairs, fx = temp_name("mpairs"), temp_name("mfit")
    scope = open_scope(engine, product, years, dataset, reconciled=False)
    try:
        parts = _materialize_pairs(engine, scope, pairs, evidence=False)
    finally:
        scope.close()
    try:
        _fit(engine, pairs, fx)

        def part(kind: str, col: str) -> str:
            return f"(SELECT key, {col}, n FROM {fx} WHERE kind = '{kind}')"

        return engine.sql(
            "SELECT c.key AS territory, ax.effect AS exporter_effect, sx.sigma AS exporter_sigma, "
            "sx.n AS pairs_as_exporter, bm.effect AS importer_effect, "
            "sm.sigma AS importer_sigma, sm.n AS pairs_as_importer "
            f"FROM (SELECT DISTINCT key FROM {fx} WHERE kind IN ('ax', 'bm')) c "
            f"LEFT JOIN {part('ax', 'effect')} ax ON ax.key = c.key "
            f"LEFT JOIN {part('sx', 'sigma')} sx ON sx.key = c.key "
            f"LEFT JOIN {part('bm', 'effect')} bm ON bm.key = c.key "
            f"LEFT JOIN {part('sm', 'sigma')} sm ON sm.key = c.key ORDER BY c.key"
        )
    finally:
        engine.drop(fx)
        for name in parts:
            engine.drop(name)


def _fit(engine: Engine, pairs: str, fx: str, fit_pairs: int | None = None) -> None:
    """Fit the reporting model into one small relation ``fx`` holding every parameter,
    keyed by ``kind``:

    ``mu`` (chapter -> margin), ``ax`` / ``bm`` (country -> effect as exporter / importer,
    with n), ``sx`` / ``sm`` (country -> residual dispersion as exporter / importer),
    ``g`` (global dispersion), ``lx`` / ``lm`` folded into sx / sm (mean and sd of ln values
    of the country's matched flows, for phantom scores), ``rx`` / ``rm`` ((country, year)
    with any reported export / import in scope: who is a reporter).

    The medians are taken over :func:`fit_sample_sql`'s sample of the matched pairs (every
    pair when no country has more than ``fit_pairs`` of them). Each step is materialised:
    the steps reuse each other, and Spark would otherwise recompute the whole lineage for
    every reference."""
    k = SHRINK
    cnt, ms, m1, a0, b1, a1, res = (
        temp_name(n) for n in ("mcnt", "msample", "m1", "a0", "b1", "a1", "res")
    )
    try:
        matched = f"{pairs} WHERE x_value > 0 AND m_value > 0"
        engine.materialize(
            cnt,
            f"SELECT 'e' AS role, exporter AS key, count(*) AS n FROM {matched} GROUP BY exporter "
            f"UNION ALL SELECT 'i', importer, count(*) FROM {matched} GROUP BY importer",
        )
        engine.materialize(ms, fit_sample_sql(pairs, cnt, fit_pairs or FIT_PAIRS))
        m = (
            "SELECT exporter, importer, year, substr(product, 1, 2) AS chapter, "
            f"ln(m_value / x_value) AS r, ln(x_value) AS lx, ln(m_value) AS lm FROM {ms}"
        )
        engine.materialize(
            m1,
            "SELECT m.exporter, m.importer, m.chapter, m.r, m.r - u.mu AS r1, m.lx, m.lm, u.mu "
            f"FROM ({m}) m JOIN (SELECT chapter, median(r) AS mu FROM ({m}) q GROUP BY chapter) u "
            "ON u.chapter = m.chapter",
        )
        engine.materialize(
            a0,
            f"SELECT exporter, median(r1) * count(*) / (count(*) + {k}) AS a "
            f"FROM {m1} GROUP BY exporter",
        )
        engine.materialize(
            b1,
            f"SELECT q.importer, median(q.r1 - a0.a) * count(*) / (count(*) + {k}) AS b, "
            f"count(*) AS n FROM {m1} q JOIN {a0} a0 ON a0.exporter = q.exporter "
            "GROUP BY q.importer",
        )
        engine.materialize(
            a1,
            f"SELECT q.exporter, median(q.r1 - b1.b) * count(*) / (count(*) + {k}) AS a, "
            f"count(*) AS n FROM {m1} q JOIN {b1} b1 ON b1.importer = q.importer "
            "GROUP BY q.exporter",
        )
        engine.materialize(
            res,
            "SELECT q.exporter, q.importer, q.r1 - a1.a - b1.b AS e, q.lx, q.lm "
            f"FROM {m1} q JOIN {a1} a1 ON a1.exporter = q.exporter "
            f"JOIN {b1} b1 ON b1.importer = q.importer",
        )
        cols = "kind, key, chapter, year, effect, sigma, n, ln_mean, ln_sd"
        parts = [
            "SELECT 'mu' AS kind, CAST(NULL AS VARCHAR) AS key, chapter, "
            "CAST(NULL AS INTEGER) AS year, max(mu) AS effect, CAST(NULL AS DOUBLE) AS sigma, "
            "count(*) AS n, CAST(NULL AS DOUBLE) AS ln_mean, CAST(NULL AS DOUBLE) AS ln_sd "
            f"FROM {m1} GROUP BY chapter",
            f"SELECT 'ax', exporter, NULL, NULL, a, NULL, n, NULL, NULL FROM {a1}",
            f"SELECT 'bm', importer, NULL, NULL, b, NULL, n, NULL, NULL FROM {b1}",
            f"SELECT 'sx', exporter, NULL, NULL, NULL, {MAD_SCALE} * median(abs(e)), count(*), "
            f"avg(lx), stddev_samp(lx) FROM {res} GROUP BY exporter",
            f"SELECT 'sm', importer, NULL, NULL, NULL, {MAD_SCALE} * median(abs(e)), count(*), "
            f"avg(lm), stddev_samp(lm) FROM {res} GROUP BY importer",
            f"SELECT 'g', NULL, NULL, NULL, NULL, {MAD_SCALE} * median(abs(e)), count(*), "
            f"NULL, NULL FROM {res}",
            f"SELECT 'rx', exporter, NULL, year, NULL, NULL, count(*), NULL, NULL FROM {pairs} "
            "WHERE x_value IS NOT NULL GROUP BY exporter, year",
            f"SELECT 'rm', importer, NULL, year, NULL, NULL, count(*), NULL, NULL FROM {pairs} "
            "WHERE m_value IS NOT NULL GROUP BY importer, year",
        ]
        engine.materialize(fx, f"SELECT {cols} FROM (" + " UNION ALL ".join(parts) + ") f")
    finally:
        for name in (res, a1, b1, a0, m1, ms, cnt):
            engine.drop(name)


def sample_unit_sql(cols: str) -> str:
    """A pseudo-random number in [0, 1) from a hash of ``cols``: the same for the same
    values on every run (DuckDB's ``hash``; Spark's own ``hash`` differs, which only matters
    when a country has more than :data:`FIT_PAIRS` matched pairs)."""
    return f"(abs(hash({cols})) % {_HASH_BUCKETS}) / {float(_HASH_BUCKETS)}"


def fit_sample_sql(pairs: str, counts: str, fit_pairs: int) -> str:
    """The matched pairs the fit reads: pair (E, I) is kept when ``u * min(n_E, n_I) <
    fit_pairs``, u uniform from a hash of the pair key and n the countries' matched pairs
    (as exporter for E, importer for I). So each country keeps a uniform random subset of
    about ``fit_pairs`` of its pairs (all of them below that), plus pairs kept for their
    smaller partner; the sample stays under 2 x ``fit_pairs`` per country whatever the
    data size, and is the whole set for a store where no country exceeds ``fit_pairs``."""
    u = sample_unit_sql("p.exporter, p.importer, p.product, p.year")
    return (
        "SELECT p.exporter, p.importer, p.product, p.year, p.x_value, p.m_value "
        f"FROM {pairs} p JOIN {counts} ce ON ce.role = 'e' AND ce.key = p.exporter "
        f"JOIN {counts} ci ON ci.role = 'i' AND ci.key = p.importer "
        "WHERE p.x_value > 0 AND p.m_value > 0 "
        f"AND {u} * least(ce.n, ci.n) < {int(fit_pairs)}"
    )


def _country_sql(fx: str) -> str:
    """One row per country with every fitted parameter (and the global ones repeated),
    so the output query needs two plain joins instead of one per parameter."""
    return (
        "SELECT c.key, ax.effect AS ax, bm.effect AS bm, sx.sigma AS sx, sx.n AS sx_n, "
        "sx.ln_mean AS x_ln_mean, sx.ln_sd AS x_ln_sd, sm.sigma AS sm, sm.n AS sm_n, "
        "sm.ln_mean AS m_ln_mean, sm.ln_sd AS m_ln_sd "
        f"FROM (SELECT DISTINCT key FROM {fx} WHERE kind IN ('ax', 'bm', 'sx', 'sm')) c "
        f"LEFT JOIN (SELECT key, effect FROM {fx} WHERE kind = 'ax') ax ON ax.key = c.key "
        f"LEFT JOIN (SELECT key, effect FROM {fx} WHERE kind = 'bm') bm ON bm.key = c.key "
        f"LEFT JOIN (SELECT key, sigma, n, ln_mean, ln_sd FROM {fx} WHERE kind = 'sx') sx "
        "ON sx.key = c.key "
        f"LEFT JOIN (SELECT key, sigma, n, ln_mean, ln_sd FROM {fx} WHERE kind = 'sm') sm "
        "ON sm.key = c.key"
    )


def _shrunk(sigma: str, n: str, glob: str) -> str:
    """sqrt((n sigma^2 + k g^2) / (n + k)), floored; g alone when the country has no pairs."""
    k = SHRINK
    return (
        f"greatest({SIGMA_FLOOR}, CASE WHEN {n} IS NULL THEN {glob} ELSE "
        f"sqrt(({n} * {sigma} * {sigma} + {k} * {glob} * {glob}) / ({n} + {k})) END)"
    )


def _output(
    engine: Engine,
    parts: list[str],
    fx: str,
    where: list[str],
    limit: int | None,
    tmap: str,
) -> pa.Table:
    """The scored rows of every batch of pairs in ``parts``, in the output order.

    A row's score depends on its own pair and the fitted parameters only, so each batch
    (one batch of years) is scored and sorted by itself, read and dropped, and the sorted
    batches are merged in Arrow (:func:`_merge`). One SQL sort of every pair with its
    evidence list pinned more than DuckDB's 8 GB on two threads at 50M rows and ran on one
    (docs/performance.md, Flows); a batch's sort is the size of a 10M-row scope's. With
    ``limit``, each batch keeps its own top rows (DuckDB's top-N), which hold the overall
    top rows."""
    cx, gl = temp_name("mcx"), temp_name("mgl")
    engine.materialize(
        cx,
        f"SELECT c.*, t.iso3 FROM ({_country_sql(fx)}) c FULL JOIN ({tmap}) t ON t.code = c.key",
    )
    engine.materialize(
        gl,
        f"SELECT max(CASE WHEN kind = 'g' THEN sigma END) AS g, "
        f"median(CASE WHEN kind = 'mu' THEN effect END) AS mu FROM {fx}",
    )
    pieces: list[pa.Table] = []
    try:
        for part in parts:
            # streamed, not fetched whole: a fetched result is held inside DuckDB (which
            # cannot spill it) before it becomes Arrow; streamed, only the sort is held, and
            # that spills. An empty stream has no schema: an empty result is fetched.
            sql = _output_sql(part, fx, cx, gl, where, limit)
            got = list(engine.stream(sql, batch_rows=_OUTPUT_BATCH))
            pieces.append(pa.Table.from_batches(got) if got else engine.sql(sql))
            del got
            engine.drop(part)
    finally:
        engine.drop(cx)
        engine.drop(gl)
    return _merge(pieces, limit)


#: The output order of :func:`_output_sql` as Arrow sort keys over :func:`_merge`'s key
#: columns: largest unexplained amount first, then the largest |z|, rows without a score
#: last, then the larger value, then the pair's keys (unique: a total order, so any
#: correct sort gives the same rows).
_ORDER = [
    ("unexplained", "descending", "at_end"),
    ("abs_z", "descending", "at_end"),
    ("size", "descending", "at_end"),
    ("exporter", "ascending", "at_end"),
    ("importer", "ascending", "at_end"),
    ("product", "ascending", "at_end"),
    ("year", "ascending", "at_end"),
]


def _merge(pieces: list[pa.Table], limit: int | None) -> pa.Table:
    """The batches ``pieces`` (each in the output order; emptied here) as one table in the
    output order, the first ``limit`` rows (:func:`transship.flows.merge.merge_batches`:
    the order found on the key columns only, about 3 s for the 26M pairs of 50M rows, and
    every column gathered once). Only scopes split into year batches have more than one
    piece; a single one is returned as it came."""
    return merge_batches(pieces, _merge_keys, limit, first="evidence")


def _merge_keys(table: pa.Table) -> tuple[pa.Table, list[tuple[str, str, str]]]:
    """:data:`_ORDER`'s key columns of ``table``. DuckDB orders NaN above every number
    (first, descending) where Arrow puts it with the nulls, so a NaN amount or |z| (never
    seen: sigmas are floored) is sorted by a flag just before its key."""
    abs_z = pc.abs(table.column("z"))
    keys = {
        "unexplained": table.column("unexplained_usd"),
        "abs_z": abs_z,
        "size": pc.coalesce(table.column("export_value_usd"), table.column("import_value_usd")),
    }
    for name in ("exporter", "importer", "product", "year"):
        keys[name] = table.column(name)
    order = list(_ORDER)
    for key in ("unexplained", "abs_z"):
        if pc.any(pc.is_nan(keys[key])).as_py():
            keys[f"{key}_nan"] = pc.fill_null(pc.is_nan(keys[key]), False)
            at = next(i for i, o in enumerate(order) if o[0] == key)
            order.insert(at, (f"{key}_nan", "descending", "at_end"))
    return pa.table(keys), order


def _output_sql(pairs: str, fx: str, cx: str, gl: str, where: list[str], limit: int | None) -> str:
    sx = _shrunk("ce.sx", "ce.sx_n", "gl.g")
    sm = _shrunk("ci.sm", "ci.sm_n", "gl.g")
    kind = (
        "CASE WHEN p.x_value > 0 AND p.m_value > 0 THEN 'matched' "
        "WHEN p.x_value > 0 AND rm.n IS NOT NULL THEN 'phantom_export' "
        "WHEN p.x_value > 0 THEN 'unreported_import' "
        "WHEN p.m_value > 0 AND rx.n IS NOT NULL THEN 'phantom_import' "
        "ELSE 'unreported_export' END"
    )
    base = (
        "SELECT p.exporter, p.importer, ce.iso3 AS exporter_iso3, ci.iso3 AS importer_iso3, "
        "p.product, p.year, "
        f"{kind} AS kind, "
        "p.x_value AS export_value_usd, p.m_value AS import_value_usd, "
        "p.x_qty AS export_qty, p.m_qty AS import_qty, p.qty_unit, "
        "p.x_kg AS export_kg, p.m_kg AS import_kg, "
        "CASE WHEN p.x_value > 0 AND p.m_value > 0 THEN ln(p.m_value / p.x_value) END AS log_gap, "
        "coalesce(mu.effect, gl.mu) AS cif_fob_margin, "
        "coalesce(ce.ax, 0.0) AS exporter_effect, coalesce(ci.bm, 0.0) AS importer_effect, "
        f"{sx} AS exporter_sigma, {sm} AS importer_sigma, "
        "ce.x_ln_mean, ce.x_ln_sd, ci.m_ln_mean, ci.m_ln_sd, p.simulated, p.evidence "
        f"FROM {pairs} p CROSS JOIN {gl} gl "
        f"LEFT JOIN (SELECT chapter, effect FROM {fx} WHERE kind = 'mu') mu "
        "ON mu.chapter = substr(p.product, 1, 2) "
        f"LEFT JOIN {cx} ce ON ce.key = p.exporter "
        f"LEFT JOIN {cx} ci ON ci.key = p.importer "
        f"LEFT JOIN (SELECT key, year, n FROM {fx} WHERE kind = 'rx') rx "
        "ON rx.key = p.exporter AND rx.year = p.year "
        f"LEFT JOIN (SELECT key, year, n FROM {fx} WHERE kind = 'rm') rm "
        "ON rm.key = p.importer AND rm.year = p.year "
        "WHERE (p.x_value > 0 OR p.m_value > 0)" + "".join(f" AND {w}" for w in where)
    )
    phantom_sd = f"greatest(0.5, coalesce({{sd}}, {SIGMA_FLOOR * 10}))"
    z = (
        "CASE WHEN kind = 'matched' THEN (log_gap - expected_log_gap) / pair_sigma "
        "WHEN kind = 'phantom_export' THEN (ln(export_value_usd) - coalesce(x_ln_mean, "
        f"ln(export_value_usd))) / {phantom_sd.format(sd='x_ln_sd')} "
        "WHEN kind = 'phantom_import' THEN (ln(import_value_usd) - coalesce(m_ln_mean, "
        f"ln(import_value_usd))) / {phantom_sd.format(sd='m_ln_sd')} END"
    )
    scored = (
        "SELECT *, log_gap - expected_log_gap AS residual, "
        f"{z} AS z FROM (SELECT b.*, cif_fob_margin + exporter_effect + importer_effect "
        "AS expected_log_gap, sqrt((exporter_sigma * exporter_sigma + importer_sigma * "
        f"importer_sigma) / 2) AS pair_sigma FROM ({base}) b) s"
    )
    band = f"{NOISE_BAND} * pair_sigma"
    unexplained = (
        "CASE WHEN kind = 'matched' THEN abs(export_value_usd * (exp(residual) - "
        f"exp(least(greatest(residual, -{band}), {band})))) "
        "WHEN kind = 'phantom_export' THEN export_value_usd "
        "WHEN kind = 'phantom_import' THEN import_value_usd * exp(-cif_fob_margin) END"
    )
    cols = ", ".join(COLUMNS)
    lim = f" LIMIT {int(limit)}" if limit is not None else ""
    return (
        f"SELECT {cols} FROM (SELECT s.*, {unexplained} AS unexplained_usd FROM ({scored}) s) o "
        "ORDER BY unexplained_usd DESC NULLS LAST, abs(z) DESC NULLS LAST, "
        "coalesce(export_value_usd, import_value_usd) DESC, exporter, importer, product, year"
        f"{lim}"
    )


_TYPES = {
    "year": pa.int32(),
    "simulated": pa.bool_(),
    "evidence": pa.list_(pa.string()),
}


def _conform(table: pa.Table) -> pa.Table:
    """Same column types whichever engine ran the query."""
    arrays = []
    for name in COLUMNS:
        col = table.column(name)
        typ = _TYPES.get(name)
        if typ is None:
            typ = (
                pa.string()
                if name
                in (
                    "exporter",
                    "importer",
                    "exporter_iso3",
                    "importer_iso3",
                    "product",
                    "kind",
                    "qty_unit",
                )
                else pa.float64()
            )
        arrays.append(col.cast(typ))
    return pa.table(arrays, names=list(COLUMNS))
