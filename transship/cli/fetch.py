"""`transship fetch comtrade|baci|opensanctions|sipri` and `transship sources`.

The fetch commands are the only ones that touch the network, and only when run. Each writes
the raw files and a manifest into a folder (``--out``, default ``$TRANSSHIP_FETCH_DIR/<source>``),
ingests them with the ordinary pipeline unless ``--no-ingest``, and prints the source's licence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from transship import settings
from transship.cli.common import (
    DbOption,
    JsonOption,
    byte_progress,
    emit_json,
    err_console,
    handle_errors,
    open_store,
    print_table,
    say,
)
from transship.exc import InvalidInput
from transship.fetch import baci, comtrade, comtrade_bulk, opensanctions, sipri
from transship.fetch.manifest import Manifest
from transship.ingest.fetched import fetched_sources, ingest_fetched

fetch_app = typer.Typer(
    help="Download public sources (the only commands that use the network), then ingest them.",
    no_args_is_help=True,
)

OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Folder for the raw files and manifest.json.", show_default=False),
]
NoIngest = Annotated[
    bool, typer.Option("--no-ingest", help="Only download; ingest later with `transship ingest`.")
]


def register(app: typer.Typer) -> None:
    """Add this stage's commands to `app`."""
    app.add_typer(fetch_app, name="fetch")
    app.command("sources")(sources)


