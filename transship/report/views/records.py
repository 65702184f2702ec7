"""Records, evidence rows, search, runs and rejects as page data.

A record id (``<first 16 hex of the file's sha256>:<line>[:<sub>]``) names one stored row;
its page shows the row, its statements (the FtM statement trail: property, value, the
source's original text) and the file it came from (path, sha256, format, line).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import Any

from transship.exc import InvalidInput, NotFound
from transship.normalise.commodities import hs_headings
from transship.normalise.territories import all_territories
from transship.report.views.common import (
    SIMULATED_LICENCE,
    clean,
    place,
    product_label,
    rows,
    source_info,
)
from transship.store import Store
from transship.store.db import FACT_TABLES

_RECORD_ID = re.compile(r"^[0-9a-f]{8,64}:\d{1,12}(?::[\w.-]{1,64})?$")
#: Most record ids one evidence list shows (the JSON says how many were left out).
MAX_EVIDENCE = 2000
#: Columns that show a country code (rigour code) per table: names are added beside them.
COUNTRY_COLUMNS = (
    "reporter",
    "partner",
    "supplier",
    "recipient",
    "sender_country",
    "receiver_country",
    "origin_country",
    "departure_country",
    "destination_country",
    "trading_country",
    "exporter_country",
    "consignee_country",
    "end_user_country",
    "final_destination",
    "authority_country",
    "destination",
    "source_country",
    "origin",
)


def check_record_id(record_id: str) -> str:
    text = str(record_id).strip()
    if not _RECORD_ID.match(text):
        raise InvalidInput(
            f"not a record id: {record_id!r} (record ids look like 9b04157e8ecb4c02:3)"
        )
    return text


def _record_tables(store: Store) -> list[str]:
    present = set(store.tables())
    out = [t for t in FACT_TABLES if t in present and t != "statements"]
    out += [f"{t}_superseded" for t in FACT_TABLES if f"{t}_superseded" in present]
    return out


def record_view(store: Store, record_id: str) -> dict[str, Any]:
    """One stored record (current or superseded) with its statements and source file."""
    rid = check_record_id(record_id)
    found: dict[str, Any] | None = None
    table = ""
    for t in _record_tables(store):
        if "record_id" not in store.columns(t):
            continue
        got = rows(store, f'SELECT * FROM "{t}" WHERE record_id = ? LIMIT 1', [rid])
        if got:
            found, table = got[0], t
            break
    if found is None:
        raise NotFound(f"no record {rid} in the store")
    superseded = table.endswith("_superseded")
    base = table.removesuffix("_superseded")
    fields = [
        {
            "name": k,
            "value": v,
            "label": place(v).label if k in COUNTRY_COLUMNS and isinstance(v, str) else None,
        }
        for k, v in found.items()
    ]
    if found.get("hs_code"):
        fields.append(
            {
                "name": "hs_code (description)",
                "value": product_label(found["hs_code"]),
                "label": None,
            }
        )
    statements: list[dict[str, Any]] = []
    view = f"{base}_statements"
    if not superseded and view in set(store.tables()):
        statements = rows(
            store,
            f'SELECT prop, value, original_value, dataset, line FROM "{view}" WHERE entity_id = ?',
            [rid],
        )
    file = source_file(store, str(found.get("source_sha256") or ""))
    line = found.get("line")
    quote = quoted_line(file, int(line)) if file and isinstance(line, int) else None
    return {
        "record_id": rid,
        "table": base,
        "superseded": superseded,
        "simulated": bool(found.get("simulated")),
        "dataset": found.get("dataset"),
        "line": found.get("line"),
        "run_id": found.get("run_id"),
        "record": found,
        "fields": fields,
        "statements": statements,
        "file": file,
        "quote": quote,
    }


#: Largest source file a record page quotes a line of (it is hashed first).
QUOTE_MAX_BYTES = 64 * 1024 * 1024
#: Longest quoted line (characters).
QUOTE_MAX_CHARS = 20_000
_PACKED = (".gz", ".zip", ".bz2", ".xz", ".zst")


def quoted_line(file: dict[str, Any], line: int) -> dict[str, Any]:
    """The record's line as the source file reads now, and the file's first line that is not
    a comment (a CSV's header), when the
    file is still where it was read from and its sha256 is the one recorded (so the text
    shown is the text that was ingested); otherwise why not."""
    path = Path(str(file.get("path") or ""))
    if file.get("member") or file.get("archive_sha256") or path.suffix.lower() in _PACKED:
        return {"status": "packed", "note": "the row came from a compressed file or archive"}
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise FileNotFoundError(path)
    except OSError:
        return {"status": "missing", "note": f"{path} is no longer there"}
    if size > QUOTE_MAX_BYTES:
        return {"status": "large", "note": "the file is too large to re-check here"}
    digest = hashlib.sha256()
    first = wanted = None
    first_n = 0
    encoding = str(file.get("encoding") or "utf-8")
    try:
        with path.open("rb") as f:
            for n, raw in enumerate(f, start=1):
                digest.update(raw)
                if (
                    first is None
                    and raw.strip()
                    and not raw.lstrip(b"\xef\xbb\xbf").startswith(b"#")
                ):
                    first, first_n = raw, n  # the header of a CSV (comment lines skipped)
                if n == line:
                    wanted = raw
    except OSError as exc:
        return {"status": "unreadable", "note": f"{path}: {exc.strerror or exc}"}
    if digest.hexdigest() != file.get("sha256"):
        return {"status": "changed", "note": "the file on disk has changed since it was ingested"}

    def text(raw: bytes | None) -> str | None:
        if raw is None:
            return None
        try:
            decoded = raw.decode(encoding, errors="replace")
        except LookupError:
            decoded = raw.decode("utf-8", errors="replace")
        decoded = decoded.rstrip("\r\n").lstrip("\ufeff")
        return decoded[:QUOTE_MAX_CHARS]

    return {
        "status": "ok",
        "line": line,
        "text": text(wanted),
        "first_line": text(first),
        "first_line_number": first_n,
    }


def source_file(store: Store, sha256: str) -> dict[str, Any] | None:
    """A source file by its sha256: path, format, dataset, size, attribution, licence."""
    if not sha256:
        return None
    got = rows(store, "SELECT * FROM sources WHERE sha256 = ?", [sha256])
    if not got:
        return None
    f = got[0]
    info = source_info(f.get("dataset"), f.get("attribution"))
    f["name"] = str(f.get("path", "")).replace("\\", "/").rsplit("/", 1)[-1]
    f["licence"] = SIMULATED_LICENCE if f.get("simulated") else info.licence
    f["source"] = info.name
    return f


def evidence_rows(store: Store, record_ids: list[str]) -> list[dict[str, Any]]:
    """The trade_flows rows behind a figure, with file name, sha256 and line, in the order
    (year, reporter, partner). Ids that are not trade flow rows are listed as missing."""
    ids = [check_record_id(i) for i in record_ids[:MAX_EVIDENCE]]
    if not ids:
        return []
    found = rows(
        store,
        "SELECT t.record_id, t.dataset, t.simulated, t.reporter, t.reporter_iso3, t.partner, "
        "t.partner_iso3, t.flow, t.year, t.period, t.hs_code, t.value_usd, t.value_basis, "
        "t.line, t.source_sha256, s.path AS file, s.format "
        "FROM trade_flows t LEFT JOIN sources s ON s.sha256 = t.source_sha256 "
        "WHERE t.record_id IN (SELECT unnest(?::VARCHAR[])) "
        "ORDER BY t.year, t.reporter, t.partner, t.record_id",
        [ids],
    )
    for r in found:
        r["reporter_label"] = place(r.get("reporter_iso3") or r.get("reporter")).label
        r["partner_label"] = place(r.get("partner_iso3") or r.get("partner")).label
        r["file_name"] = str(r.get("file") or "").replace("\\", "/").rsplit("/", 1)[-1]
        r["product_label"] = product_label(r.get("hs_code"))
    missing = sorted(set(ids) - {r["record_id"] for r in found})
    for rid in missing:
        found.append({"record_id": rid, "missing": True})
    return found


# -- search --------------------------------------------------------------------------------
#: Text columns searched per table (party names, goods, identifiers).
SEARCH_COLUMNS: dict[str, tuple[str, ...]] = {
    "shipments": (
        "shipment_id",
        "ccd_number",
        "declarant",
        "sender",
        "receiver",
        "goods_description",
    ),
    "certificates": (
        "certificate_id",
        "exporter",
        "consignee",
        "end_user",
        "goods_description",
    ),
    "licences": ("licence_id", "exporter", "consignee", "end_user", "goods_description"),
    "entities": ("caption", "CAST(properties AS VARCHAR)"),
    "claims": ("claim_id", "text", "attributed_to"),
    "arms_transfers": ("designation", "description", "comments"),
    "documents": ("document_id", "title", "publisher", "text"),
}
#: Per table, the columns a search hit shows as its title.
SEARCH_TITLE: dict[str, str] = {
    "shipments": "concat_ws(' → ', sender, receiver) || ': ' || coalesce(goods_description, '')",
    "certificates": "concat_ws(' → ', exporter, consignee, end_user) || ': ' || coalesce(goods_description, '')",
    "licences": "concat_ws(' → ', exporter, consignee, end_user) || ': ' || coalesce(goods_description, '')",
    "entities": "coalesce(caption, id) || ' (' || schema || ')'",
    "claims": "claim_id || ': ' || text",
    "arms_transfers": "coalesce(designation, '') || ' ' || coalesce(description, '')",
    "documents": "coalesce(title, document_id)",
}
MAX_QUERY = 200


def _fold(text: str) -> str:
    """Lower case without accents (``Krušik`` and ``krusik`` match)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(store: Store, q: str, limit: int = 20) -> dict[str, Any]:
    """Territories, products, records (party and goods text) and sources matching ``q``."""
    text = (q or "").strip()
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"search text longer than {MAX_QUERY} characters")
    out: dict[str, Any] = {
        "q": text,
        "territories": [],
        "products": [],
        "records": [],
        "sources": [],
    }
    if not text:
        return out
    low = _fold(text)
    for t in all_territories():
        if not (t.is_country or t.is_area):
            continue
        codes = {c.lower() for c in (t.code, t.iso2, t.iso3, t.m49) if c}
        if low in codes or low in _fold(t.name):
            p = place(t.iso3 or t.code)
            out["territories"].append(p.to_dict())
    out["territories"] = out["territories"][:limit]
    for h in hs_headings():
        if h.code.startswith(text) or low in _fold(h.description):
            out["products"].append({"code": h.code, "label": product_label(h.code)})
    out["products"] = out["products"][:limit]
    present = set(store.tables())
    pattern = _like(text)
    for table, cols in SEARCH_COLUMNS.items():
        if table not in present:
            continue
        have = set(store.columns(table))
        usable = [c for c in cols if c in have or c.startswith("CAST(")]
        if not usable:
            continue
        where = " OR ".join(
            f"strip_accents(coalesce({c}, '')) ILIKE strip_accents(?) ESCAPE '\\'" for c in usable
        )
        hits = rows(
            store,
            f"SELECT record_id, dataset, simulated, {SEARCH_TITLE[table]} AS title "
            f'FROM "{table}" WHERE {where} ORDER BY record_id LIMIT ?',
            [pattern] * len(usable) + [limit],
        )
        for hit in hits:
            hit["table"] = table
        out["records"].extend(hits)
    if "sources" in present:
        out["sources"] = rows(
            store,
            "SELECT sha256, path, format, dataset, simulated, attribution FROM sources "
            "WHERE path ILIKE ? ESCAPE '\\' OR dataset ILIKE ? ESCAPE '\\' "
            "OR format ILIKE ? ESCAPE '\\' OR coalesce(attribution, '') ILIKE ? ESCAPE '\\' "
            "ORDER BY path LIMIT ?",
            [pattern] * 4 + [limit],
        )
    out["simulated"] = any(r.get("simulated") for r in out["records"] + out["sources"])
    return out


