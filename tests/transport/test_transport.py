"""The MQTT link against a real Mosquitto: Last Will, retained birth, bounded backlog."""

from __future__ import annotations

import getpass
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from mewet.config import MqttUrl
from mewet.devices.homes import load_home
from mewet.errors import TransportError
from mewet.scenarios.homesim import HomeSim, will_device
from mewet.servers import LAB_BROKER_SETTINGS, Server, find_program, free_port, mosquitto
from mewet.sim.sink import MemorySink
from mewet.transport.client import MqttLink, Received
from mewet.transport.sink import MqttSink
from tests.support.helpers import REPO, START, eventually, telemetry, unique_root


def collect(url: MqttUrl, topic_filter: str) -> tuple[MqttLink, list[Received]]:
    got: list[Received] = []
    link = MqttLink(
        url, "", on_message=got.append, subscriptions=(topic_filter,), threaded=True
    ).connect()
    return link, got


def test_a_home_announces_itself_retained_and_its_will_marks_the_gateway_offline(
    mqtt_url: MqttUrl,
) -> None:
    root = unique_root()
    home = load_home("default")
    sink = MqttSink(mqtt_url, home.id, will_device(home), root=root)
    sink.connect()
    sim = HomeSim(home, sink, 1, START, root)
    sim.run(60)
    assert sink.link.wait_published(10)
    # a late subscriber gets every device's retained status, meta and state at once
    late, got = collect(mqtt_url, f"{root}/{home.id}/+/+")
    eventually(lambda: len({(m.topic) for m in got if m.retain}) >= 3 * len(home.devices))
    statuses = {m.topic.split("/")[2]: m.payload for m in got if m.topic.endswith("/status")}
    assert set(statuses.values()) == {b"online"} and len(statuses) == len(home.devices)
    # the simulator vanishes without a goodbye: the broker publishes the Last Will
    sink.link.client._sock_close()  # an abrupt loss of the connection, no DISCONNECT sent
    eventually(
        lambda: any(
            m.topic == f"{root}/{home.id}/gateway/status" and m.payload == b"offline" for m in got
        ),
        timeout_s=60,
    )
    late.close()


def test_commands_over_mqtt_reach_the_device_and_the_result_comes_back(mqtt_url: MqttUrl) -> None:
    root = unique_root()
    home = load_home("default")
    sink = MqttSink(mqtt_url, home.id, will_device(home), root=root).connect()
    sim = HomeSim(home, sink, 1, START, root)
    sim.run(10)
    watcher, got = collect(mqtt_url, f"{root}/{home.id}/lock-front/event")
    cmd = b'{"v":1,"id":"c-42","ts":"2026-11-22T06:00:10.000Z","args":{"key":"home-care-3"}}'
    watcher.publish(f"{root}/{home.id}/lock-front/cmd/unlock", cmd)
    watcher.publish(f"{root}/{home.id}/lock-front/cmd/unlock", b"not json")  # ignored, logged

    def received() -> bool:
        sink.pump()  # the simulation pumps its link between steps
        return not sink.commands.empty()

    eventually(received)
    topic, command = sink.commands.get()
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        sink.pump()
    assert sink.commands.empty()  # the broken command was refused, not queued
    sim.command(topic, command)
    sim.run(20)
    eventually(lambda: any(b'"ref":"c-42"' in m.payload for m in got))
    assert any(b'"key":"home-care-3"' in m.payload for m in got)
    sink.close()
    watcher.close()


def test_a_stalled_broker_blocks_the_publisher_at_the_backlog_bound(tmp_path: Path) -> None:
    server = mosquitto(tmp_path / "stalled").start()
    url = MqttUrl("127.0.0.1", server.port)
    link = MqttLink(url, "backlog-test", backlog=50).connect()
    sent = 0
    stop = threading.Event()

    def produce() -> None:
        nonlocal sent
        for seq in range(500):
            if stop.is_set():
                return
            link.publish("mewet/h/d/telemetry", telemetry(seq))
            sent += 1

    try:
        assert server.proc is not None
        server.proc.send_signal(signal.SIGSTOP)  # the broker stops reading: a slow broker
        worker = threading.Thread(target=produce, daemon=True)
        worker.start()
        time.sleep(2)
        assert sent == 50  # blocked at the bound, memory does not grow
        server.proc.send_signal(signal.SIGCONT)
        worker.join(30)
        assert sent == 500
        assert link.wait_published(30)
    finally:
        stop.set()
        if server.proc is not None:
            server.proc.send_signal(signal.SIGCONT)
        link.close()
        server.stop()


