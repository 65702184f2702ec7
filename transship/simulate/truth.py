"""The simulated world's true trade flows, for evaluation only.

A simulation publishes only what reporters would publish (Comtrade-style statistics as each
side reports them, customs records, documents). What really moved, one FOB value per
exporter, importer, HS6 and year before any reporting distortion, is the answer key of every
flows measurement (reconciliation error, route coverage, hub recall). It is written beside
``truth.jsonl``, outside ``data/``, so ``transship ingest OUT/data`` never reads it, and no
detector may read it: only evaluation code compares results with it.

File format (``<sim_dir>/truth_flows.csv.gz``, gzip, deterministic bytes per seed): a first
line ``# SIMULATED by transship simulate: not real data (...)``, then a CSV header and one row
per flow with at least one true component in the simulated years::

    year,exporter_iso3,importer_iso3,hs6,value_usd

``value_usd`` is the true FOB value in US dollars (rounded to cents), summed over the flow's
components (background trade and the case's consignment legs; any origin), whether or not any
side reported it. Rows come product by product, then by year, exporter and importer in the
simulator's territory order; nothing should rely on the order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from transship.exc import InvalidInput, SourceFormatError

#: File name, relative to the simulation folder.
TRUTH_FLOWS = "truth_flows.csv.gz"

#: Columns and types of the file and of :func:`read_true_flows`'s table.
TRUTH_FLOWS_SCHEMA = pa.schema(
    [
        ("year", pa.int32()),
        ("exporter_iso3", pa.string()),
        ("importer_iso3", pa.string()),
        ("hs6", pa.string()),
        ("value_usd", pa.float64()),
    ]
)


def truth_flows_path(sim_dir: str | Path) -> Path:
    """Where a simulation folder keeps its true flows."""
    return Path(sim_dir) / TRUTH_FLOWS


def read_true_flows(sim_dir: str | Path) -> pa.Table:
    """The true FOB flows of a simulation folder as an Arrow table with the columns of
    :data:`TRUTH_FLOWS_SCHEMA` (``year, exporter_iso3, importer_iso3, hs6, value_usd``).

    For evaluation only: detectors must never call this (the review's rule: no figure scored
    on data that contains the answer)."""
    path = truth_flows_path(sim_dir)
    if not path.is_file():
        raise InvalidInput(
            f"{sim_dir} holds no {TRUTH_FLOWS}: not a folder written by `transship simulate` "
            "(or written by a version before true flows were kept)"
        )
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types=TRUTH_FLOWS_SCHEMA, include_columns=TRUTH_FLOWS_SCHEMA.names
            ),
        )
    except (pa.ArrowInvalid, KeyError, OSError) as exc:
        raise SourceFormatError(path, f"not a true-flows file: {exc}") from None
    return table.select(TRUTH_FLOWS_SCHEMA.names).cast(TRUTH_FLOWS_SCHEMA)


# -- scoring reconciled flows against the truth (evaluation only) ---------------------------
#: Reliability classes of a pair from the two reporters' true valuation noise (the
#: simulator's ``valuation_noise``): the exporter at least this many times more precise than
#: the importer is "exporter more reliable", and the reverse; in between "similar". Fixed
#: before any measurement (a factor 1.5 is a clear difference, not a tuned cut).
RELIABILITY_RATIO = 1.5

#: The single-side and naive estimators reconciliation is compared with.
NAIVE = {
    "exporter": "the exporter's report (FOB)",
    "importer": "the importer's report (CIF, as published)",
    "importer_fob": "the importer's report / the fitted margin",
    "mean": "equal-weight mean of the exporter's and the importer's / margin (dollars)",
    "mean_usd": "(exporter + importer) / 2 in dollars, as published",
}


def true_reporting(sim_dir: str | Path) -> pa.Table:
    """Each territory's true reporting profile in a simulation folder (``iso3``,
    ``valuation_noise``, ``coverage``, ``cif_fob_margin``), recomputed from the manifest (case,
    seed, noise factor) exactly as the simulator drew it. Evaluation only."""
    import numpy as np

    from transship.cases import find_case
    from transship.simulate.case import load_case
    from transship.simulate.run import read_manifest
    from transship.simulate.world import load_territories, reporting_profiles
    from transship.simulate.writers import sha256_file

    manifest = read_manifest(sim_dir)
    case = load_case(find_case(str(manifest["case"])))
    if manifest.get("case_sha256") not in (None, sha256_file(case.path)):
        raise InvalidInput(
            f"{sim_dir}: case {manifest['case']} has changed since the simulation was written"
        )
    terr = load_territories()
    rep = reporting_profiles(
        case,
        terr,
        float(manifest["noise_factor"]),
        np.random.default_rng([int(manifest["seed"]), 2]),
    )
    return pa.table(
        {
            "iso3": pa.array(terr.iso3, pa.string()),
            "valuation_noise": pa.array(rep.valuation_noise, pa.float64()),
            "coverage": pa.array(rep.coverage, pa.float64()),
            "cif_fob_margin": pa.array(rep.cif_fob_margin, pa.float64()),
        }
    )


def score_reconciled(sim_dir: str | Path, rows: pa.Table) -> pa.Table:
    """Reconciled rows (``transship.flows.reconcile.reconcile_pairs`` over a simulation's
    ingested files, HS6 products) beside the true FOB flow and the naive estimators.

    One row per reconciled row, with ``true_value`` (NULL where no true flow exists: a
    misattributed partner), the true ``noise_x`` / ``noise_m`` of its two reporters, the
    ``reliability`` class, and ``err_<estimator>`` = ln(estimate / truth) for ``reconciled``
    and each of :data:`NAIVE` (NULL where that estimator has no value)."""
    import numpy as np

    truth = read_true_flows(sim_dir)
    key = ["year", "exporter_iso3", "importer_iso3", "hs6"]
    got = rows.select(
        [
            "year",
            "exporter_iso3",
            "importer_iso3",
            "product",
            "basis",
            "value_usd",
            "x_value",
            "m_value",
            "m_fob",
            "w_x",
            "sigma_x",
            "sigma_m",
            "log_sd",
        ]
    ).rename_columns(
        [
            "year",
            "exporter_iso3",
            "importer_iso3",
            "hs6",
            "basis",
            "value_usd",
            "x_value",
            "m_value",
            "m_fob",
            "w_x",
            "sigma_x",
            "sigma_m",
            "log_sd",
        ]
    )
    got = got.join(truth.rename_columns([*key, "true_value"]), key, join_type="left outer")
    noise = true_reporting(sim_dir).select(["iso3", "valuation_noise"])
    got = got.join(
        noise.rename_columns(["exporter_iso3", "noise_x"]), "exporter_iso3", join_type="left outer"
    )
    got = got.join(
        noise.rename_columns(["importer_iso3", "noise_m"]), "importer_iso3", join_type="left outer"
    )
    got = got.sort_by([(k, "ascending") for k in key])

    def col(name: str) -> np.ndarray:
        return np.asarray(got.column(name).to_numpy(zero_copy_only=False), dtype=float)

    true = col("true_value")
    x, m, m_fob = col("x_value"), col("m_value"), col("m_fob")
    with np.errstate(divide="ignore", invalid="ignore"):
        lt = np.log(true)
        errs = {
            "reconciled": np.log(col("value_usd")) - lt,
            "exporter": np.log(x) - lt,
            "importer": np.log(m) - lt,
            "importer_fob": np.log(m_fob) - lt,
            "mean": np.log((x + m_fob) / 2) - lt,
            "mean_usd": np.log((x + m) / 2) - lt,
        }
        ratio = col("noise_x") / col("noise_m")
    reliability = np.where(
        ratio * RELIABILITY_RATIO <= 1.0,
        "exporter more reliable",
        np.where(ratio >= RELIABILITY_RATIO, "importer more reliable", "similar"),
    )
    for name, e in errs.items():
        got = got.append_column(f"err_{name}", pa.array(e, pa.float64(), mask=~np.isfinite(e)))
    return got.append_column("reliability", pa.array(reliability, pa.string()))


def reconciliation_summary(scored: pa.Table, level: float = 0.9) -> list[dict[str, Any]]:
    """The error distribution of :func:`score_reconciled`'s rows, by group: every pair both
    sides report, then by reliability class, then one-sided pairs. For each estimator the
    median, 75 % and 90 % quantiles of |ln(estimate / truth)| over the group's rows with a
    true flow, and the share of true values inside the reconciled value's stated ``level``
    band (+- z log_sd). Rows without a true flow are counted (``no_true_flow``)."""
    import statistics

    import numpy as np

    z = statistics.NormalDist().inv_cdf(0.5 + level / 2)
    basis = np.asarray(scored.column("basis").to_pylist())
    rel = np.asarray(scored.column("reliability").to_pylist())
    has_truth = np.asarray(scored.column("true_value").is_valid().to_pylist(), dtype=bool)
    log_sd = np.asarray(scored.column("log_sd").to_numpy(zero_copy_only=False), dtype=float)
    errs = {
        name: np.abs(
            np.asarray(scored.column(f"err_{name}").to_numpy(zero_copy_only=False), dtype=float)
        )
        for name in ("reconciled", *NAIVE)
    }
    groups = [("both sides report", basis == "both")]
    for cls in ("exporter more reliable", "similar", "importer more reliable"):
        groups.append((f"both, {cls}", (basis == "both") & (rel == cls)))
    groups.append(("exporter only", basis == "exporter"))
    groups.append(("importer only", basis == "importer"))
    out: list[dict[str, Any]] = []
    for label, mask in groups:
        sel = mask & has_truth
        row: dict[str, Any] = {
            "group": label,
            "pairs": int(sel.sum()),
            "no_true_flow": int((mask & ~has_truth).sum()),
        }
        for name, e in errs.items():
            v = e[sel & np.isfinite(e)]
            row[name] = (
                {
                    "median": float(np.median(v)),
                    "p75": float(np.quantile(v, 0.75)),
                    "p90": float(np.quantile(v, 0.9)),
                }
                if v.size
                else None
            )
        inside = errs["reconciled"][sel] <= z * log_sd[sel]
        row["coverage"] = float(inside.mean()) if sel.any() else None
        out.append(row)
    return out
