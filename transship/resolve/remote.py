"""Screen against a real yente server's ``/match`` instead of local lists (optional).

An organisation that runs yente (OpenSanctions' matching API, with the lists it licenses)
can screen through it: ``transship screen --remote http://yente.internal:8000 NAME``. The
request is yente's ``{"queries": {id: {"schema", "properties"}}}``; the answer is read back
into the same response shape ``transship screen --json`` writes, so the table, the JSON and
the callers do not care which matcher answered (the scores and explanations are yente's
then, and say so in ``remote``).

Every failure is one line naming the URL: unreachable (DNS), refused, timed out, an HTTP
error with yente's ``detail``, or an answer that is not yente's shape (naming the first
field that is wrong). Nothing is retried: a screening that half-ran must not look complete.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from transship.exc import InvalidInput
from transship.resolve.parties import Party

#: Seconds to wait for a yente answer (a batch of 100 queries takes yente a few seconds).
DEFAULT_TIMEOUT = 30.0
#: yente's largest batch (``MAX_BATCH``): longer query lists are sent in several requests.
BATCH = 100
#: Longest piece of an error body quoted in a message.
QUOTE_CHARS = 200


def match_url(url: str, dataset: str = "default") -> str:
    """The ``/match/{dataset}`` URL of a yente server: ``url`` as given when it already
    names ``/match/DATASET``, else the base URL with ``/match/{dataset}`` appended."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"--remote {url!r}: not an http(s) URL (e.g. http://localhost:8000)")
    segments = parts.path.rstrip("/").split("/")
    if len(segments) >= 2 and segments[-2] == "match" and segments[-1]:
        return text.rstrip("/")
    base = text.split("?", 1)[0].rstrip("/")
    return f"{base}/match/{dataset}"


def _quote(text: str) -> str:
    one = " ".join(text.split())
    return one if len(one) <= QUOTE_CHARS else one[: QUOTE_CHARS - 1] + "…"


def _error_detail(response: httpx.Response) -> str:
    """yente's ``{"detail": ...}``, transship's ``{"error": {"message"}}``, or the text."""
    try:
        body = response.json()
    except ValueError:
        return _quote(response.text) or response.reason_phrase
    if isinstance(body, dict):
        if isinstance(body.get("detail"), str):
            return _quote(body["detail"])
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return _quote(error["message"])
    return _quote(json.dumps(body, ensure_ascii=False))


def _bad(url: str, what: str) -> InvalidInput:
    return InvalidInput(f"--remote {url}: the answer is not yente's /match shape: {what}")


def _result(url: str, where: str, raw: Any, threshold: float) -> dict[str, Any]:
    """One result, checked and filled to what ``transship screen`` shows."""
    if not isinstance(raw, dict):
        raise _bad(url, f"{where} is not an object")
    for key in ("id", "schema"):
        if not isinstance(raw.get(key), str):
            raise _bad(url, f"{where} has no {key}")
    score = raw.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise _bad(url, f"{where} has no numeric score")
    out = dict(raw)
    out["score"] = float(score)
    out.setdefault("caption", raw["id"])
    if not isinstance(out.get("properties"), dict):
        out["properties"] = {}
    if not isinstance(out.get("datasets"), list):
        out["datasets"] = []
    if not isinstance(out.get("match"), bool):
        out["match"] = out["score"] >= threshold
    explanations = raw.get("explanations")
    if not isinstance(explanations, dict):
        # yente before explanations sent ``features``: name -> score
        features: dict[str, Any] = raw["features"] if isinstance(raw.get("features"), dict) else {}
        explanations = {
            k: {"score": v, "detail": None}
            for k, v in features.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
    clean: dict[str, Any] = {}
    for name, ex in explanations.items():
        if isinstance(ex, dict) and isinstance(ex.get("score"), int | float):
            clean[str(name)] = {**ex, "score": float(ex["score"]), "detail": ex.get("detail")}
        else:
            raise _bad(url, f"{where}.explanations.{name} has no numeric score")
    out["explanations"] = clean
    out["origin"] = f"remote {url}"
    return out


def read_response(
    url: str, body: Any, query_ids: Sequence[str], threshold: float
) -> dict[str, dict[str, Any]]:
    """``responses`` of a yente answer, every query id present, every result checked."""
    if not isinstance(body, dict) or not isinstance(body.get("responses"), dict):
        raise _bad(url, "no 'responses' object")
    out: dict[str, dict[str, Any]] = {}
    for qid in query_ids:
        resp = body["responses"].get(qid)
        if not isinstance(resp, dict):
            raise _bad(url, f"no response for query {qid!r}")
        results = resp.get("results")
        if not isinstance(results, list):
            raise _bad(url, f"responses.{qid} has no 'results' list")
        checked = [
            _result(url, f"responses.{qid}.results[{i}]", r, threshold)
            for i, r in enumerate(results)
        ]
        total = resp.get("total")
        if not isinstance(total, dict):
            total = {"value": sum(1 for r in checked if r["match"]), "relation": "eq"}
        out[qid] = {
            "status": resp.get("status", 200),
            "results": checked,
            "total": total,
            "query": resp.get("query") or {},
        }
    return out


def remote_match(
    url: str,
    queries: Sequence[Party],
    *,
    dataset: str = "default",
    threshold: float = 0.7,
    limit: int = 5,
    cutoff: float | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    api_key: str | None = None,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """Screen ``queries`` through yente at ``url``; the answer in ``transship screen
    --json``'s shape, with ``remote`` (the URL) and yente's ``matcher`` when it sent one.

    ``api_key``: sent as yente expects it (``Authorization: ApiKey <key>``), for a server
    that asks for one. ``client``: an httpx client to send through (tests pass one bound to
    an app).
    """
    target = match_url(url, dataset)
    params: dict[str, Any] = {"threshold": threshold, "limit": limit}
    if cutoff is not None:
        params["cutoff"] = cutoff
    own = client is None
    http = client if client is not None else httpx.Client(timeout=timeout)
    headers = {"Authorization": f"ApiKey {api_key}"} if api_key else {}
    responses: dict[str, dict[str, Any]] = {}
    matcher: Any = None
    try:
        for start in range(0, len(queries), BATCH):
            batch = queries[start : start + BATCH]
            payload = {
                "queries": {q.id: {"schema": q.schema, "properties": q.properties} for q in batch}
            }
            body = _post(http, target, payload, params, timeout, headers)
            answered = read_response(target, body, [q.id for q in batch], threshold)
            for q in batch:
                echo = answered[q.id]["query"]
                if not isinstance(echo, dict) or not echo.get("properties", {}).get("name"):
                    # the table names each query: keep what was sent when yente echoes less
                    answered[q.id]["query"] = {
                        "id": q.id,
                        "schema": q.schema,
                        "properties": {"name": list(q.names), **q.properties},
                    }
            responses.update(answered)
            if isinstance(body, dict) and body.get("matcher") is not None:
                matcher = body["matcher"]
    finally:
        if own:
            http.close()
    out: dict[str, Any] = {
        "responses": responses,
        "limit": limit,
        "threshold": threshold,
        "remote": target,
    }
    if matcher is not None:
        out["matcher"] = matcher
    return out


def _post(
    http: httpx.Client,
    target: str,
    payload: dict[str, Any],
    params: dict[str, Any],
    timeout: float,
    headers: dict[str, str],
) -> Any:
    try:
        response = http.post(target, json=payload, params=params, timeout=timeout, headers=headers)
    except httpx.ConnectTimeout:
        raise InvalidInput(f"--remote {target}: no connection within {timeout:g} s") from None
    except httpx.TimeoutException:
        raise InvalidInput(f"--remote {target}: no answer within {timeout:g} s") from None
    except httpx.ConnectError as exc:
        text = str(exc).lower()
        if "refused" in text:
            why = "connection refused (is yente running on that port?)"
        elif "name" in text or "resolve" in text or "nodename" in text:
            why = "host not found"
        else:
            why = f"cannot connect ({_quote(str(exc))})"
        raise InvalidInput(f"--remote {target}: {why}") from None
    except httpx.HTTPError as exc:
        raise InvalidInput(f"--remote {target}: {type(exc).__name__}: {_quote(str(exc))}") from None
    if response.status_code != 200:
        raise InvalidInput(
            f"--remote {target}: HTTP {response.status_code}: {_error_detail(response)}"
        )
    try:
        return response.json()
    except ValueError:
        raise _bad(target, f"not JSON ({_quote(response.text[:80])})") from None
