"""`transship routes`: how a territory's exports of a product reach a destination, ranked."""

from __future__ import annotations

import json
from pathlib import Path
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
from transship.exc import InvalidInput, NotFound


def register(app: typer.Typer) -> None:
    """Add this stage's commands to `app`."""
    app.command("routes")(routes)


@handle_errors
def routes(
    origin: Annotated[
        str,
        typer.Option(
            "--origin",
            help="Exporting territory: ISO3, ISO2 or name (e.g. SRB).",
            show_default=False,
        ),
    ],
    destination: Annotated[
        str | None,
        typer.Option(
            "--destination", help="Only routes ending here (e.g. UKR); all destinations if omitted."
        ),
    ] = None,
    product: Annotated[
        str | None, typer.Option("--product", help="HS code prefix, 2-10 digits (e.g. 9306).")
    ] = None,
    years: Annotated[
        str | None, typer.Option("--years", help="Year or range, e.g. 2019-2024.")
    ] = None,
    break_date: Annotated[
        str | None,
        typer.Option(
            "--break", help="Break date (YYYY or YYYY-MM) for the surge test, e.g. 2022-02."
        ),
    ] = None,
    max_hops: Annotated[int, typer.Option("--max-hops", help="Most legs per route (1-6).")] = 3,
    engine: Annotated[
        str, typer.Option("--engine", help="Where the SQL runs: duckdb or spark.")
    ] = "duckdb",
    dataset: Annotated[
        str | None,
        typer.Option("--dataset", help="Use only this dataset's rows (e.g. comtrade, baci)."),
    ] = None,
    resamples: Annotated[
        int,
        typer.Option(
            "--resamples",
            help="Flow matrices drawn from the fitted reporting-error model for the 90% "
            "intervals (0: no interval).",
        ),
    ] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the resampling.")] = 0,
    limit: Annotated[int, typer.Option("--limit", help="Routes to show (best first).")] = 20,
    sankey_file: Annotated[
        Path | None,
        typer.Option(
            "--sankey",
            help="Also write a Sankey diagram of these routes to FILE: .svg or .html draws it "
            "(offline, labelled SIMULATED when it is); any other name (e.g. .json) writes its "
            "nodes/links JSON with the record ids behind each band.",
        ),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Rank the paths origin -> intermediaries -> destination of a product.

    Flows are reconciled from both sides' reports (the importer's report
    fills the exporter's silence and the reverse; where both report, each
    counts by its fitted reliability), and each leg says which side its value
    came from. Each route has the share of the origin's exports that ends at
    the destination along it (an absorbing Markov chain per product and
    year), a 90% interval drawn from the fitted reporting-error model (not
    forced to contain the point estimate), its USD value, and a score built
    from indicators: attribution, lagged co-movement of the legs, surges
    after --break (difference-in-differences) and reported re-exports, each
    citing the trade_flows record ids behind it.
    """
    from transship.flows.routes import find_routes, sankey
    from transship.store.engine import ENGINES, open_engine

    if engine not in ENGINES:
        usage_error(f"must be one of {', '.join(ENGINES)}", "--engine")
    if limit < 1:
        usage_error("must be at least 1", "--limit")
    if not 1 <= max_hops <= 6:
        usage_error("must be from 1 to 6", "--max-hops")
    if resamples < 0:
        usage_error("must not be negative", "--resamples")
    with open_store(db, read_only=True) as store:
        require_trade_flows(store, db, dataset)
        eng = open_engine(engine, store)
        try:
            found = find_routes(
                eng,
                origin,
                destination,
                product=product,
                years=years,
                break_date=break_date,
                max_hops=max_hops,
                resamples=resamples,
                seed=seed,
                dataset=dataset,
            )
        except NotFound as exc:  # the origin exports nothing (of the product): nothing found
            nothing_found(f"no routes: {exc.message}")
            if json_out:
                emit_json([])
            return
        finally:
            eng.close()
    shown = found[:limit]
    if sankey_file is not None:
        title = f"Routes from {origin}" + (f" to {destination}" if destination else "")
        title += f", HS {product}" if product else ""
        write_sankey(sankey_file, sankey(shown), title)
        say(f"Sankey diagram of {len(shown)} routes written to {sankey_file}")
    if not shown:
        nothing_found(
            f"no routes from {origin}"
            + (f" to {destination}" if destination else "")
            + (f" for {product}" if product else "")
            + " above the share threshold"
        )
    if json_out:
        emit_json([r.to_dict() for r in shown])
        return
    _print(shown, len(found), origin, destination, product, sankey_file)


def write_sankey(path: Path, data: dict[str, Any], title: str) -> None:
    """Draw (``.svg``, ``.html``) or dump (anything else: JSON) the Sankey data to ``path``."""
    from transship.report.sankey import render_html, render_svg

    suffix = path.suffix.lower()
    if suffix == ".svg":
        text = render_svg(data, title)
    elif suffix in (".html", ".htm"):
        text = render_html(data, title)
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from exc


def _print(
    shown: list[Any],
    total: int,
    origin: str,
    destination: str | None,
    product: str | None,
    sankey_file: Path | None,
) -> None:
    if not shown:
        return
    if any(r.simulated for r in shown):
        out_console.print(
            "[bold red]SIMULATED DATA[/bold red]: these routes come from simulated statistics."
        )
    products = sorted({r.product for r in shown})
    levels = {r.interval_level for r in shown}
    level = next(iter(levels)) if len(levels) == 1 else None
    band = f"{level:.0%}" if level else "no interval" if levels == {None} else "interval"
    rows = []
    for k, r in enumerate(shown, start=1):
        ind = {i.name: i for i in r.indicators}
        row: dict[str, Any] = {"#": k, "path": ">".join(r.path)}
        if len(products) > 1:
            row["product"] = r.product
        row.update(
            {
                f"share [{band}]": f"{r.share:.2%}" + _band(r, r.low * 100, r.high * 100, ".2f"),
                "USD": r.value_usd,
                f"USD [{band}]": _band(r, r.value_low, r.value_high, "usd").strip(" []") or "-",
                "legs from": " ".join(_basis(g) for g in r.legs),
                "score": round(r.score, 2),
                "co-move": _ind(ind.get("co_movement")),
                "surge": _ind(ind.get("surge")),
            }
        )
        rows.append(row)
    title = f"Routes from {shown[0].path[0]}" + (f" to {destination}" if destination else "")
    if len(products) == 1:
        title += f", HS {products[0]}"
    print_table(rows, title=title, limit=len(rows))
    if total > len(shown):
        say(f"... {total - len(shown)} more (raise --limit)", err=False)
    out_console.print(
        "share = part of the origin's exports of the product that ends at the destination along "
        f"the path [{band} interval from the fitted reporting-error model: it may exclude the "
        "point estimate when that rests on a doubtful report]; legs from = the side each leg's "
        "reconciled value rests on and its weight (both reports are weighted by their fitted "
        "reliability; 100% = the other side is silent); --json gives every leg's basis, "
        "reports, weights and years, and every indicator with its record ids."
    )
    if sankey_file is None:
        out_console.print(
            "Sankey diagram: add --sankey routes.svg (or .html, or .json for the data)."
        )


def _basis(leg: Any) -> str:
    """Which side a leg's value rests on: ``imp 98%`` = 98 % of its value-weighted weight is
    the importer's report (100 %: the exporter was silent); ``rec`` a value reconciled
    elsewhere (BACI); ``-`` nothing reported."""
    w_x = leg.exporter_weight
    if w_x is None:
        return "rec" if leg.basis == "reconciled" else "-"
    return f"imp {1 - w_x:.0%}" if w_x < 0.5 else f"exp {w_x:.0%}"


def _band(route: Any, low: float, high: float, fmt: str) -> str:
    """`` [low-high]`` or nothing when the route has no interval (no draws, or nothing fitted
    to draw from: ``interval_model`` says which)."""
    if route.interval_level is None:
        return ""
    if fmt == "usd":
        return f" [{_short(low)}-{_short(high)}]"
    return f" [{low:{fmt}}-{high:{fmt}}]"


def _short(usd: float) -> str:
    for unit, size in (("bn", 1e9), ("m", 1e6), ("k", 1e3)):
        if abs(usd) >= size:
            return f"{usd / size:.3g}{unit}"
    return f"{usd:.3g}"


def _ind(ind: Any) -> str:
    if ind is None or ind.weight <= 0:
        return "-"
    return f"{ind.value:.2f}"
