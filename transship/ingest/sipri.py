"""SIPRI Arms Transfers Database: the trade register and the TIV tables.

SIPRI counts *major conventional weapons* in trend-indicator values (TIV): a volume index
in millions, not a price. Every TIV lands in a ``tiv*`` column and never in a money column,
so nothing downstream can add it to USD trade values by accident.

Three readers:

* ``sipri-register`` - a trade register export, in either layout SIPRI has published:
  the current one (``SIPRI AT Database ID,Supplier,Recipient,...,Local production;``, one
  row per deal and delivery year, ``is estimate`` Yes/No columns, a stray ``;`` glued to the
  last field) and the classic one (``Recipient,Supplier,Year of order,,...``: unnamed ``?``
  flag columns, ``Year(s) of delivery`` as a ``;`` list, three TIV columns, Latin-1).
* ``sipri-tiv-wide`` - a per-country TIV table (title line names the country, a header row
  of years, one row per partner, a ``Total`` column and a ``Total`` row that are sums).
* ``sipri-tiv-tidy`` - the long table (supplier, recipient, year, value) 360info derived
  from the wide ones.

Names are mapped through ``transship.normalise.territories.from_name``; SIPRI's non-state
actors (``Hezbollah (Lebanon)*``) and organisations (``NATO**``) are kept by name with a
NULL territory on purpose: attributing them to the country in brackets would invent a
state-to-state transfer.

Line decoding, CSV records and Arrow batches come from ``transship.ingest.textio``, shared
with ``transship.ingest.coarm``; numbers, years, actor names, the register's columns and the
tables' schemas from ``transship.ingest.sipri_base``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from transship.exc import SourceFormatError, TransshipError, UnknownCode
from transship.ingest import checks
from transship.ingest.base import ReadContext, Reader, Reject, Rows
from transship.ingest.sipri_base import (
    CLASSIC_COLUMNS,
    CLASSIC_REQUIRED,
    NEW_COLUMNS,
    NEW_REQUIRED,
    TIDY_SCHEMA,
    TIV_SCHEMA,
    TRANSFER_SCHEMA,
    actor,
    checked_amount,
    checked_year,
    parse_number,
    parse_year,
    parse_yes_no,
)
from transship.ingest.textio import Record, batched, csv_records, head_lines, text_lines

ATTRIBUTION = "Source: SIPRI Arms Transfers Database"

# --------------------------------------------------------------------------------------
# Trade register
# --------------------------------------------------------------------------------------

#: Fields whose years may precede SIPRI's first delivery year (deals ordered before 1950).
_ORDER_FIELDS = frozenset({"order_year"})
_DEAL_ID = re.compile(r"\d{1,9}")
#: Classic layout: fields whose unnamed next column is their '?' (``CLASSIC_COLUMNS``).
_FLAGGED = {
    "order_year": "order_year_uncertain",
    "number_ordered": "number_ordered_uncertain",
    "number_delivered": "number_delivered_uncertain",
}
HEADER_SEARCH_LINES = 60


def _clean_header(cell: str) -> str:
    return cell.strip().rstrip(";").strip().lower()


def _is_register_header(fields: list[str]) -> str | None:
    names = [_clean_header(c) for c in fields]
    if names and names[0] == "sipri at database id" and "supplier" in names:
        return "new"
    if names and names[0] == "recipient" and "supplier" in names:
        return "classic"
    return None


class SipriRegisterReader(Reader):
    """SIPRI trade register CSV (current and classic layouts) -> arms_transfers."""

    name: ClassVar[str] = "sipri-register"
    dataset: ClassVar[str] = "sipri"
    description: ClassVar[str] = (
        "SIPRI Arms Transfers Database trade register CSV (current and classic layouts); "
        "TIV, not money"
    )
    tables: ClassVar[tuple[str, ...]] = ("arms_transfers",)
    #: A deal (SIPRI AT Database ID) has one row per delivery year; a newer register replaces
    #: the whole deal (delivery years move as SIPRI revises its estimates). The classic layout
    #: has no deal id: its rows have no key.
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {
        "arms_transfers": ("deal_id", "delivery_year")
    }
    revision_unit: ClassVar[dict[str, tuple[str, ...]]] = {"arms_transfers": ("deal_id",)}
    attribution: ClassVar[str | None] = ATTRIBUTION

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        for line in head_lines(head)[:HEADER_SEARCH_LINES]:
            low = line.lower().replace('"', "")
            if low.startswith("sipri at database id,supplier,recipient"):
                return 95
            if low.startswith("recipient,supplier,year of order"):
                return 95
        if "sipri" in head[:4000].lower() and "transfers of major" in head[:4000].lower():
            return 40
        return 0

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        yield from batched(self._items(ctx), "arms_transfers", TRANSFER_SCHEMA, ctx.batch_rows)

    def _items(self, ctx: ReadContext) -> Iterator[dict[str, Any] | Reject]:
        first, lines = text_lines(ctx)
        records = csv_records(ctx.path, lines, first)
        layout, header = self._find_header(ctx.path, records)
        spec = self._column_spec(ctx.path, layout, header)
        width = len(header.fields)
        for rec in records:
            if isinstance(rec, Reject):
                yield rec  # a field over TRANSSHIP_MAX_FIELD_BYTES
                continue
            fields = rec.fields
            if not any(f.strip().strip(";") for f in fields):
                continue  # blank line or a line of separators
            if fields:
                fields[-1] = fields[-1].removesuffix(";")
            if len(fields) != width:
                # Some classic exports drop a row's trailing empty cells: pad them.
                if len(fields) < width and layout == "classic":
                    fields = fields + [""] * (width - len(fields))
                else:
                    yield Reject(
                        rec.line, None, f"expected {width} fields, found {len(fields)}", rec.raw
                    )
                    continue
            row, bad = self._convert(spec, fields)
            if bad is not None:
                yield Reject(rec.line, bad[0], bad[1], rec.raw)
                continue
            row["line"] = rec.line
            yield row

    @staticmethod
    def _find_header(path: Path, records: Iterator[Record | Reject]) -> tuple[str, Record]:
        for i, rec in enumerate(records):
            if isinstance(rec, Reject):
                if i >= HEADER_SEARCH_LINES:
                    break
                continue  # an oversized preamble line: not the header
            layout = _is_register_header(rec.fields)
            if layout is not None:
                return layout, rec
            if i >= HEADER_SEARCH_LINES:
                break
        raise SourceFormatError(
            path,
            "no SIPRI trade register header (a row starting 'SIPRI AT Database ID,Supplier' or "
            f"'Recipient,Supplier') in the first {HEADER_SEARCH_LINES} lines",
        )

    @staticmethod
    def _column_spec(path: Path, layout: str, header: Record) -> list[tuple[int, str, str, str]]:
        """(index, source column, our field, parser) for each column we read."""
        names = [_clean_header(c) for c in header.fields]
        columns = NEW_COLUMNS if layout == "new" else CLASSIC_COLUMNS
        required = NEW_REQUIRED if layout == "new" else CLASSIC_REQUIRED
        missing = [c for c in required if c.lower() not in names]
        if missing:
            raise SourceFormatError(
                path, f"missing columns: {', '.join(missing)}", line=header.line
            )
        spec: list[tuple[int, str, str, str]] = []
        for i, name in enumerate(names):
            if name in columns:
                field, kind = columns[name]
                spec.append((i, header.fields[i].strip().rstrip(";"), field, kind))
                flag = _FLAGGED.get(field)
                if layout == "classic" and flag and i + 1 < len(names) and names[i + 1] == "":
                    spec.append((i + 1, f"{header.fields[i].strip()} ?", flag, "flag"))
        return spec

    @staticmethod
    def _convert(
        spec: list[tuple[int, str, str, str]],
        fields: list[str],
    ) -> tuple[dict[str, Any], tuple[str, str] | None]:
        row: dict[str, Any] = {}
        for i, column, field, kind in spec:
            text = fields[i].strip()
            try:
                if kind == "text":
                    if field == "deal_id" and text and not _DEAL_ID.fullmatch(text):
                        raise ValueError(f"not a SIPRI deal id (digits): {text!r}")
                    row[field] = text or None
                elif kind == "actor":
                    row[f"{field}_orig"] = text or None
                    if not text:
                        return row, (column, f"empty {column}")
                    a = actor(text)
                    row[field] = a.code
                    row[f"{field}_iso3"] = a.iso3
                elif kind == "year":
                    year, uncertain = parse_year(text)
                    first = checks.SIPRI_FIRST_ORDER_YEAR if field in _ORDER_FIELDS else None
                    row[field] = checked_year(year, column.lower(), first)
                    if uncertain:
                        row[f"{field}_uncertain"] = True
                elif kind == "number":
                    what = "TIV" if field.startswith("tiv") else column.lower()
                    row[field] = checked_amount(text.rstrip("?").strip(), what)
                    if "?" in text and field in _FLAGGED:
                        row[_FLAGGED[field]] = True
                elif kind == "yesno":
                    row[field] = parse_yes_no(text)
                elif kind == "flag":
                    # '?' marks uncertain data; no mark means SIPRI did not flag it.
                    row[field] = True if "?" in text else bool(row.get(field))
                elif kind == "years":
                    row[field] = text or None
                    years = _delivery_years(text)
                    if len(years) == 1:
                        row["delivery_year"] = years[0][0]
                        row["delivery_year_uncertain"] = years[0][1]
                    elif any(u for _, u in years):
                        row["delivery_year_uncertain"] = True
            except UnknownCode as exc:
                return row, (column, f"unknown territory name {exc.value!r}")
            except (ValueError, TransshipError) as exc:
                return row, (column, str(exc))
        return row, None


def _delivery_years(text: str) -> list[tuple[int, bool]]:
    """'2014; 2015' -> [(2014, False), (2015, False)]; '(2016)' or '2016?' is uncertain."""
    out = []
    for part in re.split(r"[;,]", text):
        if part.strip():
            year, uncertain = parse_year(part)
            if year is not None:
                out.append((checked_year(year, "delivery year") or year, uncertain))
    return out


# --------------------------------------------------------------------------------------
# TIV tables
# --------------------------------------------------------------------------------------

_TITLE = re.compile(
    r"^\s*TIV of arms (exports from|imports to) (.+?),\s*(\d{4})\s*-\s*(\d{4})\s*$", re.I
)


def _is_year_header(fields: list[str]) -> bool:
    cells = [f.strip() for f in fields[1:] if f.strip()]
    return (
        bool(cells)
        and not fields[0].strip()
        and all(re.fullmatch(r"\d{4}", c) or c.lower() == "total" for c in cells)
        and any(re.fullmatch(r"\d{4}", c) for c in cells)
    )


class SipriTivWideReader(Reader):
    """SIPRI TIV table, one country's exports (or imports) by partner and year -> arms_tiv."""

    name: ClassVar[str] = "sipri-tiv-wide"
    dataset: ClassVar[str] = "sipri"
    description: ClassVar[str] = (
        "SIPRI TIV table 'TIV of arms exports from X' (or imports to X): partners x years; "
        "TIV, not money"
    )
    tables: ClassVar[tuple[str, ...]] = ("arms_tiv",)
    #: SIPRI's actor names as written (non-state actors share one territory code).
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {
        "arms_tiv": ("supplier_orig", "recipient_orig", "year")
    }
    attribution: ClassVar[str | None] = ATTRIBUTION

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        lines = head_lines(head)[:30]
        title = any(_TITLE.match(next(csv.reader([ln]), [""])[0] if ln else "") for ln in lines)
        header = any(
            _is_year_header(next(csv.reader([ln]), [""])) for ln in lines if ln.startswith(",")
        )
        if title and header:
            return 95
        if title:
            return 60
        return 0

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        yield from batched(self._items(ctx), "arms_tiv", TIV_SCHEMA, ctx.batch_rows)

    def _items(self, ctx: ReadContext) -> Iterator[dict[str, Any] | Reject]:
        first, lines = text_lines(ctx)
        records = csv_records(ctx.path, lines, first)
        direction = country = None
        header: Record | None = None
        for i, rec in enumerate(records):
            if isinstance(rec, Reject):
                if i > 40:
                    break
                continue  # an oversized preamble line: neither title nor header
            cell = rec.fields[0] if rec.fields else ""
            m = _TITLE.match(cell)
            if m and country is None:
                direction, country = m.group(1).lower(), m.group(2).strip()
            elif _is_year_header(rec.fields):
                header = rec
                break
            if i > 40:
                break
        if country is None or direction is None:
            raise SourceFormatError(
                ctx.path, "no title line 'TIV of arms exports from <country>, <years>'"
            )
        if header is None:
            raise SourceFormatError(ctx.path, "no header row of years (',1950,1951,...')")
        years: list[tuple[int, int]] = []  # (column index, year)
        for i, c in enumerate(header.fields):
            if re.fullmatch(r"\d{4}", c.strip()):
                years.append((i, int(c.strip())))
        try:
            us = actor(country)
        except UnknownCode as exc:
            raise SourceFormatError(
                ctx.path, f"unknown territory name {exc.value!r} in the title", line=first
            ) from exc
        us_side, them_side = (
            ("supplier", "recipient")
            if direction.startswith("exports")
            else ("recipient", "supplier")
        )
        for rec in records:
            if isinstance(rec, Reject):
                yield rec  # a field over TRANSSHIP_MAX_FIELD_BYTES
                continue
            fields = rec.fields
            if not fields or not fields[0].strip():
                continue  # blank separator rows
            partner = fields[0].strip()
            if partner.lower() == "total":
                continue  # column sums, not a partner
            try:
                them = actor(partner)
            except UnknownCode:
                yield Reject(rec.line, them_side, f"unknown territory name {partner!r}", rec.raw)
                continue
            for sub, (i, year) in enumerate(years):
                text = fields[i].strip() if i < len(fields) else ""
                if not text:
                    continue  # empty = no deliveries identified
                try:
                    value = parse_number(text)
                except ValueError:
                    yield Reject(rec.line, str(year), f"not a TIV value: {text!r}", rec.raw)
                    continue
                problem = checks.year_problem(year, "sipri") or (
                    None if value is None else checks.amount_problem(value, "TIV", text)
                )
                if problem is not None:
                    yield Reject(rec.line, str(year), problem, rec.raw)
                    continue
                row = {
                    "line": rec.line,
                    "sub": sub,
                    "year": year,
                    "tiv": value,
                    "tiv_orig": text,
                    us_side: us.code,
                    f"{us_side}_iso3": us.iso3,
                    f"{us_side}_orig": country,
                    them_side: them.code,
                    f"{them_side}_iso3": them.iso3,
                    f"{them_side}_orig": partner,
                }
                yield row


