"""`transship claims extract|check|sources`: claims from reports, graded and checked (issue 15).

``check`` answers the analyst's question "which of these figures can I trust?": the
misattributions and contradictions first (each with the reason a reader can verify against
the two spans), then every claim with its Admiralty grade, the independent origins behind
its figure and its span in the document, then the corroboration groups with their relay
chains, then the checks against the store's data. ``--json`` has everything; ``--html``
writes the same as a standalone page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from transship.cli.common import (
    DbOption,
    JsonOption,
    db_path,
    emit_json,
    handle_errors,
    open_store,
    print_table,
    say,
    usage_error,
)

claims_app = typer.Typer(
    name="claims",
    help="Extract claims from reports, grade their sources, count independent origins, find "
    "contradictions and check them against the store's data.",
    no_args_is_help=True,
)

SourcesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--sources",
        help="Extra source registry CSV (columns of transship/data/sources.csv); a row with a "
        "shipped id replaces it. Repeat for several.",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Add this stage's commands to `app`."""
    app.add_typer(claims_app, name="claims")


@claims_app.command("extract")
@handle_errors
def extract_cmd(
    docs: Annotated[
        list[Path], typer.Argument(help="Documents: .txt, .md, .html, .pdf.", show_default=False)
    ],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Turn sentences and table cells into atomic claims, each with its span in the document.

    With a store (--db, or ./transship.duckdb when it exists) parties and territories are
    linked to it."""
    from transship.claims.model import extract, read_document

    out: list[dict[str, Any]] = []
    store = _maybe_store(db)
    try:
        for path in docs:
            doc = read_document(path)
            claims = extract(doc, store)
            out.append(
                {
                    "document": {k: v for k, v in doc.to_dict().items() if k != "text"},
                    "claims": [c.to_dict() for c in claims],
                }
            )
    finally:
        if store is not None:
            store.close()
    if json_out:
        emit_json(out)
        return
    for item in out:
        d = item["document"]
        rows = [
            {
                "id": c["claim_id"],
                "span": f"{c['span'][0]}-{c['span'][1]}",
                "measure": c["measure"],
                "quantity": (c["quantity"] or {}).get("wording"),
                "period": "-".join(p or "?" for p in c["period"]) if c["period"] else None,
                "credited": "; ".join(a["name"] for a in c["attributed_to"]),
                "text": c["text"],
            }
            for c in item["claims"]
        ]
        print_table(
            rows,
            title=f"{d['path']}: {len(rows)} claims",
            limit=500,
            empty=f"{d['path']}: no claims found",
        )


@claims_app.command("check")
@handle_errors
def check_cmd(
    docs: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Documents (.txt, .md, .html, .pdf) and claims files (.jsonl).",
            show_default=False,
        ),
    ] = None,
    case: Annotated[
        Path | None,
        typer.Option("--case", help="A case folder: its claims.jsonl is checked (with DOCs)."),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the report as an HTML page here.")
    ] = None,
    sources: SourcesOption = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="List low-severity and informational findings too.")
    ] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Grade every claim (reliability A-F, credibility 1-6, with reasons), group claims that
    state the same figure and count their independent origins, and list misattributions,
    contradictions, arithmetic and date problems and checks against the store's data.

    Sorted so that what matters comes first. Every claim carries its document and character
    span. The store (--db, or ./transship.duckdb when it exists) is only read; without one,
    the data checks are skipped and the report says so. See docs/claims.md."""
    from transship.claims.check import check_case, check_documents

    if not docs and case is None:
        usage_error("give DOCs, --case DIR, or both")
    store = _maybe_store(db)
    try:
        if case is not None:
            report = check_case(case, store, documents=docs or [], sources=sources)
        else:
            report = check_documents(docs or [], store, sources=sources)
    finally:
        if store is not None:
            store.close()
    if store is None:
        report.not_checked.insert(
            0, f"no store at {db_path(db)}: claims were not compared with data"
        )
    if html is not None:
        write_html(report.to_dict(), html)
        say(f"wrote {html}")
    if json_out:
        emit_json(report)
        return
    _print(report.to_dict(), show_all)


@claims_app.command("sources")
@handle_errors
def sources_cmd(
    sources: SourcesOption = None,
    json_out: JsonOption = False,
) -> None:
    """The source registry: type, country, default reliability with the reason, what each
    source publishes and leaves out."""
    from transship.claims.sources import load_registry

    reg = load_registry(sources)
    if json_out:
        emit_json(reg)
        return
    rows = [
        {
            "id": s.id,
            "name": s.name,
            "type": s.type,
            "country": s.country,
            "rel": s.reliability,
            "why": s.reliability_reason,
            "publishes": ", ".join(sorted(s.publishes)),
            "units": ", ".join(sorted(s.units)),
            "excludes": ", ".join(sorted(s.excludes)),
            "party to": s.party_to,
            "exists": s.exists,
        }
        for s in reg.sources.values()
    ]
    print_table(rows, title=f"{len(rows)} sources ({', '.join(reg.files)})", limit=10_000)


def _maybe_store(db: Path | None) -> Any:
    """The store read-only when --db was given or the default store exists, else None."""
    path = db_path(db)
    if db is None and not path.exists():
        return None
    return open_store(db, read_only=True)


def _print(r: dict[str, Any], show_all: bool) -> None:
    s = r["summary"]
    say(
        f"{s['claims']} claims from {s['documents']} document(s); "
        f"{s['groups_with_several_claims']} figure(s) stated more than once; "
        f"{sum(v for k, v in s['findings'].items() if not k.startswith('attribution.several'))} "
        "findings",
        err=False,
    )
    shown = [f for f in r["findings"] if show_all or f["severity"] in ("high", "medium")]
    hidden = len(r["findings"]) - len(shown)
    say("", err=False)
    say("Misattributions, contradictions and checks (worst first):", err=False)
    if not shown:
        say("  none", err=False)
    for f in shown:
        say(f"{f['severity'].upper():6} {f['rule']}  [{', '.join(f['claims'])}]", err=False)
        say(f"       {f['explanation']}", err=False)
    if hidden:
        say(f"... {hidden} low-severity or informational findings not shown (--all)", err=False)
    say("", err=False)
    docs = {d["document_id"]: d for d in r["documents"]}
    print_table(
        [
            {
                "claim": c["id"],
                "grade": c["grade"],
                "origins": c["origins"],
                "group": c["group"],
                "figure": (c["quantity"] or {}).get("wording"),
                "origin": c["origin_name"],
                "where": f"{_doc_name(docs.get(c['document']))}:{c['span'][0]}-{c['span'][1]}",
                "findings": ", ".join(x for x in c["findings"] if x != "attribution.several"),
            }
            for c in r["claims"]
        ],
        title="Claims: grade = reliability (A-F) + credibility (1-6); origins = independent "
        "origins behind the figure",
        limit=1000,
    )
    print_table(
        [
            {
                "group": g["id"],
                "members": ", ".join(g["members"]),
                "independent": g["independent_origins"],
                "explanation": g["explanation"],
            }
            for g in r["groups"]
            if len(g["members"]) > 1
        ],
        title="Figures stated more than once, by independent origin",
        limit=500,
        empty="no figure is stated twice",
    )
    if r["data_checks"]:
        print_table(
            [
                {"claim": d["claim"], "verdict": d["verdict"], "why": d["explanation"]}
                for d in r["data_checks"]
            ],
            title="Claims against the store's data"
            + (" (SIMULATED data)" if r["simulated"] else ""),
            limit=500,
        )
    if r["case_doubts"]:
        found = sum(1 for d in r["case_doubts"] if d["found_by"])
        say(
            f"The case's own doubts (case.yaml): {found} of {len(r['case_doubts'])} found by "
            "a rule",
            err=False,
        )
        for d in r["case_doubts"]:
            by = ", ".join(d["found_by"]) or "NOT FOUND by any rule"
            say(f"  {d['claim']}: {by}", err=False)
    for line in r["not_checked"]:
        say(f"not checked: {line}", err=False)


def _doc_name(doc: dict[str, Any] | None) -> str:
    if not doc:
        return "?"
    if doc.get("path"):
        return Path(doc["path"]).name
    return str(doc.get("title") or doc["document_id"])


def write_html(report: dict[str, Any], out: Path) -> None:
    """The report as one standalone, escaped HTML page (no scripts, no external files)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("transship.serve", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    html = env.get_template("claims_report.html").render(data=report)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        from transship.exc import InvalidInput

        raise InvalidInput(f"cannot write {out}: {exc.strerror or exc}") from None
