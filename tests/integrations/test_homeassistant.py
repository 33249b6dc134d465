"""Home Assistant discovery: every payload valid against a schema of Home Assistant's
documented discovery fields and device classes, templates naming real keys, and published
retained over the real broker."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import jsonschema

from mewet.config import MqttUrl
from mewet.contract import Event, State, Telemetry, discovery_topic
from mewet.integrations.homeassistant import config, messages
from mewet.transport.client import MqttLink, Received
from tests.support.helpers import eventually, run_home, unique_root

SCHEMA = json.loads((Path(__file__).parent / "ha_discovery.schema.json").read_text())


def test_every_device_config_is_valid_discovery() -> None:
    sim, sink = run_home(hours=26)  # a day: every device measures, and sends heartbeats between
    validator = jsonschema.Draft202012Validator(SCHEMA)
    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined)  # Home Assistant's templates
    bodies: dict[str, list[Any]] = {}
    for m in sink.messages:
        if isinstance(m.payload, Telemetry | State):
            bodies.setdefault(str(m.topic), []).append(json.loads(m.encode()))
    events = {
        m.topic.device: m.payload.event_type for m in sink.messages if isinstance(m.payload, Event)
    }
    for device in sim.devices.values():
        payload = config(device)
        errors = [e.message for e in validator.iter_errors(payload)]
        assert not errors, (device.id, errors)
        assert payload["availability_topic"] == f"mewet/default/{device.id}/status"
        for name, component in payload["cmps"].items():
            if "value_template" in component:
                # rendered on every message the entity hears: never an error, and '' (which a
                # numeric sensor ignores) where a message lacks the channel (a battery-only
                # heartbeat of a scale); a real value from the device's own messages
                template = jinja.from_string(component["value_template"])
                heard = bodies[component["state_topic"]]
                shown = [template.render(value_json=b) for b in heard]
                real = [v for v in shown if v != ""]
                if len(real) < len(shown):
                    assert component.get("state_class") == "measurement", (device.id, name)
                assert real, (device.id, name)
                for value in real:
                    assert value in ("ON", "OFF") or math.isfinite(float(value)), (name, value)
            if component["p"] == "event" and device.id in events:
                assert events[device.id] in component["event_types"]
    kinds = {c["p"] for d in sim.devices.values() for c in config(d)["cmps"].values()}
    assert kinds == {"binary_sensor", "sensor", "event"}
    classes = {
        c.get("device_class") for d in sim.devices.values() for c in config(d)["cmps"].values()
    }
    assert {"door", "motion", "occupancy", "moisture", "smoke", "safety", "battery"} <= classes
    assert {"temperature", "humidity", "carbon_dioxide", "button"} <= classes


def test_simulate_publishes_discovery_retained(mqtt_url: MqttUrl) -> None:
    root = unique_root()
    done = subprocess.run(
        [sys.executable, "-m", "mewet", "simulate", "--mqtt", str(mqtt_url), "--duration", "5m",
         "--speed", "0", "--ha-discovery"],
        capture_output=True, text=True, check=False, timeout=120,
        env={"MEWET_TOPIC_ROOT": root, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    got: dict[str, dict[str, object]] = {}

    def keep(msg: Received) -> None:
        if msg.retain:
            got[msg.topic] = json.loads(msg.payload)

    link = MqttLink(
        mqtt_url, f"ha-{root}", on_message=keep, subscriptions=("homeassistant/device/+/config",)
    )
    link.connect()
    try:

        def all_came() -> bool:
            link.pump(0.1)
            return len(got) >= 26

        eventually(all_came, timeout_s=20, every_s=0)
    finally:
        link.close()
    sim, _ = run_home(hours=0)
    for device in sim.devices.values():
        topic = discovery_topic("default", device.id)
        assert topic in got and got[topic]["cmps"], topic
        ours = [m for t, m in messages([device], root) if t == topic]
        assert (
            ours and json.loads(ours[0])["availability_topic"] == (got[topic]["availability_topic"])
        )
