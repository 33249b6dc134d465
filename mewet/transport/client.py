"""The one MQTT client of the lab: paho-mqtt 2.x, MQTT 5, QoS 1, bounded backlog, reconnects.

Two ways to run it. *Driven* (the default): no thread of its own; whoever owns the link calls
`pump()` often (the simulation between steps, ingest in its loop), and `publish` pumps while
it waits. One thread then does all of paho's work: measured here, paho's own network thread
costs about three times the CPU per message, spent contending for its locks and the GIL.
*Threaded*: paho's network thread, for listeners that never pump (tools, tests).

`publish` blocks while the backlog is full, so a slow broker slows the producer instead of
growing memory; `ack` acknowledges by hand; paho's errors become `TransportError` here.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from mewet.config import MqttUrl
from mewet.errors import TransportError
from mewet.transport.buffered import BufferedClient
from mewet.transport.window import Window

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


def _nothing(*_: Any) -> None:
    """A callback with nothing to do."""


class MqttLink:
    """A connection to the broker; reconnects with backoff (1 s doubling to 30 s).

    `batched` (driven mode): what is published waits for the next `pump`, which sends it many
    messages to a system call; for a producer that pumps often and publishes a lot (a fleet,
    an exercise's home).
    """

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
        threaded: bool = False,
        batched: bool = False,
    ) -> None:
        self.url = url
        self.threaded = threaded
        self._retry_at = 0.0
        self._retry_delay = 1.0
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
        self.client = BufferedClient(
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
        self._suback_mid = -1
        self.refusal: str | None = None
        self.client.on_connect = self._connected_cb
        self.client.on_subscribe = self._subscribed_cb
        self.client.on_disconnect = self._disconnected_cb
        self.client.on_publish = self._published_cb
        self.client.on_message = self._message_cb
        if batched:
            # paho sends a message at once when nobody has registered for the socket's write
            # readiness: registered (with nothing to do), it leaves what is queued to the next
            # `pump`, which sends it many messages to a system call
            self.client.on_socket_register_write = _nothing

    # -- life cycle ---------------------------------------------------------------

    def connect(self, timeout_s: float = 10.0) -> MqttLink:
        """Connect and subscribe (starting the network thread if threaded).

        Returns once the broker has acknowledged the subscriptions; TransportError if no broker.
        """
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
        if self.threaded:
            self.client.loop_start()
        else:
            deadline = time.monotonic() + timeout_s
            while not self._connected.is_set() and time.monotonic() < deadline:
                if self.client.loop(0.1) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                    break
        if not self._connected.wait(timeout_s if self.threaded else 0):
            self.close()
            if self.refusal is not None:
                raise TransportError(
                    f"the MQTT broker at {self.url} refused us: {self.refusal} "
                    "(check the user name and password in the URL)"
                )
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
            if self.threaded:
                self.client.loop_stop()

    def pump(self, timeout_s: float = 0.0) -> None:
        """Driven mode: read, write, keep alive and reconnect now, waiting up to `timeout_s`."""
        timeout_s = max(0.0, timeout_s)  # paho raises on a negative one, killing the caller
        if self.threaded or self._closing:
            if timeout_s > 0:
                time.sleep(timeout_s)
            return
        if self.client.loop(timeout_s) == MQTTErrorCode.MQTT_ERR_SUCCESS:
            return
        self._connected.clear()
        now = time.monotonic()
        if now < self._retry_at:
            time.sleep(min(timeout_s, self._retry_at - now))
            return
        try:
            self.client.reconnect()
        except (OSError, ssl.SSLError) as exc:
            log.warning("MQTT broker %s: %s; retrying in %.0f s", self.url, exc, self._retry_delay)
        self._retry_at = now + self._retry_delay
        self._retry_delay = min(self._retry_delay * 2, 30.0)

    # -- sending ------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Queue one QoS 1 message; blocks while `backlog` messages await the broker's ack.

        While the broker is away, paho keeps what was queued and sends it on reconnect.
        """
        if not self.threaded and self._window.full():
            # let half the window drain before going on: one network turn serves many acks
            while self._window.used > self._window.limit // 2 and not self._closing:
                self.pump(0.05)
        while not self._window.take(timeout_s=1.0 if self.threaded else 0.0):
            if self._closing:
                raise TransportError("the MQTT link was closed while publishing")
            self.pump(0.05)
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        # without a connection paho keeps the message and sends it after reconnecting
        if info.rc not in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN, paho.MQTT_ERR_CONN_LOST):
            self._window.give()
            raise TransportError(f"publish to {topic!r} refused: {paho.error_string(info.rc)}")

    def wait_published(self, timeout_s: float = 30.0) -> bool:
        """Wait until every queued message has been acknowledged by the broker."""
        deadline = time.monotonic() + timeout_s
        while self.client.want_write() or self._inflight():
            if time.monotonic() >= deadline:
                return False
            self.pump(0.05)
        return True

    def _inflight(self) -> bool:
        return len(self.client._out_messages) > 0  # paho has no public count of unacked messages

    def follow(self, *filters: str) -> None:
        """Subscribe to more topic filters, now and after every reconnect."""
        new = [f for f in filters if f not in self.subscriptions]
        self.subscriptions = (*self.subscriptions, *new)
        if new and self._connected.is_set():
            self.client.subscribe([(f, 1) for f in new])

    def unfollow(self, *filters: str) -> None:
        """Unsubscribe from topic filters `follow` added."""
        gone = [f for f in filters if f in self.subscriptions]
        self.subscriptions = tuple(f for f in self.subscriptions if f not in gone)
        if gone and self._connected.is_set():
            self.client.unsubscribe(gone)

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
            self.refusal = str(reason)
            log.error("MQTT broker %s refused the connection: %s", self.url, reason)
            return
        self.generation += 1
        self.connects += 1
        self._retry_delay = 1.0
        self._window.fit(getattr(properties, "ReceiveMaximum", None))
        if self.subscriptions:
            _, mid = client.subscribe([(sub, 1) for sub in self.subscriptions])
            self._suback_mid = -1 if mid is None else mid
        else:
            self._connected.set()
        if self._on_connect is not None:
            self._on_connect()
        log.info("connected to %s (session present: %s)", self.url, flags.session_present)

    def _subscribed_cb(
        self,
        client: paho.Client,
        userdata: object,
        mid: int,
        reasons: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        if mid != self._suback_mid:
            return
        refused = [r for r in reasons if r.is_failure]
        if refused:
            log.error("MQTT broker %s refused our subscriptions: %s", self.url, refused)
        self._connected.set()  # ready: what is published from now on reaches us

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
