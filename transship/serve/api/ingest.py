"""``POST /api/ingest``: upload files and ingest them, with `transship ingest`'s rules.

The files (multipart, field ``file``, repeatable) are streamed to a new folder under the
upload folder (``TRANSSHIP_UPLOAD_DIR``, default ``<store>.uploads``), which stays their
provenance path; then :func:`transship.ingest.pipeline.ingest_paths` reads them on the
server's write connection in a worker thread, exactly as the CLI does: each file all or
nothing, a file loaded before (same sha256) skipped, a later release superseding earlier
rows unless ``as_new``, a file with too many rejects failing. Reads go on meanwhile on the
read connections and see each file only once it is committed. One ingest runs at a time;
another upload waits for it. Files that were skipped or failed are not kept.

Answer: 200 with one result per file (the `transship ingest --json` objects) when no file
failed; 422 ``ingest_failed`` with the same results in ``detail`` when one did (the others
are stored). The result cache is emptied after an ingest that stored anything.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from starlette.responses import Response

from transship import settings
from transship.exc import InvalidInput
from transship.serve.deps import Server, Writer
from transship.serve.errors import ApiError, error_response
from transship.serve.models import IngestOut, IngestStatusOut
from transship.serve.responses import json_response
from transship.serve.state import ServerState
from transship.serve.upload import Upload, receive

log = logging.getLogger(__name__)
router = APIRouter(tags=["ingest"])

#: Form fields the upload may carry beside the files: `transship ingest`'s options.
FIELDS = ("format", "dataset", "strict", "as_new", "max_reject_share")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def upload_root(server: ServerState) -> Path:
    """Where uploads are kept: TRANSSHIP_UPLOAD_DIR, else ``<store>.uploads`` beside it."""
    configured = settings.get("TRANSSHIP_UPLOAD_DIR").strip()
    if configured:
        return Path(configured)
    return server.db.parent / (server.db.name + ".uploads")


def _flag(fields: dict[str, str], name: str) -> bool:
    value = fields.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput(f"{name} must be true or false, not {fields[name]!r}")


def options(fields: dict[str, str]) -> dict[str, Any]:
    """The form's options, checked as the CLI checks them."""
    from transship.ingest.registry import readers

    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"unknown form field {unknown[0]!r}; known: file, {', '.join(FIELDS)}")
    fmt = fields.get("format", "").strip() or None
    if fmt is not None and fmt not in readers():
        raise InvalidInput(f"unknown format {fmt!r}; known: {', '.join(sorted(readers()))}")
    share: float | None = None
    if fields.get("max_reject_share", "").strip():
        try:
            share = float(fields["max_reject_share"])
        except ValueError:
            raise InvalidInput("max_reject_share must be a number from 0 to 1") from None
        if not 0.0 <= share <= 1.0:
            raise InvalidInput(f"max_reject_share must be from 0 to 1, not {share}")
    return {
        "format": fmt,
        "dataset": fields.get("dataset", "").strip() or None,
        "strict": _flag(fields, "strict"),
        "as_new": _flag(fields, "as_new"),
        "max_reject_share": share,
    }


def _on_bytes(server: ServerState, n: int) -> None:
    """Progress of the file being read (called from the reading thread)."""
    server.ingest_status.bytes_read += n


def run_ingest(
    server: ServerState, paths: list[Path], opts: dict[str, Any]
) -> list[dict[str, Any]]:
    """Ingest ``paths`` on the server's write connection (blocking: run in a worker thread)."""
    from transship.ingest.pipeline import ingest_paths

    status = server.ingest_status

    def progress(path: Path, total: int) -> Any:
        status.current = path.name
        status.bytes_total += int(total or 0)
        return lambda n: _on_bytes(server, n)

    with server.ingest_lock:
        status.running = True
        status.files = [p.name for p in paths]
        status.current = None
        status.bytes_read = status.bytes_total = 0
        status.results = []
        try:
            writer = server.writer
            with writer.writing():
                results = ingest_paths(writer, paths, progress=progress, **opts)
        finally:
            status.running = False
            status.current = None
        out = [r.to_dict() for r in results]
        status.results = out
        if any(r.status == "ok" for r in results):
            server.changed()
    return out


