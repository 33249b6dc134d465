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
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from mewet.config import MqttUrl
from mewet.errors import TransportError

if TYPE_CHECKING:
    from paho.mqtt.client import _OutPacket  # paho's queued packet (typing only)

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


_PUBACK_OK = ReasonCode(PacketTypes.PUBACK, "Success")


def _nothing(*_: Any) -> None:
    """A callback with nothing to do."""


_NO_PROPERTIES = Properties(PacketTypes.PUBACK)  # type: ignore[no-untyped-call]
_NO_PUBLISH_PROPERTIES = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]


class BufferedClient(paho.Client):
    """paho's client with two shortcuts on the hot path of QoS 1 publishing.

    - It reads the socket 64 KiB at a time (paho does two or three `recv` calls per packet)
      and drains that buffer in the same `loop_read`, as `select` cannot see it.
    - A plain PUBACK (success, no properties: what brokers send nearly always) is taken
      without building a ReasonCode and a Properties object for it; likewise a QoS 1
      PUBLISH without properties is read without building a Properties object.

    Only private paho methods are replaced; the project pins paho below 3, and every
    transport and ingest test runs through this class.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._rbuf = bytearray()
        super().__init__(*args, **kwargs)

    def _sock_recv(self, bufsize: int) -> bytes:
        if not self._rbuf:
            chunk = super()._sock_recv(65536)
            if not chunk:
                return b""
            self._rbuf += chunk
        out = bytes(self._rbuf[:bufsize])
        del self._rbuf[:bufsize]
        return out

    def _handle_pubackcomp(self, cmd: Literal["PUBACK", "PUBCOMP"]) -> MQTTErrorCode:
        packet = self._in_packet["packet"]
        # packet id, then optionally reason code 0 (success) and property length 0
        if cmd != "PUBACK" or len(packet) not in (2, 3, 4) or any(packet[2:]):
            return super()._handle_pubackcomp(cmd)
        (mid,) = struct.unpack_from("!H", packet)
        with self._out_message_mutex:
            if mid in self._out_messages:
                return self._do_on_publish(mid, _PUBACK_OK, _NO_PROPERTIES)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _handle_publish(self) -> MQTTErrorCode:
        header: int = self._in_packet["command"]
        packet = self._in_packet["packet"]
        if self._protocol != paho.MQTTv5 or (header & 0x06) >> 1 != 1 or len(packet) < 2:
            return super()._handle_publish()
        (topic_len,) = struct.unpack_from("!H", packet)
        pos = 2 + topic_len  # then the packet id (2 bytes) and the property length
        if len(packet) < pos + 3 or packet[pos + 2] != 0:
            return super()._handle_publish()
        (mid,) = struct.unpack_from("!H", packet, pos)
        message = paho.MQTTMessage(mid=mid, topic=bytes(packet[2:pos]))
        message.dup = bool(header & 0x08)
        message.qos = 1
        message.retain = bool(header & 0x01)
        message.properties = _NO_PUBLISH_PROPERTIES
        message.payload = bytes(packet[pos + 3 :])
        message.timestamp = time.monotonic()
        self._handle_on_message(message)
        if self._manual_ack:
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        return self._send_puback(mid)

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """Read packets until neither the socket nor the read-ahead buffer holds any."""
        rc = super().loop_read(max_packets)
        while rc == paho.MQTT_ERR_SUCCESS and self._rbuf and self._sock is not None:
            rc = super().loop_read(max_packets)
        return rc

    def _packet_write(self) -> MQTTErrorCode:
        """Send queued QoS 1 PUBLISH and PUBACK packets many to a `send` (up to 64 KiB):
        paho sends each packet with a system call of its own. Anything else (a packet begun,
        a QoS 0 publish, whose callback comes on sending, a DISCONNECT) goes paho's way."""
        out = self._out_packet
        while len(out) > 1:
            batch: list[_OutPacket] = []
            size = 0
            while out and size < 65536:
                packet = out[0]
                kind = packet["command"] & 0xF0
                if packet["pos"] or not (
                    kind == paho.PUBACK or (kind == paho.PUBLISH and packet["qos"] > 0)
                ):
                    break
                batch.append(out.popleft())
                size += len(packet["packet"])
            if len(batch) < 2:
                out.extendleft(reversed(batch))
                break
            try:
                sent = self._sock_send(b"".join(bytes(p["packet"]) for p in batch))
            except BlockingIOError:
                out.extendleft(reversed(batch))
                return MQTTErrorCode.MQTT_ERR_AGAIN
            except (AttributeError, ValueError, OSError):
                out.extendleft(reversed(batch))  # paho's own way says what went wrong
                break
            with self._msgtime_mutex:
                self._last_msg_out = time.monotonic()
            unsent = []
            for packet in batch:
                length = len(packet["packet"])
                if sent >= length:
                    sent -= length
                    packet["pos"], packet["to_process"] = length, 0
                    continue
                packet["pos"] += sent
                packet["to_process"] -= sent
                sent = 0
                unsent.append(packet)
            if unsent:  # the socket took part of it: the rest when it is writable again
                out.extendleft(reversed(unsent))
                return MQTTErrorCode.MQTT_ERR_SUCCESS
        return super()._packet_write()

    def loop(self, timeout: float = 1.0) -> MQTTErrorCode:
        """One network turn of a driven client, without paho's wake-up socket pair: `loop`
        makes one so that a publish from another thread can wake its `select`, and then
        writes a byte into it on every publish, a system call per message (over a quarter
        of the exercises' thread under load). A driven link publishes and pumps on one
        thread."""
        return self._loop(timeout)

    def reconnect(self) -> MQTTErrorCode:
        """A new connection starts with an empty buffer."""
        self._rbuf.clear()
        return super().reconnect()


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

    def full(self) -> bool:
        """Whether every slot is taken."""
        return self.used >= self.limit

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
