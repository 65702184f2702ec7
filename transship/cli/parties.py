"""`transship parties resolve|show|list|judge`: which party records are one actor (issue 13).

Registered in :data:`transship.cli.app.STAGE_MODULES`; its commands are added by ``register``.
The work is in :mod:`transship.resolve.actors` (the API and web pages call the same functions).
"""

from __future__ import annotations

import getpass
import time
from typing import Annotated, Any

import typer

from transship.cli.common import (
    DbOption,
    JsonOption,
    emit_json,
    handle_errors,
    open_store,
    print_table,
    say,
    usage_error,
)

parties_app = typer.Typer(
    name="parties",
    help="Resolve party records from every source into actors; show them; judge pairs.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to `app`."""
    app.add_typer(parties_app, name="parties")


class _Progress:
    """Progress of a long run on stderr: one line per step, then at most one every 5 s."""

    def __init__(self) -> None:
        self.stage = ""
        self.last = 0.0
        self.started = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage == self.stage and now - self.last < 5.0 and done < total:
            return
        self.stage, self.last = stage, now
        share = f" ({done / total:.0%})" if total else ""
        say(f"[{now - self.started:6.1f} s] {stage}: {done:,} of {total:,}{share}")


@parties_app.command("resolve")
@handle_errors
def resolve(
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold", help="Score from which two records are one actor (default 0.75)."
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option("--engine", help="Where the blocking SQL runs: duckdb (the store) or spark."),
    ] = "duckdb",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Link every party record in the store into actors (firms, people, public bodies).

    Party records: licence exporters, consignees and end users; shipment declarants,
    senders and receivers; certificate parties and issuing authorities; COARM missions;
    FtM entities.
    Records with the same name after transliteration and without legal forms, in the same
    country and with the same identifiers are one actor at once; others are paired by
    shared name keys (token, phonetic, transliterated, identifiers) and scored by the
    screening matcher, feature by feature. Judgements (`transship parties judge`) are
    applied first: a 'different' judgement is never overruled by a score. The result
    replaces the previous run's; the run itself is kept. See docs/resolve.md.
    """
    from transship.resolve.actors import resolve_parties

    if threshold is not None and not 0.0 < threshold <= 1.0:
        usage_error("must be above 0 and at most 1", "--threshold")
    if engine not in ("duckdb", "spark"):
        usage_error("must be duckdb or spark", "--engine")
    with open_store(db) as store:
        run = resolve_parties(
            store, threshold, progress=None if quiet else _Progress(), engine=engine
        )
    if json_out:
        emit_json(run.to_dict())
        return
    print_table(
        [
            {"": "party records", "value": f"{run.records:,}"},
            {"": "same name (nodes)", "value": f"{run.nodes:,}"},
            {"": "pairs compared", "value": f"{run.pairs_compared:,}"},
            {"": "pairs linked", "value": f"{run.pairs_linked:,}"},
            {"": "judgements applied", "value": f"{run.judgements_applied:,}"},
            {"": "actors", "value": f"{run.actors:,}"},
            {"": "threshold", "value": f"{run.threshold:g}"},
            {"": "seconds", "value": f"{run.seconds:.1f}"},
        ],
        title=f"Resolution run {run.run_id} ({run.engine})",
    )
    print_table(
        [{"source": k, "records": f"{v:,}"} for k, v in run.records_by_source.items()],
        title="Party records by dataset",
    )
    for note in run.notes:
        say(note)


@parties_app.command("show")
@handle_errors
def show(
    key: Annotated[str, typer.Argument(help="Actor id, party record id, row id or a name.")],
    limit: Annotated[
        int, typer.Option("--limit", help="Records shown per role, and links shown.")
    ] = 100,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """One actor: aliases, sources, records by role, sanctions, owners and links.

    KEY is an actor id, a party record id, a source row id or a name (also an alias, or the
    same name in another script or spelling). Each record gives its file and line; each
    link the score and features, or the judgement, that joined two records."""
    from transship.resolve.actors import show_party

    if limit < 1:
        usage_error("must be 1 or more", "--limit")
    with open_store(db, read_only=True) as store:
        view = show_party(store, key, limit=limit)
    if json_out:
        emit_json(view.to_dict())
        return
    say(f"{view.caption} ({view.actor_id}, resolution run {view.run_id})", err=False)
    say(
        "aliases: " + "; ".join(view.aliases[:20]) + (" ..." if len(view.aliases) > 20 else ""),
        err=False,
    )
    print_table(
        [
            {
                "dataset": s["dataset"],
                "records": s["records"],
                "files": ", ".join(s["files"][:3]),
                "simulated": "SIMULATED" if s["simulated"] else "",
            }
            for s in view.sources
        ],
        title="Sources",
    )
    rows: list[dict[str, Any]] = []
    for role, recs in view.records_by_role.items():
        for r in recs:
            rows.append(
                {
                    "role": role,
                    "name": r["name"],
                    "country": r["country"] or "",
                    "dataset": r["dataset"],
                    "file": f"{r['file'] or '?'}:{r['line']}",
                    "record": r["record_id"],
                }
            )
    print_table(rows, title="Records by role", limit=len(rows))
    for role, total in view.record_counts.items():
        if total > len(view.records_by_role.get(role, [])):
            say(f"{role}: {total:,} records, {limit} shown (--limit, or --json)", err=False)
    if view.sanctions:
        print_table(
            [
                {
                    "authority": s["authority"],
                    "program": s["program"],
                    "start": s["start_date"],
                    "dataset": s["dataset"],
                }
                for s in view.sanctions
            ],
            title="Sanctions",
        )
    if view.owners:
        print_table(
            [
                {
                    "path": " -> ".join(o["path"]),
                    "percentages": " / ".join(
                        "?" if p is None else f"{p:g} %" for p in o["percentages"]
                    ),
                }
                for o in view.owners
            ],
            title="Owners (FtM ownership edges)",
        )
    if view.holdings:
        print_table(
            [
                {
                    "path": " -> ".join(o["path"]),
                    "percentages": " / ".join(
                        "?" if p is None else f"{p:g} %" for p in o["percentages"]
                    ),
                }
                for o in view.holdings
            ],
            title="Holdings (FtM ownership edges from this party)",
        )
    links = [
        {
            "how": ln["how"],
            "score": "" if ln["score"] is None else f"{ln['score']:.2f}",
            "a": ln["a"],
            "b": ln["b"],
            "why": _why(ln),
        }
        for ln in view.links
    ]
    if links:
        print_table(links, title=f"Links ({view.links_total:,})", limit=len(links))
    if view.judgements:
        print_table(
            [
                {
                    "#": j["judgement_id"],
                    "verdict": j["verdict"],
                    "a": j["a_name"] or j["a"],
                    "b": j["b_name"] or j["b"],
                    "who": j["who"],
                    "when": j["at"][:19],
                    "why": j["why"] or "",
                }
                for j in view.judgements
            ],
            title="Judgements",
        )


def _why(link: dict[str, Any]) -> str:
    ex = link.get("explanation") or {}
    if link["how"] == "judgement":
        return f"judged {ex.get('verdict')} by {ex.get('who')}: {ex.get('why') or '-'}"
    return "; ".join(
        f"{k} {v['score']:.2f}" + (f" [{v['detail']}]" if v.get("detail") else "")
        for k, v in ex.items()
    )


@parties_app.command("list")
@handle_errors
def list_(
    q: Annotated[str | None, typer.Argument(help="Only actors with a name containing Q.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Actors to show.")] = 50,
    offset: Annotated[int, typer.Option("--offset", help="Actors to skip.")] = 0,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Actors of the latest resolution, most records first."""
    from transship.resolve.actors import list_actors

    if limit < 1 or limit > 10_000:
        usage_error("must be 1 to 10000", "--limit")
    if offset < 0:
        usage_error("must be 0 or more", "--offset")
    with open_store(db, read_only=True) as store:
        actors = list_actors(store, q, limit, offset)
    if json_out:
        emit_json([a.to_dict() for a in actors])
        return
    print_table(
        [
            {
                "actor": a.actor_id,
                "name": a.caption,
                "records": a.records,
                "names": a.names,
                "roles": ", ".join(a.roles),
                "sources": ", ".join(a.sources),
                "countries": ", ".join(a.countries),
                "listed": "yes" if a.listed else "",
            }
            for a in actors
        ],
        title="Actors",
        limit=limit,
        empty="no actors" + (f" with a name containing {q!r}" if q else ""),
    )


@parties_app.command("judge")
@handle_errors
def judge_cmd(
    a: Annotated[str, typer.Argument(help="A party record id, row id, actor id or name.")],
    b: Annotated[str, typer.Argument(help="The other one.")],
    same: Annotated[bool, typer.Option("--same", help="They are one actor.")] = False,
    different: Annotated[
        bool, typer.Option("--different", help="They are never one actor.")
    ] = False,
    unsure: Annotated[bool, typer.Option("--unsure", help="Noted; changes nothing.")] = False,
    why: Annotated[str | None, typer.Option("--why", help="The reason, for the record.")] = None,
    who: Annotated[
        str | None, typer.Option("--who", help="Who judges (default: the login name).")
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Record a verdict on two party records: same, different or unsure.

    The next `transship parties resolve` applies it before any score ('different' splits,
    'same' merges, never contradicting a 'different'). Every judgement is kept with who,
    when and why; the latest on a pair applies."""
    from transship.resolve.actors import judge

    chosen = [v for v, on in (("same", same), ("different", different), ("unsure", unsure)) if on]
    if len(chosen) != 1:
        usage_error("give exactly one of --same, --different, --unsure")
    if who is None:
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "unknown"
    with open_store(db) as store:
        j = judge(store, a, b, chosen[0], who, why)  # type: ignore[arg-type]
    if json_out:
        emit_json(j.to_dict())
        return
    say(
        f"judgement #{j.judgement_id}: {j.a} {j.verdict} {j.b} (by {j.who}"
        + (f": {j.why}" if j.why else "")
        + "); applied at the next `transship parties resolve`",
        err=False,
    )
