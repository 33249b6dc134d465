"""The devices' door (`mewet gate`): an MQTT-aware TCP relay in front of the broker's clients'
listener, so the lab can do to a device's connection what a network does.

A company's device, a student's client and a tester connect here (the port `mewet up` prints
for devices); the gate reads each connection's CONNECT packet for its user name (the client id,
there), and then relays the bytes both ways. Because every packet from a client passes through
it, the gate can do three things Mosquitto 2.0 cannot:

- **pull the plug** (`cut`): abort both sides of an account's connection, as a cable pulled
  out would. The broker sees a connection lost without DISCONNECT and publishes the Last Will
  (a session taken over, or a password revoked, ends without one). Reconnects are then refused
  for a while, as a network or a restarting broker would, and each attempt is noted: how
  a device backs off is read from them.
- **note refused publishes**: a PUBLISH to a topic the account may not write (the same ACL the
  broker applies, read from the lab's `access.json`) is noted with its topic and time, for
  the device's page. The broker still receives and refuses it.
- **pace a flooding client**: each connection may send so many PUBLISH packets a second (a
  burst allowed); beyond that the gate stops reading it, and TCP slows the sender down.

It is asked over a Unix socket (`gate.sock` in the lab's data folder, mode 0600), one JSON
request per line: `{"op": "cut", "user": U, "for_s": S}`, `{"op": "allow", "user": U}`,
`{"op": "seen", "user": U}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paho.mqtt.client import topic_matches_sub

from mewet.transport.access import Account, rules

KEPT_ATTEMPTS = 100
KEPT_REFUSED = 50
CONNECT_BYTES = 64 * 1024
"""A CONNECT packet larger than this is not a device's: the connection is closed."""


class ClosedError(Exception):
    """The connection ended, or sent what is not MQTT."""


@dataclass
class Door:
    """What the gate knows of one account: its connections, its attempts, its refusals."""

    links: set[asyncio.WriteTransport] = field(default_factory=set)
    closed_until: float = 0.0
    attempts: deque[tuple[datetime, bool]] = field(
        default_factory=lambda: deque(maxlen=KEPT_ATTEMPTS)
    )
    refused: deque[tuple[datetime, str, str]] = field(
        default_factory=lambda: deque(maxlen=KEPT_REFUSED)
    )


async def _varint(reader: asyncio.StreamReader) -> int:
    """MQTT's remaining length (at most four bytes)."""
    value = 0
    for shift in range(0, 28, 7):
        byte = (await reader.readexactly(1))[0]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value
    raise ClosedError("a remaining length longer than four bytes")


def _encoded_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


async def read_packet(reader: asyncio.StreamReader, most: int) -> tuple[int, bytes, bytes]:
    """(first byte, the packet's bytes as sent, its body); ClosedError beyond `most` bytes."""
    first = await reader.readexactly(1)
    size = await _varint(reader)
    if size > most:
        raise ClosedError(f"a packet of {size} bytes")
    body = await reader.readexactly(size)
    return first[0], first + _encoded_varint(size) + body, body


def _string(body: bytes, at: int) -> tuple[str, int]:
    size = int.from_bytes(body[at : at + 2], "big")
    if at + 2 + size > len(body):
        raise ClosedError("a string runs past its packet")
    return body[at + 2 : at + 2 + size].decode("utf-8", "replace"), at + 2 + size


