"""A correct device with one fault, run as a process of its own, for the conformance tests:
each fault should fail exactly its check. Usage:
python faulty_device.py HOST PORT ROOT HOME DEVICE FAULT [USER PASSWORD], FAULT one of

- `late`: answers each command 3 s after it came;
- `retained-only`: leaves its retained status, meta and state and exits (no process runs);
- `will-not-retained`: its Last Will `offline` is not retained;
- `retained-telemetry`: publishes its readings retained;
- `silent-channel`: declares a humidity channel every second and never sends it;
- `wrong-ref`: answers commands with a `ref` that names no command;
- `accepts-anything`: answers a command it does not declare with ok true;
- `no-backoff`: tries to reconnect every second, however long the lab is away;
- `none`: no fault.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

from mewet.config import MqttUrl
from mewet.contract import format_ts
from mewet.transport.client import MqttLink, Received, Will

FAULTS = (
    "late",
    "retained-only",
    "will-not-retained",
    "retained-telemetry",
    "silent-channel",
    "wrong-ref",
    "accepts-anything",
    "silent-return",
    "no-rebirth",
    "no-backoff",
    "none",
)


def main() -> None:
    host, port, root, home, device, fault = sys.argv[1:7]
    login = f"{sys.argv[7]}:{sys.argv[8]}@" if len(sys.argv) > 8 else ""
    assert fault in FAULTS, fault
    base = f"{root}/{home}/{device}"
    channels = [{"name": "temperature", "unit": "°C", "rate_s": 1, "min": -40, "max": 85}]
    if fault == "silent-channel":
        channels.append({"name": "humidity", "unit": "%", "rate_s": 1, "min": 0, "max": 100})
    meta = {
        "type": "thermometer",
        "model": "T-2",
        "manufacturer": "Faulty Ltd",
        "room": "hall",
        "firmware": "2.0",
        "channels": channels,
        "commands": ["ping"],
    }
    boot = uuid.uuid4().hex[:8]
    seq = 0
    lock = threading.Lock()

    def envelope(**body: object) -> bytes:
        nonlocal seq
        with lock:
            out = {"v": 1, "id": f"{boot}-{seq}", "ts": format_ts(datetime.now(UTC)), "seq": seq}
            seq += 1
        return json.dumps({**out, **body}).encode()

    def answer(msg: Received) -> None:
        command = json.loads(msg.payload)
        ref, args = command.get("id"), command.get("args") or {}
        name = msg.topic.rsplit("/", 1)[-1]
        if fault == "late":
            time.sleep(3)
        if fault == "wrong-ref":
            ref = "nope"
        ok = (name == "ping" and not args) or fault == "accepts-anything"
        result = {"command": name, "ok": ok, "ref": ref, "detail": "pong" if ok else "refused"}
        link.publish(f"{base}/event", envelope(event_type="command_result", data=result))

    def on_command(msg: Received) -> None:
        threading.Thread(target=answer, args=(msg,), daemon=True).start()

    will = Will(f"{base}/status", b"offline", retain=fault != "will-not-retained")
    url = MqttUrl.parse(f"mqtt://{login}{host}:{port}")

    def birth() -> None:
        """On every connect, as the contract asks (unless that is the fault)."""
        if fault != "silent-return":  # back after a power cut, it forgets to say so
            link.publish(f"{base}/status", b"online", retain=True)
        if fault != "no-rebirth":  # it says online, and counts on the meta the broker kept
            link.publish(f"{base}/meta", json.dumps(meta).encode(), retain=True)
            link.publish(f"{base}/state", b'{"on": true}', retain=True)

    link = MqttLink(
        url,
        sys.argv[7] if login else f"faulty-{device}",
        will=will,
        persistent=True,  # commands sent while it was away wait for it
        session_expiry_s=3600,
        on_message=on_command,
        on_connect=lambda: threading.Thread(target=birth, daemon=True).start(),
        subscriptions=(f"{base}/cmd/+",),
        threaded=True,
    )
    if fault == "no-backoff":
        link.client.reconnect_delay_set(min_delay=1, max_delay=1)
    link.connect()
    if fault == "retained-only":
        time.sleep(1)  # the broker has them (acknowledged) before the goodbye
        link.close()  # says goodbye: the retained messages stay, the device is gone
        return
    while True:
        reading = envelope(data={"temperature": 21.5})
        link.publish(f"{base}/telemetry", reading, retain=fault == "retained-telemetry")
        time.sleep(1)


if __name__ == "__main__":
    main()
