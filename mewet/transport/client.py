"""The one MQTT client of the lab: paho-mqtt 2.x, MQTT 5, QoS 1, bounded backlog, reconnects.

paho runs its network loop in its own thread; this wrapper keeps what the rest of the lab
sees small: `publish` (which blocks while the backlog is full, so a slow broker slows the
producer instead of growing memory), `ack` for manual acknowledgement, and callbacks for
messages and (re)connects. paho's errors are translated into `TransportError` here.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from mewet.config import MqttUrl
from mewet.errors import TransportError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Received:
    """One message as it arrived, with what is needed to acknowledge it later."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    retain: bool
    generation: int


@dataclass(frozen=True, slots=True)
class Will:
    """The Last Will: published by the broker if we vanish without saying goodbye."""

    topic: str
    payload: bytes
    retain: bool = True


class Window:
    """How many published messages may await the broker's ack: the backlog bound, lowered to
    the broker's Receive Maximum when it announces one (exceeding it is a protocol error)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.limit = size
        self.used = 0
        self._cond = threading.Condition()

    def take(self, timeout_s: float) -> bool:
        """Take a slot, waiting up to `timeout_s` for one."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.used < self.limit, timeout_s):
                return False
            self.used += 1
            return True

    def give(self) -> None:
        """Return a slot (the broker acknowledged a message)."""
        with self._cond:
            self.used = max(0, self.used - 1)
            self._cond.notify()

    def fit(self, receive_maximum: int | None) -> None:
        """Apply the broker's Receive Maximum (None: the broker set none)."""
        with self._cond:
            self.limit = min(self.size, receive_maximum or self.size)
            self._cond.notify_all()


class MqttLink:
    """A connection to the broker; reconnects by itself with backoff."""

    def __init__(
        self,
        url: MqttUrl,
        client_id: str = "",
        *,
        will: Will | None = None,
        persistent: bool = False,
        session_expiry_s: int = 0,
        receive_maximum: int | None = None,
        backlog: int = 1000,
        manual_ack: bool = False,
        on_message: Callable[[Received], None] | None = None,
        on_connect: Callable[[], None] | None = None,
        subscriptions: tuple[str, ...] = (),
    ) -> None:
        self.url = url
        self.subscriptions = subscriptions
        self._on_message = on_message
        self._on_connect = on_connect
        self._persistent = persistent
        self._session_expiry_s = session_expiry_s
        self._receive_maximum = receive_maximum
        self._window = Window(backlog)
        self._connected = threading.Event()
        self._closing = False
        self.generation = 0
        self.connects = 0
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=paho.MQTTv5,
            manual_ack=manual_ack,
        )
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        # the window bounds what is in flight; paho's own limit would rescan its queue per ack
        self.client.max_inflight_messages_set(0)
        if url.username:
            self.client.username_pw_set(url.username, url.password)
        if url.tls:
            self.client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        if will is not None:
            self.client.will_set(will.topic, will.payload, qos=1, retain=will.retain)
        self.client.on_connect = self._connected_cb
        self.client.on_disconnect = self._disconnected_cb
        self.client.on_publish = self._published_cb
        self.client.on_message = self._message_cb

    # -- life cycle ---------------------------------------------------------------

    def connect(self, timeout_s: float = 10.0) -> MqttLink:
        """Connect and start the network thread; raise TransportError if the broker is not there."""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        if self._session_expiry_s:
            props.SessionExpiryInterval = self._session_expiry_s
        if self._receive_maximum:
            props.ReceiveMaximum = self._receive_maximum
        try:
            self.client.connect(
                self.url.host,
                self.url.port,
                keepalive=30,
                clean_start=not self._persistent,
                properties=props,
            )
        except (OSError, socket.gaierror, ssl.SSLError) as exc:
            raise TransportError(
                f"cannot reach the MQTT broker at {self.url}: {exc}. Is it running? "
                "(set MEWET_MQTT_URL or --mqtt to point at it)"
            ) from exc
        self.client.loop_start()
        if not self._connected.wait(timeout_s):
            self.close()
            raise TransportError(
                f"the MQTT broker at {self.url} did not accept us within {timeout_s:.0f} s"
            )
        return self

    def close(self) -> None:
        """Disconnect cleanly (no Last Will) and stop the network thread."""
        self._closing = True
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()

    @property
    def connected(self) -> bool:
        """Whether the link is up right now."""
        return self._connected.is_set()

    # -- sending ------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Queue one QoS 1 message; blocks while `backlog` messages await the broker's ack.

        While the broker is away, paho keeps what was queued and sends it on reconnect.
        """
        while not self._window.take(timeout_s=1.0):
            if self._closing:
                raise TransportError("the MQTT link was closed while publishing")
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if info.rc not in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
            self._window.give()
            raise TransportError(f"publish to {topic!r} refused: {paho.error_string(info.rc)}")

    def wait_published(self, timeout_s: float = 30.0) -> bool:
        """Wait until every queued message has been acknowledged by the broker."""
        deadline = threading.Event()
        waited = 0.0
        while self.client.want_write() or self._inflight():
            if waited >= timeout_s:
                return False
            deadline.wait(0.05)
            waited += 0.05
        return True

    def _inflight(self) -> bool:
        return len(self.client._out_messages) > 0  # paho has no public count of unacked messages

    def ack(self, message: Received) -> bool:
        """Acknowledge a message taken with manual ack; False if it came on an older connection."""
        if message.generation != self.generation or message.qos == 0:
            return False
        return self.client.ack(message.mid, message.qos) == paho.MQTT_ERR_SUCCESS

    # -- paho callbacks (network thread) ---------------------------------------------

    def _connected_cb(
        self,
        client: paho.Client,
        userdata: object,
        flags: paho.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.error("MQTT broker %s refused the connection: %s", self.url, reason)
            return
        self.generation += 1
        self.connects += 1
        self._window.fit(getattr(properties, "ReceiveMaximum", None))
        for sub in self.subscriptions:
            client.subscribe(sub, qos=1)
        if self._on_connect is not None:
            self._on_connect()
        self._connected.set()
        log.info("connected to %s (session present: %s)", self.url, flags.session_present)

    def _disconnected_cb(
        self,
        client: paho.Client,
        userdata: object,
        flags: paho.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._connected.clear()
        if not self._closing:
            log.warning("lost the MQTT broker %s (%s); reconnecting", self.url, reason)

    def _published_cb(
        self,
        client: paho.Client,
        userdata: object,
        mid: int,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._window.give()  # every message we publish is QoS 1 and holds one slot

    def _message_cb(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        if self._on_message is None:
            return
        # from the raw bytes: a broken topic must reach the handler (a dead letter), not raise here
        topic = msg._topic.decode("utf-8", "replace")
        received = Received(
            topic, bytes(msg.payload), msg.mid, msg.qos, msg.retain, self.generation
        )
        try:
            self._on_message(received)
        except Exception:  # never let a handler kill paho's network thread
            log.exception("handler failed on a message on %r", msg.topic)
