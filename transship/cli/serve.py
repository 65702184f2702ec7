"""`transship serve`: the REST API and the web UI over one store, on this machine by default."""

from __future__ import annotations

import ipaddress
import socket
from typing import Annotated

import typer

from transship.cli.common import DbOption, db_path, handle_errors, say, usage_error


def register(app: typer.Typer) -> None:
    """Add this stage's commands to `app`."""
    app.command("serve")(serve)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@handle_errors
def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. The default answers this machine only; any other "
            "address lets the network read the store (and upload, with the token).",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="TCP port (0: any free port, printed at start).")
    ] = 8000,
    db: DbOption = None,
) -> None:
    """Serve the REST API (/api, docs at /docs) and the web UI over the store.

    The server owns the store while it runs: it answers reads while an upload is ingested,
    and other commands that write the store wait for it to stop. Without TRANSSHIP_API_TOKEN
    it is read-only (other processes may still read the store); with it, POST /api/ingest
    accepts files from clients that send `Authorization: Bearer <token>`.
    """
    import uvicorn

    from transship.serve.app import create_app

    if not 0 <= port <= 65535:
        usage_error("must be from 0 to 65535", "--port")
    path = db_path(db)
    sock = bind(host, port)
    port = int(sock.getsockname()[1])  # --port 0: the free port the system chose
    try:
        app = create_app(path)
    except BaseException:
        sock.close()
        raise
    server = app.state.server
    url_host = f"[{host}]" if ":" in host else host
    say(f"serving {path} on http://{url_host}:{port}/ (API docs: /docs; stop with Ctrl-C)")
    if server.read_only:
        say(
            "read-only: uploads are refused (403); set TRANSSHIP_API_TOKEN to accept them "
            "with `Authorization: Bearer <token>`"
        )
    else:
        say("uploads accepted at POST /api/ingest with `Authorization: Bearer <token>`")
    if not is_loopback(host):
        say(
            f"warning: listening on {host}, not only this machine: anyone who can reach the "
            "port can read the store",
            style="yellow",
        )
    config = uvicorn.Config(app, log_level="warning", workers=1, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound before the server starts: a taken port is one line."""
    from transship.exc import InvalidInput

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InvalidInput(f"cannot listen on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock
