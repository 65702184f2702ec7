"""Packed and re-encoded files: what a reader reads is always plain UTF-8 bytes.

Users meet data the way sources ship it: BACI releases and Comtrade bulk files come zipped,
big CSVs come gzipped, and a Comtrade export saved by Excel as "Unicode text" is UTF-16 with
a byte-order mark. Readers know none of that. A :class:`Source` is one *ingest unit* (a file,
the content of a ``.gz`` file, or one member of a ``.zip``) and :meth:`Source.open` gives its
content as a stream of UTF-8 bytes:

* **gzip** (magic ``1f 8b``, whatever the name): decompressed while read.
* **zip** (magic ``PK``): each member is its own unit, addressed as ``archive.zip/member``
  (the notation of ``zipfile.Path``), so a member has a path like any file and its own run,
  provenance and line numbers. A folder walk or an archive named on the command line is
  expanded into its members (:func:`expand`).
* **Byte-order marks** (on the unpacked content): UTF-16 and UTF-32 (LE/BE) are transcoded to
  UTF-8 as they stream; a UTF-8 BOM is dropped. Newlines map one to one, so line numbers stay
  the physical lines of the file. Text without a BOM is passed through untouched (readers
  already handle UTF-8 and, line by line, Latin-1).

What is hashed is the unit's unpacked bytes (a member as stored in the zip, a ``.gz`` file's
content; the encoding is not touched): the same CSV loose, gzipped or zipped is the same
content and is loaded once; record ids stay ``<sha256[:16]>:<line>`` and stay unique across
the members of one archive. The archive file's own sha256 and the member's name are kept in
``sources`` (``archive_sha256``, ``member``, ``encoding``).

Unpacking is bounded (zip bombs): a unit may unpack to at most ``TRANSSHIP_MAX_UNPACK_RATIO``
times its packed size (never less than 64 MiB) and never more than
``TRANSSHIP_MAX_UNPACK_BYTES``; past that the read stops with a one-line error.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import hashlib
import io
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

from transship import settings
from transship.exc import SourceFormatError

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
#: Byte-order marks, longest first (UTF-32-LE's BOM starts like UTF-16-LE's).
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: A unit may always unpack to this much, whatever its packed size (tiny files compress well).
UNPACK_FLOOR = 64 << 20
CHUNK = 1 << 20
HEAD_BYTES = 65_536

Progress = Callable[[int], None] | None


def _magic(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(4)
    except OSError as exc:
        raise SourceFormatError(path, f"cannot read file: {exc.strerror or exc}") from exc


def is_zip(path: Path) -> bool:
    """A zip archive, by its content (a Comtrade download named ``.csv`` may be one)."""
    return path.is_file() and _magic(path) in ZIP_MAGICS


def is_gzip(path: Path) -> bool:
    return _magic(path).startswith(GZIP_MAGIC)


@dataclass(slots=True)
class Source:
    """One ingest unit: ``file`` on disk, or its zip ``member``."""

    file: Path
    member: str | None = None
    #: Unpacked size in bytes, known once :func:`content_sha256` went through the content.
    size: int | None = field(default=None, compare=False)
    _probe: tuple[str | None, str | None] | None = field(default=None, compare=False, repr=False)

    # -- names -------------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        """What messages, runs and rejects call it: the file, or ``archive.zip/member``."""
        return self.file / self.member if self.member else self.file

    @property
    def logical(self) -> Path:
        """The unit as if unpacked: ``x.csv.gz`` -> ``x.csv``; sniffers see this name."""
        if self.member is None and self.container == "gzip" and self.file.suffix.lower() == ".gz":
            return self.file.with_name(self.file.name[:-3])
        return self.path

    @property
    def name(self) -> str:
        return self.logical.name

    # -- what it is --------------------------------------------------------------------------
    @property
    def container(self) -> str | None:
        """``zip`` (a member), ``gzip`` or None."""
        return self._probed()[0]

    @property
    def encoding(self) -> str | None:
        """The BOM's encoding (``utf-16-le``, ``utf-8-sig``...) or None: read as it is."""
        return self._probed()[1]

    def _probed(self) -> tuple[str | None, str | None]:
        if self._probe is None:
            container = "zip" if self.member else ("gzip" if is_gzip(self.file) else None)
            with self._packed(None) as stream:
                encoding = _bom_encoding(stream.read(4))
            self._probe = (container, encoding)
        return self._probe

    @property
    def packed_size(self) -> int:
        """Bytes on disk this unit takes (what progress counts)."""
        if self.member is None:
            return self.file.stat().st_size
        with _zip(self.file) as zf:
            return _info(zf, self.file, self.member).compress_size

    def archive_sha256(self) -> str | None:
        """The zip or gzip file's own sha256; None for a plain file."""
        return file_sha256(self.file) if self.container else None

    # -- reading -----------------------------------------------------------------------------
    def open(self, on_progress: Progress = None) -> BinaryIO:
        """The content as UTF-8 bytes: unpacked, transcoded from UTF-16/32, BOM dropped."""
        if self.container is None and self.encoding is None:
            return _counting_file(self.file, on_progress)  # the fast path: the file itself
        stream = self._packed(on_progress)
        encoding = self.encoding
        if encoding is None:
            return stream
        stream.read(_bom_length(encoding))
        if encoding == "utf-8-sig":
            return stream
        return _Transcoder(stream, encoding, self.path)  # type: ignore[return-value]

    def open_unpacked(self, on_progress: Progress = None) -> BinaryIO:
        """The unit's bytes as stored (unpacked, not transcoded): what its sha256 is of."""
        return self._packed(on_progress)

    def _packed(self, on_progress: Progress) -> BinaryIO:
        if self.member is not None:
            return _open_member(self.file, self.member, on_progress)
        if not is_gzip(self.file):
            return _counting_file(self.file, on_progress)
        raw = _counting_file(self.file, on_progress)
        inner = gzip.GzipFile(fileobj=raw, mode="rb")
        packed = self.file.stat().st_size
        limit = unpack_limit(packed)
        return _Bounded(inner, limit, self.path, close_also=raw, packed=packed)  # type: ignore[return-value]

    def head(self, size: int = HEAD_BYTES) -> bytes:
        """The first ``size`` bytes of :meth:`open` (for sniffing and CSV headers)."""
        try:
            with self.open() as f:
                return _read_up_to(f, size)
        except OSError as exc:
            raise SourceFormatError(self.path, f"cannot read file: {exc.strerror or exc}") from exc
        except (EOFError, zlib.error, zipfile.BadZipFile) as exc:
            raise SourceFormatError(self.path, f"damaged archive: {exc}") from exc

    def tail(self, size: int = HEAD_BYTES) -> bytes:
        """The last ``size`` bytes of :meth:`open`: a seek for a plain file, one pass through
        the content otherwise (the only way to the end of a compressed stream)."""
        if self.container is None and self.encoding in (None, "utf-8-sig"):
            with open(self.file, "rb") as f:
                f.seek(0, io.SEEK_END)
                f.seek(max(0, f.tell() - size))
                return f.read()
        chunks: deque[bytes] = deque()
        kept = 0
        with self.open() as f:
            while chunk := f.read(CHUNK):
                chunks.append(chunk)
                kept += len(chunk)
                while kept - len(chunks[0]) >= size:
                    kept -= len(chunks.popleft())
        return b"".join(chunks)[-size:]

    def siblings(self, pattern: str) -> list[Source]:
        """Units beside this one whose name matches ``pattern`` (same folder, or the same
        folder of the same archive), sorted: BACI reads its country table this way."""
        if self.member is None:
            return [Source(p) for p in sorted(self.file.parent.glob(pattern)) if p.is_file()]
        folder = PurePosixPath(self.member).parent
        return [
            Source(self.file, m)
            for m in zip_members(self.file)
            if PurePosixPath(m).parent == folder and fnmatch(PurePosixPath(m).name, pattern)
        ]


