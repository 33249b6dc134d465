"""Commands from the API to companies' devices, through the broker.

The API runs the exercises' homes with the lab's account (which writes their device topics);
commands go out on a connection of their own, whose account writes `cmd` topics and nothing
else: the API makes it at each start, with a fresh password it never shows anyone. (On an open
broker companies' devices have no accounts, so there is nothing to command.)
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import replace
from datetime import UTC, datetime

from mewet.config import MqttUrl
from mewet.contract import Command, Message, Scalar
from mewet.contract.topics import Kind, Topic
from mewet.transport.access import BrokerAccess
from mewet.transport.client import MqttLink

USER = "mewet-commands"


class CommandSender:
    """One broker connection that may only send commands."""

    def __init__(self, mqtt: MqttUrl, root: str, access: BrokerAccess, key: str) -> None:
        self.root = root
        # one password for every server and worker of the lab (made from the key they
        # share): each grants the account again as it starts, and none locks another out
        password = hmac.new(key.encode(), USER.encode(), hashlib.sha256).hexdigest()[:32]
        url = replace(
            mqtt, username=USER, password=access.grant(USER, "commands", password=password)
        )
        self.link = MqttLink(url, f"{USER}-{secrets.token_hex(4)}", threaded=True)

    async def start(self) -> None:
        """Connect (the broker takes a moment to read a new account's password)."""
        await asyncio.to_thread(self.link.connect, 15.0)

    def send(
        self, home: str, device: str, name: str, args: dict[str, Scalar]
    ) -> tuple[Topic, Command]:
        """Publish one command (QoS 1); where it went, and what."""
        topic = Topic(home, device, Kind.CMD, command=name, root=self.root)
        command = Command(id=f"cmd-{secrets.token_hex(6)}", ts=datetime.now(UTC), args=args)
        self.link.publish(str(topic), Message(topic, command).encode())
        return topic, command

    def close(self) -> None:
        """Disconnect."""
        self.link.close()
