"""Home Assistant MQTT discovery: one retained device-based config per device of a home.

`homeassistant/device/<home>_<device>/config` describes the device (`dev`), the lab as its
origin (`o`), its availability (the device's `status` topic) and its entities (`cmps`): a
binary sensor per on/off state key, a sensor per telemetry channel (battery from the state),
and an `event` entity for the device's events (the contract's event payload is valid for
Home Assistant as-is: it has `event_type`). Device classes come from Home Assistant's
documented lists.
"""

from __future__ import annotations

import json
from typing import Any

from mewet import __version__
from mewet.contract import DEFAULT_ROOT, Kind, Topic, discovery_topic
from mewet.devices.base import Device

# state keys shown as binary sensors, with their device class (None: no class)
BINARY: dict[str, str | None] = {
    "motion": "motion",
    "open": "door",
    "occupied": "occupancy",
    "smoke": "smoke",
    "leak": "moisture",
    "alarm": "safety",
    "locked": "lock",  # Home Assistant's lock class: on means unlocked
    "worn": None,
    "power": "power",
    "cooking": "heat",
    "relay": "power",
    "in_use": "running",
    "dose_pending": "problem",
    "silenced": None,
}
# sensor device classes by unit (Home Assistant's sensor device classes)
BY_UNIT = {
    "°C": "temperature",
    "%RH": "humidity",
    "ppm": "carbon_dioxide",
    "W": "power",
    "kWh": "energy",
    "kg": "weight",
    "dBm": "signal_strength",
    "s": "duration",
}
UNITS = {"%RH": "%"}  # Home Assistant's unit for humidity
TOTALS = {"energy", "steps"}


def config(device: Device, root: str = DEFAULT_ROOT) -> dict[str, Any]:
    """The device-based discovery config of one simulated device."""
    home = device.world.home.id
    uid = f"{home}_{device.id}"
    topic = {k: str(Topic(home, device.id, k, root=root)) for k in Kind if k is not Kind.CMD}
    components: dict[str, dict[str, Any]] = {}
    for key, state in device.initial_state().items():
        if key in BINARY and isinstance(state, bool):
            on = "not value_json.locked" if key == "locked" else f"value_json.{key}"
            component: dict[str, Any] = {
                "p": "binary_sensor",
                "name": key.replace("_", " "),
                "unique_id": f"{uid}_{key}",
                "state_topic": topic[Kind.STATE],
                "value_template": f"{{{{ 'ON' if {on} else 'OFF' }}}}",
            }
            if BINARY[key] is not None:
                component["device_class"] = BINARY[key]
            components[key] = component
    for channel in device.spec.channels_for(device.faults):
        battery = channel.name == "battery"
        # a telemetry message need not carry every channel (a scale's hourly heartbeat has its
        # battery only): then the template gives '', which a numeric sensor (state_class set)
        # ignores, keeping its state, where a missing key would log an error in Home Assistant
        value = (
            "value_json.battery"
            if battery
            else f"value_json.data.{channel.name} if '{channel.name}' in value_json.data else ''"
        )
        component = {
            "p": "sensor",
            "name": channel.name.replace("_", " "),
            "unique_id": f"{uid}_{channel.name}",
            "state_topic": topic[Kind.STATE] if battery else topic[Kind.TELEMETRY],
            "value_template": f"{{{{ {value} }}}}",
            "unit_of_measurement": UNITS.get(channel.unit, channel.unit),
            "state_class": "total_increasing" if channel.name in TOTALS else "measurement",
        }
        device_class = "battery" if battery else BY_UNIT.get(channel.unit)
        if device_class is not None:
            component["device_class"] = device_class
        if battery:
            component["entity_category"] = "diagnostic"
        components[channel.name] = component
    events = list(device.spec.events_for(device.faults))
    if events:
        component = {
            "p": "event",
            "name": "events",
            "unique_id": f"{uid}_events",
            "state_topic": topic[Kind.EVENT],
            "event_types": events,
        }
        if device.spec.type == "wristband":
            component["device_class"] = "button"
        components["events"] = component
    return {
        "dev": {
            "ids": [uid],
            "name": f"{home} {device.id}",
            "mf": "MeWeT lab (simulated)",
            "mdl": device.model,
            "sw": "sim-1",
            "sa": device.room.replace("-", " "),
        },
        "o": {"name": "MeWeT lab", "sw": __version__},
        "availability_topic": topic[Kind.STATUS],
        "payload_available": "online",
        "payload_not_available": "offline",
        "qos": 1,
        "cmps": components,
    }


def messages(devices: list[Device], root: str = DEFAULT_ROOT) -> list[tuple[str, bytes]]:
    """(topic, payload) of every device's discovery config, to publish retained."""
    return [
        (
            discovery_topic(d.world.home.id, d.id),
            json.dumps(config(d, root), separators=(",", ":")).encode(),
        )
        for d in devices
    ]
