"""`transship reconcile`: one FOB value per exporter, importer, product and year, from both sides."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from transship.cli.common import (
    DbOption,
    JsonOption,
    db_flag,
    db_path,
    emit_json,
    handle_errors,
    open_store,
    out_console,
    print_table,
    require_trade_flows,
    say,
    usage_error,
)
from transship.exc import NotFound, UnknownCode

#: z(0.95): +-Z90 log_sd is the stated 90 % band of a reconciled value.
Z90 = 1.6448536269514722


def register(app: typer.Typer) -> None:
    """Add this stage's commands to `app`."""
    app.command("reconcile")(reconcile)


@handle_errors
def reconcile(
    product: Annotated[
        str | None,
        typer.Option(
            "--product", help="HS code prefix, 2-10 digits (27 or 2709 aggregate every code below)."
        ),
    ] = None,
    years: Annotated[
        str | None, typer.Option("--years", help="Year or range, e.g. 2014-2016.")
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset", help="Reconcile only this reported dataset (e.g. comtrade); default: all."
        ),
    ] = None,
    sample: Annotated[
        int, typer.Option("--sample", help="Largest reconciled values to show (0: none).")
    ] = 10,
    explain: Annotated[
        str | None,
        typer.Option(
            "--explain",
            help="Show the reported rows behind one reconciled value (its record id) and stop.",
        ),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Reconcile both sides' reports into one FOB value per exporter, importer, product, year.

    As CEPII does for BACI: the importer's CIF value is brought to FOB with the CIF/FOB margin
    the mirror model fits per HS chapter, and the two reports are averaged (in dollars),
    each weighted by the inverse variance of its reporter's fitted reporting error; where one
    side is silent the other is used alone. Every value keeps its weights, margin, a log-scale
    standard deviation (+-1.645 of it is a 90 % band) and the record ids of the reports behind
    it. The rows are stored as the dataset `reconciled` (table reconciled_flows, and in
    trade_flows with value_basis 'reconciled'), replacing an earlier reconciliation of the same
    scope. Reconciled rows (BACI's, earlier runs') are never reconciled again.
    """
    if sample < 0:
        usage_error("must be 0 or more", "--sample")
    if explain is not None:
        _explain(explain, db, json_out)
        return
    from transship.flows.chains import parse_years
    from transship.flows.reconcile import reconcile as run_reconcile

    span = parse_years(years)
    path = db_path(db)
    if str(path) != ":memory:" and not path.exists():
        raise NotFound(f"no store at {path} (ingest Comtrade files first: `transship ingest FILE`)")
    with open_store(db) as store:
        require_trade_flows(store, db, dataset)
        result = run_reconcile(
            store,
            product=product,
            years=span,
            dataset=dataset,
            progress=None if json_out else say,
        )
        rows = store.query(
            "SELECT record_id, exporter, exporter_iso3, importer, importer_iso3, product, year, "
            "value_usd, x_value, m_value, m_fob, margin, w_x, w_m, basis, sigma_x, sigma_m, "
            "log_sd, simulated, evidence, run_id FROM reconciled_flows WHERE run_id = ? "
            "ORDER BY exporter, importer, product, year",
            [result.run_id],
        ).to_pylist()
    if json_out:
        emit_json(rows)
        return
    _summary(result.to_dict(), rows, path, db)
    if sample and rows:
        top = sorted(rows, key=lambda r: -(r["value_usd"] or 0.0))[:sample]
        print_table(
            [_sample_row(r) for r in top],
            title=f"The {len(top)} largest reconciled values (USD, FOB)",
            limit=sample,
        )
        say(
            f"rows behind a value: `transship reconcile --explain {top[0]['record_id']}"
            f"{db_flag(db)}`; --json gives every row with weights, margin and evidence."
        )


def _summary(res: dict[str, Any], rows: list[dict[str, Any]], path: Path, db: Path | None) -> None:
    if res["simulated"]:
        out_console.print(
            "[bold red]SIMULATED DATA[/bold red]: reconciled from simulated statistics."
        )
    by = res["by_basis"]
    total = res["pairs"]
    run = res["run_id"]
    if res["unchanged"]:
        say(f"unchanged: run {run} already reconciled these reported rows ({res['scope']})")
    else:
        sup = (
            f"; superseded {res['rows_superseded']:,} rows of run(s) "
            + ", ".join(map(str, res["supersedes"]))
            if res["rows_superseded"]
            else ""
        )
        say(
            f"reconciled {total:,} flows ({res['scope']}) into dataset 'reconciled' of {path}, "
            f"run {run}{sup}"
        )

    def share(n: int) -> str:
        return f"{n:,} ({n / total:.0%})" if total else "0"

    say(
        f"  basis: both sides {share(by['both'])}, exporter only {share(by['exporter'])}, "
        f"importer only {share(by['importer'])}"
    )
    q = res["w_x_quantiles"]
    if q:
        both = [r for r in rows if r["basis"] == "both"]
        closer_m = sum(1 for r in both if r["w_m"] > 0.5)
        say(
            "  exporter's weight where both report: "
            + ", ".join(f"p{float(k) * 100:g} {v:.2f}" for k, v in q.items())
            + f"; the value lies closer to the importer's FOB in {closer_m:,} of "
            f"{len(both):,} pairs ({closer_m / len(both):.0%})"
        )
    say(
        f'  in the store: `transship sql "SELECT * FROM reconciled_flows WHERE run_id = {run}"'
        f"{db_flag(db)}` (also trade_flows, dataset 'reconciled')"
    )


def _name(code: str | None, iso3: str | None) -> str:
    """``SAU Saudi Arabia``: the ISO3 code and the name beside it (the store code when the
    territory is not a country with an ISO code)."""
    from transship.normalise.territories import lookup

    if code is None:
        return "?"
    try:
        name = lookup(iso3 or code).name
    except UnknownCode:
        return iso3 or code
    return f"{iso3 or code} {name}"


def _usd(value: float | None) -> str:
    """USD in a short form (``85.8 bn``, ``12.3 m``, ``950 k``); ``-`` for no report."""
    if value is None:
        return "-"
    for size, unit in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.1f} {unit}"
    return f"{value:,.0f}"


def _sample_row(r: dict[str, Any]) -> dict[str, Any]:
    import math

    band = Z90 * r["log_sd"] if r["log_sd"] is not None else None
    value = r["value_usd"]
    return {
        "exporter": _name(r["exporter"], r["exporter_iso3"]),
        "importer": _name(r["importer"], r["importer_iso3"]),
        "product": r["product"],
        "year": r["year"],
        "exporter says": _usd(r["x_value"]),
        "importer says (CIF)": _usd(r["m_value"]),
        "w exporter": f"{r['w_x']:.2f}",
        "reconciled FOB": _usd(value),
        "90% band": (
            f"{_usd(value * math.exp(-band))} - {_usd(value * math.exp(band))}"
            if band is not None
            else "-"
        ),
        "basis": r["basis"],
        "record": r["record_id"],
    }


def _explain(record_id: str, db: Path | None, json_out: bool) -> None:
    from transship.flows.reconcile import reconciled_evidence

    with open_store(db, read_only=True) as store:
        value = store.query(
            "SELECT record_id, exporter_iso3, importer_iso3, product, year, value_usd, x_value, "
            "m_value, m_fob, margin, w_x, w_m, basis, log_sd, simulated "
            "FROM reconciled_flows WHERE record_id = ?",
            [record_id],
        ).to_pylist()
        rows = reconciled_evidence(store, record_id).to_pylist()
    if json_out:
        emit_json({"reconciled": value[0], "evidence": rows})
        return
    v = value[0]
    if v["simulated"]:
        out_console.print("[bold red]SIMULATED DATA[/bold red]")
    say(
        f"{record_id}: {v['exporter_iso3']} -> {v['importer_iso3']}, {v['product']}, {v['year']}: "
        f"USD {v['value_usd']:,.0f} FOB ({v['basis']}; exporter weight {v['w_x']:.2f}, importer "
        f"{v['w_m']:.2f}; margin {v['margin']:.3f})"
    )
    shown = [
        {
            "record": r["record_id"],
            "reporter": _name(r["reporter"], r["reporter_iso3"]),
            "partner": _name(r["partner"], r["partner_iso3"]),
            "flow": r["flow"],
            "year": r["year"],
            "hs": r["hs_code"],
            "USD": r["value_usd"],
            "basis": r["value_basis"],
            "weight": f"{r['weight']:.2f}",
            "file:line": f"{Path(r['file']).name if r['file'] else '?'}:{r['line']}",
        }
        for r in rows
    ]
    print_table(shown, title="Reported rows behind the value", limit=10_000)
