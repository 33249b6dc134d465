"""Where devices send their messages: the `Sink` protocol and the in-memory sink."""

from __future__ import annotations

from typing import Protocol

from mewet.contract import Message


class Sink(Protocol):
    """Takes every message a device sends; may block to slow the simulation down."""

    def publish(self, message: Message) -> None:
        """Send one message on."""


class MemorySink:
    """Keeps every message in order: the sink of unit tests and batch runs."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def publish(self, message: Message) -> None:
        """Keep the message."""
        self.messages.append(message)

    def of(self, device: str, kind: str | None = None) -> list[Message]:
        """The messages of one device, optionally of one kind only."""
        return [
            m
            for m in self.messages
            if m.topic.device == device and (kind is None or m.topic.kind.value == kind)
        ]
