"""Several servers: a request about an exercise another server runs is answered there.

A route that finds its exercise run by another server raises `ElsewhereError`; the app
answers it with a 503 that names the other server (`x-mewet-elsewhere`), and `Forwarder`, an
ASGI middleware just inside `Guard`, replaces that answer with the other server's answer to
the same request: its method, path, query, headers and body. The participant's browser never
knows; the reverse proxy in front of the servers needs no idea of exercises.

- The forwarded request says who the client was (`x-mewet-client`), signed with the key the
  servers share, so that the other server counts its limits by the client's address, not by
  this server's.
- It is never forwarded twice: an exercise that moved again meanwhile answers the 503 (try
  again in a few seconds), as does one whose server cannot be reached (it has just stopped,
  and its exercises are taken over within seconds).
- The live feed, a WebSocket, is relayed by its route (`relay_live`); lists of exercises ask
  every server for its own (`from_peers`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import re
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from mewet.api.guard import replaying, send_json
from mewet.texts import said, say

log = logging.getLogger(__name__)
ELSEWHERE = "x-mewet-elsewhere"
CLIENT = "x-mewet-client"
SIGNATURE = "x-mewet-signature"
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    CLIENT,
    SIGNATURE,
}
PEER_TIMEOUT = httpx.Timeout(60.0, connect=2.0)
"""A forwarded request may replay a debrief; reaching the server must be quick."""
PEER_LIMITS = httpx.Limits(max_connections=200, keepalive_expiry=2.0)
"""Idle connections to the other servers are let go well before they would close them (5 s),
so that a request is not sent on one they are closing."""


def sign(key: str, client: str, path: str) -> str:
    """The signature of a forwarded request's client address (for its path)."""
    return hmac.new(key.encode(), f"{client}\n{path}".encode(), hashlib.sha256).hexdigest()


def peer_headers(
    headers: list[tuple[bytes, bytes]], client: str, path: str, key: str
) -> list[tuple[str, str]]:
    """The headers a request is forwarded with: the client's own (but the hop's; its `Host`
    kept, so that links the other server makes lead where the client came), and who the
    client was, signed."""
    out = [
        (k.decode("latin-1"), v.decode("latin-1"))
        for k, v in headers
        if k.decode("latin-1").lower() not in HOP_BY_HOP
    ]
    return [*out, (CLIENT, client), (SIGNATURE, sign(key, client, path))]


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for k, v in scope.get("headers", []):
        if k.lower() == wanted:
            return str(v.decode("latin-1"))
    return None


def _key(scope: Scope) -> str | None:
    api = getattr(scope["app"].state, "api", None)
    return None if api is None else str(api.key)


def forwarded_from(scope: Scope) -> str | None:
    """The client's address a forwarding server vouches for (None: not forwarded, or a
    signature that does not hold)."""
    client, signature, key = _header(scope, CLIENT), _header(scope, SIGNATURE), _key(scope)
    if client is None or signature is None or key is None:
        return None
    expected = sign(key, client, scope.get("path", ""))
    return client if hmac.compare_digest(expected, signature) else None


EXERCISE_PATH = re.compile(r"^/api/exercises/(\d{1,10})(?:/|$)")


def _exercise_of(path: str) -> int | None:
    found = EXERCISE_PATH.match(path)
    return int(found.group(1)) if found else None


def _known(scope: Scope) -> str | None:
    """The server that ran the path's exercise a moment ago, if another (the request goes
    there at once: no routing, no sign-in checked twice, no database asked)."""
    exercise = _exercise_of(scope.get("path", ""))
    api = getattr(scope["app"].state, "api", None)
    if exercise is None or api is None:
        return None
    url: str | None = api.exercises.placement.known(exercise)
    return url


def moving(exercise: str | None, lang: str) -> bytes:
    """The 503 of an exercise between servers (None: of a new one, its worker starting), in
    plain words."""
    message = said("exercise_moving", exercise=exercise) if exercise else said("no_worker")
    return json.dumps({"detail": say(message, lang), "said": message.as_json()}).encode()


