"""The devices' door in front of the real, secured Mosquitto: the lab pulls a device's plug
(the broker publishes its retained Last Will, reconnects are refused and noted, then let in),
a publish to another device's topic is noted with its topic, a flooding client is paced, and
whatever is not MQTT is closed while the door goes on serving."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from mewet.config import MqttUrl
from mewet.servers import Server, mosquitto
from mewet.transport.access import BrokerAccess, device_user
from mewet.transport.client import MqttLink, Received
from mewet.transport.gate import GateControl
from tests.support.door import Door, devices_door
from tests.support.helpers import eventually

ROOT = "mewet"


@dataclass
class Lab:
    server: Server
    access: BrokerAccess
    door: Door
    lab: MqttUrl

    @property
    def gate(self) -> GateControl:
        return GateControl(self.door.control)


@contextmanager
def lab_with_door(tmp_path: Path, **limits: str) -> Iterator[Lab]:
    access = BrokerAccess(tmp_path / "access", ROOT)
    lab_pw = access.grant("mewet-lab", "lab")
    server = mosquitto(tmp_path / "broker", secured=access.folder).start()
    access.reload = server.reload
    assert server.clients_port is not None
    try:
        with devices_door(
            tmp_path / "door", server.clients_port, access.folder, ROOT, **limits
        ) as d:
            yield Lab(server, access, d, MqttUrl("127.0.0.1", server.port, "mewet-lab", lab_pw))
    finally:
        server.stop()


def device(lab: Lab, home: str, name: str) -> tuple[paho.Client, list[str]]:
    """A company's device through the door (paho, MQTT 5): its Last Will `offline`, retained;
    `online` on every connect; reconnecting on its own (paho: 1 s doubling)."""
    user = device_user(home, name)
    password = lab.access.grant(user, "device", home=home, device=name)
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=user, protocol=paho.MQTTv5)
    client.username_pw_set(user, password)
    client.reconnect_delay_set(1, 30)
    status = f"{ROOT}/{home}/{name}/status"
    client.will_set(status, b"offline", qos=1, retain=True)
    connects: list[str] = []

    def on_connect(c: paho.Client, *_: object) -> None:
        connects.append(time.strftime("%T"))
        c.publish(status, b"online", qos=1, retain=True)

    client.on_connect = on_connect
    client.connect("127.0.0.1", lab.door.port)
    client.loop_start()
    eventually(lambda: connects, timeout_s=10)
    return client, connects


def watcher(lab: Lab, topic: str) -> tuple[MqttLink, list[Received]]:
    got: list[Received] = []
    link = MqttLink(lab.lab, "watch", on_message=got.append, subscriptions=(topic,), threaded=True)
    return link.connect(), got


def test_the_lab_pulls_a_device_s_plug_and_lets_it_back_in(tmp_path: Path) -> None:
    with lab_with_door(tmp_path) as lab:
        client, connects = device(lab, "acme", "bed-1")
        link, got = watcher(lab, f"{ROOT}/acme/bed-1/status")
        try:
            eventually(lambda: [m for m in got if m.payload == b"online"])
            user = device_user("acme", "bed-1")
            assert lab.gate.seen(user)["connected"] is True
            assert lab.gate.cut(user, for_s=60) == 1
            # the broker saw the connection lost, not a goodbye: it published the Will
            eventually(lambda: [m for m in got if m.payload == b"offline"], timeout_s=10)
            time.sleep(4)  # the device tries again, 1 and 2 s later: refused both times
            seen = lab.gate.seen(user)
            refused = [at for at, ok in seen["attempts"] if not ok]
            assert len(refused) >= 2 and seen["connected"] is False
            assert len(connects) == 1
            lab.gate.allow(user)
            eventually(lambda: len(connects) == 2, timeout_s=15)
            eventually(lambda: got[-1].payload == b"online")
            assert lab.gate.seen(user)["attempts"][-1][1] is True
        finally:
            link.close()
            client.loop_stop()


def test_a_publish_to_another_device_s_topic_is_noted_with_its_topic(tmp_path: Path) -> None:
    with lab_with_door(tmp_path) as lab:
        client, _ = device(lab, "acme", "bed-1")
        link, got = watcher(lab, f"{ROOT}/acme/#")
        try:
            client.publish(f"{ROOT}/acme/door-1/event", b"{}", qos=1)
            client.publish(f"{ROOT}/acme/bed-1/state", b'{"on": true}', qos=1, retain=True)
            eventually(lambda: [m for m in got if m.topic.endswith("bed-1/state")])
            refused = lab.gate.seen(device_user("acme", "bed-1"))["refused"]
            assert [(topic, why) for _, topic, why in refused] == [
                (f"{ROOT}/acme/door-1/event", "not_its_topic")
            ]
            assert not [m for m in got if "door-1" in m.topic]  # the broker refused it too
        finally:
            link.close()
            client.loop_stop()


def test_a_flooding_client_is_paced_and_loses_nothing(tmp_path: Path) -> None:
    with lab_with_door(
        tmp_path, device_messages_per_second="100", device_message_burst="20"
    ) as lab:
        client, _ = device(lab, "acme", "bed-1")
        link, got = watcher(lab, f"{ROOT}/acme/bed-1/telemetry")
        try:
            started = time.monotonic()
            for n in range(320):
                client.publish(f"{ROOT}/acme/bed-1/telemetry", str(n).encode(), qos=1)
            eventually(lambda: len(got) == 320, timeout_s=30)
            took = time.monotonic() - started
            assert took >= 2.5, took  # (320 - 20) / 100 per second: 3 s at least
            assert [int(m.payload) for m in got] == list(range(320))
        finally:
            link.close()
            client.loop_stop()


def _closed(port: int, send: bytes, wait_s: float = 5.0) -> bool:
    """Whether the door closes a connection that sent `send`."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait_s) as s:
        if send:
            s.sendall(send)
        try:
            return s.recv(1) == b""
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(b"GET / HTTP/1.1\r\nHost: lab\r\n\r\n", id="http"),
        pytest.param(b"\x30\x05\x00\x03abc", id="publish-before-connect"),
        pytest.param(b"\x10\xff\xff\xff\xff\x7f", id="length-over-four-bytes"),
        pytest.param(b"\x10\xff\xff\x7f", id="connect-of-2-MB"),
        pytest.param(b"\x10\x0c\x00\x04MQTT\x05\xc2\x00\x3c\x00\x7f", id="connect-cut-short"),
        pytest.param(b"", id="silent"),
    ],
)
def test_what_is_not_mqtt_is_closed_and_the_door_stays_open(tmp_path: Path, send: bytes) -> None:
    with lab_with_door(tmp_path, header_timeout_s="1") as lab:
        assert _closed(lab.door.port, send)
        client, connects = device(lab, "acme", "bed-1")  # the door still serves devices
        client.loop_stop()
        assert connects
        assert lab.gate.ask({"op": "cut"})["error"].startswith("not a request")
        assert "Traceback" not in lab.door.said()


def test_a_packet_over_the_broker_s_limit_ends_the_connection_at_the_door(tmp_path: Path) -> None:
    with lab_with_door(tmp_path) as lab:
        client, _ = device(lab, "acme", "bed-1")
        dropped = threading.Event()
        client.on_disconnect = lambda *a: dropped.set()
        try:
            client.publish(f"{ROOT}/acme/bed-1/telemetry", b"x" * (2 * 1024 * 1024), qos=0)
            assert dropped.wait(10)
        finally:
            client.loop_stop()


def test_one_address_holds_only_so_many_connections(tmp_path: Path) -> None:
    with lab_with_door(tmp_path, door_connections_per_address="8") as lab:
        held = [socket.create_connection(("127.0.0.1", lab.door.port)) for _ in range(8)]
        try:
            time.sleep(0.5)
            assert _closed(lab.door.port, b"\x10")  # the ninth: closed at once
        finally:
            for s in held:
                s.close()
        eventually(lambda: not _closed(lab.door.port, b"", wait_s=0.5))
