"""End-to-end ingest throughput: simulate → Mosquitto → ingest → InfluxDB at QoS 1.

Prints the machine, the raw paho publisher → subscriber rate on the same broker (the
baseline), the simulator alone, and the end-to-end rate with its ratio to the baseline, after
checking that every message reached the store. Run: `make bench` (or python bench/ingest.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from mewet.config import MqttUrl, StoreUrl
from mewet.contract import Telemetry
from mewet.contract.topics import Kind
from mewet.devices.homes import load_home
from mewet.scenarios.homesim import HomeSim, will_device
from mewet.servers import influxd, mosquitto
from mewet.sim.sink import MemorySink
from mewet.store.base import open_store
from mewet.transport.sink import MqttSink

START = datetime(2026, 1, 5, tzinfo=UTC)


def machine() -> str:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    # the same code runs markedly faster on Debian's own python3 than on a Python built
    # separately (pyenv's, for one): say which one measured
    build = "the system's" if sys.base_prefix == "/usr" else "a separate build"
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()} ({build})"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw_subscriber(port: int, n: int) -> None:
    """The baseline's subscriber, as its own process: prints the wall time of the n-th message."""
    done = threading.Event()
    got = 0

    def on_message(client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        nonlocal got
        got += 1
        if got == n:
            print(time.time(), flush=True)
            done.set()

    sub = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw-sub", protocol=paho.MQTTv5)
    sub.on_message = on_message
    sub.on_subscribe = lambda *_: print("ready", flush=True)
    sub.connect("127.0.0.1", port)
    sub.subscribe("bench/raw", qos=1)
    sub.loop_start()
    if not done.wait(600):
        print(f"only {got} of {n} arrived", flush=True)
    sub.disconnect()
    sub.loop_stop()


def raw_rate(port: int, n: int) -> float:
    """Plain paho at QoS 1: this process publishes, another subscribes (as simulator and ingest)."""
    payload = (
        Telemetry(
            id="vitals-123456",
            ts=START,
            seq=123456,
            data={
                "heart_rate": 72.0,
                "spo2": 97.0,
                "skin_temp": 33.5,
                "steps": 12.0,
                "battery": 81.0,
            },
        )
        .model_dump_json()
        .encode()
    )
    sub = subprocess.Popen(
        [sys.executable, __file__, "--subscriber", str(port), str(n)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sub.stdout is not None
    assert sub.stdout.readline().strip() == "ready"
    # paho keys unacknowledged messages by packet id, so a publisher bounds what it has in
    # flight; 1000, as the lab's MqttLink does
    window = threading.BoundedSemaphore(1000)
    pub = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw-pub", protocol=paho.MQTTv5)
    pub.max_inflight_messages_set(0)
    pub.on_publish = lambda *_: window.release()
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    time.sleep(0.5)
    t0 = time.time()
    for _ in range(n):
        window.acquire()
        pub.publish("bench/raw", payload, qos=1)
    last = sub.stdout.readline().strip()
    sub.wait(60)
    pub.disconnect()
    pub.loop_stop()
    try:
        return n / (float(last) - t0)
    except ValueError:
        raise SystemExit(f"raw baseline failed: {last}") from None


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--subscriber":
        raw_subscriber(int(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=14, help="sim days (14 ≈ 107,000 messages)")
    parser.add_argument("--raw", type=int, default=100_000, help="messages for the raw baseline")
    args = parser.parse_args()
    home = load_home("default")
    work = Path(tempfile.mkdtemp(prefix="mewet-bench-"))
    broker = mosquitto(work / "mosquitto").start()
    db = influxd(work / "influxd").start()
    ingest = None
    try:
        print(f"machine: {machine()}")
        raw = raw_rate(broker.port, args.raw)
        print(f"raw paho publisher → subscriber, QoS 1: {raw:,.0f} msg/s ({args.raw:,} messages)")

        memory = MemorySink()
        t0 = time.perf_counter()
        HomeSim(home, memory, 1, START).run(args.days * 86400)
        sim_s = time.perf_counter() - t0
        total = len(memory.messages)
        stored_kinds = sum(
            1 for m in memory.messages if m.topic.kind in (Kind.TELEMETRY, Kind.EVENT)
        )
        print(f"simulator alone (memory sink): {total / sim_s:,.0f} msg/s ({total:,} messages)")

        store_url = StoreUrl("influxdb", host="127.0.0.1", port=db.port, database="bench")
        store = open_store(store_url)
        env = {**os.environ, "MEWET_INGEST__BATCH_SIZE": "2000"}
        ingest = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mewet",
                "ingest",
                "--mqtt",
                f"mqtt://127.0.0.1:{broker.port}",
                "--store",
                f"influxdb://127.0.0.1:{db.port}/bench",
                "--client-id",
                "bench-ingest",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(3)  # the ingest session subscribes before the first message
        url = MqttUrl("127.0.0.1", broker.port)
        sink = MqttSink(url, home.id, will_device(home), backlog=1000).connect()
        procs = {
            "simulator": os.getpid(),
            "ingest": ingest.pid,
            "mosquitto": broker.pid,
            "influxd": db.pid,
        }
        cpu0 = {name: cpu_seconds(pid) for name, pid in procs.items() if pid}
        t0 = time.perf_counter()
        HomeSim(home, sink, 1, START).run(args.days * 86400)
        sink.close(120)
        while (n := store.count("telemetry") + store.count("event")) < stored_kinds:
            if time.perf_counter() - t0 > 900:
                raise SystemExit(f"only {n} of {stored_kinds} stored after 900 s")
            time.sleep(0.2)
        e2e_s = time.perf_counter() - t0
        e2e = total / e2e_s
        lost = stored_kinds - n
        print(
            f"end to end simulate → mosquitto → ingest → InfluxDB, QoS 1: {e2e:,.0f} msg/s "
            f"({total:,} messages in {e2e_s:.1f} s, lost {lost})"
        )
        cpu = {name: cpu_seconds(pid) - cpu0[name] for name, pid in procs.items() if pid}
        print("CPU seconds in that run: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
        print(f"ratio to raw: {e2e / raw:.0%} (target ≥ 70%)")
        result = {
            "machine": machine(),
            "raw_msg_s": round(raw),
            "sim_msg_s": round(total / sim_s),
            "e2e_msg_s": round(e2e),
            "messages": total,
            "lost": lost,
            "ratio": round(e2e / raw, 3),
            "cpu_s": {k: round(v, 1) for k, v in cpu.items()},
        }
        print(json.dumps(result))
        store.close()
    finally:
        if ingest is not None:
            ingest.terminate()
            ingest.wait(30)
        broker.stop()
        db.stop()


if __name__ == "__main__":
    main()
