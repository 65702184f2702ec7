"""Read certificate and licence files for checking, without storing anything.

``transship check-certificate FILE`` and ``transship assess --certificate FILE`` judge a paper
the officer holds; it is not yet (and may never be) a fact of the store. The files are read by
the very readers ``transship ingest`` uses (:mod:`transship.ingest.own`), so a certificate is
understood the same way whether it is checked first or ingested first. A bad file -- a missing
required field, a value of the wrong type, bytes that are not UTF-8 -- is refused whole with
one line per fault naming file, line, field and reason: a certificate checked half-way would
read as a certificate checked.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pyarrow as pa

from transship.exc import SourceFormatError, TransshipError
from transship.ingest.archive import locate
from transship.ingest.base import ReadContext, Reject, Rows
from transship.ingest.own import CertificateReader, LicenceReader
from transship.ingest.own_reader import OwnFormatReader

#: How many faults one error message lists before "and N more".
MAX_LISTED = 20


def _describe(path: Path, reject: Reject) -> str:
    where = str(path)
    if reject.line is not None:
        where += f", line {reject.line}"
    if reject.column:
        where += f", field {reject.column!r}"
    return f"{where}: {reject.reason}"


def read_records(path: str | Path, kind: str) -> list[dict[str, Any]]:
    """Every record of a ``certificates`` or ``licences`` file as store-shaped dicts (with
    ``line`` and ``source`` = ``'<file>:<line>'``). Raises :class:`SourceFormatError` naming
    every bad line (file, line, field, reason) when any record is bad; nothing is returned
    half-way."""
    file = Path(path)
    reader: OwnFormatReader
    if kind == "certificates":
        reader = CertificateReader()
    elif kind == "licences":
        reader = LicenceReader()
    else:
        raise ValueError(f"unknown document kind {kind!r}")
    source = locate(file)
    digest = ""
    if file.is_file():
        data = file.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        _check_utf8(file, data)
    ctx = ReadContext(path=file, sha256=digest, run_id=0, source=source, batch_rows=10_000)
    rows: list[dict[str, Any]] = []
    faults: list[str] = []
    try:
        for item in reader.read(ctx):
            if isinstance(item, Reject):
                faults.append(_describe(file, item))
            elif isinstance(item, Rows):
                rows.extend(_rows(item.data))
            else:  # a reader may yield lists of rejects (batched)
                for r in item:
                    faults.append(_describe(file, r))
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            file, f"not UTF-8 text (byte {exc.start}: {exc.reason}); save the file as UTF-8"
        ) from exc
    except (pa.ArrowInvalid, ValueError) as exc:
        raise SourceFormatError(file, str(exc).splitlines()[0]) from exc
    except TransshipError:
        raise
    finally:
        ctx.close()
    if faults:
        more = len(faults) - MAX_LISTED
        listed = "; ".join(faults[:MAX_LISTED]) + (f"; and {more} more" if more > 0 else "")
        raise SourceFormatError(file, f"{len(faults)} bad record(s), nothing checked: {listed}")
    if not rows:
        raise SourceFormatError(file, f"no {kind[:-1]} record in the file")
    for row in rows:
        row["source"] = f"{file}:{row.get('line')}"
        row.setdefault("record_id", None)
    return rows


def _check_utf8(file: Path, data: bytes) -> None:
    """Name the line of the first byte that is not UTF-8 (the reader would only say where in
    its buffer). UTF-16 files are left to the reader, which transcodes them."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceFormatError(
            file, f"not UTF-8 text (byte {data[exc.start]:#04x}); save the file as UTF-8", line
        ) from exc


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return [dict(r) for r in table.to_pylist()]


def read_certificates(path: str | Path) -> list[dict[str, Any]]:
    """The certificates of one file (see :func:`read_records`)."""
    return read_records(path, "certificates")


def read_licences(path: str | Path) -> list[dict[str, Any]]:
    """The licence requests of one file (see :func:`read_records`)."""
    return read_records(path, "licences")


__all__ = ["read_certificates", "read_licences", "read_records"]
