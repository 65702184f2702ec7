"""CEPII BACI: reconciled bilateral trade, one CSV per year (``BACI_HS17_Y2022_V202401.csv``).

BACI (Gaulier & Zignago 2010) reconciles each pair's export and import declarations into
one FOB value per exporter x importer x HS6 product x year. Its CSV is ``t,i,j,k,v,q``:

* ``t`` year; ``i`` exporter and ``j`` importer, as BACI country codes (Comtrade's, with
  the deviations 842 USA, 251 France, 699 India, 381 Italy...); ``k`` HS6 code written as a
  number, so chapters 01-09 lost their leading zero (``10121`` is ``010121``).
* ``v`` value in **thousands** of USD; ``q`` quantity in metric **tonnes**. Either may be
  ``NA`` or empty; ``q`` is sometimes padded (``           NA``).

Storage (migration 0004, docs/store.md). A checked row is stored as BACI wrote it, typed, in
``baci_rows`` (``run_id, line, t, i, j, k, v, q``); the file's constants go to ``baci_files``
and each country code it used, resolved once, to ``baci_codes``. The ``trade_flows`` view
presents each row as a trade flow with ``reporter`` = exporter, ``partner`` = importer,
``flow`` X, ``value_basis`` ``reconciled``, ``value_usd`` = v x 1000, ``qty`` = q with
``qty_unit`` ``t`` and ``net_weight_kg`` = q x 1000 (a tonne-quantity *is* a weight), and the
stored numbers as the original values. The HS edition comes from the file name (``HS17`` ->
``H5``); a name without one gives NULL. Why: ten million six-number rows stored as 28-column
rows cost five times DuckDB's own load of the file; stored as themselves, about its cost
(docs/performance.md).

Country codes. BACI ships its own code table beside the data (``country_codes_V202401.csv``:
``country_code,country_name,country_iso2,country_iso3``; older releases
``country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha``).
Codes resolve through ``transship.normalise.territories.from_baci`` first; a code it lacks is
looked up in that table when it sits beside the file and resolved by its ISO3 code, so a new
release's new code does not reject its rows. The table itself (and ``product_codes_*.csv``)
holds no trade: ``transship ingest`` of a whole release folder accepts both and stores
nothing for them (logged), instead of failing on them; they are used as side tables only.

Speed: see ``ingest.csvstream`` and ``ingest.tabular`` (shared helpers): text columns
streamed by Arrow, codes resolved once per distinct value, checks as masks, line numbers
from cumulative counts (BACI never quotes, so no value spans lines).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from transship.exc import InvalidInput, SourceFormatError, UnknownCode
from transship.ingest.archive import Source
from transship.ingest.base import ReadContext, Reader, Reject, Rows, require_columns
from transship.ingest.csvstream import CsvBatch, csv_head, header_fields, stream_csv
from transship.ingest.tabular import (
    TABLE,
    Cache,
    Checks,
    Coded,
    check_amounts,
    check_years,
    csv_raw,
    finish,
    parse_numbers,
    year_of,
)
from transship.normalise import commodities, territories

log = logging.getLogger(__name__)

COLUMNS = ["t", "i", "j", "k", "v", "q"]
REQUIRED = ["t", "i", "j", "k", "v"]
#: BACI release names -> Comtrade HS edition codes.
EDITIONS = {
    "HS92": "H0",
    "HS96": "H1",
    "HS02": "H2",
    "HS07": "H3",
    "HS12": "H4",
    "HS17": "H5",
    "HS22": "H6",
}
_EDITION_IN_NAME = re.compile(r"(?<![A-Za-z0-9])HS(\d{2})(?!\d)", re.IGNORECASE)
_VERSION_IN_NAME = re.compile(r"V(\d{6})", re.IGNORECASE)
#: A release's code tables: ``country_codes_V202401.csv``, ``product_codes_HS17_V202401.csv``.
_SIDE_TABLES = re.compile(r"^(country|product)_codes(_HS\d{2})?(_V\d+)?\.csv$", re.IGNORECASE)


def classification_from_name(name: str) -> str | None:
    """``BACI_HS17_Y2022_V202401.csv`` -> ``H5``; None when the name carries no edition."""
    m = _EDITION_IN_NAME.search(name)
    return EDITIONS.get(f"HS{m.group(1)}") if m else None


def country_table(data_file: Path | Source) -> dict[int, str]:
    """BACI's own ``country_codes_V*.csv`` beside ``data_file``: code -> ISO3.

    "Beside" is the same folder, or the same zip archive for a member of a release zip. The
    one with the data file's version (``V202401``) wins, else the newest. Rows without a
    usable ISO3 (BACI writes ``N/A`` for "Other Asia, nes") are left out.
    """
    source = data_file if isinstance(data_file, Source) else Source(data_file)
    candidates = source.siblings("country_codes*.csv")
    if not candidates:
        return {}
    version = _VERSION_IN_NAME.search(source.name)
    chosen = candidates[-1]
    if version:
        for c in candidates:
            if version.group(0).upper() in c.name.upper():
                chosen = c
    out: dict[int, str] = {}
    try:
        with io.TextIOWrapper(chosen.open(), encoding="utf-8", errors="replace", newline="") as f:
            for row in csv.DictReader(f):
                code = (row.get("country_code") or "").strip()
                iso3 = (row.get("country_iso3") or row.get("iso_3digit_alpha") or "").strip()
                if code.isdigit() and len(iso3) == 3 and iso3.isalpha():
                    out[int(code)] = iso3
    except (OSError, SourceFormatError):
        return {}
    return out


def baci_resolver(extra: dict[int, str]) -> Callable[[str], territories.Territory]:
    """``from_baci``, then the release's own table (by ISO3) for codes we do not ship."""

    def resolve(code: str) -> territories.Territory:
        try:
            return territories.from_baci(code)
        except UnknownCode:
            text = code.strip()
            if text.isdigit() and int(text) in extra:
                return territories.from_iso(extra[int(text)])
            raise

    return resolve


