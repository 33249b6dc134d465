"""What an exercise's participants see of the home: every device's state and recent history,
and the sinks an exercise's home publishes through (`Relay`, `Stamps`).

`HomeView` is a sink: the exercise's devices publish into it (beside the broker), so the
current state of every device and its recent messages are at hand without a query, and a
replay to any moment rebuilds them exactly.
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from mewet.contract import Event, Kind, Message, State, Telemetry, Topic
from mewet.exercises.frames import DeviceView, MessageFrame
from mewet.exercises.inputs import Input, Setup, replay
from mewet.sim.clock import local_time
from mewet.sim.sink import Sink

HISTORY = 500  # messages kept per device: eight hours of one-minute vitals


class HomeView:
    """Current state and recent messages of every device of one home."""

    def __init__(self, zone: tzinfo | None = None) -> None:
        self.zone = zone
        self.status: dict[str, str] = {}
        self.state: dict[str, dict[str, Any]] = {}
        self.meta: dict[str, dict[str, Any]] = {}
        self.last_seen: dict[str, str] = {}
        self.history: dict[str, deque[tuple[str, bytes]]] = {}
        """Each device's recent telemetry and events as (kind, the bytes on the wire): atoms
        the garbage collector does not track. Kept as messages, twenty fast homes held half
        a million objects, and the collector's full passes over them stopped every thread
        for 150 ms a second."""
        self._topics: dict[tuple[str, str], Topic] = {}

    def publish(self, message: Message) -> None:
        """Take one message into the view."""
        device = message.topic.device
        p = message.payload
        kind = message.topic.kind
        if isinstance(p, str):
            self.status[device] = p
        elif isinstance(p, State):
            self.state[device] = dict(p.root)
        elif kind is Kind.META:
            self.meta[device] = json.loads(message.encode())
        if isinstance(p, Telemetry | Event):
            self.last_seen[device] = local_time(p.ts, self.zone)
            key = (device, kind.value)
            if key not in self._topics:
                self._topics[key] = message.topic
            kept = self.history.get(device)
            if kept is None:
                kept = self.history[device] = deque(maxlen=HISTORY)
            kept.append((kind.value, message.encode()))

    def devices(self) -> dict[str, DeviceView]:
        """Every device: type, room, status, state and when it last reported."""
        out: dict[str, DeviceView] = {}
        for device in sorted(set(self.status) | set(self.state)):
            meta = self.meta.get(device, {})
            out[device] = DeviceView(
                type=meta.get("type"),
                room=meta.get("room"),
                status=self.status.get(device, "offline"),
                state=self.state.get(device, {}),
                last_seen=self.last_seen.get(device),
            )
        return out

    def recent(self, device: str, limit: int) -> list[MessageFrame]:
        """The device's latest telemetry and events, oldest first."""
        kept = list(self.history.get(device, ()))[-limit:] if limit > 0 else []
        frames = []
        for kind, raw in kept:
            topic = self._topics[(device, kind)]
            frames.append(MessageFrame.received(topic, str(topic), json.loads(raw)))
        return frames


class Relay:
    """A sink passing every message to its targets; targets come and go (the broker's
    connection after a replay, the local feed when there is no broker)."""

    def __init__(self, *targets: Sink) -> None:
        self._targets = list(targets)

    def attach(self, target: Sink) -> None:
        """Pass every message from now on to `target` too."""
        self._targets.append(target)

    def detach(self, target: Sink) -> None:
        """Stop passing messages to `target`."""
        if target in self._targets:
            self._targets.remove(target)

    def publish(self, message: Message) -> None:
        """Pass the message to every target."""
        for target in self._targets:
            target.publish(message)


class Stamps:
    """When each telemetry and event message went out (wall clock, Unix seconds), by message
    id: the live feed adds it to the frame, so a client can tell how late it is."""

    def __init__(self, keep: int = 20_000) -> None:
        self._sent: dict[str, float] = {}
        self.keep = keep

    def publish(self, message: Message) -> None:
        """Note when the message went out."""
        msg_id = getattr(message.payload, "id", None)
        if msg_id is not None:
            self._sent[msg_id] = time.time()
            if len(self._sent) > self.keep:
                self._sent.pop(next(iter(self._sent)))

    def clear(self) -> None:
        """Forget every send time."""
        self._sent.clear()

    def take(self, msg_id: str) -> float | None:
        """When the message with this id went out (forgotten once asked)."""
        return self._sent.pop(msg_id, None)


@dataclass(frozen=True, slots=True)
class HomeThen:
    """The home as it was at a moment of the exercise."""

    sim_s: float
    time: str
    devices: dict[str, DeviceView]


def home_at(setup: Setup, inputs: list[Input], sim_s: float) -> HomeThen:
    """Every device's state at an earlier moment, replayed (slow: run it off the event loop)."""
    view = HomeView(setup.zone)
    sim = replay(setup, inputs, sim_s, view)
    when = local_time(sim.world.now(), setup.zone)
    return HomeThen(round(float(sim.env.now), 3), when, view.devices())
