"""`transship screen`: is this party on a sanctions list? Each match with its features."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from transship import settings
from transship.cli.common import (
    DbOption,
    JsonOption,
    count_progress,
    db_flag,
    db_path,
    emit_json,
    handle_errors,
    open_store,
    print_table,
    say,
    usage_error,
    work_status,
)
from transship.exc import NotFound


def register(app: typer.Typer) -> None:
    """Add this stage's commands to `app`."""
    app.command("screen")(screen)


@handle_errors
def screen(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Names to screen (or --file).", show_default=False),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="CSV of parties: name, and optionally id, schema, country, birth_date, "
            "registration_number, inn, ogrn, lei, imo.",
        ),
    ] = None,
    lists: Annotated[
        list[str] | None,
        typer.Option(
            "--list",
            help="FtM JSON lines file or dataset in the store to screen against (repeat for "
            "several; default: every FtM dataset in the store).",
            show_default=False,
        ),
    ] = None,
    schema: Annotated[
        str,
        typer.Option(
            "--schema",
            help="FtM schema of NAMEs and of CSV rows without one (Company, Person, "
            "Organization, PublicBody, LegalEntity, Vessel, Airplane).",
        ),
    ] = "LegalEntity",
    country: Annotated[
        str | None,
        typer.Option("--country", help="Country of the NAMEs (a qualifier: a mismatch costs 0.2)."),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", help="Score from which a result is a match (default 0.7)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Results per party.")] = 5,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Processes that score a batch of more than 500 names (forked; default "
            "TRANSSHIP_SCREEN_WORKERS, 2); 1 scores in this process.",
            show_default=False,
        ),
    ] = None,
    all_results: Annotated[
        bool,
        typer.Option("--all", help="Show results below the threshold too (near misses)."),
    ] = False,
    remote: Annotated[
        str | None,
        typer.Option(
            "--remote",
            help="Screen through a yente server's /match instead of local lists "
            "(http://HOST:PORT, or .../match/DATASET; default dataset: default).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Screen parties against sanctions lists (FtM entities), explaining every match.

    Names are compared after transliteration (Cyrillic in several romanisations, Serbian
    Latin and Cyrillic, diacritics), without legal forms (a.d., d.o.o., OAO, OOO, JSC, LLC,
    s.r.o., Sp. z o.o., EOOD, GmbH...), in any word order, with initials and typos; aliases
    count, weak aliases only when written the same. A shared INN, OGRN, IMO, LEI or
    registration number is strong evidence; a different INN/OGRN/IMO/LEI, another country
    or birth date count against. Scores follow yente's logic-v2 composition, and --json
    writes yente's /match response (responses.{id}.results[] with score, match and
    explanations feature by feature). A list entry that listed parties own 50 % or more,
    directly or through a chain (the OFAC and EU 50 % rule, from the list's Ownership
    edges), says so with the owners, percentages and path. See docs/resolve.md.
    """
    from transship.resolve.lists import load_lists, store_datasets
    from transship.resolve.match import DEFAULT_THRESHOLD
    from transship.resolve.parties import query_party
    from transship.resolve.queries import read_query_csv
    from transship.resolve.screen import Screener, match_response

    if threshold is None:
        threshold = DEFAULT_THRESHOLD
    if not 0.0 < threshold <= 1.0:
        usage_error("must be above 0 and at most 1", "--threshold")
    if limit < 1 or limit > 500:
        usage_error("must be 1 to 500", "--limit")
    if workers is None:
        workers = settings.screen_workers()
    if workers < 1:
        usage_error("must be at least 1", "--workers")
    if bool(names) == (file is not None):
        usage_error("give NAMEs or --file, not both and not neither")
    if file is not None:
        queries = read_query_csv(file, default_schema=schema)
    else:
        queries = [
            query_party(f"q{i}", n, schema, country=country, where=f"NAME {n!r}")
            for i, n in enumerate(names or [], 1)
        ]

    if remote is not None:
        from transship.resolve.remote import remote_match

        if lists:
            usage_error(
                "--list is for local lists; name the remote dataset in the URL (.../match/DATASET)",
                "--remote",
            )
        response = remote_match(
            remote, queries, threshold=threshold, limit=limit, cutoff=0.0 if all_results else None
        )
        if json_out:
            emit_json(response)
            return
        _print(response, threshold, all_results)
        return

    specs = list(lists or [])
    if not specs:
        if not db_path(db).exists():
            raise NotFound(
                f"no store at {db_path(db)} and no --list: give --list FILE.ftm.jsonl, or "
                f"ingest a list first (`transship ingest FILE.ftm.jsonl{db_flag(db)}`)"
            )
        with open_store(db, read_only=True) as store:
            specs = store_datasets(store)
        if not specs:
            raise NotFound(
                f"no FtM parties in {db_path(db)}: give --list FILE.ftm.jsonl or ingest one"
            )
    with work_status("reading the lists") as status:
        screening_list = load_lists(specs, lambda: open_store(db, read_only=True))
        status(f"analysing and indexing {len(screening_list.parties):,} list entries")
        screener = Screener(screening_list.parties)
    with count_progress(
        f"screening on {workers} worker(s)" if workers > 1 else "screening", len(queries)
    ) as advance:
        results = screener.screen(queries, limit=limit, workers=workers, progress=advance)
    response = match_response(results, threshold=threshold, limit=limit, lists=screening_list)
    response["lists"] = screening_list.sources
    response["list_entries"] = len(screener.parties)
    if json_out:
        emit_json(response)
        return
    _print(response, threshold, all_results)


def _print(response: dict[str, Any], threshold: float, all_results: bool) -> None:
    rows: list[dict[str, Any]] = []
    clear: list[str] = []
    for qid, r in response["responses"].items():
        qname = r["query"]["properties"]["name"][0]
        shown = [x for x in r["results"] if all_results or x["match"]]
        if not shown:
            best = r["results"][0] if r["results"] else None
            near = f" (best {best['score']:.2f}: {best['caption']})" if best else ""
            clear.append(f"{qid} {qname!r}: no match at {threshold:g}{near}")
            continue
        for x in shown:
            ex = x["explanations"]
            why = "; ".join(
                f"{k} {v['score']:.2f}" + (f" [{v['detail']}]" if v.get("detail") else "")
                for k, v in ex.items()
            )
            rows.append(
                {
                    "query": qid,
                    "name": qname,
                    "score": f"{x['score']:.2f}",
                    "match": "yes" if x["match"] else "no",
                    "listed": f"{x['caption']} ({x['schema']})",
                    "datasets": ", ".join(x["datasets"][:3])
                    + (" ..." if len(x["datasets"]) > 3 else ""),
                    "why": why,
                }
            )
    if rows:
        where = (
            f"remote {response['remote']}"
            if "remote" in response
            else f"{response['list_entries']} list entries"
        )
        print_table(rows, title=f"Screening ({where})", limit=10_000)
    for line in clear:
        say(line)
