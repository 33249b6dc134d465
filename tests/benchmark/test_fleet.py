"""Fleets for load tests: a hundred homes on the real broker, every message valid and in
order; shards that split a fleet without overlap."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from mewet.benchmark.fleet import Fleet, Shard
from mewet.config import MqttUrl, load_settings
from mewet.contract import PAYLOAD_MODELS, Kind, Telemetry, Topic
from mewet.devices.homes import load_home
from mewet.errors import ConfigError
from tests.cli.test_cli import mewet
from tests.support.helpers import START, eventually, unique_root


class Listener:
    """Everything the fleet publishes, in arrival order."""

    def __init__(self, url: MqttUrl, root: str) -> None:
        self.root = root
        self.got: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.client.on_message = self.on_message
        self.client.connect("127.0.0.1", url.port)
        self.client.subscribe(f"{root}/#", qos=1)
        self.client.loop_start()

    def on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        with self.lock:
            self.got.append((msg.topic, bytes(msg.payload)))

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_a_fleet_of_100_homes_sends_valid_messages_in_order(mqtt_url: MqttUrl) -> None:
    root = unique_root()
    listener = Listener(mqtt_url, root)
    try:
        out = mewet(
            "simulate",
            "--homes",
            "100",
            "--duration",
            "20m",
            "--speed",
            "0",
            "--mqtt",
            f"mqtt://127.0.0.1:{mqtt_url.port}",
            env={"MEWET_TOPIC_ROOT": root},
            timeout=240,
        )
        assert out.returncode == 0, out.stderr
        sent = int(out.stdout.split()[1])
        eventually(lambda: len(listener.got) >= sent, timeout_s=60)
    finally:
        listener.close()
    assert len(listener.got) == sent
    homes: set[str] = set()
    last_seq: dict[tuple[str, str], int] = {}
    per_home: dict[str, int] = defaultdict(int)
    for name, payload in listener.got:
        topic = Topic.parse(name, root)
        homes.add(topic.home)
        per_home[topic.home] += 1
        if topic.kind is Kind.STATUS:
            assert payload in (b"online", b"offline")
            continue
        model = PAYLOAD_MODELS[topic.kind]
        body = model.model_validate_json(payload)  # raises if any message breaks the contract
        seq = getattr(body, "seq", None)
        if seq is not None and topic.kind in (Kind.TELEMETRY, Kind.EVENT):
            key = (topic.home, topic.device)
            assert seq > last_seq.get(key, -1), f"{key} out of order"
            last_seq[key] = seq
    assert homes == {f"default-{k:03d}" for k in range(1, 101)}
    assert (
        min(per_home.values()) > 26 * 3
    )  # each home: status, meta, state of 26 devices, then more


def test_a_fleet_switches_its_homes_on_one_after_the_other(mqtt_url: MqttUrl) -> None:
    """At speed 60 and 10 homes a second, home k switches on 6 sim seconds after home k-1: its
    devices' first readings are stamped from then on, and every home is on by the end."""
    root = unique_root()
    listener = Listener(mqtt_url, root)
    try:
        out = mewet(
            "simulate",
            *("--homes", "12", "--speed", "60", "--duration", "3m", "--starts-per-s", "10"),
            *("--start", START.isoformat(), "--mqtt", f"mqtt://127.0.0.1:{mqtt_url.port}"),
            env={"MEWET_TOPIC_ROOT": root},
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        assert "from 12 homes" in out.stdout
        sent = int(out.stdout.split()[1])
        eventually(lambda: len(listener.got) >= sent, timeout_s=60)
    finally:
        listener.close()
    first: dict[str, datetime] = {}
    for name, payload in listener.got:
        topic = Topic.parse(name, root)
        if topic.kind is Kind.TELEMETRY:
            ts = Telemetry.model_validate_json(payload).ts
            first[topic.home] = min(first.get(topic.home, ts), ts)
    assert len(first) == 12
    for k in range(1, 13):
        switched_on = START + timedelta(seconds=6 * (k - 1))
        assert switched_on <= first[f"default-{k:02d}"] < switched_on + timedelta(seconds=60)
    assert first["default-12"] - first["default-01"] > timedelta(seconds=40)


def test_shards_split_a_fleet_without_overlap() -> None:
    numbers = [set(Shard.parse(f"{i}/3").numbers(7)) for i in (1, 2, 3)]
    assert set().union(*numbers) == set(range(1, 8)) and sum(map(len, numbers)) == 7
    settings = load_settings(mqtt_url="mqtt://127.0.0.1:1")
    fleet = Fleet(settings, load_home("default"), 12, START, Shard(2, 4))
    assert [s.home.id for s in fleet.sims] == ["default-02", "default-06", "default-10"]
    assert [s.seed for s in fleet.sims] == [2, 6, 10]
    for bad in ("0/3", "4/3", "a/b", "1/"):
        with pytest.raises(ConfigError, match="--shard"):
            Shard.parse(bad)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--homes", "0"], "--homes 0"),
        (["--homes", "5", "--shard", "3/2"], "--shard"),
        (["--homes", "5", "--scenario", "night-fall"], "copies of a home"),
        (["--homes", "5", "--starts-per-s", "-1"], "--starts-per-s -1"),
        (["--homes", "5", "--starts-per-s", "inf"], "--starts-per-s inf"),
        (["--homes", "5", "--starts-per-s", "nan"], "--starts-per-s nan"),
    ],
)
def test_a_fleet_with_bad_options_says_what_is_wrong(
    tmp_path: Path, mqtt_url: MqttUrl, args: list[str], says: str
) -> None:
    out = mewet("simulate", *args, "--mqtt", f"mqtt://127.0.0.1:{mqtt_url.port}")
    assert out.returncode == 2 and says in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
