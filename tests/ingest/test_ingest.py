"""Ingest against the real Mosquitto and the stores: nothing lost, nothing kills it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from influxdb import InfluxDBClient

from mewet.config import IngestSettings, MqttUrl, StoreUrl
from mewet.contract.topics import Kind
from mewet.devices.homes import load_home
from mewet.ingest.service import Ingest
from mewet.scenarios.homesim import HomeSim, will_device
from mewet.servers import influxd, mosquitto
from mewet.sim.sink import MemorySink
from mewet.store.base import Store, open_store
from mewet.transport.client import MqttLink
from mewet.transport.sink import MqttSink
from tests.support.helpers import (
    START,
    event,
    eventually,
    publish_stream,
    publisher,
    telemetry,
    unique_root,
)

FAST = IngestSettings(batch_seconds=0.05, stats_every_s=0.5)


@contextmanager
def running_ingest(
    url: MqttUrl, store: Store, root: str, client_id: str | None = None, share: str | None = None
) -> Iterator[Ingest]:
    ingest = Ingest(
        url, store, FAST, root=root, client_id=client_id or f"ingest-{root}", share_group=share
    ).start()
    try:
        yield ingest
    finally:
        ingest.stop()


def stored(store: Store, home: str = "home-1") -> int:
    return store.count("telemetry", home) + store.count("event", home)


MALFORMED: list[tuple[str, bytes]] = [
    ("telemetry", b"{not json"),
    ("telemetry", b'{"v":1,"id":"a","ts":"2026-11-22T03:14:07Z","seq":1,"data":{"x":"72"}}'),
    ("telemetry", b'{"v":1,"id":"a","ts":"2026-11-22T03:14:07Z","seq":1,"data":{"x":NaN}}'),
    ("telemetry", b'{"v":1,"id":"a","ts":"2026-11-22T03:14:07Z","seq":1,"data":{"x":Infinity}}'),
    ("telemetry", b'{"v":1,"id":"a","seq":1,"data":{"x":1}}'),
    ("telemetry", b"\xc3\x28 invalid utf-8"),
    ("telemetry", b"z" * 200_000),
    ("blob", b"{}"),
    ("status", b"sleeping"),
]


def test_each_malformed_payload_is_a_dead_letter_and_ingest_stays_up(
    mqtt_url: MqttUrl, store: Store
) -> None:
    root = unique_root()
    link = publisher(mqtt_url)
    with running_ingest(mqtt_url, store, root) as ingest:
        for i, (kind, payload) in enumerate(MALFORMED):
            link.publish(f"{root}/home-1/vitals/{kind}", payload)
            link.publish(f"{root}/home-1/vitals/telemetry", telemetry(i))
        link.publish(f"{root}/home-1/vitals/too/deep/topic", b"{}")
        assert link.wait_published(30)
        eventually(lambda: stored(store) == len(MALFORMED))
        eventually(lambda: store.count("deadletter") == len(MALFORMED))
        assert ingest.counters.rejected == len(MALFORMED)
        assert ingest._worker is not None and ingest._worker.is_alive()
    link.close()
    reasons = " | ".join(d.reason for d in store.dead_letters(50))
    for expected in (
        "not valid JSON",
        "valid number",
        "finite number",
        "Field required",
        "not UTF-8",
        "too large",
        "unknown kind 'blob'",
        "status must be",
    ):
        assert expected in reasons


def test_simulated_home_end_to_end_with_zero_loss(mqtt_url: MqttUrl, influx_url: StoreUrl) -> None:
    """simulate → mosquitto → ingest → influxd: every message the run made is stored, once."""
    root = unique_root()
    home = load_home("default")
    expected = MemorySink()
    HomeSim(home, expected, 5, START, root).run(6 * 3600)
    want = {
        (m.topic.device, m.payload.id)
        for m in expected.messages
        if m.topic.kind in (Kind.TELEMETRY, Kind.EVENT)
    }
    store = open_store(influx_url)
    with running_ingest(mqtt_url, store, root):
        sink = MqttSink(mqtt_url, home.id, will_device(home), root=root, backlog=200).connect()
        sim = HomeSim(home, sink, 5, START, root)
        sim.run(6 * 3600)
        assert sink.close()
        eventually(lambda: stored(store, home.id) >= len(want), timeout_s=60)
    assert stored(store, home.id) == len(want)
    got = {(e.device, e.msg_id) for e in store.events(home.id, START, START.replace(year=2027))}
    assert got == {
        (m.topic.device, m.payload.id) for m in expected.messages if m.topic.kind is Kind.EVENT
    }
    # counted by seq: each device's stored seqs are exactly the ones it sent
    for device in ("vitals", "env-living", "stove-guard"):
        sent = [m.payload.seq for m in expected.of(device, "telemetry")]
        field = {"vitals": "heart_rate", "env-living": "co2", "stove-guard": "hob_temp"}[device]
        assert len(store.series(home.id, device, field, START, START.replace(year=2027))) == len(
            sent
        )
    views = store.devices(home.id)
    assert set(views) == {d.id for d in home.devices}
    assert views["lock-front"].type == "smart_lock" and views["lock-front"].room == "Hall"
    store.close()


def _ingest_process(
    mqtt: MqttUrl, store_url: str, root: str, client_id: str
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MEWET_TOPIC_ROOT": root, "MEWET_INGEST__BATCH_SECONDS": "0.05"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mewet",
            "ingest",
            "--mqtt",
            f"mqtt://{mqtt.host}:{mqtt.port}",
            "--store",
            store_url,
            "--client-id",
            client_id,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_subscribed(link: MqttLink, store: Store, root: str) -> None:
    """Probe until the ingest process has subscribed (what is sent before that is not ours)."""
    seq = iter(range(10**6))

    def probe() -> bool:
        link.publish(f"{root}/probe/probe/telemetry", telemetry(next(seq), "probe"))
        return stored(store, "probe") > 0

    eventually(probe, timeout_s=30, every_s=0.2)


def test_ingest_killed_mid_stream_loses_nothing_and_stores_nothing_twice(
    mqtt_url: MqttUrl, store_url: StoreUrl
) -> None:
    root = unique_root()
    url = (
        f"sqlite:///{store_url.path}"
        if store_url.backend == "sqlite"
        else f"influxdb://{store_url.host}:{store_url.port}/{store_url.database}"
    )
    store = open_store(store_url)
    proc = _ingest_process(mqtt_url, url, root, f"kill-{root}")
    link = publisher(mqtt_url)
    total = 6000
    try:
        wait_subscribed(link, store, root)
        for start in range(0, total, 500):
            publish_stream(link, root, "home-1", "vitals", range(start, start + 500))
            if start == 3000:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
        mid = stored(store)
        assert mid < total  # killed before it could have written everything
        proc = _ingest_process(mqtt_url, url, root, f"kill-{root}")
        eventually(lambda: stored(store) == total, timeout_s=60)
        seqs = [
            v
            for _, v in store.series(
                "home-1", "vitals", "heart_rate", START, START.replace(year=2027)
            )
        ]
        assert len(seqs) == total
    finally:
        link.close()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        store.close()
    assert proc.returncode == 0, err.decode()


@pytest.mark.slow
def test_influxd_down_for_30_s_mid_stream_loses_nothing(mqtt_url: MqttUrl, tmp_path: Path) -> None:
    root = unique_root()
    server = influxd(tmp_path / "influxd").start()
    url = StoreUrl("influxdb", host="127.0.0.1", port=server.port, database="outage")
    store = open_store(url)
    link = publisher(mqtt_url)
    try:
        with running_ingest(mqtt_url, store, root) as ingest:
            publish_stream(link, root, "home-1", "vitals", range(0, 2000))
            eventually(lambda: stored(store) == 2000)
            server.stop()
            down_at = time.monotonic()
            publish_stream(link, root, "home-1", "vitals", range(2000, 5000))
            while time.monotonic() - down_at < 30:
                time.sleep(1)
                assert ingest._worker is not None and ingest._worker.is_alive()
            server.start()
            publish_stream(link, root, "home-1", "vitals", range(5000, 6000))
            eventually(lambda: stored(store) == 6000, timeout_s=90)
            assert ingest.counters.gaps == 0
    finally:
        link.close()
        store.close()
        server.stop()


def test_shared_subscription_splits_the_load_and_stores_everything_once(
    mqtt_url: MqttUrl, tmp_path: Path
) -> None:
    root = unique_root()
    store = open_store(StoreUrl("sqlite", path=tmp_path / "shared.db"))
    link = publisher(mqtt_url)
    with (
        running_ingest(mqtt_url, store, root, "share-a", share="grp") as a,
        running_ingest(mqtt_url, store, root, "share-b", share="grp") as b,
    ):
        publish_stream(link, root, "home-1", "vitals", range(0, 4000))
        eventually(lambda: stored(store) == 4000)
        assert a.counters.received > 0 and b.counters.received > 0
        assert a.counters.received + b.counters.received == 4000
    link.close()
    store.close()


def test_redelivered_messages_are_written_once_and_counted(mqtt_url: MqttUrl, store: Store) -> None:
    root = unique_root()
    link = publisher(mqtt_url)
    with running_ingest(mqtt_url, store, root) as ingest:
        publish_stream(link, root, "home-1", "vitals", range(0, 50))
        publish_stream(link, root, "home-1", "vitals", range(20, 50))  # the same ids again
        publish_stream(link, root, "home-1", "vitals", range(60, 70))  # 50..59 lost
        eventually(lambda: ingest.counters.received == 90)
        eventually(lambda: stored(store) == 60)
        assert ingest.counters.duplicates == 30
        assert ingest.counters.gaps == 10
    link.close()
    stats = store.stats()
    assert [(s.received, s.duplicates, s.gaps) for s in stats] == [(90, 30, 10)]


def test_broker_restart_mid_stream_publisher_and_ingest_reconnect_and_lose_nothing(
    tmp_path: Path,
) -> None:
    server = mosquitto(tmp_path / "broker").start()
    url = MqttUrl("127.0.0.1", server.port)
    root = unique_root()
    store = open_store(StoreUrl("sqlite", path=tmp_path / "restart.db"))
    link = publisher(url)
    try:
        with running_ingest(url, store, root) as ingest:
            publish_stream(link, root, "home-1", "vitals", range(0, 1000))
            eventually(lambda: stored(store) == 1000)
            server.stop()
            sender = threading.Thread(
                target=publish_stream, args=(link, root, "home-1", "vitals", range(1000, 3000))
            )
            sender.start()  # blocks once its window is full, retrying the broker with backoff
            time.sleep(3)
            assert sender.is_alive()
            server.start()
            sender.join(90)
            assert not sender.is_alive()
            eventually(lambda: stored(store) == 3000, timeout_s=90)
            assert link.connects >= 2 and ingest.link.connects >= 2
            assert ingest.counters.gaps == 0
    finally:
        link.close()
        store.close()
        server.stop()


def test_a_point_the_store_refuses_becomes_a_dead_letter_and_the_rest_is_stored(
    mqtt_url: MqttUrl, influx_url: StoreUrl
) -> None:
    """Another writer fixed `heart_rate` as an integer field: InfluxDB refuses our floats."""
    root = unique_root()
    store = open_store(influx_url)
    client = InfluxDBClient(influx_url.host, influx_url.port, database=influx_url.database)
    client.create_database(influx_url.database)
    at = int(START.timestamp()) * 10**9  # InfluxDB checks field types per shard (a week)
    client.write(
        [f"telemetry,home=home-1,device=other,type=x heart_rate=5i {at}"],
        params={"db": influx_url.database},
        protocol="line",
    )
    link = publisher(mqtt_url)
    with running_ingest(mqtt_url, store, root) as ingest:
        link.publish(f"{root}/home-1/vitals/telemetry", telemetry(1))
        link.publish(f"{root}/home-1/vitals/event", event(2, "vitals"))
        assert link.wait_published(10)
        eventually(lambda: store.count("deadletter") == 1)
        eventually(lambda: store.count("event", "home-1") == 1)
        assert ingest.counters.rejected == 1 and ingest.counters.written >= 1
        assert ingest._worker is not None and ingest._worker.is_alive()
    link.close()
    letter = store.dead_letters()[0]
    assert letter.topic == f"{root}/home-1/vitals/telemetry"
    assert "store refused" in letter.reason and "field type conflict" in letter.reason
    store.close()
