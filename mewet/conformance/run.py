"""A conformance run: watch one device on the broker, command it, and keep what it sends.

The run is the lab's side of a device test harness (as the Sparkplug TCK or AWS IoT Device
Tester are): it subscribes to everything of the device (its commands too, so its own are in
the record), reads the retained `status`, `meta` and `state` it finds on connect, watches for
a while, sends each command the device declares, one of them twice with the same id (a
redelivery) and one it does not declare, and, if an operator is there to pull the plug, waits
for the Last Will (and asks whether the broker kept it, retained) and then
for the device to come back and answer a command sent while it was away (a persistent
session). Every message is kept with its arrival time on the lab's clock; `checks.py` turns
the record into verdicts.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Literal

from pydantic import ValidationError

from mewet.config import MqttUrl
from mewet.contract import (
    MAX_PAYLOAD_BYTES,
    Command,
    Event,
    Kind,
    Meta,
    Telemetry,
    Topic,
    format_ts,
)
from mewet.errors import ContractError
from mewet.transport.client import MqttLink, Received
from mewet.transport.gate import GateControl

KEPT = 20_000
"""Messages a run keeps (a device flooding the broker cannot fill the lab's memory)."""
KEPT_BYTES = 16 * 1024 * 1024
"""Bytes of payload a run keeps at most, all its messages together."""


@dataclass(frozen=True, slots=True)
class Seen:
    """One message of the device, as it arrived."""

    at: datetime
    topic: str
    kind: Kind | None
    payload: bytes
    """As it came, or its first `MAX_PAYLOAD_BYTES` + 1 bytes when it was larger."""
    retained: bool
    size: int = -1
    """Its whole size in bytes (the payload is cut short past the contract's limit)."""

    def __post_init__(self) -> None:
        if self.size < 0:
            object.__setattr__(self, "size", len(self.payload))

    def text(self, limit: int = 200) -> str:
        shown = self.payload[:limit].decode("utf-8", "backslashreplace")
        return shown + ("…" if self.size > limit else "")


Purpose = Literal["declared", "repeat", "unknown", "bad_argument", "while_offline"]
"""Why a command was sent: each declared one once, the first again with the same id (a
redelivery), one it does not declare (to be refused), a declared one with an argument no
device takes (to be refused), one while the device was unplugged (for its persistent
session)."""
BAD_ARGUMENT = "mewet_conformance_unknown"
"""An argument no command takes: a device must refuse the command, with ok false."""
UNKNOWN_COMMAND = "mewet_conformance_unknown"
"""A command no device declares: a device must answer it, with ok false."""


@dataclass(frozen=True, slots=True)
class Sent:
    """A command the run sent."""

    at: datetime
    name: str
    id: str
    purpose: Purpose


@dataclass(frozen=True, slots=True)
class Envelope:
    """A valid telemetry or event message of the run, parsed."""

    seen: Seen
    id: str
    ts: datetime
    seq: int
    body: Telemetry | Event


@dataclass
class Record:
    """Everything the run saw and did, for the checks."""

    home: str
    device: str
    started: datetime
    watch_s: float
    seen: list[Seen] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    retained_at_connect: dict[Kind, Seen] = field(default_factory=dict)
    answer_s: float = 10.0
    """How long a command result may take."""
    unplugged_at: datetime | None = None
    will_kept: Seen | None = None
    """The status a new subscriber got, retained, once the Last Will came (None: nothing)."""
    will_looked: bool = False
    """Whether the run looked for the retained Last Will."""
    replugged_at: datetime | None = None
    attempts: list[tuple[datetime, bool]] | None = None
    """The device's connection attempts the door saw, each let through or not (None: the
    plug was not pulled at the door)."""
    ended: datetime | None = None
    stop: threading.Event = field(default_factory=threading.Event, repr=False)
    not_kept: int = 0
    """Messages beyond `KEPT` or `KEPT_BYTES` (a flooding device): counted, not kept."""
    kept_bytes: int = 0

    _parsed: list[Envelope] | None = field(default=None, init=False, repr=False)

    def live(self) -> list[Seen]:
        """The messages sent during the run (not the retained ones found on connect)."""
        return [s for s in self.seen if not s.retained]

    def envelopes(self) -> list[Envelope]:
        """The valid telemetry and events sent during the run, in order: parsed once, for
        every check that reads them (once the run is over)."""
        if self._parsed is None:
            self._parsed = []
            for s in self.live():
                body: Telemetry | Event
                try:
                    if s.kind is Kind.TELEMETRY:
                        body = Telemetry.model_validate_json(s.payload)
                    elif s.kind is Kind.EVENT:
                        body = Event.model_validate_json(s.payload)
                    else:
                        continue
                except (ValidationError, ValueError):
                    continue
                self._parsed.append(Envelope(s, body.id, body.ts, body.seq, body))
        return self._parsed

    def meta(self) -> Meta | None:
        """The device's declaration, from the retained meta found on connect."""
        found = self.retained_at_connect.get(Kind.META)
        if found is None:
            return None
        try:
            return Meta.model_validate_json(found.payload)
        except (ValidationError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class Plan:
    """How long to watch and wait; `unplug` and `replug` are the operator's hands (the CLI
    asks a person; a test kills and restarts the device); without them the Last Will and
    the persistent session are not tested."""

    watch_s: float = 30.0
    answer_s: float = 10.0
    will_s: float = 90.0
    unplug: Callable[[], None] | None = None
    replug: Callable[[], None] | None = None
    say: Callable[[str], None] = lambda _: None
    publish: Callable[[str, bytes], None] | None = None
    """How commands go out, when not on the watching connection (the API sends them on its
    commands-only account)."""
    stop: threading.Event = field(default_factory=threading.Event)
    """Set to end the run early (the lab shutting down): the record is then incomplete."""
    outage_s: float = 0.0
    """How long the plug stays out once the Last Will came (the device's reconnects are
    refused meanwhile, as a network or a restarting broker would)."""
    attempts: Callable[[], list[tuple[datetime, bool]]] | None = None
    """The device's connection attempts, as the door saw them."""


OUTAGE_S = 20.0
"""How long the lab keeps a plug out: long enough for a device that backs off from 1 s to
try four times (1, 2, 4 and 8 s apart)."""


def at_the_door(plan: Plan, door: GateControl, user: str) -> Plan:
    """The plan with the lab's hands on the plug: the door cuts the account's connection
    (the broker sees it lost, and publishes the Last Will), refuses its reconnects for
    `OUTAGE_S`, then lets it in again. If the run dies meanwhile, the door opens by itself."""

    def unplug() -> None:
        door.cut(user, OUTAGE_S + plan.will_s + 60)

    def attempts() -> list[tuple[datetime, bool]]:
        return [(datetime.fromisoformat(at), ok) for at, ok in door.seen(user)["attempts"]]

    return replace(
        plan,
        unplug=unplug,
        replug=lambda: door.allow(user),
        outage_s=OUTAGE_S,
        attempts=attempts,
    )


def observe(url: MqttUrl, root: str, home: str, device: str, plan: Plan) -> Record:
    """Run the whole conformance run against the live device and return its record."""
    record = Record(
        home, device, datetime.now(UTC), plan.watch_s, answer_s=plan.answer_s, stop=plan.stop
    )
    arrived = threading.Condition()
    base = f"{root}/{home}/{device}"

    def keep(msg: Received) -> None:
        try:
            kind: Kind | None = Topic.parse(msg.topic, root).kind
        except ContractError:
            kind = None
        payload = msg.payload[: MAX_PAYLOAD_BYTES + 1]  # enough to say it is too large
        seen = Seen(datetime.now(UTC), msg.topic, kind, payload, msg.retain, len(msg.payload))
        with arrived:
            if len(record.seen) >= KEPT or record.kept_bytes + len(payload) > KEPT_BYTES:
                record.not_kept += 1
                return
            record.kept_bytes += len(payload)
            record.seen.append(seen)
            arrived.notify_all()

    link = MqttLink(
        url,
        f"mewet-conformance-{uuid.uuid4().hex[:12]}",
        on_message=keep,
        subscriptions=(f"{base}/#",),
        threaded=True,
    )
    link.connect()
    publish = plan.publish or link.publish
    try:
        plan.stop.wait(1.0)  # the retained messages come at once on subscribing
        with arrived:
            for s in record.seen:
                if s.retained and s.kind is not None and s.kind not in record.retained_at_connect:
                    record.retained_at_connect[s.kind] = s
        plan.say(f"watching {home}/{device} for {plan.watch_s:g} s")
        plan.stop.wait(plan.watch_s / 2)
        meta = record.meta()
        commands = list(meta.commands) if meta else []
        for name in commands:
            _command(publish, base, record, arrived, name, plan.answer_s, "declared")
        if commands:
            again = record.sent[0]
            _send(publish, base, record, again.name, again.id, "repeat")
            _await_result(record, arrived, again.id, plan.answer_s, after=record.sent[-1].at)
            _command(publish, base, record, arrived, UNKNOWN_COMMAND, plan.answer_s, "unknown")
            _command(publish, base, record, arrived, commands[0], plan.answer_s, "bad_argument")
        plan.stop.wait(plan.watch_s / 2)
        if plan.unplug is not None:
            plan.say("pull the plug now: cut the device's power or network")
            record.unplugged_at = datetime.now(UTC)
            plan.unplug()
            offline = _await(record, arrived, plan.will_s, lambda s: _is_offline(s, record))
            if offline:
                record.will_kept = _retained_status(link, record, arrived, base)
                record.will_looked = True
            if offline and plan.replug is not None:
                if commands:
                    _send(publish, base, record, commands[0], _new_id(), "while_offline")
                plan.stop.wait(max(0.0, plan.outage_s - _since(record.unplugged_at)))
                plan.say("plug it back in")
                replugged = record.replugged_at = datetime.now(UTC)
                plan.replug()
                until = time.monotonic() + plan.will_s
                for kind in BIRTH:  # one message at a time, as every wait here
                    reborn = partial(_reborn, kind=kind, since=replugged)
                    _await(record, arrived, until - time.monotonic(), reborn)
                if commands:
                    waiting = record.sent[-1]
                    _await_result(record, arrived, waiting.id, plan.will_s, after=waiting.at)
        if plan.attempts is not None and record.replugged_at is not None:
            record.attempts = plan.attempts()
    finally:
        record.ended = datetime.now(UTC)
        link.close()
    return record


def _since(at: datetime) -> float:
    return (datetime.now(UTC) - at).total_seconds()


def _retained_status(
    link: MqttLink, record: Record, arrived: threading.Condition, base: str
) -> Seen | None:
    """What a new subscriber to the status gets now: its retained message, if any (a Last
    Will that is not retained leaves the old `online`, or nothing). Asked on the run's own
    connection (subscribing again sends the retained message again): where a client's id is
    its account, a second connection would take the first one's place."""
    asked = datetime.now(UTC)
    status = f"{base}/{Kind.STATUS.value}"
    link.client.subscribe(status, qos=1)
    _await(record, arrived, 2.0, lambda s: s.retained and s.topic == status and s.at >= asked)
    with arrived:
        found = [s for s in record.seen if s.retained and s.topic == status and s.at >= asked]
    return found[-1] if found else None


def _new_id() -> str:
    return f"conf-{uuid.uuid4().hex[:16]}"


def _send(
    publish: Callable[[str, bytes], None],
    base: str,
    record: Record,
    name: str,
    cid: str,
    purpose: Purpose,
) -> None:
    now = datetime.now(UTC)
    command = Command.model_validate(
        {"id": cid, "ts": now, "args": {BAD_ARGUMENT: 1} if purpose == "bad_argument" else {}}
    )
    publish(f"{base}/{Kind.CMD.value}/{name}", command.model_dump_json().encode())
    record.sent.append(Sent(now, name, cid, purpose))


def _command(
    publish: Callable[[str, bytes], None],
    base: str,
    record: Record,
    arrived: threading.Condition,
    name: str,
    answer_s: float,
    purpose: Purpose,
) -> None:
    cid = _new_id()
    _send(publish, base, record, name, cid, purpose)
    _await_result(record, arrived, cid, answer_s, after=record.sent[-1].at)


def result_ref(s: Seen) -> str | None:
    """The `ref` of a `command_result` event, if the message is one."""
    if s.kind is not Kind.EVENT:
        return None
    try:
        body = json.loads(s.payload)
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("event_type") != "command_result":
        return None
    data = body.get("data")
    ref = data.get("ref") if isinstance(data, dict) else None
    return ref if isinstance(ref, str) else None


def _await_result(
    record: Record, arrived: threading.Condition, cid: str, timeout_s: float, after: datetime
) -> bool:
    return _await(record, arrived, timeout_s, lambda s: s.at >= after and result_ref(s) == cid)


BIRTH = (Kind.STATUS, Kind.META, Kind.STATE)
"""What a device publishes on every connect."""


def _reborn(s: Seen, kind: Kind, since: datetime) -> bool:
    """Whether `s` is the `kind` of the device's birth, published since (status: online)."""
    return s.kind is kind and s.at >= since and (kind is not Kind.STATUS or s.payload == b"online")


def born_again(record: Record, since: datetime) -> dict[Kind, Seen]:
    """Of its birth, what the device published since: the first of each kind."""
    firsts = ((k, next((s for s in record.seen if _reborn(s, k, since)), None)) for k in BIRTH)
    return {k: s for k, s in firsts if s is not None}


def _is_offline(s: Seen, record: Record) -> bool:
    return (
        s.kind is Kind.STATUS
        and s.payload == b"offline"
        and record.unplugged_at is not None
        and s.at >= record.unplugged_at
    )


def _await(
    record: Record, arrived: threading.Condition, timeout_s: float, found: Callable[[Seen], bool]
) -> bool:
    deadline = time.monotonic() + timeout_s
    with arrived:
        while True:
            if any(found(s) for s in record.seen):
                return True
            left = deadline - time.monotonic()
            if left <= 0 or record.stop.is_set():
                return False
            arrived.wait(min(left, 0.5))


def stamp(ts: datetime) -> str:
    """A time as the report shows it (the contract's UTC form)."""
    return format_ts(ts)
