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

Where things are: this module holds the export, mission and consultation readers; the
brokering reader (with its Python-list rows) is ``ingest.coarm_broker``; what the four
share (the stored columns, places, ML categories and numbers, sniffing, the fixed-width
comma files) is ``ingest.coarm_base``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from transship.exc import SourceFormatError
from transship.ingest.base import ReadContext, Reader, Reject, Rows
from transship.ingest.coarm_base import (
    ATTRIBUTION,
    EXPORT_MEASURES,
    EXPORT_MONEY,
    STATS_SCHEMA,
    YEAR,
    BadRow,
    Places,
    amount_of,
    head_records,
    looks_consult,
    looks_mission,
    ml_code,
    parse_value,
    read_fixed_width,
    share_of,
    sniff_score,
    year_of,
)
from transship.ingest.textio import batched, csv_records, head_lines, text_lines

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
        return sniff_score(share_of(lines, lambda ln: bool(cls._LINE.match(ln))))

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        yield from batched(self._items(ctx), "licence_stats", STATS_SCHEMA, ctx.batch_rows)

    def _items(self, ctx: ReadContext) -> Iterator[dict[str, Any] | Reject]:
        first, lines = text_lines(ctx)
        places = Places()
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
                if not YEAR.fullmatch(f[0]) or len(f) != 11:
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
            except BadRow as bad:
                yield Reject(rec.line, bad.column, bad.reason, rec.raw)
                continue
            row["line"] = rec.line
            row["sub"] = 0
            yield row

    @staticmethod
    def _row(f: list[str], places: Places) -> dict[str, Any]:
        year = year_of(f[0])
        if f[1] not in ("0", "1", ""):
            raise BadRow("embargo", f"expected 0 or 1, found {f[1]!r}")
        src, src_orig = places.many(f[2], f[3], "source")
        dst, dst_orig = places.many(f[4], f[5], "destination")
        measure = f[9].lower()
        if measure not in EXPORT_MEASURES:
            raise BadRow("category", f"unknown category {f[9]!r} (expected a, b, c, d, e1..e8)")
        rating = f[8]
        ml = ml_code(rating) if rating else None
        if rating and ml is None and rating.lower() not in ("total", "all", "ml total"):
            raise BadRow("rating", f"not a Military List category: {rating!r}")
        try:
            value, _ = parse_value(f[10])
        except ValueError as exc:
            raise BadRow("value", str(exc)) from None
        if value is None:
            raise BadRow("value", "empty value")
        amount_of(value, "value", f[10])
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
        return sniff_score(share_of(head_records(head), looks_mission))

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        yield from read_fixed_width(ctx, "mission.csv", 7, self._rows)

    @staticmethod
    def _rows(f: list[str], places: Places) -> list[dict[str, Any]]:
        year = year_of(f[0])
        src, src_orig = places.many(f[1], f[2], "source")
        dst, dst_orig = places.many(f[3], f[4], "destination")
        if src_orig is None and not f[5].strip() and not f[6].strip():
            raise BadRow(None, "no member state, mission or items on this line")
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
        return sniff_score(share_of(head_records(head), looks_consult))

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        yield from read_fixed_width(ctx, "consult.csv", 8, self._rows)

    @staticmethod
    def _rows(f: list[str], places: Places) -> list[dict[str, Any]]:
        year = year_of(f[0])
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
                raise BadRow(measure, f"not a count: {text!r}")
            amount_of(float(t), measure, t, "count")
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
            raise BadRow(None, "no figures on this line")
        return rows
