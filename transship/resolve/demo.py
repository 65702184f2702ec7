"""The parties section of ``transship demo``: screening and resolution on the demo store.

Which list the demo screens against (docs/resolve.md, "The demo's list"): OpenSanctions
data is CC BY-NC (tests read it in place, the package never ships it), and no public-domain
sanctions list is reachable to excerpt, so the demo builds its **watch list from the case**:
the parties of ``cases/serbia-2025/parties.ftm.jsonl`` (firms and bodies named in public
reporting, in the project's own words), already in the store as the case's dataset. It is
not a sanctions list and the demo says so; what it shows is the mechanism: names as
customs, licences and registries write them (upper case, legal forms, Cyrillic, another
romanisation) matched to the list entries, every match with its features.

Then the demo resolves the store's party records (the SIMULATED licences, declarations and
certificates, and the case's entities) into actors (``transship parties resolve``) and
shows one actor with its aliases, sources, roles and a record's file and line.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from transship.store import Store

#: Names as other sources write the case's parties, and one the case does not name: the
#: demo screens them beside the simulated records' names.
VARIANTS: tuple[tuple[str, str | None], ...] = (
    ("KRUSIK AD VALJEVO", "rs"),
    ("JUGOIMPORT-SDPR J.P.", "rs"),
    ("Југоимпорт СДПР", "rs"),
    ("Prvi Partizan a.d. Užice", "rs"),
    ("VMZ SOPOT AD", "bg"),
    ("Zastava Oružje a.d.", "rs"),
)
#: The actor the demo shows.
SHOWN_PARTY = "Yugoimport SDPR"
#: Matches listed in full (the rest are counted).
SHOWN_MATCHES = 9


def _case_dataset(store: Store) -> str | None:
    """The case's FtM dataset in the store (``transship_case_<case>``), if ingested."""
    rows = store.fetchall(
        "SELECT DISTINCT dataset FROM entities_current WHERE dataset LIKE 'transship_case_%' "
        "ORDER BY 1"
    )
    return str(rows[0][0]) if rows else None


def _why(result: dict[str, Any]) -> str:
    parts = []
    for name, f in result["explanations"].items():
        detail = f" [{f['detail']}]" if f.get("detail") else ""
        parts.append(f"{name} {f['score']:.2f}{detail}")
    return "; ".join(parts)


def screening_lines(store: Store) -> list[str]:
    """Screen the store's party names (simulated records) and :data:`VARIANTS` against the
    case's watch list; one line per match with its features."""
    from transship.resolve.lists import read_store_dataset
    from transship.resolve.match import DEFAULT_THRESHOLD
    from transship.resolve.parties import query_party
    from transship.resolve.screen import Screener, match_response

    dataset = _case_dataset(store)
    if dataset is None:
        return ["no case parties in the store: nothing to screen against"]
    lists = read_store_dataset(store, dataset)
    screener = Screener(lists.parties)
    rows = store.fetchall(
        "SELECT name, any_value(country), bool_or(coalesce(simulated, false)), "
        "list_sort(list_distinct(list(source_table || ' ' || role))) FROM ("
        "SELECT 'licences' AS source_table, 'exporter' AS role, exporter AS name, "
        "authority_country AS country, simulated FROM licences UNION ALL "
        "SELECT 'licences', 'consignee', consignee, consignee_country, simulated FROM licences "
        "UNION ALL SELECT 'shipments', 'sender', sender, sender_country, simulated "
        "FROM shipments UNION ALL SELECT 'shipments', 'receiver', receiver, receiver_country, "
        "simulated FROM shipments UNION ALL SELECT 'certificates', 'end_user', end_user, "
        "end_user_country, simulated FROM certificates) "
        "WHERE nullif(trim(name), '') IS NOT NULL GROUP BY name ORDER BY name"
    )
    queries = []
    where: dict[str, str] = {}
    for i, (name, country, simulated, roles) in enumerate(rows, 1):
        qid = f"r{i}"
        queries.append(query_party(qid, name, "LegalEntity", country=country or None))
        label = "SIMULATED record" if simulated else "record"
        where[qid] = f"{label}, {', '.join(roles[:3])}"
    for i, (name, country) in enumerate(VARIANTS, 1):
        qid = f"v{i}"
        queries.append(query_party(qid, name, "Company", country=country))
        where[qid] = "spelling as another source writes it"
    # the other sources' spellings first: they show what the matcher does
    queries = queries[len(rows) :] + queries[: len(rows)]
    response = match_response(screener.screen(queries, limit=1), limit=1)
    matched: list[str] = []
    unmatched_variants: list[str] = []
    for q in queries:
        resp = response["responses"][q.id]
        best = resp["results"][0] if resp["results"] else None
        if best is not None and best["match"]:
            matched.append(
                f"  {q.names[0]!r} ({where[q.id]}) -> {best['caption']} "
                f"{best['score']:.2f}: {_why(best)}"
            )
        elif q.id.startswith("v"):
            near = f" (best {best['score']:.2f}: {best['caption']})" if best else ""
            unmatched_variants.append(f"  {q.names[0]!r}: no match{near}")
    lines = [
        f"watch list: the case's {len(lists.parties)} parties (dataset {dataset}: firms and "
        "bodies named in public reporting, the project's own words; NOT a sanctions list - "
        "OpenSanctions data is CC BY-NC, used by tests only, never shipped)",
        f"screened: {len(rows)} party names of the store's records (SIMULATED licences, "
        f"declarations, certificates) and {len(VARIANTS)} spellings from other sources; "
        f"{len(matched)} match at {DEFAULT_THRESHOLD:g}, each with its features:",
        *matched[:SHOWN_MATCHES],
    ]
    if len(matched) > SHOWN_MATCHES:
        lines.append(f"  ... and {len(matched) - SHOWN_MATCHES} more (transship screen)")
    lines.extend(unmatched_variants)
    return lines