# -- runs and rejects ----------------------------------------------------------------------
def runs_view(store: Store, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """Ingest runs, newest first, with the dataset and whether the file was simulated."""
    if not 1 <= limit <= 1000 or offset < 0:
        raise InvalidInput("limit must be from 1 to 1000 and offset not negative")
    total = rows(store, "SELECT count(*) AS n FROM ingest_runs")[0]["n"]
    runs = rows(
        store,
        "SELECT r.run_id, r.file, r.sha256, r.format, r.dataset, r.started, r.finished, "
        "r.rows_loaded, r.rows_rejected, r.status, r.message, s.simulated "
        "FROM ingest_runs r LEFT JOIN sources s ON s.sha256 = r.sha256 "
        "ORDER BY r.run_id DESC LIMIT ? OFFSET ?",
        [limit, offset],
    )
    for r in runs:
        r["file_name"] = str(r.get("file") or "").replace("\\", "/").rsplit("/", 1)[-1]
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "runs": runs,
        "simulated": any(r.get("simulated") for r in runs),
    }


def rejects_view(store: Store, run_id: int, limit: int = 200, offset: int = 0) -> dict[str, Any]:
    """One run and its rejected lines (file, line, column, reason, the raw text)."""
    if not 1 <= limit <= 5000 or offset < 0:
        raise InvalidInput("limit must be from 1 to 5000 and offset not negative")
    run = rows(store, "SELECT * FROM ingest_runs WHERE run_id = ?", [int(run_id)])
    if not run:
        raise NotFound(f"no ingest run {run_id}")
    total = rows(store, "SELECT count(*) AS n FROM rejects WHERE run_id = ?", [int(run_id)])[0]["n"]
    rejects = rows(
        store,
        'SELECT file, line, "column", reason, raw FROM rejects WHERE run_id = ? '
        "ORDER BY line NULLS LAST LIMIT ? OFFSET ?",
        [int(run_id), limit, offset],
    )
    return {
        "run": clean(run[0]),
        "total": total,
        "limit": limit,
        "offset": offset,
        "rejects": rejects,
    }


__all__ = [
    "check_record_id",
    "evidence_rows",
    "record_view",
    "rejects_view",
    "runs_view",
    "search",
    "source_file",
]