def _hs6_number(text: str) -> int:
    """The HS6 code as BACI's number (``010121`` and ``10121`` are both 10121)."""
    return int(_hs6(text))


def _hs6(text: str) -> str:
    """BACI products are HS6: restore the lost zero, refuse anything else."""
    code = commodities.hs_code(text)
    if len(code) != 6:
        raise InvalidInput(f"BACI product codes have 6 digits: {text!r}")
    return code


class BaciReader(Reader):
    """CEPII BACI yearly CSV ``t,i,j,k,v,q`` (values in thousand USD, quantities in tonnes)."""

    name: ClassVar[str] = "baci"
    dataset: ClassVar[str] = "baci"
    description: ClassVar[str] = (
        "CEPII BACI CSV t,i,j,k,v,q (exporter, importer, HS6, value kUSD, tonnes)"
    )
    tables: ClassVar[tuple[str, ...]] = (TABLE,)
    #: Within one dataset and HS edition (baci_files): a release's year, exporter, importer,
    #: product. A later version of the same edition supersedes the flows it has.
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {"baci_rows": ("t", "i", "j", "k")}
    attribution: ClassVar[str | None] = "Source: CEPII BACI (Gaulier & Zignago 2010)"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        fields = [f.lower() for f in header_fields(head)]
        if fields[: len(REQUIRED)] == REQUIRED:
            return 95
        if _SIDE_TABLES.match(path.name) and fields and fields[0] in ("country_code", "code"):
            return 50  # a release's side table: accepted, nothing stored (see module doc)
        return 0

    @classmethod
    def companion(cls, path: Path, head: str) -> str | None:
        fields = [f.lower() for f in header_fields(head)]
        if _SIDE_TABLES.match(path.name) and fields and fields[0] in ("country_code", "code"):
            return "BACI code table, read beside the data files"
        return None

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        head = csv_head(ctx.path, ctx.head())
        ctx.simulated = ctx.simulated or head.simulated
        header = [h.lower() for h in head.header]
        if _SIDE_TABLES.match(ctx.name) and header and header[0] in ("country_code", "code"):
            log.info("%s: BACI side table, used beside data files; nothing stored", ctx.path)
            return
        require_columns(ctx.path, header, REQUIRED, line=head.header_line)
        # Arrow selects columns by the file's own spelling (``T,I,J...`` also occurs).
        columns = [name for name in head.header if name.lower() in COLUMNS]
        dupes = sorted({c.lower() for c in columns if header.count(c.lower()) > 1})
        if dupes:
            raise SourceFormatError(
                ctx.path, f"duplicate columns: {', '.join(dupes)}", line=head.header_line
            )
        classification = classification_from_name(ctx.name)
        book = CodeBook(baci_resolver(country_table(ctx.unit)))
        caches: tuple[Cache, ...] = ({}, {})  # years, products
        for part in stream_csv(ctx, head, columns):
            if not part.batch.num_rows:
                yield from part.rejects
                continue
            yield from _rows(part, book, caches, head.delimiter)
        if book.first_line:
            yield Rows(CODES_TABLE, book.table(), facts=False)
        yield Rows(
            FILES_TABLE,
            pa.table(
                {"line": [head.header_line], "classification": [classification]},
                schema=pa.schema([("line", pa.int64()), ("classification", pa.string())]),
            ),
            facts=False,
        )