def locate(path: Path) -> Source:
    """The unit ``path`` names: a file, or ``archive.zip/member`` (a member of a zip file)."""
    if path.is_file():
        return Source(path)
    if path.exists():
        raise SourceFormatError(path, "not a file")
    for parent in path.parents:
        if parent.is_file():
            if not is_zip(parent):
                break
            member = path.relative_to(parent).as_posix()
            if member not in zip_members(parent):
                raise SourceFormatError(path, f"no member {member!r} in {parent.name}")
            return Source(parent, member)
    raise SourceFormatError(path, "no such file")


def exists(path: Path) -> bool:
    """A file or folder, or a member of a zip file (``archive.zip/member``)."""
    if path.exists():
        return True
    try:
        locate(path)
    except SourceFormatError:
        return False
    return True


def expand(path: Path) -> list[Path]:
    """A zip file as the paths of its members (``archive.zip/member``); anything else as is."""
    if is_zip(path):
        return [path / m for m in zip_members(path)]
    return [path]


def zip_members(path: Path) -> list[str]:
    """File members of a zip, in archive order (folders left out)."""
    return list(_members(path, *_stamp(path)))


@lru_cache(maxsize=32)
def _members(path: Path, mtime: int, size: int) -> tuple[str, ...]:
    with _zip(path) as zf:
        return tuple(i.filename for i in zf.infolist() if not i.is_dir())


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


