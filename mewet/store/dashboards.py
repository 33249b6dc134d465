"""The Grafana dashboards of a deployment, built from the code's own names.

Measurements, tags and fields come from the InfluxDB store (what ingest writes), channel and
event names from the device catalogue: `mewet dashboards --out dashboards/` writes the JSON
files Grafana provisions, and a test keeps the committed files equal to these and runs every
panel's query against a real influxd after a seeded scenario.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mewet.devices.catalogue import CATALOGUE
from mewet.store import influx as m

DATASOURCE = {"type": "influxdb", "uid": "mewet-influx"}
HOME = '"home" =~ /^$home$/'


@dataclass(frozen=True)
class Panel:
    """One panel: a title, its kind (timeseries, table, stat) and its InfluxQL queries."""

    title: str
    kind: str
    queries: tuple[str, ...]
    description: str = ""


def _channel(device_type: str, name: str) -> str:
    """A channel name, checked against the catalogue."""
    names = {c.name for c in CATALOGUE[device_type].channels}
    assert name in names, f"{device_type} has no channel {name}"
    return name


def _event(device_type: str, name: str) -> str:
    """An event name, checked against the catalogue."""
    assert name in CATALOGUE[device_type].all_events, f"{device_type} has no event {name}"
    return name


def _series(field: str, device_type: str, agg: str = "mean") -> str:
    return (
        f'SELECT {agg}("{field}") FROM "{m.TELEMETRY}" WHERE {HOME} AND "type" = '
        f"'{device_type}' AND $timeFilter GROUP BY time($__interval) fill(none)"
    )


def dashboards() -> dict[str, dict[str, Any]]:
    """Every dashboard, by file name."""
    motion = _event("motion", "motion_detected")
    unlocked = _event("smart_lock", "unlocked")
    hr = _channel("vitals", "heart_rate")
    boards = {
        "home-overview": (
            "MeWeT: home overview",
            [
                Panel(
                    "Where the resident is: motion by room",
                    "timeseries",
                    (
                        f'SELECT count("seq") FROM "{m.EVENT}" WHERE {HOME} AND "event_type" = '
                        f"'{motion}' AND $timeFilter GROUP BY time($__interval), \"device\" "
                        "fill(0)",
                    ),
                ),
                Panel(
                    "Devices online",
                    "table",
                    (
                        f'SELECT last("value") FROM "{m.STATUS}" WHERE {HOME} AND $timeFilter '
                        'GROUP BY "device"',
                    ),
                ),
                Panel(
                    "Device state",
                    "table",
                    (
                        f'SELECT last("value") FROM "{m.STATE}" WHERE {HOME} AND $timeFilter '
                        'GROUP BY "device"',
                    ),
                ),
                Panel(
                    "Batteries (%)",
                    "table",
                    (
                        f'SELECT last("battery") FROM "{m.TELEMETRY}" WHERE {HOME} AND '
                        '$timeFilter GROUP BY "device"',
                    ),
                ),
                Panel(
                    "Alarms",
                    "table",
                    (
                        f'SELECT "severity", "data" FROM "{m.EVENT}" WHERE {HOME} AND '
                        '"severity" = \'alarm\' AND $timeFilter GROUP BY "device", '
                        '"event_type"',
                    ),
                ),
            ],
        ),
        "vitals": (
            "MeWeT: vitals",
            [
                Panel("Heart rate (bpm)", "timeseries", (_series(hr, "vitals"),)),
                Panel("SpO2 (%)", "timeseries", (_series(_channel("vitals", "spo2"), "vitals"),)),
                Panel(
                    "Skin temperature (°C)",
                    "timeseries",
                    (_series(_channel("vitals", "skin_temp"), "vitals"),),
                ),
                Panel(
                    "Blood pressure (mmHg)",
                    "timeseries",
                    (
                        _series(_channel("blood_pressure", "systolic"), "blood_pressure", "max"),
                        _series(_channel("blood_pressure", "diastolic"), "blood_pressure", "max"),
                    ),
                ),
                Panel(
                    "Weight (kg)",
                    "timeseries",
                    (_series(_channel("scale", "weight"), "scale", "last"),),
                ),
            ],
        ),
        "care-timeline": (
            "MeWeT: care timeline (as the sensors saw it)",
            [
                Panel(
                    "Alarms by type",
                    "timeseries",
                    (
                        f'SELECT count("seq") FROM "{m.EVENT}" WHERE {HOME} AND "severity" = '
                        "'alarm' AND $timeFilter GROUP BY time($__interval), \"event_type\" "
                        "fill(0)",
                    ),
                ),
                Panel(
                    "Front door: who opened the lock",
                    "table",
                    (
                        f'SELECT "data" FROM "{m.EVENT}" WHERE {HOME} AND "event_type" = '
                        f"'{unlocked}' AND $timeFilter",
                    ),
                ),
                Panel(
                    "Medication dispenser",
                    "table",
                    (
                        f'SELECT "severity", "data" FROM "{m.EVENT}" WHERE {HOME} AND "type" = '
                        "'dispenser' AND $timeFilter GROUP BY \"event_type\"",
                    ),
                ),
                Panel(
                    "Alarms reset by the care team",
                    "table",
                    (
                        f'SELECT "data" FROM "{m.EVENT}" WHERE {HOME} AND "event_type" = '
                        "'command_result' AND $timeFilter GROUP BY \"device\"",
                    ),
                ),
            ],
        ),
        "ingest-health": (
            "MeWeT: ingest health",
            [
                Panel(
                    "Messages written per second",
                    "timeseries",
                    (
                        f'SELECT non_negative_derivative(last("written"), 1s) FROM "{m.INGEST}" '
                        'WHERE $timeFilter GROUP BY time($__interval), "instance" fill(none)',
                    ),
                ),
                Panel(
                    "Rejected, gaps, duplicates (totals)",
                    "table",
                    (
                        f'SELECT last("rejected") AS "rejected", last("gaps") AS "gaps", '
                        f'last("duplicates") AS "duplicates" FROM "{m.INGEST}" WHERE '
                        '$timeFilter GROUP BY "instance"',
                    ),
                ),
                Panel(
                    "Lag (s)",
                    "timeseries",
                    (
                        f'SELECT max("lag_s") FROM "{m.INGEST}" WHERE $timeFilter GROUP BY '
                        'time($__interval), "instance" fill(none)',
                    ),
                ),
                Panel(
                    "Dead letters",
                    "table",
                    (f'SELECT "topic", "reason", "size" FROM "{m.DEADLETTER}" WHERE $timeFilter',),
                ),
            ],
        ),
    }
    return {name: _board(name, title, panels) for name, (title, panels) in boards.items()}


def _board(uid: str, title: str, panels: list[Panel]) -> dict[str, Any]:
    homes = f'SHOW TAG VALUES FROM "{m.TELEMETRY}" WITH KEY = "home"'
    return {
        "uid": f"mewet-{uid}",
        "title": title,
        "tags": ["mewet"],
        "timezone": "browser",
        "schemaVersion": 39,
        "refresh": "10s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "home",
                    "label": "Home",
                    "type": "query",
                    "datasource": DATASOURCE,
                    "query": homes,
                    "definition": homes,
                    "refresh": 2,
                    "includeAll": False,
                }
            ]
        },
        "panels": [
            {
                "id": i + 1,
                "title": p.title,
                "type": p.kind,
                "description": p.description,
                "datasource": DATASOURCE,
                "gridPos": {"h": 8, "w": 12, "x": (i % 2) * 12, "y": (i // 2) * 8},
                "targets": [
                    {
                        "refId": chr(ord("A") + j),
                        "datasource": DATASOURCE,
                        "rawQuery": True,
                        "resultFormat": "table" if p.kind == "table" else "time_series",
                        "query": q,
                    }
                    for j, q in enumerate(p.queries)
                ],
            }
            for i, p in enumerate(panels)
        ],
    }


def render(board: dict[str, Any]) -> str:
    """A dashboard as the committed file holds it."""
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"
