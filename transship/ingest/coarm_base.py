"""What the four COARM readers share (see ``ingest.coarm``): the ``licence_stats`` columns,
places (CAAT's ISO2 and names, groups and regions), ML categories and numbers, sniffing
helpers and the reading of the fixed-width comma files (broker, mission, consult). Moved out
of ``ingest.coarm`` unchanged.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pyarrow as pa

from transship.exc import SourceFormatError, TransshipError, UnknownCode
from transship.ingest import checks
from transship.ingest.base import ReadContext, Reject, Rows
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


class BadRow(Exception):
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


class Places:
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
                    raise BadRow(column, f"unknown territory name {name or iso!r}") from None
                try:
                    sub = [self.one("", p) for p in parts]
                except UnknownCode:
                    raise BadRow(column, f"unknown territory name {name!r}") from None
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


def year_of(text: str) -> int:
    t = text.strip()
    if not re.fullmatch(r"\d{4}", t):
        raise BadRow("year", f"not a year: {text!r}")
    problem = checks.year_problem(int(t), "coarm")
    if problem is not None:
        raise BadRow("year", problem)
    return int(t)


def amount_of(value: float, column: str, text: str, what: str | None = None) -> float:
    """A figure of the reports: finite, not negative, below ``checks.MAX_AMOUNT``."""
    problem = checks.amount_problem(value, what or column, text.strip())
    if problem is not None:
        raise BadRow(column, problem)
    return value


# --------------------------------------------------------------------------------------
# Sniffing
# --------------------------------------------------------------------------------------

YEAR = re.compile(r"\d{4}")
_ISO2_OR_EMPTY = re.compile(r"([A-Z]{2})?")
PY_ROW = re.compile(r"""^\[u?['"][^'"]+['"],\s*u?['"](issued|refused)['"]""")


def head_records(head: str) -> list[list[str]]:
    lines = head_lines(head)[:200]
    try:
        return [r for r in csv.reader(lines) if any(c.strip() for c in r)][:40]
    except csv.Error:
        return []


def share_of(records: Sequence[Any], test: Any) -> float:
    return sum(1 for r in records if test(r)) / len(records) if records else 0.0


def looks_broker(r: list[str]) -> bool:
    return (
        len(r) == 13
        and bool(YEAR.fullmatch(r[0]))
        and bool(_ISO2_OR_EMPTY.fullmatch(r[1]))
        and r[3].strip().isalpha()
        and r[3].strip().islower()
    )


def looks_mission(r: list[str]) -> bool:
    return (
        len(r) == 7
        and bool(YEAR.fullmatch(r[0]))
        and bool(_ISO2_OR_EMPTY.fullmatch(r[1]))
        and bool(_ISO2_OR_EMPTY.fullmatch(r[3]))
    )


def looks_consult(r: list[str]) -> bool:
    return (
        len(r) == 8
        and bool(YEAR.fullmatch(r[0]))
        and bool(_ISO2_OR_EMPTY.fullmatch(r[1]))
        and bool(_ISO2_OR_EMPTY.fullmatch(r[3]))
        and all(re.fullmatch(r"\d*", c.strip()) for c in r[5:8])
    )


def sniff_score(fraction: float) -> int:
    """Share of sniffed records that fit -> confidence; a few bad rows do not matter."""
    return min(95, round(100 * fraction)) if fraction >= 0.75 else int(25 * fraction)


# --------------------------------------------------------------------------------------
# Reading the fixed-width comma files (broker, mission, consult)
# --------------------------------------------------------------------------------------

RowsOf = Callable[[list[str], Places], list[dict[str, Any]]]


def read_fixed_width(
    ctx: ReadContext,
    file_name: str,
    width: int,
    rows_of: RowsOf,
    divert: Callable[[Record, Places], Reject | None] | None = None,
    fatal_lines: int | None = None,
) -> Iterator[Rows | Reject]:
    """The read loop CAAT's comma files share: ``width`` fields a record, rows by ``rows_of``.

    Blank records are skipped. ``divert`` sees each record first and may turn it into a
    reject of its own. A record of the wrong width before the first good one means this is
    not the file we think (``SourceFormatError``) - within the first ``fatal_lines`` lines
    only, when given; after that it is a reject. ``rows_of`` raises ``BadRow`` for a row it
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
    divert: Callable[[Record, Places], Reject | None] | None,
    fatal_lines: int | None,
) -> Iterator[dict[str, Any] | Reject]:
    first, lines = text_lines(ctx)
    places = Places()
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
        except BadRow as bad:
            yield Reject(rec.line, bad.column, bad.reason, rec.raw)
            continue
        good += 1
        for sub, row in enumerate(rows):
            row["line"] = rec.line
            row["sub"] = sub
            yield row
