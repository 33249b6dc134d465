"""What every HTTP answer of the lab carries, and what no request may send: a plain ASGI
middleware in front of the app.

- A body larger than the limit is answered 413 before it is read: at once when
  `Content-Length` says so, else as soon as the bytes read pass the limit (a chunked body).
- Security headers on every answer: no sniffing, no framing, no referrer, a Content Security
  Policy, and `Cache-Control: no-store` on the API's answers (they hold tokens and people's
  data).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class Guard:
    """Body size limit and security headers for every HTTP request."""

    def __init__(self, app: ASGIApp, body_bytes: int, page_csp: dict[str, str] | None = None):
        self.app = app
        self.body_bytes = body_bytes
        self.page_csp = page_csp or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = _secure_headers(path, self.page_csp)

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {h for h, _ in headers}
                ]
                message = {**message, "headers": kept + headers}
            await send(message)

        if scope.get("method") in BODY_METHODS:
            declared = _content_length(scope)
            if declared is not None and declared > self.body_bytes:
                await self._too_large(send_secured)
                return
            # read the body here, up to the limit: a chunked body that grows past it is cut
            # off with a 413 (the framework would turn an error while it reads into a 400)
            body = bytearray()
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                body += message.get("body", b"")
                if len(body) > self.body_bytes:
                    await self._too_large(send_secured)
                    return
                if not message.get("more_body", False):
                    break
            await self.app(scope, replaying(bytes(body), receive), send_secured)
            return
        await self.app(scope, receive, send_secured)

    async def _too_large(self, send: Send) -> None:
        kib = self.body_bytes // 1024
        body = json.dumps({"detail": f"the request body is larger than {kib} KiB"}).encode()
        await send_json(send, 413, body, (b"connection", b"close"))


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the body read already, then whatever comes after it (the client
    going away)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def send_json(send: Send, status: int, body: bytes, *headers: tuple[bytes, bytes]) -> None:
    """A whole JSON answer, from a middleware (before or instead of the app)."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _secure_headers(path: str, page_csp: dict[str, str]) -> list[tuple[bytes, bytes]]:
    csp = API_CSP if path.startswith("/api/") else page_csp.get(path, PAGE_CSP)
    out: list[tuple[bytes, bytes]] = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy", csp.encode()),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if path.startswith("/api/"):
        out.append((b"cache-control", b"no-store"))
    return out
