"""Multipart uploads streamed straight to disk, refused the moment they pass the size limit.

Starlette's form parser would spool every file to a temporary file before the endpoint sees
the request, with no bound on the total; here the body is read chunk by chunk, each file
part is written to its final place in the upload folder as it arrives, and the request is
refused (413, every byte written so far deleted) as soon as it passes
``TRANSSHIP_UPLOAD_MAX_BYTES``. A ``Content-Length`` above the limit is refused before a
byte is read.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from transship.serve.errors import ApiError

#: Longest text field (format, dataset, ...) accepted in an upload form.
FIELD_BYTES = 4096
#: Most files in one request.
MAX_FILES = 100
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._+-]+")


def safe_filename(name: str, taken: set[str]) -> str:
    """The client's file name, reduced to a plain base name (no folders, no dot files, no
    control characters), made unique among ``taken``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _SAFE_NAME.sub("_", base).strip("._") or "upload"
    base = base[:120]
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        stem, dot, suffix = base.partition(".")
        candidate = f"{stem}-{n}{dot}{suffix}"
    taken.add(candidate)
    return candidate


@dataclass
class Upload:
    """What a request carried: the files written (in order) and the text fields."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # as the client named them
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class _Parts:
    """python-multipart callbacks: file parts named ``file`` go to disk, others to fields."""

    def __init__(self, upload: Upload, file_field: str) -> None:
        self.upload = upload
        self.file_field = file_field
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._out: IO[bytes] | None = None
        self._text: bytearray | None = None
        self._taken: set[str] = set()

    def on_part_begin(self) -> None:
        self._disposition = b""
        self._name = ""
        self._out = None
        self._text = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_value) > FIELD_BYTES:
            raise ApiError(400, "bad_upload", "a part header is too long")

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        raw_name = options.get(b"name")
        if raw_name is None:
            raise ApiError(400, "bad_upload", "a form part has no name")
        self._name = raw_name.decode("utf-8", "replace")
        if b"filename" in options:
            if self._name != self.file_field:
                raise ApiError(
                    400,
                    "bad_upload",
                    f"files go in the field {self.file_field!r}, not {self._name!r}",
                )
            if len(self.upload.files) >= MAX_FILES:
                raise ApiError(400, "bad_upload", f"at most {MAX_FILES} files per request")
            client = options[b"filename"].decode("utf-8", "replace")
            path = self.upload.folder / safe_filename(client, self._taken)
            self._out = open(path, "xb")  # noqa: SIM115 - closed in on_part_end / close()
            self.upload.files.append(path)
            self.upload.names.append(client)
        else:
            self._text = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._out is not None:
            self._out.write(data[start:end])
        elif self._text is not None:
            self._text += data[start:end]
            if len(self._text) > FIELD_BYTES:
                raise ApiError(400, "bad_upload", f"form field {self._name!r} is too long")

    def on_part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        elif self._text is not None:
            if self._name in self.upload.fields:
                raise ApiError(400, "bad_upload", f"form field {self._name!r} given twice")
            self.upload.fields[self._name] = self._text.decode("utf-8", "replace")
            self._text = None

    def close(self) -> None:
        if self._out is not None:
            with contextlib.suppress(OSError):
                self._out.close()


def upload_folder(root: Path) -> Path:
    """A new folder for one request's files: ``<root>/<UTC time>-<random>``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = root / f"{stamp}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True, exist_ok=False)
    return folder


async def receive(request: Request, root: Path, max_bytes: int, file_field: str = "file") -> Upload:
    """Stream a ``multipart/form-data`` request into a new folder under ``root``."""
    ctype, options = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in options:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send the files as multipart/form-data in the field {file_field!r}",
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(
            413,
            "too_large",
            f"upload of {int(declared):,} bytes is over the limit of {max_bytes:,} "
            "(TRANSSHIP_UPLOAD_MAX_BYTES)",
        )
    upload = Upload(upload_folder(root))
    parts = _Parts(upload, file_field)
    callbacks = {
        "on_part_begin": parts.on_part_begin,
        "on_part_data": parts.on_part_data,
        "on_part_end": parts.on_part_end,
        "on_header_field": parts.on_header_field,
        "on_header_value": parts.on_header_value,
        "on_header_end": parts.on_header_end,
        "on_headers_finished": parts.on_headers_finished,
    }
    parser = MultipartParser(options[b"boundary"], callbacks)  # type: ignore[arg-type]
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > max_bytes:
                raise ApiError(
                    413,
                    "too_large",
                    f"upload is over the limit of {max_bytes:,} bytes (TRANSSHIP_UPLOAD_MAX_BYTES)",
                )
            parser.write(chunk)
        parser.finalize()
    except ApiError:
        parts.close()
        upload.discard()
        raise
    except Exception as exc:  # the multipart parser's own errors: a malformed body
        parts.close()
        upload.discard()
        raise ApiError(400, "bad_upload", f"malformed multipart body: {exc}") from None
    parts.close()
    return upload
