"""The dashboard answers its own page only: requests from another web origin are refused.

A page the user visits elsewhere could otherwise open a WebSocket to the dashboard on localhost and drive
it (browsers send cross-origin WebSocket handshakes freely), or reach it through DNS rebinding under a
hostname of its own.  Every HTTP request and WebSocket handshake must name a served host in its Host
header, and any Origin it carries must be that same host and port.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

LOCAL = ("127.0.0.1", "localhost", "::1")


def allowed_hosts(host: str, port: int) -> set[str]:
    """The Host header values that name this server: the bound address, and this machine's names when local."""
    names = {host, *LOCAL} if host in (*LOCAL, "0.0.0.0", "::") else {host}
    return {f"[{n}]:{port}" if ":" in n else f"{n}:{port}" for n in names}


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def same_origin(scope: dict, hosts: set[str]) -> bool:
    """Whether a request is the dashboard's own: a served Host, and an Origin (if any) of that same host."""
    host = _header(scope, b"host")
    if host is None or host.lower() not in hosts:
        return False
    origin = _header(scope, b"origin")
    if origin is None:  # a navigation or a same-origin GET: browsers send Origin on every cross-origin request
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


class SameOrigin:
    """ASGI middleware: 403 for an HTTP request, a closed handshake for a WebSocket, unless :func:`same_origin`."""

    def __init__(self, app: Any, hosts: set[str]) -> None:
        self.app, self.hosts = app, {h.lower() for h in hosts}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or same_origin(scope, self.hosts):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # policy violation, before accepting
            return
        body = b"crmsim dashboard: request from another origin refused\n"
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})