def test_a_batched_link_sends_everything_in_order_when_the_socket_takes_only_part(
    tmp_path: Path,
) -> None:
    """A fleet's link sends many messages to a system call; with the broker stalled the socket
    fills and takes a batch only in part: every message still arrives whole, once, in order."""
    server = mosquitto(tmp_path / "batched").start()
    url = MqttUrl("127.0.0.1", server.port)
    watcher, got = collect(url, "mewet/h/#")
    link = MqttLink(url, "batched-test", backlog=2000, batched=True).connect()
    payloads = [f"{seq:08d}".encode() * 1000 for seq in range(3000)]  # 8 KB each, 24 MB
    try:
        assert server.proc is not None
        server.proc.send_signal(signal.SIGSTOP)

        def produce() -> None:
            for payload in payloads:
                link.publish("mewet/h/d/telemetry", payload)

        worker = threading.Thread(target=produce, daemon=True)
        worker.start()
        time.sleep(1)
        server.proc.send_signal(signal.SIGCONT)
        worker.join(60)
        assert link.wait_published(60)
        eventually(lambda: len(got) >= len(payloads), timeout_s=60)
        assert [m.payload for m in got] == payloads
    finally:
        if server.proc is not None:
            server.proc.send_signal(signal.SIGCONT)
        link.close()
        watcher.close()
        server.stop()


def test_memory_sink_and_mqtt_sink_see_the_same_messages(mqtt_url: MqttUrl) -> None:
    root = unique_root()
    home = load_home("default")
    memory = MemorySink()
    HomeSim(home, memory, 2, START, root).run(1800)
    watcher, got = collect(mqtt_url, f"{root}/#")
    sink = MqttSink(mqtt_url, home.id, will_device(home), root=root).connect()
    HomeSim(home, sink, 2, START, root).run(1800)
    assert sink.close()
    eventually(lambda: len(got) >= len(memory.messages))
    assert [(m.topic, m.payload) for m in got] == [
        (str(m.topic), m.encode()) for m in memory.messages
    ]
    watcher.close()


def test_the_broker_config_in_the_repository_carries_what_the_lab_needs() -> None:
    conf = (REPO / "broker" / "mosquitto.conf").read_text()
    lines = {line.strip() for line in conf.splitlines()}
    for setting in LAB_BROKER_SETTINGS:
        assert setting in lines, setting


def test_a_broker_that_refuses_us_says_why(tmp_path: Path) -> None:
    port = free_port()
    conf = tmp_path / "locked.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous false\nuser {getpass.getuser()}\n")
    server = Server(
        "mosquitto", tmp_path, port, [find_program("mosquitto", "mosquitto"), "-c", str(conf)]
    )
    server.start()
    try:
        with pytest.raises(TransportError, match="refused us: Not authorized"):
            MqttLink(MqttUrl("127.0.0.1", port, "ann", "wrong"), "refused").connect()
    finally:
        server.stop()


def test_a_wait_that_ran_out_before_it_began_does_not_kill_the_caller(mqtt_url: MqttUrl) -> None:
    """Ingest pumps the link while it waits to retry a store write; on a loaded machine the
    time left could be negative by the time it asked, and paho raised, ending ingest."""
    link = MqttLink(mqtt_url, "pump-negative").connect()
    try:
        link.pump(-0.004)
        link.publish(f"{unique_root()}/h/d/telemetry", b"{}")
        link.pump(0.05)
        assert link.client.is_connected()
    finally:
        link.close()


def _mqtt_packet(kind: int, body: bytes, length: int | None = None) -> bytes:
    """An MQTT packet: its type byte, the remaining length (variable-length integer), the body."""
    n, header = len(body) if length is None else length, bytearray([kind])
    while True:
        digit, n = n % 128, n // 128
        header.append(digit | (128 if n else 0))
        if not n:
            return bytes(header) + body


def _push_until_closed(s: socket.socket, total: int) -> int:
    """Send up to `total` bytes; how many went before the other side closed the connection."""
    sent, chunk = 0, b"x" * 65536
    try:
        while sent < total:
            s.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return sent


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_the_broker_refuses_a_huge_message_before_reading_it(broker: Server) -> None:
    """Three publishes announcing 200 MB each (the attack of the 'safe to open' test): the
    broker closes each connection at the header instead of taking it in, its memory stays
    where it was, and a message within the limit still goes through."""
    assert broker.pid is not None
    before = _rss_kb(broker.pid)
    connect = b"\x00\x04MQTT\x04\x02\x00\x3c" + b"\x00\x04huge"
    topic = b"\x00\x12mewet/acme/x/event"
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", broker.port), timeout=10) as s:
            s.sendall(_mqtt_packet(0x10, connect))
            assert s.recv(4)[:1] == b"\x20"  # CONNACK
            s.sendall(_mqtt_packet(0x30, topic, length=len(topic) + 200 * 1024 * 1024))
            sent = _push_until_closed(s, 200 * 1024 * 1024)
            assert sent < 64 * 1024 * 1024
    assert _rss_kb(broker.pid) - before < 20 * 1024  # not the 900 MB the attack took
    got: list[bytes] = []
    url = MqttUrl("127.0.0.1", broker.port)
    sub = MqttLink(
        url,
        "sub-huge",
        on_message=lambda m: got.append(m.payload),
        subscriptions=("huge/#",),
        threaded=True,
    ).connect()
    pub = MqttLink(url, "pub-huge").connect()
    try:
        pub.publish("huge/ok", b"y" * 500_000)  # over the contract's 64 KiB: ingest's to refuse
        pub.pump(5)
        eventually(lambda: got == [b"y" * 500_000], timeout_s=10)
    finally:
        pub.close()
        sub.close()