def _upload_of(upload: Upload, file: str) -> int | None:
    """Which uploaded file a result is about (a zip member's result names ``x.zip/member``)."""
    for i, path in enumerate(upload.files):
        if file == str(path) or file.startswith(str(path) + "/"):
            return i
    return None


def _keep_only_loaded(upload: Upload, results: list[dict[str, Any]]) -> None:
    """Name each result's upload as the client named it, and delete the uploaded files of
    which nothing was stored (skipped or failed)."""
    keep: set[int] = set()
    for result in results:
        i = _upload_of(upload, str(result.get("file")))
        if i is None:
            continue
        result["uploaded_as"] = upload.names[i]
        if result.get("status") == "ok":
            keep.add(i)
    for i, path in enumerate(upload.files):
        if i not in keep:
            path.unlink(missing_ok=True)
    if upload.folder.is_dir() and not any(upload.folder.iterdir()):
        upload.folder.rmdir()


@router.post(
    "/api/ingest",
    response_model=IngestOut,
    summary="Upload and ingest files",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                                "description": "Files to ingest (repeat the field).",
                            },
                            "format": {"type": "string", "description": "Force a reader."},
                            "dataset": {"type": "string", "description": "Dataset name to record."},
                            "strict": {
                                "type": "boolean",
                                "description": "Stop at the first bad row.",
                            },
                            "as_new": {
                                "type": "boolean",
                                "description": "Keep earlier rows with the same keys beside this file's.",
                            },
                            "max_reject_share": {
                                "type": "number",
                                "minimum": 0,
                                "maximum": 1,
                                "description": "Fail a file when more than this share of its rows is rejected.",
                            },
                        },
                    }
                }
            },
        }
    },
    responses={
        400: {"description": "A bad form field or malformed upload."},
        401: {"description": "No or wrong bearer token."},
        403: {"description": "The server is read-only (no TRANSSHIP_API_TOKEN)."},
        413: {"description": "The upload is over TRANSSHIP_UPLOAD_MAX_BYTES."},
        415: {"description": "Not multipart/form-data."},
        422: {"description": "A file failed to ingest (results in detail)."},
    },
)
async def ingest(request: Request, server: Writer) -> Response:
    """Upload files in the multipart field `file` (repeatable) and ingest them with
    `transship ingest`'s rules and options (`format`, `dataset`, `strict`, `as_new`,
    `max_reject_share` as form fields). Needs `Authorization: Bearer <token>`."""
    root = upload_root(server)
    root.mkdir(parents=True, exist_ok=True)
    upload = await receive(request, root, settings.upload_max_bytes())
    try:
        if not upload.files:
            raise ApiError(400, "bad_upload", "no file in the form field 'file'")
        opts = options(upload.fields)
    except BaseException:
        upload.discard()
        raise
    try:
        results = await anyio.to_thread.run_sync(run_ingest, server, upload.files, opts)
    except BaseException:
        upload.discard()
        raise
    _keep_only_loaded(upload, results)
    failed = [r for r in results if r.get("status") == "failed"]
    if failed:
        return error_response(
            422,
            "ingest_failed",
            f"{len(failed)} of {len(results)} files failed: {failed[0].get('message')}",
            {"results": results},
        )
    return json_response({"results": results})


@router.get("/api/ingest", response_model=IngestStatusOut, summary="Ingest status")
async def ingest_status(server: Server) -> Response:
    """The ingest running now (file, bytes read of bytes to read) or the last one's results,
    and whether the server accepts writes at all."""
    body = server.ingest_status.to_dict()
    body["read_only"] = server.read_only
    return json_response(body)
