"""A deliberately broken device, run as a process of its own: seq jumps by two, its clock is
an hour ahead, it sends an event it never declared, it has no Last Will and it never answers
a command. Usage: python broken_device.py HOST PORT ROOT HOME DEVICE."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta

from mewet.config import MqttUrl
from mewet.contract import format_ts
from mewet.transport.client import MqttLink

META = {
    "type": "door_sensor",
    "model": "D-0",
    "manufacturer": "Broken Ltd",
    "room": "hall",
    "firmware": "0.1",
    "channels": [{"name": "battery", "unit": "%", "rate_s": 2, "min": 0, "max": 100}],
    "events": ["opened"],
    "commands": ["ping"],
}


def main() -> None:
    host, port, root, home, device = sys.argv[1:6]
    base = f"{root}/{home}/{device}"
    link = MqttLink(MqttUrl.parse(f"mqtt://{host}:{port}"), f"broken-{device}", threaded=True)
    link.connect()  # no Last Will
    link.publish(f"{base}/status", b"online", retain=True)
    link.publish(f"{base}/meta", json.dumps(META).encode(), retain=True)
    link.publish(f"{base}/state", b'{"open": false}', retain=True)
    seq = 0
    while True:
        ts = format_ts(datetime.now(UTC) + timedelta(hours=1))
        reading = {"v": 1, "id": f"b{seq}", "ts": ts, "seq": seq, "data": {"battery": 90.0}}
        link.publish(f"{base}/telemetry", json.dumps(reading).encode())
        seq += 2
        if seq % 4 == 0:
            event = {"v": 1, "id": f"b{seq}", "ts": ts, "seq": seq, "event_type": "exploded"}
            link.publish(f"{base}/event", json.dumps(event).encode())
            seq += 2
        time.sleep(2)


if __name__ == "__main__":
    main()
