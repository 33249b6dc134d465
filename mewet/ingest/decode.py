"""From raw MQTT message to store record, or to a dead letter that says why not.

Nothing here raises on input: every way a message can be wrong ends as a `DeadLetter`.
"""

from __future__ import annotations

import functools
from datetime import datetime

from pydantic import ValidationError

from mewet.contract import Event, Meta, State, Telemetry
from mewet.contract.topics import Kind, Topic
from mewet.errors import ContractError
from mewet.store.base import DeadLetter, DeviceRecord, EventRecord, Record, TelemetryRecord
from mewet.transport.client import Received

PAYLOAD_SHOWN = 1024


@functools.lru_cache(maxsize=65536)
def parse_topic(topic: str, root: str) -> Topic:
    """Topic.parse, remembered: a home's few dozen topics arrive over and over."""
    return Topic.parse(topic, root)


def explain(exc: ValidationError) -> str:
    """A one-line reason from a pydantic error: what was wrong, and where."""
    parts = []
    for err in exc.errors(include_url=False)[:3]:
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "json_invalid":
            parts.append(f"not valid JSON ({err['msg'].removeprefix('Invalid JSON: ')})")
        else:
            parts.append(f"{where + ': ' if where else ''}{err['msg']}")
    more = exc.error_count() - 3
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


class Decoder:
    """Turns received messages into records; remembers device types learnt from `meta`."""

    def __init__(
        self, root: str, max_bytes: int, types: dict[tuple[str, str], str] | None = None
    ) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.types: dict[tuple[str, str], str] = dict(types or {})
        self.metas: dict[tuple[str, str], Meta] = {}
        """Each device's last `meta`, as received: what it declares."""

    def dead(self, msg: Received, reason: str, now: datetime) -> DeadLetter:
        """A dead letter for `msg`, with its payload shown as text, cut short."""
        shown = msg.payload[:PAYLOAD_SHOWN].decode("utf-8", "backslashreplace")
        if len(msg.payload) > PAYLOAD_SHOWN:
            shown += "…"
        return DeadLetter(now, msg.topic[:512], reason, shown, len(msg.payload))

    def decode(self, msg: Received, now: datetime) -> Record:
        """The record for one message (a DeadLetter when it breaks the contract)."""
        if len(msg.payload) > self.max_bytes:
            return self.dead(
                msg, f"payload too large: {len(msg.payload)} bytes (limit {self.max_bytes})", now
            )
        try:
            topic = parse_topic(msg.topic, self.root)
        except ContractError as exc:
            return self.dead(msg, f"unknown topic: {exc}", now)
        try:
            text = msg.payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            return self.dead(msg, f"payload is not UTF-8 (byte {exc.start})", now)
        key = (topic.home, topic.device)
        try:
            return self._record(topic, text, key, now)
        except ValidationError as exc:
            return self.dead(msg, f"{topic.kind.value}: {explain(exc)}", now)
        except ValueError as exc:  # a JSON number pydantic cannot hold, and the like
            return self.dead(msg, f"{topic.kind.value}: {exc}", now)

    def _record(self, topic: Topic, text: str, key: tuple[str, str], now: datetime) -> Record:
        kind = topic.kind
        if kind is Kind.TELEMETRY:
            t = Telemetry.model_validate_json(text)
            return TelemetryRecord(
                topic.home,
                topic.device,
                self.types.get(key, "unknown"),
                t.ts,
                t.seq,
                t.id,
                dict(t.data),
            )
        if kind is Kind.EVENT:
            e = Event.model_validate_json(text)
            return EventRecord(
                topic.home,
                topic.device,
                self.types.get(key, "unknown"),
                e.ts,
                e.seq,
                e.id,
                e.event_type,
                e.severity,
                dict(e.data),
            )
        if kind is Kind.META:
            m = Meta.model_validate_json(text)
            self.types[key] = m.type
            self.metas[key] = m
            return DeviceRecord(
                topic.home,
                topic.device,
                "meta",
                now,
                m.model_dump(mode="json"),
                type=m.type,
                room=m.room,
            )
        if kind is Kind.STATE:
            s = State.model_validate_json(text)
            return DeviceRecord(topic.home, topic.device, "state", now, dict(s.root))
        if kind is Kind.STATUS:
            if text not in ("online", "offline"):
                raise ValueError(f"status must be 'online' or 'offline', not {text[:40]!r}")
            return DeviceRecord(topic.home, topic.device, "status", now, text)
        raise ValueError(f"{kind.value} messages are commands to devices and are not stored")
