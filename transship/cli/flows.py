"""`transship mirror` and `transship hubs`: mirror gaps and transshipment hubs."""

from __future__ import annotations

import math
from typing import Annotated, Any

import typer

from transship.cli.common import (
    DbOption,
    JsonOption,
    emit_json,
    handle_errors,
    nothing_found,
    open_store,
    out_console,
    print_table,
    require_trade_flows,
    say,
    usage_error,
)
from transship.exc import InvalidInput, UnknownCode

ProductOption = Annotated[
    str | None,
    typer.Option(
        "--product", help="HS code prefix, 2-10 digits (93 or 9306 aggregate every code below)."
    ),
]
YearsOption = Annotated[str | None, typer.Option("--years", help="Year or range, e.g. 2019-2024.")]
EngineOption = Annotated[
    str, typer.Option("--engine", help="Where the SQL runs: duckdb (the store) or spark.")
]
SparkDataOption = Annotated[
    str | None,
    typer.Option(
        "--spark-data",
        help="With --engine spark: Parquet of trade_flows the Spark cluster reads itself "
        "(path, glob or URL); default: export the store's table.",
    ),
]
DatasetOption = Annotated[
    str | None, typer.Option("--dataset", help="Use only this dataset's rows (e.g. comtrade).")
]
LimitOption = Annotated[int, typer.Option("--limit", help="Rows to output (best first).")]


def register(app: typer.Typer) -> None:
    """Add this stage's commands to `app`."""
    app.command("mirror")(mirror)
    app.command("hubs")(hubs)


def territory_code(value: str | None, option: str) -> str | None:
    """ISO3, ISO2, a Comtrade number or an English name -> the store's territory code."""
    if value is None:
        return None
    from transship.normalise.territories import lookup

    try:
        territory = lookup(value)
    except UnknownCode:
        raise InvalidInput(
            f"{option}: unknown territory {value!r} (use ISO3, ISO2 or a name)"
        ) from None
    if territory.is_world or territory.code == "zz":
        raise InvalidInput(f"{option}: {value!r} is not a country")
    return territory.code


def _engine_choice(engine: str) -> str:
    from transship.store.engine import ENGINES

    if engine not in ENGINES:
        usage_error(f"must be one of {', '.join(ENGINES)}", "--engine")
    return engine


def _check_min_usd(min_usd: float | None) -> None:
    """--min-usd below 0 (or not a number) is a usage error (exit 2)."""
    if min_usd is not None and not (min_usd >= 0 and math.isfinite(min_usd)):
        usage_error("must be an amount of USD >= 0", "--min-usd")


def check_limit(limit: int) -> None:
    """--limit below 1 is a usage error (exit 2), like any option out of its range."""
    if limit < 1:
        usage_error("must be at least 1", "--limit")