class Forwarder:
    """Answers a request whose exercise another server runs with that server's answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        vouched = forwarded_from(scope)
        if vouched is not None:  # from another server of the lab: the client is who it says
            scope = {**scope, "client": (vouched, 0), "mewet.forwarded": True}
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        known = None if vouched is not None else _known(scope)
        body = bytearray()  # Guard has bounded it
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if known is not None:  # run elsewhere a moment ago: that server checks it all
            await self._forward(scope, bytes(body), known, send)
            return
        replay = replaying(bytes(body), receive)
        elsewhere: list[str] = []

        async def send_or_hold(message: Message) -> None:
            if message["type"] == "http.response.start":
                for k, v in message.get("headers", []):
                    if k == ELSEWHERE.encode() and v and not scope.get("mewet.forwarded"):
                        elsewhere.append(v.decode())
                        return
            if elsewhere:
                return  # the 503's body: the other server's answer goes instead
            await send(message)

        await self.app(scope, replay, send_or_hold)
        if elsewhere:
            await self._forward(scope, bytes(body), elsewhere[0], send)

    async def _forward(self, scope: Scope, body: bytes, url: str, send: Send) -> None:
        peers: httpx.AsyncClient = scope["app"].state.peers
        key = _key(scope) or ""
        client = scope["client"][0] if scope.get("client") else "unknown"
        path = scope.get("path", "")
        query = scope.get("query_string", b"").decode("latin-1")
        target = f"{url}{path}" + (f"?{query}" if query else "")
        headers = peer_headers(scope.get("headers", []), client, path, key)
        request = peers.build_request(scope["method"], target, headers=headers, content=body)
        try:
            try:
                answer = await peers.send(request, stream=True)
            except httpx.RemoteProtocolError:  # a kept connection it closed as we sent:
                answer = await peers.send(request, stream=True)  # it saw nothing; once more
        except httpx.HTTPError as exc:
            log.warning("%s %s: the server running it cannot be reached: %s", url, path, exc)
            if (exercise := _exercise_of(path)) is not None:
                scope["app"].state.api.exercises.placement.forget(exercise)
            await _unavailable(scope, send)
            return
        try:
            kept = [(k, v) for k, v in answer.headers.raw if k.decode().lower() not in HOP_BY_HOP]
            start: Message = {
                "type": "http.response.start",
                "status": answer.status_code,
                "headers": kept,
            }
            await send(start)
            async for chunk in answer.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except httpx.HTTPError as exc:  # it stopped while it answered: the answer is cut
            log.warning("%s %s: the answer was cut off: %s", url, path, exc)
        finally:
            await answer.aclose()


async def _unavailable(scope: Scope, send: Send) -> None:
    lang = "fi" if (_header(scope, "accept-language") or "").startswith("fi") else "en"
    parts = scope.get("path", "").split("/")
    exercise = parts[3] if len(parts) > 3 and parts[2] == "exercises" else None
    await send_json(send, 503, moving(exercise, lang), (b"retry-after", b"3"))


async def relay_live(ws: WebSocket, url: str, key: str) -> None:
    """Relay a live feed from the server that runs the exercise (the participant's ticket
    goes with it; that server checks it). If it cannot be reached, or it stops, the feed
    closes with 1012 (service restart) and the page connects again."""
    split = urlsplit(url)
    scheme = "wss" if split.scheme == "https" else "ws"
    path = ws.scope.get("path", "")
    query = ws.scope.get("query_string", b"").decode("latin-1")
    target = f"{scheme}://{split.netloc}{path}" + (f"?{query}" if query else "")
    client = ws.client.host if ws.client else "unknown"
    headers = [(CLIENT, client), (SIGNATURE, sign(key, client, path))]
    try:
        async with connect(target, additional_headers=headers, open_timeout=3) as upstream:
            gone = asyncio.create_task(until_closed(ws))
            try:
                while True:
                    got = asyncio.create_task(upstream.recv())
                    done, _ = await asyncio.wait({got, gone}, return_when=asyncio.FIRST_COMPLETED)
                    if got not in done:
                        got.cancel()
                        return  # the participant left
                    frame = got.result()
                    try:
                        await ws.send_text(frame if isinstance(frame, str) else frame.decode())
                    except (WebSocketDisconnect, RuntimeError):
                        return  # the participant left meanwhile
            except WebSocketException:
                code = upstream.close_code
                if code is not None and code >= 4000:  # the other server's own words
                    await ws.close(code, upstream.close_reason or "")
                    return
            finally:
                gone.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await gone
    except (OSError, TimeoutError, WebSocketException) as exc:
        log.warning("live feed of %s from %s: %s", path, url, exc)
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await ws.close(1012, "the exercise is moving to another server: reconnect")


async def until_closed(ws: WebSocket) -> None:
    """Read (and ignore) what the participant sends, text or binary, until they leave."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return


async def from_peers(
    peers: httpx.AsyncClient, urls: list[str], scope: Scope, key: str
) -> list[Any]:
    """A list route's items from every other server (each its own: a forwarded request is
    not asked further); a server that does not answer in time is left out (its exercises
    move within seconds)."""
    client = scope["client"][0] if scope.get("client") else "unknown"
    path = scope.get("path", "")
    query = scope.get("query_string", b"").decode("latin-1")
    headers = peer_headers(scope.get("headers", []), client, path, key)

    async def ask(url: str) -> list[Any]:
        try:
            answer = await peers.get(
                f"{url}{path}" + (f"?{query}" if query else ""), headers=headers, timeout=5.0
            )
        except httpx.HTTPError as exc:
            log.warning("%s did not say its exercises: %s", url, exc)
            return []
        found = answer.json() if answer.status_code == 200 else []
        return found if isinstance(found, list) else []

    answers = await asyncio.gather(*(ask(url) for url in urls))
    return [item for items in answers for item in items]