def file_sha256(path: Path) -> str:
    """sha256 of a file on disk (remembered while the file is unchanged: a zip's members
    all carry the archive's hash, computed once)."""
    try:
        return _file_sha256(path, *_stamp(path))
    except OSError as exc:
        raise SourceFormatError(path, f"cannot read file: {exc.strerror or exc}") from exc


@lru_cache(maxsize=32)
def _file_sha256(path: Path, mtime: int, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def content_sha256(source: Source) -> str:
    """sha256 of the unit's unpacked bytes (for a plain file: the file's sha256)."""
    if source.container is None:
        source.size = source.file.stat().st_size
        return file_sha256(source.file)
    h = hashlib.sha256()
    size = 0
    try:
        with source.open_unpacked() as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise SourceFormatError(source.path, f"cannot read file: {exc.strerror or exc}") from exc
    except (EOFError, zlib.error, zipfile.BadZipFile) as exc:
        raise SourceFormatError(source.path, f"damaged archive: {exc}") from exc
    source.size = size
    return h.hexdigest()


def unpack_limit(packed: int) -> int:
    """Most bytes a unit of ``packed`` bytes may unpack to."""
    ratio = settings.max_unpack_ratio()
    return min(settings.max_unpack_bytes(), max(UNPACK_FLOOR, ratio * packed))


def _zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(path, f"damaged zip archive: {exc}") from exc
    except OSError as exc:
        raise SourceFormatError(path, f"cannot read file: {exc.strerror or exc}") from exc


def _info(zf: zipfile.ZipFile, path: Path, member: str) -> zipfile.ZipInfo:
    try:
        return zf.getinfo(member)
    except KeyError:
        raise SourceFormatError(path / member, f"no member {member!r} in {path.name}") from None


def _open_member(path: Path, member: str, on_progress: Progress) -> BinaryIO:
    where = path / member
    raw = _counting_file(path, on_progress)
    try:
        zf = zipfile.ZipFile(raw)
        info = _info(zf, path, member)
        if info.flag_bits & 0x1:
            raise SourceFormatError(where, "encrypted zip member: unzip it with its password")
        limit = unpack_limit(info.compress_size)
        if info.file_size > limit:
            raise SourceFormatError(where, _too_big(info.file_size, info.compress_size, limit))
        try:
            inner = zf.open(info)
        except NotImplementedError as exc:
            raise SourceFormatError(where, f"cannot unzip: {exc}") from exc
    except zipfile.BadZipFile as exc:
        raw.close()
        raise SourceFormatError(path, f"damaged zip archive: {exc}") from exc
    except BaseException:
        raw.close()
        raise
    return _Bounded(inner, limit, where, close_also=raw, packed=info.compress_size)  # type: ignore[return-value]


def _too_big(size: int, packed: int, limit: int) -> str:
    return (
        f"unpacks to more than {_mib(limit)} ({_mib(size)} from {_mib(packed)} packed): "
        "a zip bomb? Raise TRANSSHIP_MAX_UNPACK_RATIO / TRANSSHIP_MAX_UNPACK_BYTES to read it"
    )


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.1f} MiB"


