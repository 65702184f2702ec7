"""EU COARM brokering licences 2008-2013 (CAAT's ``broker.csv``, reader ``coarm-broker``).

Columns 5-6 are the DESTINATION and the last two the ORIGIN of the goods, whatever CAAT's
README says (its own example rows read that way). 195 rows are Python list reprs of a raw
extraction that CAAT also lists cleaned, with a year, further down: they are parsed,
reported as rejects with what they hold, and not loaded, so the year is not counted twice.
See ``ingest.coarm`` for the four COARM files. Moved out of ``ingest.coarm`` unchanged.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from transship.ingest.base import ReadContext, Reader, Reject, Rows
from transship.ingest.coarm_base import (
    ATTRIBUTION,
    PY_ROW,
    BadRow,
    Places,
    amount_of,
    head_records,
    looks_broker,
    ml_pieces,
    parse_value,
    read_fixed_width,
    sniff_score,
    year_of,
)
from transship.ingest.textio import Record, head_lines

# --------------------------------------------------------------------------------------
# broker.csv
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class BrokerLine:
    """One brokering line, whichever way the file wrote it."""

    year: int | None
    broker_iso: str
    broker_name: str
    status: str
    dest_iso: str
    dest_names: str
    count: str
    value_licensed: list[str]
    ml_text: str
    quantity: list[str]
    value_brokered: list[str]
    origin_iso: str
    origin_names: str
    python_repr: bool = False
    currency_texts: list[str] = field(default_factory=list)


def parse_python_row(text: str) -> BrokerLine:
    """A raw python-list row of broker.csv, e.g.
    ``[u'BULGARIA', 'issued', [u'Tajikistan'], 1, [u'24', u'', u'370,00 EUR'], [u'ML1'],
    [u'200 pcs'], [u'24', u'', u'370,00 EUR'], [u'Serbia']]``
    = broker, status, destination(s), licences, value licensed, ML, quantity, value
    brokered, origin(s). Values were cut at their thousands separators; the pieces are
    joined back ('24' + '370,00 EUR' -> '24370,00 EUR'); a newline separates the figures
    of successive ML categories. Uses ``ast.literal_eval`` (never ``eval``); raises
    ValueError for anything that is not such a list.
    """
    try:
        v = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ValueError(f"not a Python literal: {exc}") from None
    if not isinstance(v, list) or len(v) != 9:
        raise ValueError(
            f"expected a list of 9 items, found {type(v).__name__} "
            f"of {len(v) if isinstance(v, list) else 0}"
        )
    broker, status, dest, count, vlic, ml, qty, vbro, origin = v

    def strings(x: Any, what: str) -> list[str]:
        if x is None:
            return []
        if not isinstance(x, list) or not all(isinstance(s, str) for s in x):
            raise ValueError(f"{what}: expected a list of strings, found {x!r}")
        return x

    def joined(x: Any, what: str) -> list[str]:
        return [p.strip() for p in "".join(strings(x, what)).split("\n") if p.strip()]

    if not isinstance(broker, str) or not isinstance(status, str):
        raise ValueError("broker and status must be strings")
    if count is not None and not isinstance(count, int | float | str):
        raise ValueError(f"licences: expected a number, found {count!r}")
    vl, vb = joined(vlic, "value licensed"), joined(vbro, "value brokered")
    return BrokerLine(
        year=None,
        broker_iso="",
        broker_name=broker.strip().title(),
        status=status.strip(),
        dest_iso="",
        dest_names="\n".join(strings(dest, "destination")),
        count="" if count is None else str(count),
        value_licensed=vl,
        ml_text="\n".join(strings(ml, "ML")),
        quantity=joined(qty, "quantity"),
        value_brokered=vb,
        origin_iso="",
        origin_names="\n".join(strings(origin, "origin")),
        python_repr=True,
        currency_texts=vl + vb,
    )


def _split_semi(text: str) -> list[str]:
    return [p.strip() for p in text.split(";") if p.strip()]


def broker_line(f: list[str]) -> BrokerLine:
    """A regular 13-field broker.csv row (destination in 5-6, origin in 12-13)."""
    qty = re.sub(r"(\d);\s*;\s*(\d)", r"\1\2", f[9])  # CAAT's '2772; ; 000 pcs'
    return BrokerLine(
        year=year_of(f[0]),
        broker_iso=f[1],
        broker_name=f[2],
        status=f[3].strip(),
        dest_iso=f[4],
        dest_names=f[5],
        count=f[6].strip(),
        value_licensed=[f[7].strip()] if f[7].strip() else [],
        ml_text=f[8],
        quantity=_split_semi(qty),
        value_brokered=_split_semi(f[10]),
        origin_iso=f[11],
        origin_names=f[12],
    )


def broker_rows(b: BrokerLine, places: Places) -> list[dict[str, Any]]:
    """The licence_stats rows of one brokering line (``BadRow`` for a row we cannot use).

    * ``count`` (licences) goes on every distinct ML category of the line - a licence
      covering ML3 and ML4 counts under both, as in the COARM reports themselves;
    * a value or quantity goes on its own category when the line has one category, or when
      the source gives one figure per category (aligned lists); a single figure for several
      categories stays one row with a NULL category (``ml_orig`` keeps the list), so sums
      over ML categories never count it twice.
    """
    if b.status not in ("issued", "refused"):
        raise BadRow("status", f"expected issued or refused, found {b.status!r}")
    src, src_orig = places.many(b.broker_iso, b.broker_name, "source")
    dst, dst_orig = places.many(b.dest_iso, b.dest_names, "destination")
    org, org_orig = places.many(b.origin_iso, b.origin_names, "origin")
    pieces = ml_pieces(b.ml_text)
    cats = list(dict.fromkeys(c for c, _ in pieces if c))
    ml_all = b.ml_text.strip() or None
    base = {
        "kind": "brokering",
        "year": b.year,
        "source_country": src,
        "source_orig": src_orig,
        "destination": dst,
        "destination_orig": dst_orig,
        "origin_country": org,
        "origin_orig": org_orig,
        "status": b.status,
    }
    rows: list[dict[str, Any]] = []

    def add(measure: str, cat: str | None, ml_orig: str | None, **more: Any) -> None:
        rows.append({**base, "measure": measure, "ml_category": cat, "ml_orig": ml_orig, **more})

    if b.count:
        try:
            n = float(b.count)
        except ValueError:
            raise BadRow("licences", f"not a number of licences: {b.count!r}") from None
        amount_of(n, "licences", b.count, "number of licences")
        if cats:
            for c in cats:
                add("count", c, next(t for k, t in pieces if k == c), value=n, value_orig=b.count)
        else:
            add("count", None, ml_all, value=n, value_orig=b.count)

    def spread(measure: str, parts: list[str], column: str) -> None:
        for (cat, ml_orig, note), part in _attribute(parts, pieces, cats, ml_all):
            if measure == "quantity":
                add(measure, cat, ml_orig, quantity_text=part, description=note)
                continue
            try:
                value, cur = parse_value(part)
            except ValueError as exc:
                raise BadRow(column, str(exc)) from None
            if value is None:
                continue
            amount_of(value, column, part, column.replace("_", " "))
            # CAAT's figures are euros unless the text names another currency.
            add(
                measure,
                cat,
                ml_orig,
                value=value,
                value_orig=part,
                currency=cur or "EUR",
                description=note,
            )

    spread("value_licensed", b.value_licensed, "value_licensed")
    spread("value_brokered", b.value_brokered, "value_brokered")
    spread("quantity", b.quantity, "quantity")
    if not rows:
        # UK open licences list categories and places but no numbers: keep the fact.
        note = "licence listed without figures"
        targets: list[str | None] = [*cats] or [None]
        for cat in targets:
            orig = next((t for k, t in pieces if k == cat), ml_all) if cat else ml_all
            add("listed", cat, orig, description=note)
    return rows


def _attribute(
    parts: list[str], pieces: list[tuple[str | None, str]], cats: list[str], ml_all: str | None
) -> list[tuple[tuple[str | None, str | None, str | None], str]]:
    parts = [p for p in parts if p.strip()]
    if not parts:
        return []
    if len(pieces) == 1 or (len(cats) == 1 and all(c == cats[0] for c, _ in pieces)):
        cat, orig = pieces[0] if len(pieces) == 1 else (cats[0], ml_all or cats[0])
        return [((cat, orig, None), p) for p in parts]
    if not pieces:
        return [((None, None, None), p) for p in parts]
    if len(parts) == len(pieces):
        return [((cat, orig, None), p) for (cat, orig), p in zip(pieces, parts, strict=True)]
    note = "one figure for several ML categories (not split by the source)"
    return [((None, ml_all, note), p) for p in parts]


def _summary(b: BrokerLine, rows: list[dict[str, Any]]) -> str:
    vals = [r for r in rows if r["measure"] == "value_licensed"]
    value = "; ".join(f"{r['value']:,.2f} {r['currency']}" for r in vals) or "no value"
    dest = b.dest_names.replace("\n", ", ") or "?"
    origin = b.origin_names.replace("\n", ", ") or "?"
    ml = ", ".join(t for _, t in ml_pieces(b.ml_text)) or "no ML"
    return (
        f"{b.broker_name} {b.status} -> {dest}, origin {origin}, {ml}, "
        f"{b.count or '?'} licence(s), {value}"
    )


class CoarmBrokerReader(Reader):
    """CAAT ``broker.csv``: brokering licences by broker state, destination and origin."""

    name: ClassVar[str] = "coarm-broker"
    dataset: ClassVar[str] = "coarm"
    description: ClassVar[str] = (
        "EU COARM brokering licences (CAAT broker.csv), destination and origin per line"
    )
    tables: ClassVar[tuple[str, ...]] = ("licence_stats",)
    #: One line per licence, without an id: no row key; a later file replaces a member
    #: state's year (its report) as a whole.
    revision_unit: ClassVar[dict[str, tuple[str, ...]]] = {
        "licence_stats": ("kind", "year", "source_orig")
    }
    attribution: ClassVar[str | None] = ATTRIBUTION

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        lines = [ln for ln in head_lines(head)[:200] if ln.strip()]
        py = [ln for ln in lines if ln.startswith("[")]
        rest = [r for r in head_records("\n".join(ln for ln in lines if not ln.startswith("[")))]
        # A python-list row counts when the file also has real broker rows or when it
        # starts the way CAAT's do ("[u'BULGARIA', 'issued', ...").
        good = sum(1 for r in rest if looks_broker(r))
        hits = good + sum(1 for ln in py if good or PY_ROW.match(ln))
        return sniff_score(hits / (len(py) + len(rest))) if py or rest else 0

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        # A wrong width is fatal only on the first line or two: later python-list rows
        # and stray lines are rejects.
        yield from read_fixed_width(
            ctx,
            "broker.csv",
            13,
            lambda f, places: broker_rows(broker_line(f), places),
            divert=self._divert,
            fatal_lines=2,
        )

    @classmethod
    def _divert(cls, rec: Record, places: Places) -> Reject | None:
        """Python-list rows are parsed and reported, never loaded."""
        if rec.raw.lstrip().startswith("["):
            return cls._python_reject(rec, places)
        return None

    @staticmethod
    def _python_reject(rec: Record, places: Places) -> Reject:
        try:
            b = parse_python_row(rec.raw)
            rows = broker_rows(b, places)
        except ValueError as exc:
            return Reject(rec.line, None, f"cannot parse python-list row: {exc}", rec.raw)
        except BadRow as bad:
            return Reject(rec.line, bad.column, f"python-list row: {bad.reason}", rec.raw)
        return Reject(
            rec.line,
            None,
            "python-list row without a year: a raw copy of returns CAAT lists again, cleaned and "
            "with a year, further down; not loaded, to avoid counting them twice "
            f"({_summary(b, rows)})",
            rec.raw,
        )