def resolution_lines(store: Store, out_dir: Path) -> list[str]:
    """Resolve the store's party records and show :data:`SHOWN_PARTY`."""
    from transship.exc import NotFound
    from transship.resolve.actors import resolve_parties, show_party

    run = resolve_parties(store)
    by_source = ", ".join(f"{k} {v:,}" for k, v in run.records_by_source.items())
    lines = [
        f"resolution: {run.records:,} party records ({by_source}) -> {run.actors:,} actors; "
        f"{run.pairs_compared:,} pairs compared, {run.pairs_linked:,} linked by score, "
        f"{run.seconds:.1f} s (most records SIMULATED)",
    ]
    try:
        view = show_party(store, SHOWN_PARTY)
    except NotFound:
        return [*lines, f"no actor named {SHOWN_PARTY!r} in this store"]
    sources = "; ".join(
        f"{s['dataset']} {s['records']}" + (" [SIMULATED]" if s.get("simulated") else " [real]")
        for s in view.sources
    )
    roles = ", ".join(f"{role} {len(rows)}" for role, rows in view.records_by_role.items())
    lines += [
        f"one resolved party: {view.caption} ({view.actor_id})",
        f"  aliases: {', '.join(view.aliases[:6])}",
        f"  sources: {sources}",
        f"  records by role: {roles}",
    ]
    for rows in view.records_by_role.values():
        r = rows[0]
        if r.get("file"):
            flag = "SIMULATED" if r.get("simulated") else "real"
            lines.append(
                f"  e.g. {r['role']} {r['name']!r} in {Path(str(r['file'])).name}, line "
                f"{r['line']} [{flag}]"
            )
            break
    lines.append(
        f"  transship parties show {SHOWN_PARTY!r} --db {out_dir / 'transship.duckdb'}; "
        "transship serve, then /parties"
    )
    return lines


def demo_section(store: Store, out_dir: Path) -> dict[str, Any]:
    """``transship demo``'s parties section: ``{"title", "lines"}``. Writes a resolution
    run into the demo store (``transship parties resolve``)."""
    start = time.perf_counter()
    lines = screening_lines(store)
    lines += resolution_lines(store, out_dir)
    lines.append(f"({time.perf_counter() - start:.1f} s)")
    return {"title": "Parties: screening and resolution [SIMULATED records]", "lines": lines}
