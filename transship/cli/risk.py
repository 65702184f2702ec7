"""`transship check-certificate` and `transship assess`: certificate checks and the criterion-7 assessment (issue 14).

Registered in :data:`transship.cli.app.STAGE_MODULES`; its commands are added by ``register``.
Neither command stores anything: the papers are judged against the store as they stand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from transship.cli.common import (
    DbOption,
    JsonOption,
    db_path,
    emit_json,
    handle_errors,
    open_store,
    say,
    usage_error,
)
from transship.store import Store

SystemsOption = Annotated[
    Path | None,
    typer.Option(
        "--systems",
        help="Your own weapon-system CSV (columns of transship/data/weapon_systems.csv), added "
        "to the shipped table (default: the setting TRANSSHIP_WEAPON_SYSTEMS, if set).",
        show_default=False,
    ),
]
WeightsOption = Annotated[
    Path | None,
    typer.Option(
        "--weights",
        help="A weights file laid out like transship/risk/weights.yaml (default: the shipped one).",
        show_default=False,
    ),
]
NoStoreOption = Annotated[
    bool,
    typer.Option(
        "--no-store", help="Check the papers alone, without the store's licences, shipments, flows."
    ),
]


def register(app: typer.Typer) -> None:
    """Add this stage's commands to `app`."""
    app.command("check-certificate")(check_certificate)
    app.command("assess")(assess)


def _store(db: Path | None, no_store: bool) -> Store | None:
    """The store read-only, or None when there is none (papers are then checked alone: said)."""
    if no_store:
        return None
    if str(db_path(db)) != ":memory:" and not db_path(db).exists():
        say(f"no store at {db_path(db)}: the papers are checked alone (no cross-checks)")
        return None
    return open_store(db, read_only=True)


@handle_errors
def check_certificate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Certificate files (transship certificate format, CSV or JSON).",
            show_default=False,
        ),
    ] = None,
    stored: Annotated[
        bool, typer.Option("--stored", help="Check every certificate already in the store.")
    ] = False,
    systems: SystemsOption = None,
    no_store: NoStoreOption = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Check end-user certificates: essential elements (Wassenaar best practices, EU User's
    Guide), and against the store: licences, shipments, re-exports, reuse of the number or
    the text, and whether the end user's forces field a weapon for the calibre and could
    use the quantity. Each finding has a code, a severity, an explanation and its evidence.
    Nothing is stored; a bad file is refused whole, one line per bad record."""
    from transship.risk.certificates import check_certificates
    from transship.risk.note import check_lines

    if bool(files) == stored:
        usage_error("give certificate FILEs or --stored, not both and not neither")
    if stored:
        if no_store:
            usage_error("--stored reads the store; drop --no-store", "--no-store")
        with open_store(db, read_only=True) as store:
            results = check_certificates(store, systems=systems)
    else:
        maybe = _store(db, no_store)
        try:
            results = check_certificates(files or [], maybe, systems=systems)
        finally:
            if maybe is not None:
                maybe.close()
    if json_out:
        emit_json([r.to_dict() for r in results])
        return
    for r in results:
        for line in check_lines(r):
            say(line, err=False)
    flagged = sum(1 for r in results if r.findings)
    say(f"{len(results)} certificate(s) checked, {flagged} with findings")


@handle_errors
def assess(
    certificate: Annotated[
        list[Path] | None,
        typer.Option(
            "--certificate",
            help="Certificate file(s) of the request (with --licence: their certificates).",
            show_default=False,
        ),
    ] = None,
    licence: Annotated[
        Path | None,
        typer.Option(
            "--licence", help="Licence request file (transship licence format).", show_default=False
        ),
    ] = None,
    licence_id: Annotated[
        list[str] | None,
        typer.Option("--licence-id", help="A licence request in the store.", show_default=False),
    ] = None,
    all_stored: Annotated[
        bool, typer.Option("--all", help="Every licence request in the store.")
    ] = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html", help="Also write a self-contained HTML page here.", show_default=False
        ),
    ] = None,
    before_shipment: Annotated[
        bool,
        typer.Option(
            "--before-shipment",
            help="Leave out the shipments citing the request (as the officer sees it before "
            "anything is shipped; what an evaluation of the ranking must use).",
        ),
    ] = False,
    systems: SystemsOption = None,
    weights: WeightsOption = None,
    no_store: NoStoreOption = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Assess the risk that a licence request's goods are diverted (EU Common Position
    criterion 7, ATT art. 11): certificate findings, party screening, the consignee's and
    destination's hub and re-export evidence, treaty commitments and governance, weighed into
    a level (low / medium / high / refuse-indicated) and a score in [0, 1], each indicator with
    its value, weight and evidence; the output is a file note that says what was NOT checked.
    Weights: transship/risk/weights.yaml (docs/risk.md). Nothing is stored."""
    from transship.risk.assess import (
        assess_all,
        assess_certificate_file,
        assess_licence,
        assess_licence_file,
    )
    from transship.risk.config import load_weights
    from transship.risk.model import Assessment
    from transship.risk.note import file_note, render_html

    chosen = sum([bool(licence), bool(licence_id), all_stored])
    if chosen > 1 or (chosen == 0 and not certificate):
        usage_error("give one of --certificate FILE, --licence FILE, --licence-id ID or --all")
    if (licence_id or all_stored) and certificate:
        usage_error("--certificate goes with --licence FILE, or alone", "--certificate")
    if (licence_id or all_stored) and no_store:
        usage_error("--licence-id and --all read the store; drop --no-store", "--no-store")
    w = load_weights(weights)
    results: list[Assessment] = []
    if licence_id or all_stored:
        with open_store(db, read_only=True) as store:
            if all_stored:
                results = assess_all(
                    store, weights=w, systems=systems, before_shipment=before_shipment
                )
            else:
                results = [
                    assess_licence(
                        store, lid, weights=w, systems=systems, before_shipment=before_shipment
                    )
                    for lid in licence_id or []
                ]
    else:
        maybe = _store(db, no_store)
        try:
            if licence is not None:
                results = assess_licence_file(
                    licence, maybe, certificates=certificate or [], weights=w, systems=systems
                )
            else:
                results = [
                    assess_certificate_file(p, maybe, weights=w, systems=systems)
                    for p in certificate or []
                ]
        finally:
            if maybe is not None:
                maybe.close()
    if html is not None:
        try:
            html.write_text(render_html(results), encoding="utf-8")
        except OSError as exc:
            usage_error(f"cannot write {html}: {exc.strerror}", "--html")
        say(f"wrote {html}")
    if json_out:
        emit_json([a.to_dict() for a in results])
        return
    for n, a in enumerate(results):
        if n:
            say("", err=False)
        for line in file_note(a):
            say(line, err=False)
