"""What the broker still holds for clients that keep a session (ingest among them), read
from Mosquitto's `$SYS` topics: the messages in its store less the retained ones."""

from __future__ import annotations

import threading

from mewet.config import MqttUrl
from mewet.errors import TransportError
from mewet.transport.client import MqttLink, Received

STORED = "$SYS/broker/store/messages/count"
RETAINED = "$SYS/broker/retained messages/count"


def held_messages(url: MqttUrl, timeout_s: float = 3.0) -> int | None:
    """Messages queued in the broker for sessions, or None if it does not say (another
    broker, no right to read `$SYS`, no broker)."""
    seen: dict[str, int] = {}
    both = threading.Event()

    def got(message: Received) -> None:
        try:
            seen[message.topic] = int(message.payload)
        except ValueError:
            return
        if len(seen) == 2:
            both.set()

    link = MqttLink(url, on_message=got, subscriptions=(STORED, RETAINED), threaded=True)
    try:
        link.connect(timeout_s)
    except TransportError:
        return None
    try:
        if not both.wait(timeout_s):
            return None
    finally:
        link.close()
    return max(0, seen[STORED] - seen[RETAINED])