@contextmanager
def _download_bar(enabled: bool) -> Iterator[Callable[[int, int | None], None]]:
    bar = Progress(
        TextColumn("downloading"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not enabled or not err_console.is_terminal,
    )
    task = bar.add_task("download", total=None)

    def advance(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield advance


def _ingest(
    db: Path | None,
    folder: Path,
    files: list[str],
    fmt: str | None,
    dataset: str | None,
    json_out: bool,
) -> list[dict[str, Any]]:
    manifest = Manifest.load(folder)
    entries = [e for e in manifest.entries if e.file in files]
    with open_store(db) as store, byte_progress(not json_out) as progress:
        results = ingest_fetched(
            store, folder, entries, format=fmt, dataset=dataset, progress=progress
        )
    if not json_out:
        for r in results:
            say(
                f"{r.file}: {r.status}, {r.rows_loaded:,} rows loaded, {r.rows_rejected:,} rejected"
            )
    return [r.to_dict() for r in results]


def _licence(text: str, json_out: bool) -> None:
    if not json_out:
        say(f"licence: {text}")


@fetch_app.command("comtrade")
@handle_errors
def fetch_comtrade(
    reporter: Annotated[
        list[str],
        typer.Option("--reporter", help="Reporter: ISO code, name or Comtrade code (repeatable)."),
    ] = [],  # noqa: B006
    partner: Annotated[
        list[str], typer.Option("--partner", help="Partner (repeatable; default: all).")
    ] = [],  # noqa: B006
    product: Annotated[
        list[str],
        typer.Option("--product", help="HS code or chapter, e.g. 9306 or 93 (repeatable)."),
    ] = [],  # noqa: B006
    years: Annotated[str | None, typer.Option("--years", help="Years, e.g. 2019-2024.")] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="Comtrade periods, e.g. 2019,2020 or 202301.")
    ] = None,
    flow: Annotated[str, typer.Option("--flow", help="Flows M, X, RM, RX (comma list).")] = "M,X",
    frequency: Annotated[str, typer.Option("--frequency", help="A (annual) or M (monthly).")] = "A",
    classification: Annotated[
        str, typer.Option("--classification", help="HS, or an edition H0-H6.")
    ] = "HS",
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="Subscription key (else $TRANSSHIP_COMTRADE_KEY; none: the public preview).",
            show_default=False,
        ),
    ] = None,
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk",
            help="Bulk files (a key needed): each reporter's whole period, every product, "
            "partner and flow (no --product, --partner or --flow).",
        ),
    ] = False,
    out: OutOption = None,
    no_ingest: NoIngest = False,
    dataset: Annotated[
        str | None,
        typer.Option("--dataset", help="Dataset name in the store (default: the reader's)."),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """UN Comtrade+ data through its API, with Comtrade+'s parameter names; raw answers kept."""
    if bulk:
        _fetch_bulk(
            reporter,
            partner,
            product,
            years,
            period,
            frequency,
            classification,
            key,
            out,
            no_ingest,
            dataset,
            db,
            json_out,
        )
        return
    calls = comtrade.plan(
        reporter,
        partner,
        product,
        years,
        period,
        [f for f in flow.split(",") if f],
        frequency,
        classification,
    )
    folder = out or settings.fetch_dir() / comtrade.SOURCE
    got = comtrade.fetch(calls, folder, key=key, say=None if json_out else say)
    result = got.to_dict()
    if not no_ingest:
        result["ingested"] = _ingest(
            db, folder, [c.file for c in got.calls], "comtrade-plus-json", dataset, json_out
        )
    if json_out:
        emit_json(result)
        return
    say(f"comtrade: {len(got.calls)} calls, {result['rows']:,} rows into {folder}", err=False)
    if got.truncated:
        say(f"comtrade: {len(got.truncated)} call(s) may be truncated (see manifest.json)")
    _licence(comtrade.LICENCE, json_out)


def _fetch_bulk(
    reporter: list[str],
    partner: list[str],
    product: list[str],
    years: str | None,
    period: str | None,
    frequency: str,
    classification: str,
    key: str | None,
    out: Path | None,
    no_ingest: bool,
    dataset: str | None,
    db: Path | None,
    json_out: bool,
) -> None:
    if partner or product:
        raise InvalidInput(
            "--bulk fetches whole reporter-period files: leave out --product and --partner "
            "(or leave out --bulk to ask the API for them)"
        )
    queries = comtrade_bulk.bulk_plan(reporter, years, period, frequency, classification)
    folder = out or settings.fetch_dir() / comtrade.SOURCE
    with _download_bar(not json_out) as bar:
        got = comtrade_bulk.fetch_bulk(
            queries, folder, key=key, say=None if json_out else say, progress=bar
        )
    result = got.to_dict()
    if not no_ingest:
        result["ingested"] = _ingest(
            db, folder, [f.file for f in got.files], "comtrade-plus-csv", dataset, json_out
        )
    if json_out:
        emit_json(result)
        return
    say(f"comtrade bulk: {len(got.files)} files, {result['rows']:,} rows into {folder}", err=False)
    _licence(comtrade.LICENCE, json_out)


@fetch_app.command("baci")
@handle_errors
def fetch_baci(
    release: Annotated[
        str, typer.Option("--release", help="CEPII release, e.g. 202501.", show_default=False)
    ],
    hs: Annotated[
        str, typer.Option("--hs", help="HS edition of the release: HS17, HS22, ...")
    ] = "HS17",
    sha256: Annotated[
        str | None,
        typer.Option(
            "--sha256", help="Published checksum to verify, if you have one.", show_default=False
        ),
    ] = None,
    out: OutOption = None,
    no_ingest: NoIngest = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """A CEPII BACI release (a zip of hundreds of MB): progress, resume, checks, then ingest."""
    folder = out or settings.fetch_dir() / baci.SOURCE
    with _download_bar(not json_out) as bar:
        got = baci.fetch(release, hs, folder, sha256, progress=bar)
    result = got.to_dict()
    if not no_ingest:
        result["ingested"] = _ingest(db, folder, [got.path.name], None, None, json_out)
    if json_out:
        emit_json(result)
        return
    had = " (already downloaded)" if got.already_had else ""
    say(f"baci: {got.path}{had}, {got.size_bytes:,} bytes, years {', '.join(got.years)}", err=False)
    _licence(baci.LICENCE, json_out)


@fetch_app.command("opensanctions")
@handle_errors
def fetch_opensanctions(
    dataset: Annotated[
        str,
        typer.Option("--dataset", help="OpenSanctions dataset: default, sanctions, eu_fsf, ..."),
    ] = "default",
    out: OutOption = None,
    no_ingest: NoIngest = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """An OpenSanctions dataset's FtM entities at its published version (CC BY-NC 4.0)."""
    folder = out or settings.fetch_dir() / opensanctions.SOURCE
    with _download_bar(not json_out) as bar:
        got = opensanctions.fetch(dataset, folder, progress=bar)
    result = got.to_dict()
    if not no_ingest:
        file = str(got.path.relative_to(folder))
        result["ingested"] = _ingest(
            db, folder, [file], "ftm", f"opensanctions-{dataset}", json_out
        )
    if json_out:
        emit_json(result)
        return
    c = got.changes
    since = f" since {c.since}" if c.since else " (first fetch)"
    say(
        f"opensanctions {dataset} {got.version}: {got.entities:,} entities; "
        f"{c.added:,} added, {c.changed:,} changed, {c.removed:,} removed{since}",
        err=False,
    )
    _licence(opensanctions.LICENCE, json_out)


@fetch_app.command("sipri")
@handle_errors
def fetch_sipri(
    supplier: Annotated[
        str | None, typer.Option("--supplier", help="Supplier, e.g. Serbia.")
    ] = None,
    recipient: Annotated[str | None, typer.Option("--recipient", help="Recipient.")] = None,
    years: Annotated[str | None, typer.Option("--years", help="Years, e.g. 2019-2024.")] = None,
) -> None:
    """SIPRI offers no program download: prints the manual steps (exit 1, nothing fetched)."""
    sipri.fetch(supplier, recipient, years)


@handle_errors
def sources(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Source files in the store: what, when, and for fetched ones where from and under which licence."""
    with open_store(db, read_only=True) as store:
        rows = fetched_sources(store)
    if json_out:
        emit_json(rows)
        return
    shown = [
        {
            "file": r["path"],
            "format": r["format"],
            "dataset": r["dataset"],
            "first_seen": r["first_seen"],
            "fetched": r["fetched_at"],
            "from": r["url"] or ("SIMULATED" if r["simulated"] else "ingested by hand"),
        }
        for r in rows
    ]
    print_table(shown, title="Sources", empty="no sources in the store")
