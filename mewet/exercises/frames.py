"""The live feed's frames: what an exercise tells its participants, one typed model per kind.

Every frame has a `type`; the WebSocket sends each as JSON. `Frame` is their union.
"""

from __future__ import annotations

import json
from datetime import tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from mewet.contract import Message, Topic
from mewet.scenarios.care import CareAction, Case
from mewet.sim.clock import local_time


class _Frame(BaseModel):
    model_config = ConfigDict(frozen=True)


class DeviceView(_Frame):
    """One device as the participants see it now."""

    type: str | None
    room: str | None
    status: str
    state: dict[str, Any]
    last_seen: str | None


class ClockFrame(_Frame):
    """Where the exercise's clock stands."""

    type: Literal["clock"] = "clock"
    sim_s: float
    time: str
    speed: float
    phase: str
    end_s: float


class MessageFrame(_Frame):
    """A device message as it crossed the broker (or as the home sent it, without one)."""

    type: Literal["message"] = "message"
    device: str
    kind: str
    topic: str
    payload: dict[str, Any] | str
    published: float | None = None
    """When the home sent it (Unix seconds), so a client can tell how late it is."""

    @classmethod
    def of(cls, message: Message) -> MessageFrame:
        """The frame of a message as the home sent it."""
        payload: Any = message.payload
        if not isinstance(payload, str):
            payload = json.loads(message.encode())  # exactly what crossed the broker
        return cls.received(message.topic, str(message.topic), payload)

    @classmethod
    def received(
        cls, topic: Topic, name: str, payload: dict[str, Any] | str, published: float | None = None
    ) -> MessageFrame:
        """The frame of a message as it arrived on `name`."""
        return cls(
            device=topic.device,
            kind=topic.kind.value,
            topic=name,
            payload=payload,
            published=published,
        )


class _Case(_Frame):
    """A case at the alarm centre as the alarm lists show it."""

    id: int
    device: str
    event_type: str
    raised_s: float
    answered: bool
    situation: str | None
    closed: bool
    false_alarm: bool = False
    on_site: bool = False
    linked_to: int | None = None
    """The case this alarm joined (the same incident), if it did."""
    linked: list[int] = []
    """The alarms that joined this case."""


class AlarmFrame(_Case):
    """A new alarm case at the alarm centre (already joined to the case of its incident when
    `linked_to` says so)."""

    type: Literal["alarm"] = "alarm"
    time: str

    @classmethod
    def of(cls, case: Case, time: str) -> AlarmFrame:
        """The frame of a case as raised."""
        return cls(**case.public(), time=time)


class CaseFrame(_Case):
    """A case changed: answered, its situation known, help on site, an alarm joined, closed.
    The alarm lists follow it."""

    type: Literal["case"] = "case"

    @classmethod
    def of(cls, case: Case) -> CaseFrame:
        """The frame of a case as it is now."""
        return cls(**case.public())


class ActionFrame(_Frame):
    """What a role did, as a message (`said`: its id and values), said in each participant's
    language on their page."""

    type: Literal["action"] = "action"
    ts: str
    role: str
    action: str
    said: dict[str, Any]
    by: str

    @classmethod
    def of(cls, action: CareAction, zone: tzinfo | None = None) -> ActionFrame:
        """The frame of one entry of the care timeline, in the home's local time."""
        return cls(
            ts=local_time(action.ts, zone),
            role=action.role,
            action=action.action,
            said=action.said.as_json(),
            by=action.by,
        )


class NoteFrame(_Frame):
    """A note someone wrote."""

    type: Literal["note"] = "note"
    n: int
    ts: str
    role: str | None
    by: str
    text: str


class ControlFrame(_Frame):
    """What the teacher did with the clock or the home."""

    type: Literal["control"] = "control"
    name: str
    args: dict[str, Any]
    by: str


class JoinedFrame(_Frame):
    """Someone took a role."""

    type: Literal["joined"] = "joined"
    role: str
    by: str


class LaggingFrame(_Frame):
    """The participant could not keep up; the connection closes, a reconnect gives a snapshot."""

    type: Literal["lagging"] = "lagging"


class SnapshotFrame(_Frame):
    """Everything a participant needs on (re)connecting, before the live frames."""

    type: Literal["snapshot"] = "snapshot"
    clock: ClockFrame
    home: dict[str, DeviceView]
    cases: list[dict[str, Any]]
    actions: list[ActionFrame]
    notes: list[NoteFrame]


Frame = (
    ClockFrame
    | MessageFrame
    | AlarmFrame
    | CaseFrame
    | ActionFrame
    | NoteFrame
    | ControlFrame
    | JoinedFrame
    | LaggingFrame
    | SnapshotFrame
)

__all__ = [
    "ActionFrame",
    "AlarmFrame",
    "CaseFrame",
    "ClockFrame",
    "ControlFrame",
    "DeviceView",
    "Frame",
    "JoinedFrame",
    "LaggingFrame",
    "MessageFrame",
    "NoteFrame",
    "SnapshotFrame",
]
