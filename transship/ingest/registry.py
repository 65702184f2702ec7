"""All readers, and picking one by sniffing a file's content."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from transship.exc import InvalidInput, SourceFormatError
from transship.ingest.base import Reader

#: Modules holding readers; every Reader subclass defined in them is registered.
READER_MODULES = (
    "transship.ingest.comtrade",
    "transship.ingest.baci",
    "transship.ingest.sipri",
    "transship.ingest.coarm",
    "transship.ingest.ftm",
    "transship.ingest.own",
)
HEAD_BYTES = 65_536


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


def read_head(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            raw = f.read(HEAD_BYTES)
    except OSError as exc:
        raise SourceFormatError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.decode("utf-8", errors="replace")


def sniff(path: Path) -> type[Reader]:
    """The reader most confident it can read ``path``; a one-line error if none is."""
    head = read_head(path)
    if not head.strip():
        raise SourceFormatError(path, "file is empty")
    if "\x00" in head[:4096]:
        raise SourceFormatError(
            path, "binary file, not a format transship reads (use --format to force one)"
        )
    scored = sorted(
        ((cls.sniff(path, head), cls.name, cls) for cls in readers().values()), reverse=True
    )
    best = scored[0] if scored else None
    if best is None or best[0] < 30:
        raise SourceFormatError(
            path,
            "not a format transship recognises (see `transship formats`; use --format NAME to force one)",
        )
    return best[2]
