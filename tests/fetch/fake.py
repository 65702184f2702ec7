"""A fake HTTP server on loopback for the fetch tests: no test reaches a real host.

Routes map a path to a handler ``(request) -> Reply``; a reply may cut its body short (an
interrupted download), honour ``Range`` (resume) or answer like a proxy. Every request is
recorded (method, path with query, headers), so tests can say which calls were made.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw_path: str


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Send only this many bytes of the body, then close (Content-Length says the whole).
    cut_after: int | None = None


Handler = Callable[[Request], Reply]


def ranged(data: bytes, request: Request, cut_after: int | None = None) -> Reply:
    """``data`` honouring a ``Range: bytes=N-`` header (206), optionally cut short."""
    rng = request.headers.get("Range")
    if rng and rng.startswith("bytes="):
        start = int(rng[6:].split("-")[0])
        if start >= len(data):
            return Reply(416)
        return Reply(
            206,
            data[start:],
            {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"},
            cut_after,
        )
    return Reply(200, data, cut_after=cut_after)


@dataclass
class Fake:
    url: str
    routes: dict[str, Handler]
    requests: list[Request] = field(default_factory=list)

    def calls(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


@contextmanager
def serve(routes: dict[str, Handler]) -> Iterator[Fake]:
    fake = Fake("", routes)

    class H(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            request = Request(
                parts.path,
                dict(urllib.parse.parse_qsl(parts.query)),
                dict(self.headers.items()),
                self.path,
            )
            fake.requests.append(request)
            handler = fake.routes.get(parts.path) or fake.routes.get("*")
            reply = handler(request) if handler else Reply(404, b"not found")
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            body = reply.body if reply.cut_after is None else reply.body[: reply.cut_after]
            self.wfile.write(body)
            if reply.cut_after is not None:
                self.wfile.flush()
                self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