@handle_errors
def mirror(
    product: ProductOption = None,
    years: YearsOption = None,
    reporter: Annotated[
        str | None,
        typer.Option(
            "--reporter", help="Only pairs with this territory on one side (ISO3, ISO2 or name)."
        ),
    ] = None,
    partner: Annotated[
        str | None,
        typer.Option("--partner", help="... and this one on the other side."),
    ] = None,
    min_usd: Annotated[
        float | None,
        typer.Option(
            "--min-usd",
            help="Only pairs whose larger reported value is at least this many USD.",
        ),
    ] = None,
    engine: EngineOption = "duckdb",
    spark_data: SparkDataOption = None,
    dataset: DatasetOption = None,
    limit: LimitOption = 50,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Mirror gaps: exporter-reported against importer-reported trade, scored.

    For each exporter, importer, product and year: both reported values (and quantities
    where both sides give one unit), the expected CIF/FOB margin, each side's fitted
    reporting bias and dispersion, z (how unusual the residual gap is) and the USD of the
    gap that margin, biases and twice the usual scatter do not explain (unexplained_usd;
    a phantom's whole value). Rows come largest unexplained amount first, so a gap must be
    both material and surprising to lead. Phantom flows (reported out, never reported in,
    or the reverse) are scored against the reporter's matched flows. Every row lists the
    trade_flows record ids behind it.
    """
    from transship.flows.chains import parse_years
    from transship.flows.mirror import mirror_gaps
    from transship.store.engine import open_engine

    check_limit(limit)
    _check_min_usd(min_usd)
    kind = _engine_choice(engine)
    span = parse_years(years)
    rep = territory_code(reporter, "--reporter")
    par = territory_code(partner, "--partner")
    if par is not None and rep is None:
        rep, par = par, None
    with open_store(db, read_only=True) as store:
        if spark_data is None:
            require_trade_flows(store, db, dataset)
        eng = open_engine(kind, store, trade_flows=spark_data)
        try:
            table = mirror_gaps(
                eng,
                product=product,
                years=span,
                reporter=rep,
                partner=par,
                dataset=dataset,
                limit=limit,
                min_usd=min_usd,
            )
        finally:
            eng.close()
    rows = table.to_pylist()
    if not rows:
        nothing_found("no mirror pairs for these filters")
    if json_out:
        emit_json(rows)
        return
    if not rows:
        return
    if any(r["simulated"] for r in rows):
        out_console.print(
            "[bold red]SIMULATED DATA[/bold red]: some rows come from simulated statistics."
        )
    shown = [_mirror_row(r) for r in rows]
    print_table(
        shown,
        title=(
            "Mirror gaps, largest unexplained amount first (unexplained USD = the gap beyond "
            "margin, reporter biases and twice their usual scatter; |z| = how unusual)"
        ),
        limit=limit,
    )
    say("--json gives every column with the record ids behind each row.")


def _mirror_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "exporter": r["exporter_iso3"] or r["exporter"],
        "importer": r["importer_iso3"] or r["importer"],
        "product": r["product"],
        "year": r["year"],
        "kind": r["kind"],
        "export USD": r["export_value_usd"],
        "import USD": r["import_value_usd"],
        "M/X": (
            r["import_value_usd"] / r["export_value_usd"]
            if r["import_value_usd"] and r["export_value_usd"]
            else None
        ),
        "z": r["z"],
        "unexplained USD": r["unexplained_usd"],
        "rows": len(r["evidence"] or []),
    }


@handle_errors
def hubs(
    product: ProductOption = None,
    years: YearsOption = None,
    break_year: Annotated[
        int | None,
        typer.Option(
            "--break",
            help="Break year for the surge indicator (e.g. 2022); default: earlier years.",
        ),
    ] = None,
    no_reexports: Annotated[
        bool, typer.Option("--no-reexports", help="Ignore reported re-exports (RX rows).")
    ] = False,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="Which question the score answers: conduit (opened as a route after a "
            "break) or entrepot (exports mostly someone else's goods).",
        ),
    ] = "conduit",
    min_usd: Annotated[
        float | None,
        typer.Option(
            "--min-usd",
            help="Only territory-years exporting at least this many USD of the product.",
        ),
    ] = None,
    engine: EngineOption = "duckdb",
    spark_data: SparkDataOption = None,
    dataset: DatasetOption = None,
    limit: LimitOption = 30,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Transshipment hubs: a score in [0, 1] per territory, product and year.

    Two kinds (--kind). conduit: who opened as a conduit after a break (surge of inflow and
    outflow together, exports beyond plausible supply, pass-through, co-movement,
    destination concentration, reported re-exports). entrepot: whose exports are mostly
    someone else's goods (imports' share of its trade, exports its partners attribute to
    another origin, mirror gap either way, years without output, reported re-exports).
    Each score is the weighted mean of its indicators, each with its value, weight and the
    record ids it was computed from; --json gives both kinds' scores (docs/methods.md).
    """
    from transship.flows.chains import parse_years
    from transship.flows.hub_indicators import KINDS
    from transship.flows.hubs import hub_scores
    from transship.store.engine import open_engine

    check_limit(limit)
    if kind not in KINDS:
        usage_error(f"must be one of {', '.join(KINDS)}", "--kind")
    _check_min_usd(min_usd)
    engine_kind = _engine_choice(engine)
    span = parse_years(years)
    with open_store(db, read_only=True) as store:
        if spark_data is None:
            require_trade_flows(store, db, dataset)
        eng = open_engine(engine_kind, store, trade_flows=spark_data)
        try:
            found = hub_scores(
                eng,
                product=product,
                years=span,
                dataset=dataset,
                break_year=break_year,
                use_reexports=not no_reexports,
                limit=limit,
                kind=kind,
                min_usd=min_usd,
            )
        finally:
            eng.close()
    if not found:
        nothing_found("no hubs: no territory exports the products asked for in these years")
    if json_out:
        emit_json([h.to_dict() for h in found])
        return
    if not found:
        return
    if any(h.simulated for h in found):
        out_console.print(
            "[bold red]SIMULATED DATA[/bold red]: some scores come from simulated statistics."
        )
    rows = []
    for h in found:
        row: dict[str, Any] = {
            "territory": h.territory,
            "product": h.product,
            "year": h.year,
            kind: round(h.score, 3),
            **{k: round(v, 3) for k, v in h.scores.items() if k != kind},
            "inflow USD": h.inflow_usd,
            "outflow USD": h.outflow_usd,
        }
        for ind in h.indicators:
            row[ind.name] = f"{ind.value:.2f}" if ind.weight > 0 else "-"
        rows.append(row)
    print_table(rows, title=f"Transshipment hubs by {kind} score", limit=limit)
    say("- = indicator not computable; --json gives weights, details and record ids.")
