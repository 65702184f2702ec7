"""EU COARM annual-report data as compiled by Campaign Against Arms Trade (CAAT).

The EU's annual reports under Common Position 2008/944/CFSP give, per year, member state,
destination and Military List category, the number and value of licences, the value of
exports and the denials. CAAT (github.com/caatdata/eu-arms-export-data) turned them into
four files, each with its own reader; all write ``licence_stats`` with ``kind`` one of
export | brokering | mission | consultation, one row per figure (``measure``, ``value``):

* ``coarm-export``  - ``export.csv``: ``year; embargo; ISO2; name; ISO2; name; region code;
  region name; ML rating; category a|b|c|d|e1..e8; value;`` (no header, ``;`` separated).
* ``coarm-broker``  - ``broker.csv``: brokering licences 2008-2013. Columns 5-6 are the
  DESTINATION and the last two the ORIGIN of the goods, whatever CAAT's README says (its
  own example rows read that way). 195 rows are Python list reprs of a raw extraction that
  CAAT also lists cleaned, with a year, further down: they are parsed, reported as rejects
  with what they hold, and not loaded, so the year is not counted twice.
* ``coarm-mission`` - ``mission.csv``: exports to UN and other missions (free-text items;
  quoted fields hold newlines, so lines are counted physically).
* ``coarm-consult`` - ``consult.csv``: consultations between member states; a row fills
  either the member-state half (initiated, received) or the destination half (concerning).

ML categories go through ``transship.normalise.military.ml_category`` with the source text
kept in ``ml_orig``; amounts through ``transship.normalise.money.parse_amount``.
"""

from __future__ import annotations

import ast
import csv
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from transship.exc import SourceFormatError, TransshipError, UnknownCode
from transship.ingest import checks
from transship.ingest.base import ReadContext, Reader, Reject, Rows
from transship.ingest.textio import Record, batched, csv_records, head_lines, text_lines
from transship.normalise import military, money, territories

ATTRIBUTION = "EU COARM annual reports, compiled by Campaign Against Arms Trade (CAAT)"

STATS_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("sub", pa.int64()),
        ("kind", pa.string()),
        ("year", pa.int32()),
        ("source_country", pa.string()),
        ("source_orig", pa.string()),
        ("destination", pa.string()),
        ("destination_orig", pa.string()),
        ("origin_country", pa.string()),
        ("origin_orig", pa.string()),
        ("ml_category", pa.string()),
        ("ml_orig", pa.string()),
        ("status", pa.string()),
        ("measure", pa.string()),
        ("value", pa.float64()),
        ("value_orig", pa.string()),
        ("currency", pa.string()),
        ("quantity_text", pa.string()),
        ("mission", pa.string()),
        ("description", pa.string()),
        ("embargo", pa.bool_()),
    ]
)

EXPORT_MEASURES = frozenset({"a", "b", "c", "d", *(f"e{i}" for i in range(1, 9))})
#: Export categories that are euro amounts (the rest are counts).
EXPORT_MONEY = frozenset({"b", "c"})