def _skip_varint(body: bytes, at: int) -> tuple[int, int]:
    value = 0
    for shift in range(0, 28, 7):
        if at >= len(body):
            raise ClosedError("a length runs past its packet")
        byte = body[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
    raise ClosedError("a length longer than four bytes")


def connect_user(body: bytes) -> tuple[str, int]:
    """The user name of a CONNECT (its client id when it has none) and its MQTT version."""
    _, at = _string(body, 0)  # "MQTT"
    if at + 4 > len(body):
        raise ClosedError("a CONNECT cut short")
    version, flags = body[at], body[at + 1]
    at += 4  # version, flags, keep alive
    if version == 5:
        size, at = _skip_varint(body, at)
        at += size
    client_id, at = _string(body, at)
    if flags & 0x04:  # a Last Will
        if version == 5:
            size, at = _skip_varint(body, at)
            at += size
        _, at = _string(body, at)
        _, at = _string(body, at)  # its payload: two-byte length, as a string is
    if flags & 0x80:
        user, _ = _string(body, at)
        return user, version
    return client_id, version


PROPERTY_SIZES = {0x01: 1, 0x02: 4, 0x23: 2}
"""Fixed-size PUBLISH properties; the others are strings, binaries, pairs or a varint."""


def publish_topic(first: int, body: bytes, version: int, aliases: dict[int, str]) -> str | None:
    """A PUBLISH's topic (MQTT 5's topic aliases followed); None when it cannot be known."""
    topic, at = _string(body, 0)
    if version != 5:
        return topic
    if (first >> 1) & 0x03:
        at += 2  # packet id
    size, at = _skip_varint(body, at)
    end, alias = at + size, None
    while at < end:
        prop = body[at]
        at += 1
        if prop == 0x23:
            alias = int.from_bytes(body[at : at + 2], "big")
        if prop in PROPERTY_SIZES:
            at += PROPERTY_SIZES[prop]
        elif prop == 0x0B:
            _, at = _skip_varint(body, at)
        elif prop == 0x26:
            _, at = _string(body, at)
            _, at = _string(body, at)
        else:  # 0x03 content type, 0x08 response topic, 0x09 correlation data
            _, at = _string(body, at)
    if alias is None:
        return topic
    if topic:
        aliases[alias] = topic
        return topic
    return aliases.get(alias)


WRITE = "topic write "


class Writes:
    """Which topics each account may write: the lab's ACL, read again when it changes."""

    def __init__(self, access_json: Path, root: str) -> None:
        self.path = access_json
        self.root = root
        self._stamp = -1.0
        self._writes: dict[str, list[str]] = {}

    def known(self, user: str) -> bool:
        self._fresh()
        return user in self._writes

    def allowed(self, user: str, topic: str) -> bool:
        self._fresh()
        return any(topic_matches_sub(sub, topic) for sub in self._writes.get(user, ()))

    def _fresh(self) -> None:
        try:
            stamp = self.path.stat().st_mtime
        except OSError:
            return
        if stamp == self._stamp:
            return
        self._stamp = stamp
        writes = {}
        for raw in json.loads(self.path.read_text()):
            raw["homes"] = tuple(raw.get("homes", ()))
            account = Account(**raw)
            lines = rules(account, self.root)
            writes[account.user] = [
                r.split(" ", 2)[2] for r in lines if r.startswith("topic write")
            ]
        self._writes = writes


class Gate:
    """The relay, its accounts' doors, and what it is asked over its control socket."""

    def __init__(
        self,
        upstream: tuple[str, int],
        writes: Writes,
        *,
        publishes_per_s: float = 200.0,
        burst: int = 2000,
        per_address: int = 256,
        connect_s: float = 10.0,
        packet_bytes: int = 1024 * 1024,
    ) -> None:
        self.upstream = upstream
        self.writes = writes
        self.rate = publishes_per_s
        self.burst = burst
        self.per_address = per_address
        self.connect_s = connect_s
        self.packet_bytes = packet_bytes
        self.doors: dict[str, Door] = {}
        self._open: dict[str, int] = {}

    def door(self, user: str) -> Door | None:
        """The account's door; only the lab's accounts have one (a stranger's name none)."""
        if user not in self.doors:
            if not self.writes.known(user):
                return None
            self.doors[user] = Door()
        return self.doors[user]

    # -- a client's connection ------------------------------------------------------------

    async def client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) else "local"
        if self._open.get(address, 0) >= self.per_address:
            writer.transport.abort()
            return
        self._open[address] = self._open.get(address, 0) + 1
        try:
            await self._relay(reader, writer)
        except (ClosedError, ConnectionError, asyncio.IncompleteReadError, TimeoutError, OSError):
            pass
        finally:
            writer.transport.abort()
            self._open[address] -= 1
            if not self._open[address]:
                del self._open[address]

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with asyncio.timeout(self.connect_s):
            first, raw, body = await read_packet(reader, CONNECT_BYTES)
        if first != 0x10:
            raise ClosedError("the first packet is not a CONNECT")
        user, version = connect_user(body)
        door = self.door(user)
        if door is not None:
            admitted = time.monotonic() >= door.closed_until
            door.attempts.append((datetime.now(UTC), admitted))
            if not admitted:
                raise ClosedError("the plug is out")
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        links: set[asyncio.WriteTransport] = {writer.transport, up_writer.transport}
        if door is not None:
            door.links |= links
        try:
            up_writer.write(raw)
            await up_writer.drain()
            sending = asyncio.create_task(self._from_client(reader, up_writer, user, version))
            answering = asyncio.create_task(_copy(up_reader, writer))
            done, pending = await asyncio.wait(
                {sending, answering}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            for task in done:
                task.exception()  # ended either way: the other side is closed below
        finally:
            up_writer.transport.abort()
            if door is not None:
                door.links -= links

    async def _from_client(
        self, reader: asyncio.StreamReader, out: asyncio.StreamWriter, user: str, version: int
    ) -> None:
        """Every packet the client sends, on to the broker: its publishes paced and checked."""
        tokens, last = float(self.burst), time.monotonic()
        aliases: dict[int, str] = {}
        while True:
            first, raw, body = await read_packet(reader, self.packet_bytes)
            if first >> 4 == 3:
                now = time.monotonic()
                tokens = min(float(self.burst), tokens + (now - last) * self.rate)
                last = now
                if tokens < 1.0:
                    await asyncio.sleep((1.0 - tokens) / self.rate)
                    tokens, last = 1.0, time.monotonic()
                tokens -= 1.0
                self._check(user, publish_topic(first, body, version, aliases))
            out.write(raw)
            await out.drain()

    def _check(self, user: str, topic: str | None) -> None:
        door = self.door(user)
        if door is None or topic is None or self.writes.allowed(user, topic):
            return
        door.refused.append((datetime.now(UTC), topic, "not_its_topic"))

    # -- what the lab asks ----------------------------------------------------------------

    def cut(self, user: str, for_s: float) -> int:
        """Pull the account's plug: its connections aborted, reconnects refused for `for_s`."""
        door = self.door(user)
        if door is None:
            return 0
        door.closed_until = time.monotonic() + for_s
        links = list(door.links)
        for link in links:
            link.abort()
        return len(links) // 2

    def allow(self, user: str) -> None:
        """Put the plug back in: the next reconnect is let through."""
        door = self.door(user)
        if door is not None:
            door.closed_until = 0.0

    def seen(self, user: str) -> dict[str, Any]:
        """The account's connection attempts and refused publishes, oldest first."""
        door = self.door(user)
        if door is None:
            return {"known": False, "connected": False, "attempts": [], "refused": []}
        return {
            "known": True,
            "connected": bool(door.links),
            "attempts": [[at.isoformat(), ok] for at, ok in door.attempts],
            "refused": [[at.isoformat(), topic, why] for at, topic, why in door.refused],
        }

    async def control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection of the lab's control socket: a JSON answer per JSON request."""
        with contextlib.closing(writer):
            while line := await reader.readline():
                try:
                    ask = json.loads(line)
                    user = str(ask["user"])
                    if ask["op"] == "cut":
                        answer: dict[str, Any] = {"cut": self.cut(user, float(ask["for_s"]))}
                    elif ask["op"] == "allow":
                        self.allow(user)
                        answer = {}
                    else:
                        answer = self.seen(user)
                except (ValueError, KeyError, TypeError) as exc:
                    answer = {"error": f"not a request: {exc}"}
                writer.write(json.dumps(answer).encode() + b"\n")
                await writer.drain()

    async def serve(self, host: str, port: int, control: Path) -> None:
        """Listen for clients on (host, port) and for the lab on `control`, until cancelled."""
        control.unlink(missing_ok=True)
        clients = await asyncio.start_server(self.client, host, port, reuse_address=True)
        lab = await asyncio.start_unix_server(self.control, str(control))
        control.chmod(0o600)
        async with clients, lab:
            await asyncio.gather(clients.serve_forever(), lab.serve_forever())


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while chunk := await reader.read(65536):
        writer.write(chunk)
        await writer.drain()


class GateControl:
    """The lab's side of the control socket (blocking: call it off the event loop)."""

    def __init__(self, path: Path, timeout_s: float = 5.0) -> None:
        self.path = path
        self.timeout_s = timeout_s

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(self.timeout_s)
            s.connect(str(self.path))
            s.sendall(json.dumps(request).encode() + b"\n")
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
        found: dict[str, Any] = json.loads(answer)
        return found

    def cut(self, user: str, for_s: float) -> int:
        return int(self.ask({"op": "cut", "user": user, "for_s": for_s})["cut"])

    def allow(self, user: str) -> None:
        self.ask({"op": "allow", "user": user})

    def seen(self, user: str) -> dict[str, Any]:
        return self.ask({"op": "seen", "user": user})
