"""Exercise API under a class's load: 30 exercises live at speed 60 in one `mewet up`, one
WebSocket client on each, then 100 concurrent API clients.

Prints the machine; p50/p99 latency from a device's publish to the WebSocket client (the
server stamps each live frame with when the message went out; both ends read the same
machine's clock); and p50/p99 of the main API calls. Targets on a 2-core machine: live p99
under 250 ms, API p99 under 100 ms. Run: `make bench-api` (or python bench/api.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from ingest import machine  # bench/ is the script's folder: the same machine line as there
from websockets.asyncio.client import connect

from mewet.servers import free_port

PASSWORD = "bench password"


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0-1) of values, in the same unit."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def start_lab(data: Path) -> tuple[subprocess.Popen[str], str]:
    """`mewet up` on free ports, with a teacher account; returns the process and API URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEWET_")}
    subprocess.run(
        [sys.executable, "-m", "mewet", "user", "add", "--email", "bench@lab", "--role",
         "teacher", "--org", "bench", "--password", PASSWORD, "--data-dir", str(data)],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    api_port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mewet", "up", "--data-dir", str(data), "--mqtt-port",
         str(free_port()), "--api-port", str(api_port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"mewet up did not start: {proc.stderr.read() if proc.stderr else ''}")


async def watch(base: str, ex: int, token: str, until: float, lags: list[float]) -> int:
    """One participant's live feed: the lag of every device message, until `until`."""
    url = base.replace("http", "ws") + f"/api/exercises/{ex}/live?token={token}"
    frames = 0
    async with connect(url, max_size=2**22) as ws:
        while time.monotonic() < until:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, until - time.monotonic()))
            except TimeoutError:
                break
            frame = json.loads(raw)
            frames += 1
            if frame.get("type") == "message" and "published" in frame:
                lags.append((time.time() - frame["published"]) * 1000)
    return frames


async def live_phase(
    client: httpx.AsyncClient, base: str, exercises: int, seconds: float
) -> dict[str, Any]:
    """Create and start the exercises, watch them all, measure the live lag."""
    token = (
        await client.post("/api/auth/token", data={"username": "bench@lab", "password": PASSWORD})
    ).json()["access_token"]
    teacher = {"Authorization": f"Bearer {token}"}
    students = []
    for i in range(exercises):
        scenario = ("night-fall", "heat-wave", "post-discharge")[i % 3]
        ex = (
            await client.post(
                "/api/exercises", headers=teacher, json={"scenario": scenario, "speed": 60}
            )
        ).json()
        joined = await client.post(
            f"/api/exercises/{ex['id']}/join",
            json={"code": ex["join_code"], "name": f"s{i}", "role": "alarm_centre"},
        )
        students.append((ex["id"], joined.json()["access_token"]))
        await client.post(
            f"/api/exercises/{ex['id']}/control", headers=teacher, json={"control": "start"}
        )
    lags: list[float] = []
    until = time.monotonic() + seconds
    counts = await asyncio.gather(*(watch(base, ex, tok, until, lags) for ex, tok in students))
    return {"teacher": teacher, "students": students, "lags": lags, "frames": sum(counts)}


async def api_phase(
    client: httpx.AsyncClient,
    teacher: dict[str, str],
    students: list[tuple[int, str]],
    clients: int,
    per_client: int,
    think_s: float,
) -> dict[str, list[float]]:
    """`clients` concurrent clients, each making `per_client` rounds of the main calls, with
    about `think_s` between calls (a person reading the screen; 0: as fast as possible)."""
    times: dict[str, list[float]] = {}
    rng = random.Random(1)

    async def timed(name: str, method: str, path: str, headers: dict[str, str], **kw: Any) -> None:
        if think_s > 0:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
        t0 = time.perf_counter()
        r = await client.request(method, path, headers=headers, **kw)
        times.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
        if r.status_code >= 500:
            raise SystemExit(f"{name}: {r.status_code} {r.text}")

    async def one(i: int) -> None:
        ex, token = students[i % len(students)]
        me = {"Authorization": f"Bearer {token}"}
        for _ in range(per_client):
            await timed("GET exercise", "GET", f"/api/exercises/{ex}", me)
            await timed("GET home", "GET", f"/api/exercises/{ex}/home", me)
            await timed(
                "GET history",
                "GET",
                f"/api/exercises/{ex}/home/vitals/history",
                me,
                params={"limit": 50},
            )
            await timed(
                "POST action", "POST", f"/api/exercises/{ex}/actions", me, json={"action": "answer"}
            )
            await timed(
                "POST note",
                "POST",
                f"/api/exercises/{ex}/notes",
                me,
                json={"text": "checked the vitals"},
            )
            await timed(
                "POST control",
                "POST",
                f"/api/exercises/{ex}/control",
                teacher,
                json={"control": "speed", "args": {"speed": 60}},
            )

    await asyncio.gather(*(one(i) for i in range(clients)))
    return times


async def run(base: str, exercises: int, seconds: float, clients: int, per_client: int) -> None:
    limits = httpx.Limits(max_connections=clients + 10)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        live = await live_phase(client, base, exercises, seconds)
        lags = live["lags"]
        print(
            f"live: {exercises} exercises at speed 60, {len(lags):,} device messages to "
            f"{exercises} WebSocket clients in {seconds:g} s: publish -> client "
            f"p50 {pct(lags, 0.5):.0f} ms, p99 {pct(lags, 0.99):.0f} ms (target p99 < 250 ms)"
        )
        args = (client, live["teacher"], live["students"], clients, per_client)
        t0 = time.perf_counter()
        times = await api_phase(*args, think_s=1.0)
        every = [t for ts in times.values() for t in ts]
        rate = len(every) / (time.perf_counter() - t0)
        print(
            f"API: {clients} concurrent clients, a call each about every second "
            f"({rate:.0f} calls/s), {len(every):,} calls: p50 {pct(every, 0.5):.0f} ms, "
            f"p99 {pct(every, 0.99):.0f} ms (target p99 < 100 ms)"
        )
        for name, ts in times.items():
            print(f"  {name:<14} p50 {pct(ts, 0.5):6.1f} ms   p99 {pct(ts, 0.99):6.1f} ms")
        t0 = time.perf_counter()
        flat = await api_phase(*args, think_s=0.0)
        every = [t for ts in flat.values() for t in ts]
        print(
            f"saturated: {clients} clients calling back to back: "
            f"{len(every) / (time.perf_counter() - t0):.0f} calls/s, "
            f"p50 {pct(every, 0.5):.0f} ms, p99 {pct(every, 0.99):.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--exercises", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5, help="Rounds of calls per client.")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start_lab(Path(tmp) / "data")
        try:
            asyncio.run(run(base, args.exercises, args.seconds, args.clients, args.rounds))
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)


if __name__ == "__main__":
    main()
