"""All readers, and picking one by sniffing a file's content."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from transship.exc import InvalidInput, SourceFormatError
from transship.ingest.archive import HEAD_BYTES, Source, is_zip
from transship.ingest.base import Reader

#: Modules holding readers; every Reader subclass defined in them is registered.
READER_MODULES = (
    "transship.ingest.comtrade_legacy",
    "transship.ingest.comtrade_plus",
    "transship.ingest.baci",
    "transship.ingest.sipri",
    "transship.ingest.coarm",
    "transship.ingest.coarm_broker",
    "transship.ingest.ftm",
    "transship.ingest.own",
    "transship.ingest.documents",
)


@cache
def readers() -> dict[str, type[Reader]]:
    """Reader classes by ``--format`` name."""
    found: dict[str, type[Reader]] = {}
    for modname in READER_MODULES:
        module = importlib.import_module(modname)
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Reader)
                and obj is not Reader
                and getattr(obj, "name", None)
                and obj.__module__ == modname
            ):
                found[obj.name] = obj
    return found


def get_reader(name: str) -> type[Reader]:
    try:
        return readers()[name]
    except KeyError:
        raise InvalidInput(
            f"unknown format {name!r}; known: {', '.join(sorted(readers()))}"
        ) from None


def read_head(path: Path | Source) -> str:
    """The first 64 KiB a reader would see (unpacked, transcoded to UTF-8, BOM dropped) as
    text, undecodable bytes replaced."""
    source = path if isinstance(path, Source) else Source(path)
    return source.head(HEAD_BYTES).decode("utf-8", errors="replace")


def sniff(path: Path | Source) -> type[Reader]:
    """The reader most confident it can read ``path``; a one-line error if none is.

    A ``.gz`` file, a zip member or a UTF-16 file is sniffed on its decoded content, under
    its unpacked name (``x.csv`` for ``x.csv.gz``)."""
    source = path if isinstance(path, Source) else Source(path)
    where = source.path
    if source.member is None and is_zip(source.file):
        raise SourceFormatError(
            where, "a zip archive: ingest it as a whole (each member is read) or name a member"
        )
    head = read_head(source)
    if not head.strip():
        raise SourceFormatError(where, "file is empty")
    if "\x00" in head[:4096] and not head.startswith("%PDF-"):  # a PDF goes to `documents`
        raise SourceFormatError(
            where, "binary file, not a format transship reads (use --format to force one)"
        )
    logical = source.logical
    scored = sorted(
        ((cls.sniff(logical, head), cls.name, cls) for cls in readers().values()), reverse=True
    )
    best = scored[0] if scored else None
    if best is None or best[0] < 30:
        raise SourceFormatError(
            where,
            "not a format transship recognises (see `transship formats`; use --format NAME to force one)",
        )
    return best[2]
