"""paho's client with two shortcuts on the hot path of QoS 1 publishing (see BufferedClient)."""

from __future__ import annotations

import struct
import time
from typing import TYPE_CHECKING, Any, Literal

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

if TYPE_CHECKING:
    from paho.mqtt.client import _OutPacket  # paho's queued packet (typing only)

_PUBACK_OK = ReasonCode(PacketTypes.PUBACK, "Success")


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
