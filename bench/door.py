"""The devices' door's cost: one device's messages through `mewet gate` against the same
device straight to the broker's clients' listener (the raw baseline), in the same run, on a
secured Mosquitto; and how soon the Last Will follows when the lab pulls a plug.

Each rate is a device (paho, QoS 1, at most 1,000 in flight) publishing as fast as the broker
acknowledges, and the lab's own subscriber taking every message; the door's pace is lifted
for the run, so what is measured is the relay. Run: `make bench-door`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
from ingest import cpu_seconds, machine  # bench/ is the script's folder
from paho.mqtt.enums import CallbackAPIVersion

from mewet.servers import free_port, mosquitto
from mewet.transport.access import BrokerAccess, device_user
from mewet.transport.gate import GateControl

ROOT = "mewet"
PAYLOAD = b'{"v": 1, "id": "d-1", "ts": "2026-01-05T00:00:00Z", "seq": 1, "data": {"w": 3.5}}'


def client(name: str, user: str, password: str, port: int) -> paho.Client:
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=paho.MQTTv5)
    c.username_pw_set(user, password)
    c.max_inflight_messages_set(0)
    connected = threading.Event()
    c.on_connect = lambda *_: connected.set()
    c.connect("127.0.0.1", port)
    c.loop_start()
    if not connected.wait(10):
        raise SystemExit(f"{name} could not connect on port {port}")
    return c


def rate(port: int, user: str, password: str, lab: tuple[str, str, int], n: int) -> float:
    """Messages a second from the device on `port` to the lab's subscriber."""
    got, done = 0, threading.Event()

    def on_message(*_: object) -> None:
        nonlocal got
        got += 1
        if got == n:
            done.set()

    sub = client("bench-sub", lab[0], lab[1], lab[2])
    sub.on_message = on_message
    subscribed = threading.Event()
    sub.on_subscribe = lambda *_: subscribed.set()
    sub.subscribe(f"{ROOT}/acme/plug-1/telemetry", qos=1)
    subscribed.wait(10)
    window = threading.BoundedSemaphore(1000)
    pub = client(user, user, password, port)
    pub.on_publish = lambda *_: window.release()
    started = time.perf_counter()
    for _ in range(n):
        window.acquire()
        pub.publish(f"{ROOT}/acme/plug-1/telemetry", PAYLOAD, qos=1)
    if not done.wait(300):
        raise SystemExit(f"only {got} of {n} messages arrived")
    took = time.perf_counter() - started
    for c in (pub, sub):
        c.disconnect()
        c.loop_stop()
    return n / took


def will_after(
    door: GateControl, port: int, user: str, password: str, lab: tuple[str, str, int]
) -> float:
    """Seconds from the lab pulling the plug to the Last Will reaching a subscriber."""
    came = threading.Event()
    sub = client("bench-will", lab[0], lab[1], lab[2])
    sub.on_message = lambda _c, _u, m: came.set() if m.payload == b"offline" else None
    sub.subscribe(f"{ROOT}/acme/plug-1/status", qos=1)
    dev = paho.Client(CallbackAPIVersion.VERSION2, client_id=user, protocol=paho.MQTTv5)
    dev.username_pw_set(user, password)
    dev.will_set(f"{ROOT}/acme/plug-1/status", b"offline", qos=1, retain=True)
    dev.connect("127.0.0.1", port)
    dev.loop_start()
    time.sleep(1)
    started = time.perf_counter()
    door.cut(user, 5)
    if not came.wait(10):
        raise SystemExit("no Last Will after the plug was pulled")
    took = time.perf_counter() - started
    dev.loop_stop()
    sub.disconnect()
    sub.loop_stop()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=50_000, help="messages per rate")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mewet-bench-door-"))
    access = BrokerAccess(folder / "access", ROOT)
    lab_pw = access.grant("mewet-lab", "lab")
    user = device_user("acme", "plug-1")
    password = access.grant(user, "device", home="acme", device="plug-1")
    broker = mosquitto(folder / "broker", secured=access.folder).start()
    access.reload = broker.reload
    assert broker.clients_port is not None
    lab = ("mewet-lab", lab_pw, broker.port)
    port, control = free_port(), folder / "gate.sock"
    argv = [sys.executable, "-m", "mewet", "gate", "--listen", f"127.0.0.1:{port}"]
    argv += ["--broker", f"127.0.0.1:{broker.clients_port}", "--access", str(access.folder)]
    argv += ["--control", str(control), "--root", ROOT]
    env = {**os.environ, "MEWET_LIMITS__DEVICE_MESSAGES_PER_SECOND": "1e9"}
    gate = subprocess.Popen(argv, env=env)
    try:
        while not control.exists():
            time.sleep(0.1)
        direct = rate(broker.clients_port, user, password, lab, args.messages)
        cpu = cpu_seconds(gate.pid)
        through = rate(port, user, password, lab, args.messages)
        cpu = cpu_seconds(gate.pid) - cpu
        will = will_after(GateControl(control), port, user, password, lab)
    finally:
        gate.terminate()
        gate.wait(10)
        broker.stop()
    print(f"machine: {machine()}")
    print(f"one device, QoS 1, {args.messages:,} messages of {len(PAYLOAD)} bytes:")
    print(f"  straight to the broker (raw baseline)  {direct:9,.0f} msg/s")
    print(
        f"  through the devices' door              {through:9,.0f} msg/s  "
        f"({through / direct:.0%} of raw; the door used {cpu:.1f} s of CPU, "
        f"{cpu / args.messages * 1e6:.0f} µs a message)"
    )
    print(f"Last Will after the lab pulls the plug: {will * 1000:.0f} ms")


if __name__ == "__main__":
    main()