#: Where BACI rows go (migration 0004); ``trade_flows`` presents them.
ROWS_TABLE = "baci_rows"
FILES_TABLE = "baci_files"
CODES_TABLE = "baci_codes"
#: ``baci_rows`` columns as the reader yields them.
ROWS_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("t", pa.int16()),
        ("i", pa.int32()),
        ("j", pa.int32()),
        ("k", pa.int32()),
        ("v", pa.float64()),
        ("q", pa.float64()),
    ]
)


class CodeBook:
    """The BACI country codes of one file: each distinct text resolved once (through
    ``resolve``) to its number, and the territory and first line of every number a stored row
    used, for ``baci_codes``."""

    __slots__ = ("cache", "first_line", "resolve", "territory")

    def __init__(self, resolve: Callable[[str], territories.Territory]) -> None:
        self.resolve = resolve
        #: text -> (number or None, refused): the ``Coded.map`` cache of both party columns
        self.cache: Cache = {}
        self.territory: dict[int, territories.Territory] = {}
        self.first_line: dict[int, int] = {}

    def number(self, text: str) -> int:
        """The code's number; UnknownCode (a reject) when it resolves to no territory, and
        ValueError when it is not a number."""
        terr = self.resolve(text)
        number = int(text.strip())
        self.territory.setdefault(number, terr)
        return number

    def used(self, parties: Sequence[Coded], lines: np.ndarray, good: np.ndarray) -> None:
        """Remember the first stored line of each number the party columns use. Only numbers
        not seen before cost anything: after the first batches of a file, none."""
        cache = self.cache
        numbers = {cache[v][0] for coded in parties for v in coded.values if v in cache}
        wanted = numbers - {None} - self.first_line.keys()
        if not wanted:
            return
        first: dict[int, int] = {}
        for coded in parties:
            # First good row of each distinct value: one unique over its positions.
            slots, idx = np.unique(coded.positions[good], return_index=True)
            rows = np.flatnonzero(good)[idx]
            for slot, row in zip(slots.tolist(), rows.tolist(), strict=True):
                value = coded.values[slot] if slot < len(coded.values) else None
                number = cache[value][0] if value in cache else None
                if (
                    isinstance(number, int)
                    and number in wanted
                    and row < first.get(number, row + 1)
                ):
                    first[number] = row
        for number, row in first.items():
            self.first_line[number] = int(lines[row])

    def table(self) -> pa.Table:
        numbers = sorted(self.first_line)
        terrs = [self.territory[n] for n in numbers]
        return pa.table(
            {
                "code": pa.array(numbers, pa.int32()),
                "territory": pa.array([t.code for t in terrs], pa.string()),
                "iso3": pa.array([t.iso3 for t in terrs], pa.string()),
                "m49": pa.array([t.m49 for t in terrs], pa.string()),
                "is_world": pa.array([bool(t.is_world) for t in terrs], pa.bool_()),
                "is_area": pa.array([bool(t.is_area) for t in terrs], pa.bool_()),
                "line": pa.array([self.first_line[n] for n in numbers], pa.int64()),
            }
        )


