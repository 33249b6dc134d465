"""What an exercise's participants see of the home: every device's state and recent history.

`HomeView` is a sink: the exercise's devices publish into it (beside the broker), so the
current state of every device and its recent messages are at hand without a query, and a
replay to any moment rebuilds them exactly.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from mewet.contract import Event, Kind, Message, State, Telemetry, format_ts
from mewet.exercises.frames import DeviceView, MessageFrame

HISTORY = 500  # messages kept per device: eight hours of one-minute vitals


class HomeView:
    """Current state and recent messages of every device of one home."""

    def __init__(self) -> None:
        self.status: dict[str, str] = {}
        self.state: dict[str, dict[str, Any]] = {}
        self.meta: dict[str, dict[str, Any]] = {}
        self.last_seen: dict[str, str] = {}
        self.history: dict[str, deque[Message]] = {}

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
            self.last_seen[device] = format_ts(p.ts)
            self.history.setdefault(device, deque(maxlen=HISTORY)).append(message)

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
        kept = list(self.history.get(device, ()))
        return [MessageFrame.of(m) for m in kept[-limit:]]
