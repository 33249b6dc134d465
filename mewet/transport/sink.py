"""The MQTT sink: devices' messages go to the broker, commands come back to the devices."""

from __future__ import annotations

import logging
import queue
from collections import Counter

from pydantic import ValidationError

from mewet.config import MqttUrl
from mewet.contract import DEFAULT_ROOT, Command, Kind, Message, Topic, commands_of_home
from mewet.errors import ContractError
from mewet.transport.client import MqttLink, Received, Will

log = logging.getLogger(__name__)


class MqttSink:
    """Publishes one home's devices over one connection, as its gateway would.

    The connection's Last Will marks the home's gateway (`will_device`) offline. Retained
    messages (status, meta, state) are remembered and published again after a reconnect.
    Commands on `<root>/<home>/+/cmd/+` are validated and queued for the simulation to take.
    `batched`: messages wait for the next `pump`, which sends many to a system call.
    """

    def __init__(
        self,
        url: MqttUrl,
        home: str,
        will_device: str,
        *,
        root: str = DEFAULT_ROOT,
        backlog: int = 1000,
        client_id: str | None = None,
        batched: bool = False,
    ) -> None:
        self.home = home
        self.root = root
        self.sent: Counter[str] = Counter()
        self.commands: queue.SimpleQueue[tuple[Topic, Command]] = queue.SimpleQueue()
        self._retained: dict[str, bytes] = {}
        self._topic_names: dict[Topic, str] = {}
        self._seen_connects = 1
        will_topic = Topic(home, will_device, Kind.STATUS, root=root)
        self.link = MqttLink(
            url,
            client_id or f"mewet-sim-{home}",
            will=Will(str(will_topic), b"offline"),
            backlog=backlog,
            on_message=self._command,
            subscriptions=(commands_of_home(home, root),),
            batched=batched,
        )

    def connect(self) -> MqttSink:
        """Connect to the broker (raises TransportError when it is not there)."""
        self.link.connect()
        return self

    def publish(self, message: Message) -> None:
        """Send one device message; after a reconnect, first restore the retained ones."""
        if self.link.connects != self._seen_connects:
            self._seen_connects = self.link.connects
            for topic, payload in list(self._retained.items()):
                self.link.publish(topic, payload, retain=True)
        name = self._topic_names.get(message.topic)
        if name is None:
            name = self._topic_names[message.topic] = str(message.topic)
        payload = message.encode()
        if message.retain:
            self._retained[name] = payload
        self.link.publish(name, payload, retain=message.retain)
        self.sent[message.topic.device] += 1

    def pump(self) -> None:
        """Let the link do its network work (acks, keep-alive, commands) now."""
        self.link.pump(0)

    def close(self, timeout_s: float = 30.0) -> bool:
        """Wait for the broker to acknowledge everything sent, then disconnect."""
        done = self.link.wait_published(timeout_s)
        self.link.close()
        return done

    def _command(self, msg: Received) -> None:
        try:
            topic = Topic.parse(msg.topic, self.root)
            command = Command.model_validate_json(msg.payload)
        except (ContractError, ValidationError, ValueError) as exc:
            log.warning("ignored an invalid command on %s: %s", msg.topic, str(exc).splitlines()[0])
            return
        self.commands.put((topic, command))