def _rows(
    part: CsvBatch,
    book: CodeBook,
    caches: tuple[Cache, ...],
    delimiter: str,
) -> Iterator[Rows | Reject]:
    batch, lines = part.batch, part.lines
    batch = batch.rename_columns([c.lower() for c in batch.schema.names])
    n = batch.num_rows
    checks = Checks(n)
    t, i, j, k, v = (batch.column(c) for c in ("t", "i", "j", "k", "v"))
    q = batch.column("q") if "q" in batch.schema.names else None

    blank = _all_null(batch)
    if blank is not None:
        checks.bad |= blank  # blank lines: skipped quietly

    years = Coded(t)
    year, bad_year = years.map(year_of, caches[0], pa.int32())
    checks.add(years.missing(), "t", "missing year")
    checks.add(bad_year, "t", lambda x: f"bad year {x!r}", t)
    check_years(checks, year, t, "t", "baci")

    exporters, importers = Coded(i), Coded(j)
    rep, bad_rep = exporters.map(book.number, book.cache, pa.int32())
    par, bad_par = importers.map(book.number, book.cache, pa.int32())
    checks.add(exporters.missing(), "i", "missing exporter code")
    checks.add(bad_rep, "i", lambda x: f"unknown country code {x!r}", i)
    checks.add(importers.missing(), "j", "missing importer code")
    checks.add(bad_par, "j", lambda x: f"unknown country code {x!r}", j)

    products = Coded(k)
    hs, bad_hs = products.map(_hs6_number, caches[1], pa.int32())
    checks.add(products.missing(), "k", "missing product code")
    checks.add(bad_hs, "k", lambda x: f"bad HS code {x!r}", k)

    value, bad_v = parse_numbers(v)
    checks.add(bad_v, "v", lambda x: f"value is not a number: {x!r}", v)
    check_amounts(checks, value, v, "v", "value", scale=1000.0)  # thousands of USD
    cols: dict[str, pa.Array] = {"t": year, "i": rep, "j": par, "k": hs, "v": value}
    if q is not None:
        qty, bad_q = parse_numbers(q)
        checks.add(bad_q, "q", lambda x: f"quantity is not a number: {x!r}", q)
        check_amounts(checks, qty, q, "q", "quantity", scale=1000.0)  # tonnes, cap in kg
        cols["q"] = qty
    if blank is not None:
        checks.found = [f for f in checks.found if not blank[f[0]]]
    book.used((exporters, importers), lines, ~checks.bad)
    yield from finish(
        checks,
        lines,
        cols,
        csv_raw(batch, delimiter),
        part.rejects,
        table_name=ROWS_TABLE,
        schema=ROWS_SCHEMA,
    )


def _all_null(batch: pa.RecordBatch) -> np.ndarray | None:
    """Blank lines come out of Arrow as all-null rows; None when there are none (cheap)."""
    if batch.column("t").null_count == 0:
        return None
    mask = pc.is_null(batch.column(0))
    for col in batch.columns[1:]:
        mask = pc.and_(mask, pc.is_null(col))
    arr = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
    return arr if arr.any() else None


__all__ = ["BaciReader", "baci_resolver", "classification_from_name", "country_table"]