class SipriTivTidyReader(Reader):
    """Long TIV table ``supplier,recipient,year,value[,...]`` (360info's tidy SIPRI) -> arms_tiv."""

    name: ClassVar[str] = "sipri-tiv-tidy"
    dataset: ClassVar[str] = "sipri"
    description: ClassVar[str] = (
        "SIPRI TIV as a long table: supplier, recipient, year, value; TIV, not money"
    )
    tables: ClassVar[tuple[str, ...]] = ("arms_tiv",)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {
        "arms_tiv": ("supplier_orig", "recipient_orig", "year")
    }
    attribution: ClassVar[str | None] = ATTRIBUTION
    REQUIRED: ClassVar[list[str]] = ["supplier", "recipient", "year", "value"]

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        lines = head_lines(head)
        if not lines:
            return 0
        cols = [c.strip().strip('"').lower() for c in lines[0].split(",")]
        if cols[:4] == cls.REQUIRED:
            return 90 if "supplier_cown" in cols or "recipient_cown" in cols else 75
        if set(cls.REQUIRED) <= set(cols):
            return 50
        return 0

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        yield from batched(self._items(ctx), "arms_tiv", TIDY_SCHEMA, ctx.batch_rows)

    def _items(self, ctx: ReadContext) -> Iterator[dict[str, Any] | Reject]:
        first, lines = text_lines(ctx)
        records = csv_records(ctx.path, lines, first)
        header = next(records, None)
        if header is None:
            raise SourceFormatError(ctx.path, "file is empty")
        if isinstance(header, Reject):
            raise SourceFormatError(ctx.path, header.reason, line=header.line)
        cols = [c.strip().lower() for c in header.fields]
        missing = [c for c in self.REQUIRED if c not in cols]
        if missing:
            raise SourceFormatError(
                ctx.path, f"missing columns: {', '.join(missing)}", line=header.line
            )
        idx = {c: cols.index(c) for c in self.REQUIRED}
        for rec in records:
            if isinstance(rec, Reject):
                yield rec  # a field over TRANSSHIP_MAX_FIELD_BYTES
                continue
            f = rec.fields
            if not any(x.strip() for x in f):
                continue
            if len(f) < len(cols):
                yield Reject(
                    rec.line, None, f"expected {len(cols)} fields, found {len(f)}", rec.raw
                )
                continue
            row: dict[str, Any] = {"line": rec.line}
            bad: tuple[str, str] | None = None
            for side in ("supplier", "recipient"):
                name = f[idx[side]].strip()
                row[f"{side}_orig"] = name
                try:
                    a = actor(name)
                except UnknownCode:
                    bad = (side, f"unknown territory name {name!r}")
                    break
                row[side], row[f"{side}_iso3"] = a.code, a.iso3
            if bad is None:
                try:
                    year, _ = parse_year(f[idx["year"]])
                    if year is None:
                        raise ValueError("empty year")
                    row["year"] = checked_year(year)
                except ValueError as exc:
                    bad = ("year", str(exc))
            if bad is None:
                text = f[idx["value"]].strip()
                try:
                    row["tiv"] = parse_number(text)
                    row["tiv_orig"] = text
                except ValueError:
                    bad = ("value", f"not a TIV value: {text!r}")
                else:
                    tiv = row["tiv"]
                    problem = None if tiv is None else checks.amount_problem(tiv, "TIV", text)
                    if problem is not None:
                        bad = ("value", problem)
            if bad is not None:
                yield Reject(rec.line, bad[0], bad[1], rec.raw)
                continue
            yield row
