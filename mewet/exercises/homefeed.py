"""The live feed back from the broker: what the exercises' homes said, as it crossed it.

One connection per server, subscribed to the homes of the exercises it runs (not to every
home: a company's device flooding its own topics never reaches the API), so what the
participants see is exactly what crossed the broker. Messages come on the connection's
network thread and are handed to the event loop in batches.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from typing import Any

from mewet.config import MqttUrl
from mewet.contract import MAX_PAYLOAD_BYTES, Kind, Topic, home_subscription
from mewet.errors import ContractError
from mewet.exercises.feed import Handoff
from mewet.exercises.frames import MessageFrame
from mewet.exercises.live import Exercise
from mewet.transport.client import MqttLink, Received


class HomeFeed:
    """The homes' messages, each to the participants of its exercise (`exercise_of(home)`:
    the exercise that runs that home here, if any)."""

    def __init__(
        self,
        mqtt: MqttUrl,
        root: str,
        loop: asyncio.AbstractEventLoop,
        exercise_of: Callable[[str], Exercise | None],
    ) -> None:
        self.root = root
        self._exercise_of = exercise_of
        self._inbox = Handoff(loop, self._route_all)
        self._link = MqttLink(
            mqtt,
            f"mewet-api-feed-{secrets.token_hex(4)}",
            on_message=self._received,
            threaded=True,
        )

    def connect(self) -> HomeFeed:
        """Connect (blocking; TransportError when the broker cannot be reached)."""
        self._link.connect()
        return self

    def follow(self, home: str) -> None:
        """Subscribe to a home's messages."""
        self._link.follow(home_subscription(home, self.root))

    def unfollow(self, home: str) -> None:
        """Subscribe to a home's messages no more."""
        self._link.unfollow(home_subscription(home, self.root))

    def close(self) -> None:
        """Close the connection."""
        self._link.close()

    def _received(self, msg: Received) -> None:
        """A message from the broker (on the feed's network thread): to the loop, in batches."""
        if len(msg.payload) <= MAX_PAYLOAD_BYTES:
            self._inbox.put((msg.topic, msg.payload))

    def _route_all(self, messages: list[tuple[str, bytes]]) -> None:
        for topic_name, payload in messages:
            self._route(topic_name, payload)

    def _route(self, topic_name: str, payload: bytes) -> None:
        try:
            topic = Topic.parse(topic_name, self.root)
        except ContractError:
            return
        live = self._exercise_of(topic.home)
        if live is None or topic.command is not None:
            return
        try:
            body: Any = payload.decode()
            if topic.kind is not Kind.STATUS:
                body = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return  # ingest keeps it as a dead letter; participants see only valid messages
        if not isinstance(body, dict | str):
            return
        sent = None
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            sent = live.stamps.take(body["id"])
        live.broadcast(MessageFrame.received(topic, topic_name, body, sent))
