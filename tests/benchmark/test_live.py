"""A live benchmark as a company runs one: `mewet benchmark` plays homes on the real broker,
a small detector written here subscribes over MQTT and publishes its detections, the lab
scores them."""

from __future__ import annotations

import json
import subprocess
import threading
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from mewet.config import MqttUrl
from mewet.contract import Event, Kind, Topic, format_ts
from tests.cli.test_cli import mewet
from tests.support.helpers import unique_root

SHORT = """
id: short-fall
title: A fall soon after three
description: Six hours of night with a fall in the hall.
home: default
start: 2026-11-22T23:00:00+01:00
days: 0.25
seed: 1
incidents:
  - {type: fall, at: "02:10", room: hall, presses_button: 0}
"""


class Relay:
    """A company's 'algorithm': it trusts the lab's wristband and radar, five seconds late,
    and once the homes speak, it also sends two messages the lab must refuse."""

    def __init__(self, url: MqttUrl, root: str, out: Path) -> None:
        self.root = root
        self.out = out
        self.seen_truth_while_running = False
        self.relayed = 0
        self.nonsense_sent = False
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.client.on_message = self.on_message
        self.client.connect("127.0.0.1", url.port)
        self.client.subscribe(f"{root}/+/+/event", qos=1)
        self.client.loop_start()
        self.ready = threading.Event()

    def on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        topic = Topic.parse(msg.topic, self.root)
        if topic.home == "acme":
            return
        if self.relayed == 0 and not self.nonsense_sent:  # the lab listens now
            self.nonsense_sent = True
            self.detect("x", datetime.now(), b"{not json")
            self.detect("nowhere-1", datetime.now().astimezone())
        event = Event.model_validate_json(msg.payload)
        if event.event_type != "fall_detected":
            return
        self.seen_truth_while_running |= any(self.out.glob("*/truth.jsonl"))
        self.relayed += 1
        self.detect(topic.home, event.ts + timedelta(seconds=5))

    def detect(self, home: str, ts: datetime, payload: bytes | None = None) -> None:
        body = (
            payload
            or json.dumps(
                {
                    "id": f"acme-{self.relayed}-{home}",
                    "seq": self.relayed,
                    "ts": format_ts(ts),
                    "event_type": "fall_detected",
                    "severity": "alarm",
                    "data": {"home": home},
                }
            ).encode()
        )
        topic = str(Topic("acme", "detector", Kind.EVENT, root=self.root))
        self.client.publish(topic, body, qos=1)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def benchmark(url: MqttUrl, root: str, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`mewet benchmark` for the test's detector (acme/detector) at speed 3600, as JSON. Its
    window is wide: delays count on arrival, and at speed 3600 a tenth of a second on a busy
    machine is six minutes of the home's time, on top of the radar's own 60-150 s."""
    return mewet(
        "benchmark",
        "--detector",
        "acme/detector",
        *args,
        "--window",
        "1800",
        "--speed",
        "3600",
        "--out",
        str(out),
        "--mqtt",
        f"mqtt://127.0.0.1:{url.port}",
        "--json",
        env={"MEWET_TOPIC_ROOT": root},
    )


def test_a_benchmark_plays_live_and_scores_the_company_s_detector(
    mqtt_url: MqttUrl, tmp_path: Path
) -> None:
    root = unique_root()
    scenario = tmp_path / "short-fall.yaml"
    scenario.write_text(SHORT)
    out = tmp_path / "bench"
    relay = Relay(mqtt_url, root, out)
    # nonsense the lab must refuse, not crash on
    relay.detect("x", datetime.now(), b"{not json")
    relay.detect(
        "nowhere-1", datetime(2026, 11, 23, 2, 10, tzinfo=datetime.now().astimezone().tzinfo)
    )
    try:
        result = benchmark(mqtt_url, root, out, "--scenarios", str(scenario), "--seeds", "1-3")
    finally:
        relay.close()
    assert result.returncode == 0, result.stderr
    r = json.loads(result.stdout)
    assert "short-fall-1, short-fall-2, short-fall-3" in result.stderr  # what to subscribe to
    assert r["falls"] == 3 and r["runs"] == 3
    assert relay.relayed > 0 and not relay.seen_truth_while_running
    ref = r["reference"]
    # it relays the lab's detectors: the same falls found; it claims five seconds after
    # them, but delays are measured when its detections reach the lab (at speed 3600 a
    # millisecond is 3.6 s): never before the wristband it relays, whatever its ts says
    assert r["detected"] == ref["detected"] > 0
    assert r["false_alarms"] == ref["false_alarms"]
    assert r["delays_from"] == "arrival" and r["held_out"] is False
    assert r["delay_s"]["p50"] >= ref["delay_s"]["p50"]
    assert 20 <= ref["delay_s"]["p50"] <= 150  # the wristband's and the radar's own wait
    kept = [json.loads(line) for line in (out / "detections.jsonl").read_text().splitlines()]
    assert all(
        datetime.fromisoformat(d["claimed_ts"]) <= datetime.fromisoformat(d["ts"]) for d in kept
    )
    refused = [json.loads(line) for line in (out / "refused.jsonl").read_text().splitlines()]
    assert r["refused"] == 2 and len(refused) == 2
    assert any("not an event" in x["reason"] for x in refused)
    assert any("'nowhere-1' is not one of" in x["reason"] for x in refused)
    for home in ("short-fall-1", "short-fall-2", "short-fall-3"):
        assert (out / home / "truth.jsonl").is_file()
    assert "<svg" in (out / "report.html").read_text()
    assert len((out / "detections.jsonl").read_text().splitlines()) == relay.relayed
    # the same files score the same offline
    again = mewet(
        "score",
        "--truth",
        str(out),
        "--detections",
        str(out / "detections.jsonl"),
        "--window",
        "1800",  # the window the live run scored with
        "--json",
    )
    offline = json.loads(again.stdout)
    assert offline["sensitivity"] == r["sensitivity"] and offline["delay_s"] == r["delay_s"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--detector", "Acme Corp/x"], "detector home"),
        (["--detector", "acme/detector", "--scenarios", "no-such"], "no-such"),
        (["--detector", "acme/detector", "--seeds", "1-1000"], "at most 200"),
        (["--detector", "acme/detector", "--speed", "-1"], "--speed"),
    ],
)
def test_a_benchmark_with_bad_options_says_what_is_wrong(
    mqtt_url: MqttUrl, args: list[str], says: str
) -> None:
    result = mewet("benchmark", *args, "--mqtt", f"mqtt://127.0.0.1:{mqtt_url.port}")
    assert result.returncode == 2 and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