class _Bad(Exception):
    """A row-level problem: becomes a Reject (column, reason)."""

    def __init__(self, column: str | None, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


# --------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------

#: Destination texts that name a group, a region or no country at all (lower case); used
#: when the territory table has no code for them (it may give e.g. ``zz-multi``).
AGGREGATES = frozenset(
    {
        "others",
        "other",
        "multiple countries",
        "different countries",
        "nordic countries",
        "nato+",
        "worldwide excluding embargoed countries",
        "vessel, platform in international waters",
    }
)
#: Texts that say the country is not known (mapped to territories.UNKNOWN).
UNKNOWN_NAMES = frozenset({"unknown", "non specific country", "not specified"})
#: Spellings met in CAAT's files that a territory table may lack: typos and emirates.
#: Tried only after ``territories.from_name`` failed.
FALLBACK_ISO2 = {
    "dubai": "AE",
    "abu dhabi": "AE",
    "lybia": "LY",
    "arabia saudi": "SA",
    "united sates of america": "US",
    "fyrom": "MK",
    "uk": "GB",
    "korea, republic": "KR",
}


class _Places:
    """Country texts -> rigour codes, memoised; lists become ``;``-joined codes."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], str | None | UnknownCode] = {}

    def one(self, iso2: str, name: str) -> str | None:
        key = (iso2.strip(), name.strip())
        hit = self._seen.get(key, False)
        if hit is False:
            try:
                hit = _place(*key)
            except UnknownCode as exc:
                hit = exc
            self._seen[key] = hit
        if isinstance(hit, UnknownCode):
            raise hit
        return hit  # type: ignore[return-value]

    def many(self, iso_text: str, name_text: str, column: str) -> tuple[str | None, str | None]:
        """(codes joined by ';' or None, the source text) for one or several countries.

        Several countries stay in one row (``'us;gb;fr'``): the figures in that row cover
        them together and splitting them would multiply the figures.
        """
        orig = name_text.strip() or iso_text.strip() or None
        if orig is None:
            return None, None
        names = [n.strip() for n in re.split(r"[;\n]", name_text)] if name_text.strip() else []
        isos = [i.strip() for i in iso_text.split(";")] if iso_text.strip() else []
        codes: list[str] = []
        for i in range(max(len(names), len(isos))):
            iso = isos[i] if i < len(isos) else ""
            name = names[i] if i < len(names) else ""
            if not iso and not name:
                continue
            try:
                code = self.one(iso, name)
            except UnknownCode:
                # 'UK, Latvia, Russia' in one cell; but 'Korea, Republic of' is one name.
                parts = [p.strip() for p in name.split(",") if p.strip()]
                if len(parts) < 2:
                    raise _Bad(column, f"unknown territory name {name or iso!r}") from None
                try:
                    sub = [self.one("", p) for p in parts]
                except UnknownCode:
                    raise _Bad(column, f"unknown territory name {name!r}") from None
                codes.extend(c for c in sub if c and c not in codes)
                continue
            if code and code not in codes:
                codes.append(code)
        return (";".join(codes) or None), orig


def _place(iso2: str, name: str) -> str | None:
    """One place: the ISO2 code when it is one, else the name through the territory table,
    else this module's own lists (groups and regions -> None, 'unknown' -> zz, typos)."""
    if re.fullmatch(r"[A-Za-z]{2}", iso2):
        try:
            return territories.from_iso(iso2.upper()).code
        except UnknownCode:
            if not name:
                raise
    if not name:
        raise UnknownCode("territory", iso2)
    try:
        return territories.from_name(name).code
    except UnknownCode:
        low = name.lower().strip(" .")
        if low in AGGREGATES or low.startswith("not applicable"):
            return None
        if low in UNKNOWN_NAMES:
            return territories.UNKNOWN.code
        alias = FALLBACK_ISO2.get(low)
        if alias is None:
            raise
        return territories.from_iso(alias).code


# --------------------------------------------------------------------------------------
# ML categories and numbers
# --------------------------------------------------------------------------------------


def ml_pieces(text: str) -> list[tuple[str | None, str]]:
    """'ML3; ML6' / 'ML 2\\nML 3' / 'ML1, 3, 4' / 'ML1aPL5017' -> [(category or None, text)].

    A piece that is not a Military List entry (UK national 'PL5017', 'NLR', 'ML134') keeps
    its text with a NULL category rather than failing the whole line.
    """
    out: list[tuple[str | None, str]] = []
    text = re.sub(r"(?<=[0-9a-zA-Z.])(?=PL\d)", ";", text)  # 'ML1aPL5017' -> 'ML1a;PL5017'
    for raw in re.split(r"[;,\n]", text):
        piece = raw.strip()
        if not piece:
            continue
        out.append((ml_code(piece), piece))
    return out


def ml_code(piece: str) -> str | None:
    """The ML key of one piece, or None when it is not one ('PL5017', 'Multiple categories')."""
    try:
        return military.ml_category(piece.strip())
    except TransshipError:
        return None


def parse_value(text: str) -> tuple[float | None, str | None]:
    """A figure and its currency as CAAT writes them: '30000.0', '24370', '370,00 EUR',
    '60 600,00 USD'; '' -> (None, None). A plain decimal-point number is read as such
    ('45641.496' is 45,641.496 EUR, CAAT's conversion of a USD amount).
    """
    t = text.strip()
    if not t or t in ("-", "\u2014", "\u2013"):
        return None, None
    if re.fullmatch(r"-?\d+(\.\d+)?", t):
        return float(t), None
    try:
        return money.parse_money(t)
    except TransshipError as exc:
        raise ValueError(f"not an amount: {text!r}") from exc


def _year(text: str) -> int:
    t = text.strip()
    if not re.fullmatch(r"\d{4}", t):
        raise _Bad("year", f"not a year: {text!r}")
    problem = checks.year_problem(int(t), "coarm")
    if problem is not None:
        raise _Bad("year", problem)
    return int(t)


def _amount(value: float, column: str, text: str, what: str | None = None) -> float:
    """A figure of the reports: finite, not negative, below ``checks.MAX_AMOUNT``."""
    problem = checks.amount_problem(value, what or column, text.strip())
    if problem is not None:
        raise _Bad(column, problem)
    return value


# --------------------------------------------------------------------------------------
# Sniffing
# --------------------------------------------------------------------------------------

_YEAR = re.compile(r"\d{4}")
_ISO2_OR_EMPTY = re.compile(r"([A-Z]{2})?")
_PY_ROW = re.compile(r"""^\[u?['"][^'"]+['"],\s*u?['"](issued|refused)['"]""")


def _head_records(head: str) -> list[list[str]]:
    lines = head_lines(head)[:200]
    try:
        return [r for r in csv.reader(lines) if any(c.strip() for c in r)][:40]
    except csv.Error:
        return []


def _fraction(records: Sequence[Any], test: Any) -> float:
    return sum(1 for r in records if test(r)) / len(records) if records else 0.0


def _looks_broker(r: list[str]) -> bool:
    return (
        len(r) == 13
        and bool(_YEAR.fullmatch(r[0]))
        and bool(_ISO2_OR_EMPTY.fullmatch(r[1]))
        and r[3].strip().isalpha()
        and r[3].strip().islower()
    )


def _looks_mission(r: list[str]) -> bool:
    return (
        len(r) == 7
        and bool(_YEAR.fullmatch(r[0]))
        and bool(_ISO2_OR_EMPTY.fullmatch(r[1]))
        and bool(_ISO2_OR_EMPTY.fullmatch(r[3]))
    )


def _looks_consult(r: list[str]) -> bool:
    return (
        len(r) == 8
        and bool(_YEAR.fullmatch(r[0]))
        and bool(_ISO2_OR_EMPTY.fullmatch(r[1]))
        and bool(_ISO2_OR_EMPTY.fullmatch(r[3]))
        and all(re.fullmatch(r"\d*", c.strip()) for c in r[5:8])
    )


def _score(fraction: float) -> int:
    """Share of sniffed records that fit -> confidence; a few bad rows do not matter."""
    return min(95, round(100 * fraction)) if fraction >= 0.75 else int(25 * fraction)


# --------------------------------------------------------------------------------------
# Reading the fixed-width comma files (broker, mission, consult)
# --------------------------------------------------------------------------------------

RowsOf = Callable[[list[str], _Places], list[dict[str, Any]]]


def _read_fixed_width(
    ctx: ReadContext,
    file_name: str,
    width: int,
    rows_of: RowsOf,
    divert: Callable[[Record, _Places], Reject | None] | None = None,
    fatal_lines: int | None = None,
) -> Iterator[Rows | Reject]:
    """The read loop CAAT's comma files share: ``width`` fields a record, rows by ``rows_of``.

    Blank records are skipped. ``divert`` sees each record first and may turn it into a
    reject of its own. A record of the wrong width before the first good one means this is
    not the file we think (``SourceFormatError``) - within the first ``fatal_lines`` lines
    only, when given; after that it is a reject. ``rows_of`` raises ``_Bad`` for a row it
    cannot use; its rows get the record's ``line`` and their position as ``sub``.
    """
    yield from batched(
        _fixed_width_items(ctx, file_name, width, rows_of, divert, fatal_lines),
        "licence_stats",
        STATS_SCHEMA,
        ctx.batch_rows,
    )


def _fixed_width_items(
    ctx: ReadContext,
    file_name: str,
    width: int,
    rows_of: RowsOf,
    divert: Callable[[Record, _Places], Reject | None] | None,
    fatal_lines: int | None,
) -> Iterator[dict[str, Any] | Reject]:
    first, lines = text_lines(ctx)
    places = _Places()
    good = 0
    for rec in csv_records(ctx.path, lines, first):
        if isinstance(rec, Reject):
            yield rec  # a field over TRANSSHIP_MAX_FIELD_BYTES
            continue
        f = rec.fields
        if not any(c.strip() for c in f):
            continue
        if divert is not None:
            diverted = divert(rec, places)
            if diverted is not None:
                yield diverted
                continue
        if len(f) != width:
            if good == 0 and (fatal_lines is None or rec.line < first + fatal_lines):
                raise SourceFormatError(
                    ctx.path,
                    f"not a CAAT {file_name}: expected {width} fields, found {len(f)}",
                    line=rec.line,
                )
            yield Reject(rec.line, None, f"expected {width} fields, found {len(f)}", rec.raw)
            continue
        try:
            rows = rows_of(f, places)
        except _Bad as bad:
            yield Reject(rec.line, bad.column, bad.reason, rec.raw)
            continue
        good += 1
        for sub, row in enumerate(rows):
            row["line"] = rec.line
            row["sub"] = sub
            yield row


# --------------------------------------------------------------------------------------
# export.csv
# --------------------------------------------------------------------------------------


class CoarmExportReader(Reader):
    """CAAT ``export.csv``: licences and exports per year, state, destination, ML, a..e8."""

    name: ClassVar[str] = "coarm-export"
    dataset: ClassVar[str] = "coarm"
    description: ClassVar[str] = (
        "EU COARM export licence statistics (CAAT export.csv: year; embargo; ...; ML; a-e8; value)"
    )
    tables: ClassVar[tuple[str, ...]] = ("licence_stats",)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {
        "licence_stats": ("kind", "year", "source_orig", "destination_orig", "ml_orig", "measure")
    }
    attribution: ClassVar[str | None] = ATTRIBUTION
    _LINE: ClassVar[re.Pattern[str]] = re.compile(r"^\s*\d{4}\s*;\s*[01]?\s*;\s*[A-Za-z]{0,2}\s*;")

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        lines = [ln for ln in head_lines(head)[:50] if ln.strip()]
        if lines and not lines[0][:1].isdigit() and lines[0].lower().startswith("year"):
            lines = lines[1:]
        return _score(_fraction(lines, lambda ln: bool(cls._LINE.match(ln))))

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        yield from batched(self._items(ctx), "licence_stats", STATS_SCHEMA, ctx.batch_rows)

    def _items(self, ctx: ReadContext) -> Iterator[dict[str, Any] | Reject]:
        first, lines = text_lines(ctx)
        places = _Places()
        seen_data = False
        for rec in csv_records(ctx.path, lines, first, delimiter=";", skipinitialspace=True):
            if isinstance(rec, Reject):
                yield rec  # a field over TRANSSHIP_MAX_FIELD_BYTES
                continue
            f = [c.strip() for c in rec.fields]
            if not any(f):
                continue
            if len(f) == 12 and f[-1] == "":
                f.pop()  # the trailing ';'
            if not seen_data:
                if f[0].lower() == "year":
                    continue  # a header row, if a version has one
                if not _YEAR.fullmatch(f[0]) or len(f) != 11:
                    raise SourceFormatError(
                        ctx.path,
                        "not COARM export data: expected 11 ';'-separated fields starting with "
                        f"a year, found {len(f)} starting with {f[0][:20]!r}",
                        line=rec.line,
                    )
                seen_data = True
            if len(f) != 11:
                yield Reject(rec.line, None, f"expected 11 fields, found {len(f)}", rec.raw)
                continue
            try:
                row = self._row(f, places)
            except _Bad as bad:
                yield Reject(rec.line, bad.column, bad.reason, rec.raw)
                continue
            row["line"] = rec.line
            row["sub"] = 0
            yield row

    @staticmethod
    def _row(f: list[str], places: _Places) -> dict[str, Any]:
        year = _year(f[0])
        if f[1] not in ("0", "1", ""):
            raise _Bad("embargo", f"expected 0 or 1, found {f[1]!r}")
        src, src_orig = places.many(f[2], f[3], "source")
        dst, dst_orig = places.many(f[4], f[5], "destination")
        measure = f[9].lower()
        if measure not in EXPORT_MEASURES:
            raise _Bad("category", f"unknown category {f[9]!r} (expected a, b, c, d, e1..e8)")
        rating = f[8]
        ml = ml_code(rating) if rating else None
        if rating and ml is None and rating.lower() not in ("total", "all", "ml total"):
            raise _Bad("rating", f"not a Military List category: {rating!r}")
        try:
            value, _ = parse_value(f[10])
        except ValueError as exc:
            raise _Bad("value", str(exc)) from None
        if value is None:
            raise _Bad("value", "empty value")
        _amount(value, "value", f[10])
        region = " ".join(x for x in (f[6], f[7]) if x)
        return {
            "kind": "export",
            "year": year,
            "embargo": None if f[1] == "" else f[1] == "1",
            "source_country": src,
            "source_orig": src_orig,
            "destination": dst,
            "destination_orig": dst_orig,
            "ml_category": ml,
            "ml_orig": rating or None,
            "measure": measure,
            "value": value,
            "value_orig": f[10],
            "currency": "EUR" if measure in EXPORT_MONEY else None,
            "description": f"region {region}" if region else None,
        }


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
        year=_year(f[0]),
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


def broker_rows(b: BrokerLine, places: _Places) -> list[dict[str, Any]]:
    """The licence_stats rows of one brokering line (``_Bad`` for a row we cannot use).

    * ``count`` (licences) goes on every distinct ML category of the line - a licence
      covering ML3 and ML4 counts under both, as in the COARM reports themselves;
    * a value or quantity goes on its own category when the line has one category, or when
      the source gives one figure per category (aligned lists); a single figure for several
      categories stays one row with a NULL category (``ml_orig`` keeps the list), so sums
      over ML categories never count it twice.
    """
    if b.status not in ("issued", "refused"):
        raise _Bad("status", f"expected issued or refused, found {b.status!r}")
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
            raise _Bad("licences", f"not a number of licences: {b.count!r}") from None
        _amount(n, "licences", b.count, "number of licences")
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
                raise _Bad(column, str(exc)) from None
            if value is None:
                continue
            _amount(value, column, part, column.replace("_", " "))
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
        rest = [r for r in _head_records("\n".join(ln for ln in lines if not ln.startswith("[")))]
        # A python-list row counts when the file also has real broker rows or when it
        # starts the way CAAT's do ("[u'BULGARIA', 'issued', ...").
        good = sum(1 for r in rest if _looks_broker(r))
        hits = good + sum(1 for ln in py if good or _PY_ROW.match(ln))
        return _score(hits / (len(py) + len(rest))) if py or rest else 0

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        # A wrong width is fatal only on the first line or two: later python-list rows
        # and stray lines are rejects.
        yield from _read_fixed_width(
            ctx,
            "broker.csv",
            13,
            lambda f, places: broker_rows(broker_line(f), places),
            divert=self._divert,
            fatal_lines=2,
        )

    @classmethod
    def _divert(cls, rec: Record, places: _Places) -> Reject | None:
        """Python-list rows are parsed and reported, never loaded."""
        if rec.raw.lstrip().startswith("["):
            return cls._python_reject(rec, places)
        return None

    @staticmethod
    def _python_reject(rec: Record, places: _Places) -> Reject:
        try:
            b = parse_python_row(rec.raw)
            rows = broker_rows(b, places)
        except ValueError as exc:
            return Reject(rec.line, None, f"cannot parse python-list row: {exc}", rec.raw)
        except _Bad as bad:
            return Reject(rec.line, bad.column, f"python-list row: {bad.reason}", rec.raw)
        return Reject(
            rec.line,
            None,
            "python-list row without a year: a raw copy of returns CAAT lists again, cleaned and "
            "with a year, further down; not loaded, to avoid counting them twice "
            f"({_summary(b, rows)})",
            rec.raw,
        )


# --------------------------------------------------------------------------------------
# mission.csv
# --------------------------------------------------------------------------------------

_ML_MENTION = re.compile(r"\bML\s?(\d{1,2})([a-z](?![a-z]))?", re.I)


class CoarmMissionReader(Reader):
    """CAAT ``mission.csv``: exports to UN and other international missions (free text)."""

    name: ClassVar[str] = "coarm-mission"
    dataset: ClassVar[str] = "coarm"
    description: ClassVar[str] = "EU COARM exports to UN/international missions (CAAT mission.csv)"
    tables: ClassVar[tuple[str, ...]] = ("licence_stats",)
    #: Free-text items, several per mission: no row key; a member state's year is replaced.
    revision_unit: ClassVar[dict[str, tuple[str, ...]]] = {
        "licence_stats": ("kind", "year", "source_orig")
    }
    attribution: ClassVar[str | None] = ATTRIBUTION

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        return _score(_fraction(_head_records(head), _looks_mission))

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        yield from _read_fixed_width(ctx, "mission.csv", 7, self._rows)

    @staticmethod
    def _rows(f: list[str], places: _Places) -> list[dict[str, Any]]:
        year = _year(f[0])
        src, src_orig = places.many(f[1], f[2], "source")
        dst, dst_orig = places.many(f[3], f[4], "destination")
        if src_orig is None and not f[5].strip() and not f[6].strip():
            raise _Bad(None, "no member state, mission or items on this line")
        items = f[6].strip()
        mentions = [m.group(0) for m in _ML_MENTION.finditer(items)]
        cats = list(dict.fromkeys(c for c in (ml_code(m) for m in mentions) if c))
        return [
            {
                "kind": "mission",
                "year": year,
                "source_country": src,
                "source_orig": src_orig,
                "destination": dst,
                "destination_orig": dst_orig,
                "ml_category": cats[0] if len(cats) == 1 else None,
                "ml_orig": "; ".join(mentions) or None,
                "measure": "items",
                "mission": f[5].strip() or None,
                "description": items or None,
            }
        ]


# --------------------------------------------------------------------------------------
# consult.csv
# --------------------------------------------------------------------------------------


class CoarmConsultReader(Reader):
    """CAAT ``consult.csv``: consultations initiated/received by a state, or about a destination."""

    name: ClassVar[str] = "coarm-consult"
    dataset: ClassVar[str] = "coarm"
    description: ClassVar[str] = "EU COARM consultations between member states (CAAT consult.csv)"
    tables: ClassVar[tuple[str, ...]] = ("licence_stats",)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {
        "licence_stats": ("kind", "year", "source_orig", "destination_orig", "measure")
    }
    attribution: ClassVar[str | None] = ATTRIBUTION

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        return _score(_fraction(_head_records(head), _looks_consult))

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        yield from _read_fixed_width(ctx, "consult.csv", 8, self._rows)

    @staticmethod
    def _rows(f: list[str], places: _Places) -> list[dict[str, Any]]:
        year = _year(f[0])
        src, src_orig = places.many(f[1], f[2], "source")
        dst, dst_orig = places.many(f[3], f[4], "destination")
        named = src_orig is not None or dst_orig is not None
        figures = [("initiated", f[5]), ("received", f[6]), ("concerning", f[7])]
        rows = []
        for measure, text in figures:
            t = text.strip()
            if not t:
                continue
            if not re.fullmatch(r"\d+", t):
                raise _Bad(measure, f"not a count: {text!r}")
            _amount(float(t), measure, t, "count")
            rows.append(
                {
                    "kind": "consultation",
                    "year": year,
                    "source_country": src,
                    "source_orig": src_orig,
                    "destination": dst,
                    "destination_orig": dst_orig,
                    # A row naming neither side is the year's total over all member states:
                    # its own measure name keeps it out of sums over the states.
                    "measure": measure if named else f"{measure}_total",
                    "value": float(t),
                    "value_orig": t,
                    "description": None if named else "total, all member states",
                }
            )
        if not rows:
            raise _Bad(None, "no figures on this line")
        return rows
