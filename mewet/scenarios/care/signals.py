"""What the care team announces (`Signal`), and the tap that hears the home's alarms on their
way to the sink (`AlarmTap`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from mewet.contract import Event, Message
from mewet.sim.sink import Sink

T = TypeVar("T")


class Signal(Generic[T]):
    """Something the team announces; listeners are called in the order they connected."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[T], None]] = []

    def connect(self, listener: Callable[[T], None]) -> None:
        """Call `listener` with every value emitted from now on."""
        self._listeners.append(listener)

    def emit(self, value: T) -> None:
        """Tell every listener."""
        for listen in self._listeners:
            listen(value)


class AlarmTap:
    """A sink in front of the real one: passes everything on, and announces alarm events."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.alarms: Signal[tuple[str, Event]] = Signal()

    def publish(self, message: Message) -> None:
        """Pass the message on; an alarm is also announced (to the alarm centre)."""
        self.sink.publish(message)
        p = message.payload
        if isinstance(p, Event) and p.severity == "alarm":
            self.alarms.emit((message.topic.device, p))
