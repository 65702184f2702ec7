"""Parties to screen: names on the command line, or a CSV file of parties.

The CSV has a ``name`` column and optional ``id``, ``schema`` (Company, Person,
Organization, PublicBody, LegalEntity, Vessel, Airplane), ``country``, ``birth_date``,
``registration_number``, ``inn``, ``ogrn``, ``lei``, ``imo`` columns (issue 13). An
unknown column is an error, not ignored: ``birthdate`` silently dropped would screen
without the birth date the user gave. Several countries in one cell are separated by
``;``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from transship.exc import InvalidInput, SourceFormatError
from transship.resolve.parties import CSV_COLUMNS, Party, query_party

#: Columns a screening CSV may have besides those of :data:`CSV_COLUMNS`.
EXTRA_COLUMNS = ("id",)


def read_query_csv(path: Path, default_schema: str = "LegalEntity") -> list[Party]:
    """Read a screening CSV into query parties (ids ``row-<line>`` unless an ``id`` column
    gives them); every problem names the file, line and column."""
    if not path.is_file():
        raise SourceFormatError(path, "no such file")
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SourceFormatError(path, f"cannot open: {exc.strerror}") from None
    parties: list[Party] = []
    seen_ids: set[str] = set()
    with fh:
        try:
            sample = fh.read(65536)
        except UnicodeDecodeError:
            raise SourceFormatError(path, "not UTF-8 text") from None
        fh.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                sample, delimiters=",;\t"
            )
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(fh, dialect=dialect)
        header = [h.strip() for h in (reader.fieldnames or [])]
        if not header:
            raise SourceFormatError(path, "empty file (expected a header with a name column)", 1)
        reader.fieldnames = header
        known = set(CSV_COLUMNS) | set(EXTRA_COLUMNS)
        unknown = [h for h in header if h not in known]
        if unknown:
            raise SourceFormatError(
                path,
                f"unknown column(s) {', '.join(map(repr, unknown))} (known: "
                f"{', '.join(sorted(known))})",
                1,
                unknown[0],
            )
        if "name" not in header:
            raise SourceFormatError(path, "no name column", 1, "name")
        try:
            for row in reader:
                line = reader.line_num
                if None in row:
                    raise SourceFormatError(path, "more cells than header columns", line)
                values = {k: (v or "").strip() for k, v in row.items() if k is not None}
                if not any(values.values()):
                    continue
                if not values.get("name"):
                    raise SourceFormatError(path, "empty name", line, "name")
                qid = values.get("id") or f"row-{line}"
                if qid in seen_ids:
                    raise SourceFormatError(path, f"duplicate id {qid!r}", line, "id")
                seen_ids.add(qid)
                identifiers = {
                    prop: values[col]
                    for col, prop in CSV_COLUMNS.items()
                    if prop and col not in ("name", "country", "birth_date") and values.get(col)
                }
                countries = [c for c in values.get("country", "").split(";") if c.strip()]
                try:
                    parties.append(
                        query_party(
                            qid,
                            values["name"],
                            values.get("schema") or default_schema,
                            country=countries,
                            birth_date=values.get("birth_date"),
                            identifiers=identifiers,
                            where=f"{path}, line {line}",
                        )
                    )
                except InvalidInput as exc:
                    column = "schema" if "schema" in exc.message else "country"
                    reason = exc.message.split(": ", 1)[-1]
                    raise SourceFormatError(path, reason, line, column) from None
        except csv.Error as exc:
            raise SourceFormatError(path, f"not readable as CSV: {exc}", reader.line_num) from None
        except UnicodeDecodeError:
            raise SourceFormatError(path, "not UTF-8 text", reader.line_num) from None
    if not parties:
        raise SourceFormatError(path, "no parties in the file (only a header)")
    return parties
