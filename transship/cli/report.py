"""`transship report`: one self-contained HTML report of a store (and a PDF, GEXF, GraphML)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from transship.cli.common import DbOption, handle_errors, open_store, say


def register(app: typer.Typer) -> None:
    """Add this stage's commands to `app`."""
    app.command("report")(report)


@handle_errors
def report(
    out: Annotated[
        Path, typer.Option("--out", help="HTML file to write (self-contained, opens offline).")
    ] = Path("report.html"),
    pdf: Annotated[
        Path | None,
        typer.Option("--pdf", help="Also write a PDF of it (WeasyPrint; the pdf extra)."),
    ] = None,
    origin: Annotated[
        str | None,
        typer.Option(
            "--origin",
            help="Routes from this territory (ISO3, ISO2 or name); default: the largest "
            "exporter of the product.",
        ),
    ] = None,
    destination: Annotated[
        str | None,
        typer.Option("--destination", help="Only routes ending here; default: every destination."),
    ] = None,
    product: Annotated[
        str | None,
        typer.Option(
            "--product",
            help="HS code prefix; default: the chapter-93 heading with the largest reported "
            "exports (else the largest heading).",
        ),
    ] = None,
    break_date: Annotated[
        str | None,
        typer.Option("--break", help="Break date (YYYY or YYYY-MM) for the surge test."),
    ] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Use only this dataset's rows (e.g. comtrade).")
    ] = None,
    gexf: Annotated[
        Path | None,
        typer.Option("--gexf", help="Also write the report's routes as GEXF (Gephi)."),
    ] = None,
    graphml: Annotated[
        Path | None,
        typer.Option(
            "--graphml", help="Also write the report's routes as GraphML (yEd, i2, Maltego)."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Write one HTML file with what the store holds, the routes (Sankey diagram, map),
    hubs and mirror gaps, each figure with its caption and source line, a provenance
    appendix listing every file behind the figures (name, sha256, rows used) and, for a
    simulated store, the planted routes and hubs beside what was found. Nothing in it
    loads from the network. Simulated data is labelled SIMULATED in the text and in every
    figure.
    """
    from transship.report.html import write_report

    with open_store(db, read_only=True) as store:
        written = write_report(
            store,
            out,
            pdf,
            origin=origin,
            destination=destination,
            product=product,
            break_date=break_date,
            dataset=dataset,
            gexf=gexf,
            graphml=graphml,
        )
    say(f"report written to {written} (open it in any browser; it needs no network)", err=False)
    for label, extra in (("PDF", pdf), ("GEXF", gexf), ("GraphML", graphml)):
        if extra is not None:
            say(f"{label} written to {extra}", err=False)