def _bom_encoding(head: bytes) -> str | None:
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    return None


def _bom_length(encoding: str) -> int:
    return next(len(bom) for bom, name in BOMS if name == encoding)


def _read_up_to(f: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    left = size
    while left > 0 and (chunk := f.read(left)):
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _counting_file(path: Path, on_progress: Progress) -> BinaryIO:
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by whoever closes the stream
    except OSError as exc:
        raise SourceFormatError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if on_progress is None:
        return raw
    return CountingReader(raw, on_progress)  # type: ignore[return-value]


class CountingReader(io.RawIOBase):
    """A file that reports each read's size (the progress bar), and seeks (zip needs it)."""

    def __init__(self, raw: BinaryIO, on_progress: Progress) -> None:
        self._raw = raw
        self._on_progress = on_progress
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        n = self._raw.readinto(b)  # type: ignore[attr-defined]
        self._count(n or 0)
        return int(n or 0)

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._count(len(data))
        return data

    def _count(self, n: int) -> None:
        if n:
            self.pos += n
            if self._on_progress is not None:
                self._on_progress(n)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def close(self) -> None: ...


class _Bounded(io.RawIOBase):
    """An unpacking stream that stops with a clear error past ``limit`` bytes."""

    def __init__(
        self,
        inner: _Readable,
        limit: int,
        where: Path,
        close_also: BinaryIO | None = None,
        packed: int = 0,
    ) -> None:
        self._inner = inner
        self._limit = limit
        self._where = where
        self._close_also = close_also
        self._packed = packed
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        try:
            data = self._inner.read(size)
        except (EOFError, zlib.error, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
            raise SourceFormatError(self._where, f"damaged archive: {exc}") from exc
        self.count += len(data)
        if self.count > self._limit:
            raise SourceFormatError(self._where, _too_big(self.count, self._packed, self._limit))
        return data

    def readall(self) -> bytes:
        parts = []
        while chunk := self.read(CHUNK):
            parts.append(chunk)
        return b"".join(parts)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._inner.close()
        if self._close_also is not None:
            self._close_also.close()
        super().close()


class _Transcoder(io.RawIOBase):
    """UTF-16/32 text as UTF-8 bytes, streaming (one chunk of text in memory)."""

    def __init__(self, inner: BinaryIO, encoding: str, where: Path) -> None:
        self._inner = inner
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._encoding = encoding
        self._where = where
        self._buf = b""
        self._pos = 0
        self._offset = _bom_length(encoding)  # bytes of the source decoded so far
        self._eof = False

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        while self._pos >= len(self._buf):
            if self._eof:
                return False
            chunk = self._inner.read(CHUNK)
            try:
                text = self._decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                at = self._offset + exc.start
                raise SourceFormatError(
                    self._where, f"bad {self._encoding.upper()} text at byte {at}: {exc.reason}"
                ) from None
            self._offset += len(chunk)
            self._eof = not chunk
            self._buf, self._pos = text.encode("utf-8", errors="surrogatepass"), 0
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if not self._fill():
            return b""
        if size is None or size < 0:
            return self.readall()
        data = self._buf[self._pos : self._pos + size]
        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        parts = []
        while self._fill():
            parts.append(self._buf[self._pos :])
            self._pos = len(self._buf)
        return b"".join(parts)

    def close(self) -> None:
        self._inner.close()
        super().close()


def walk_suffix_ok(path: Path, data_suffixes: Iterable[str]) -> bool:
    """Whether a folder walk picks ``path`` up: a data file, a zip, or ``name.<data>.gz``
    (a ``.tar.gz`` is no data file)."""
    suffixes = [s.lower() for s in path.suffixes]
    data = tuple(data_suffixes)
    if not suffixes:
        return False
    if suffixes[-1] in data or suffixes[-1] == ".zip":
        return True
    return suffixes[-1] == ".gz" and (len(suffixes) < 2 or suffixes[-2] in data)


__all__ = [
    "CountingReader",
    "Source",
    "content_sha256",
    "exists",
    "expand",
    "file_sha256",
    "is_gzip",
    "is_zip",
    "locate",
    "unpack_limit",
    "walk_suffix_ok",
    "zip_members",
]
