"""``/api/certificates/check`` and ``/api/assess`` (issue 14): the officer's checks over HTTP.

* ``POST /api/certificates/check`` -- certificate files (multipart, field ``file``,
  repeatable, transship's certificate format): every finding of
  :func:`transship.risk.certificates.check_certificates` against the served store. Nothing
  is stored: the files go to a private temporary folder that is deleted before the answer
  leaves, so the endpoint needs no token (a read-only server answers it too).
* ``GET /api/assess?licence_id=ID`` -- the criterion-7 assessment of a licence request in the
  store (:func:`transship.risk.assess.assess_licence`).
* ``POST /api/assess`` -- one certificate file (multipart, field ``file``): the assessment of
  the request it documents, against the store, nothing stored
  (:func:`transship.risk.assess.assess_certificate_file`).

Every answer is the library's ``to_dict()`` plus ``evidence``: each evidence reference of the
answer resolved to what it points at -- a stored record (its record page, file and line) or a
row of a shipped reference table (``transship/data/<file>``, line) -- so a client can show
where each finding comes from. A bad file is refused naming the file (as the client named it),
the line and the field (422 ``source_format``); the server's temporary paths never appear in
an answer.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship import settings
from transship.exc import InvalidInput, TransshipError
from transship.serve.deps import Server
from transship.serve.errors import ApiError
from transship.serve.models import READ_ERRORS, error_doc, read_responses
from transship.serve.responses import json_response
from transship.serve.upload import Upload, receive
from transship.store import Store

router = APIRouter(tags=["risk"])

T = TypeVar("T")
#: A stored record's id: ``<sha256[:16]>:<line>`` (``:<sub>`` when a line made several rows).
RECORD_ID = re.compile(r"^(?P<prefix>[0-9a-f]{16}):(?P<line>\d{1,18})(?::\d{1,9})?$")
#: A row of a shipped reference table: ``weapon_systems.csv:12``.
TABLE_ROW = re.compile(r"^(?P<file>[A-Za-z0-9_.-]+\.(?:csv|yaml|tsv)):(?P<line>\d{1,9})$")
LICENCE_ID = Annotated[
    str, Query(min_length=1, max_length=200, description="Licence number as stored.")
]
UPLOAD_BODY = {
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
                            "description": "Certificate files (transship certificate format).",
                        }
                    },
                }
            }
        },
    }
}
#: What an upload endpoint answers besides 200: the form, the size and the file checked,
#: and a reader to check it with. It finds no licence by id, so never 404; it needs no
#: token, so never 401 or 403.
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: error_doc("A bad form (no file, an unknown field) or a file the checks refuse."),
    413: error_doc("The upload is over TRANSSHIP_UPLOAD_MAX_BYTES."),
    415: error_doc("Not multipart/form-data."),
    422: error_doc("A bad file: `source_format`, naming file, line, field and reason."),
    503: error_doc(READ_ERRORS[503]),
}
#: What ``GET /api/assess`` answers besides 200: no upload, so no 400, 413 or 415.
ASSESS_RESPONSES = read_responses(
    404,
    422,
    503,
    described={
        404: "No licence with this id in the store.",
        422: "`licence_id` missing, empty or over 200 characters.",
    },
)


def _refs(obj: Any, out: set[str]) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "evidence" and isinstance(value, list):
                out.update(str(v) for v in value)
            else:
                _refs(value, out)
    elif isinstance(obj, list):
        for value in obj:
            _refs(value, out)


def resolve_evidence(store: Store | None, answer: Any) -> dict[str, dict[str, Any]]:
    """Every evidence reference in ``answer`` -> ``{kind, label, href, file, line}``:
    ``record`` (a stored row: its record page, source file and line), ``table`` (a row of a
    shipped reference table) or ``text`` (a source named in words)."""
    refs: set[str] = set()
    _refs(answer, refs)
    prefixes = sorted({m.group("prefix") for r in refs if (m := RECORD_ID.match(r))})
    files: dict[str, str] = {}
    if store is not None and prefixes:
        params = ", ".join("?" for _ in prefixes)
        for sha, path in store.fetchall(
            f"SELECT substr(sha256, 1, 16), path FROM sources WHERE substr(sha256, 1, 16) "
            f"IN ({params})",
            prefixes,
        ):
            files[str(sha)] = Path(str(path)).name
    out: dict[str, dict[str, Any]] = {}
    for ref in sorted(refs):
        if m := RECORD_ID.match(ref):
            out[ref] = {
                "kind": "record",
                "href": f"/records/{ref}",
                "file": files.get(m.group("prefix")),
                "line": int(m.group("line")),
            }
        elif m := TABLE_ROW.match(ref):
            out[ref] = {
                "kind": "table",
                "href": None,
                "file": f"transship/data/{m.group('file')}",
                "line": int(m.group("line")),
            }
        else:
            out[ref] = {"kind": "text", "href": None, "file": None, "line": None}
    return out


def _rename(obj: Any, paths: list[tuple[str, str]]) -> Any:
    """Every server path of an upload replaced by the name the client gave the file."""
    if isinstance(obj, str):
        for server_path, client in paths:
            obj = obj.replace(server_path, client)
        return obj
    if isinstance(obj, dict):
        return {_rename(k, paths): _rename(v, paths) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rename(v, paths) for v in obj]
    return obj


async def with_upload(
    request: Request, server: Any, work: Callable[[Store, list[Path]], T]
) -> tuple[T, Upload]:
    """Receive the request's files into a private temporary folder, run ``work(store,
    paths)`` on a reader, and delete the folder whatever happens. A named error about a file
    names it as the client did, never by its server path."""
    root = Path(tempfile.mkdtemp(prefix="transship-check-"))
    upload: Upload | None = None
    try:
        upload = await receive(request, root, settings.upload_max_bytes())
        if not upload.files:
            raise ApiError(400, "bad_upload", "no file in the form field 'file'")
        if upload.fields:
            raise InvalidInput(f"unknown form field {sorted(upload.fields)[0]!r}; known: file")
        paths = list(upload.files)
        result: T = await server.read(lambda store: work(store, paths))
        return result, upload
    except TransshipError as exc:
        if upload is not None:
            pairs = _pairs(upload)
            exc.message = _rename(exc.message, pairs)
            for attr in ("reason", "path"):
                if isinstance(getattr(exc, attr, None), str):
                    setattr(exc, attr, _rename(getattr(exc, attr), pairs))
        raise
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _pairs(upload: Upload) -> list[tuple[str, str]]:
    return sorted(
        ((str(p), n) for p, n in zip(upload.files, upload.names, strict=True)),
        key=lambda x: -len(x[0]),
    )


def check_upload_answer(store: Store, paths: list[Path]) -> dict[str, Any]:
    """``check_certificates`` over uploaded files against ``store``, as a dict."""
    from transship.risk.certificates import check_certificates

    checks = [c.to_dict() for c in check_certificates(paths, store)]
    return {
        "certificates": checks,
        "simulated": any(bool(c.get("simulated")) for c in checks),
        "stored": False,
        "evidence": resolve_evidence(store, checks),
    }


def assess_licence_answer(store: Store, licence_id: str) -> dict[str, Any]:
    """``assess_licence`` as a dict with its evidence resolved."""
    from transship.risk.assess import assess_licence

    answer = assess_licence(store, licence_id).to_dict()
    answer["evidence_index"] = resolve_evidence(store, answer)
    return answer


def assess_upload_answer(store: Store, paths: list[Path]) -> dict[str, Any]:
    """``assess_certificate_file`` on one uploaded file, as a dict with its evidence."""
    from transship.risk.assess import assess_certificate_file

    if len(paths) != 1:
        raise InvalidInput(f"send one certificate file to assess, not {len(paths)}")
    answer = assess_certificate_file(paths[0], store).to_dict()
    answer["stored"] = False
    answer["evidence_index"] = resolve_evidence(store, answer)
    return answer


@router.post(
    "/api/certificates/check",
    summary="Check certificate files (nothing stored)",
    openapi_extra=UPLOAD_BODY,
    responses=UPLOAD_RESPONSES,
)
async def check_certificates_api(request: Request, server: Server) -> Response:
    """Upload certificate files (field `file`, repeatable) and get every finding of the
    certificate checks against the store: essential elements, licences, shipments, reuse,
    end-user plausibility. Nothing is stored; no token is needed."""
    answer, upload = await with_upload(request, server, check_upload_answer)
    return json_response(_rename(answer, _pairs(upload)))


@router.get(
    "/api/assess", summary="Assess a licence request in the store", responses=ASSESS_RESPONSES
)
async def assess_get(server: Server, licence_id: LICENCE_ID) -> Response:
    """The criterion-7 diversion-risk assessment of the licence request `licence_id`: score,
    level, every indicator (value, weight, contribution, explanation, evidence), findings and
    what was not checked."""
    answer = await server.read(lambda store: assess_licence_answer(store, licence_id))
    return json_response(answer)


@router.post(
    "/api/assess",
    summary="Assess the request a certificate file documents (nothing stored)",
    openapi_extra=UPLOAD_BODY,
    responses=UPLOAD_RESPONSES,
)
async def assess_post(request: Request, server: Server) -> Response:
    """Upload one certificate file (field `file`) and get the assessment of the request it
    documents, against the store. Nothing is stored; no token is needed."""
    answer, upload = await with_upload(request, server, assess_upload_answer)
    return json_response(_rename(answer, _pairs(upload)))
