"""(many) A network of schools on one lab: 500 exercises at speed 60, in three layouts measured
in one sitting, on the same cores:

- single:  `mewet up --workers 0`, every home in the API's own process (the lab before workers);
- workers: `mewet up`, the homes in one worker process per core, the API a front;
- servers: two `mewet api` servers (one worker each) on one PostgreSQL and one broker, the
           exercises created half through each, the clients spread over both (as a proxy
           would).

In each: the exercises are created and started, 50 of them watched live (the lag from a
device's publish to the WebSocket client), 100 clients call the API about once a second (GET
exercise, GET home, POST action) for `seconds`, and every home's clock is read before and
after (how fast the homes really ran, asked: 60). Part of `python bench/api.py --loads many`
(`--layouts` to choose).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from mewet.servers import free_port, mosquitto, port_free, postgres

PASSWORD = "bench password"
LIMITS = {
    "MEWET_LIMITS__EXERCISES_PER_TEACHER": "2000",
    "MEWET_LIMITS__JOINS_PER_MINUTE": "100000",
    "MEWET_LIMITS__LIVE_PER_TOKEN": "1000",
    "MEWET_LIMITS__ACTIONS_PER_MINUTE": "100000",
    "MEWET_LIMITS__CONNECTIONS_PER_ADDRESS": "4000",
}
LAYOUTS = ("single", "workers", "servers")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _env(db_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEWET_")} | LIMITS
    if db_url is not None:
        env["MEWET_DB_URL"] = db_url
    return env


def _teacher(data: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "mewet", "user", "add", "--email", "bench@lab", "--role",
         "teacher", "--org", "bench", "--password", PASSWORD, "--data-dir", str(data)],
        check=True, env=env, capture_output=True,
    )  # fmt: skip


def _wait(base: str, log: Path, within_s: float = 90) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"the lab did not start: {log.read_text()[-2000:]}")


def _tree(roots: list[int]) -> dict[int, str]:
    """Every process under `roots` (and they), by PID: its command line."""
    parents: dict[int, int] = {}
    lines: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                lines[int(entry.name)] = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                )
    found, todo = {}, list(roots)
    while todo:
        pid = todo.pop()
        if pid in lines and pid not in found:
            found[pid] = lines[pid]
            todo += [child for child, parent in parents.items() if parent == pid]
    return found


def _part(line: str) -> str:
    if "mosquitto" in line:
        return "broker"
    if "ingest" in line:
        return "ingest"
    if "postgres" in line:
        return "postgres"
    return "api"  # the API's fronts and workers


def usage(roots: list[int]) -> dict[str, tuple[float, float]]:
    """Per part of the lab: resident memory (MiB) and CPU seconds so far."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, tuple[float, float]] = {}
    for pid, line in _tree(roots).items():
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / tick
            rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
            mem, used = out.get(_part(line), (0.0, 0.0))
            out[_part(line)] = (mem + rss, used + cpu)
    return out


def _ports_in_a_row(n: int) -> int:
    while True:
        first = free_port()
        if all(port_free(first + i) for i in range(1, n)):
            return first


@contextlib.contextmanager
def lab(layout: str, folder: Path) -> Iterator[tuple[list[str], list[int]]]:
    """The lab in a layout, until the block ends; the API addresses its clients use, and the
    PIDs of its processes (their children too are its)."""
    procs: list[subprocess.Popen[bytes]] = []
    roots: list[int] = []
    with contextlib.ExitStack() as stack:
        if layout in ("single", "workers"):
            env = _env(None) | {"MEWET_WORKERS": "0" if layout == "single" else "2"}
            data = folder / "data"
            _teacher(data, env)
            port = free_port()
            argv = [sys.executable, "-m", "mewet", "up", "--data-dir", str(data)]
            argv += ["--mqtt-port", str(free_port()), "--api-port", str(port)]
            log = folder / "lab.log"
            with log.open("wb") as out:
                procs.append(subprocess.Popen(argv, env=env, stdout=out, stderr=out))
            bases = [f"http://127.0.0.1:{port}"]
        else:
            pg_folder = Path(tempfile.mkdtemp(prefix="mewet-bench-pg-"))
            pg_folder.chmod(0o755)  # its user (`postgres` when run as root) reaches it
            pg = postgres(pg_folder / "pg").start()
            stack.callback(shutil.rmtree, pg_folder, ignore_errors=True)
            stack.callback(pg.stop)
            broker = mosquitto(folder / "broker").start()
            stack.callback(broker.stop)
            roots += [p.pid for p in (pg.proc, broker.proc) if p is not None]
            env = _env(pg.url()) | {
                "MEWET_MQTT_URL": f"mqtt://127.0.0.1:{broker.port}",
                "MEWET_SECRET_KEY": "a-bench-key-long-enough-for-its-signature",
            }
            _teacher(folder / "a", env)
            bases = []
            for name in ("a", "b"):
                port = _ports_in_a_row(2)
                argv = [sys.executable, "-m", "mewet", "api", "--port", str(port)]
                argv += ["--data-dir", str(folder / name), "--workers", "1"]
                log = folder / f"{name}.log"
                server = env | {"MEWET_SERVER_URL": f"http://127.0.0.1:{port}"}
                with log.open("wb") as out:
                    procs.append(subprocess.Popen(argv, env=server, stdout=out, stderr=out))
                bases.append(f"http://127.0.0.1:{port}")
        try:
            for base in bases:
                _wait(base, folder / ("lab.log" if len(bases) == 1 else "a.log"))
            yield bases, [*roots, *(p.pid for p in procs)]
        finally:
            for p in procs:
                p.send_signal(signal.SIGINT)
            for p in procs:
                try:
                    p.wait(120)
                except subprocess.TimeoutExpired:
                    p.kill()


async def _watch(base: str, ex: int, token: str, until: float, lags: list[float]) -> None:
    from websockets.asyncio.client import connect

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        r = await client.post(
            f"/api/exercises/{ex}/live/ticket", headers={"Authorization": f"Bearer {token}"}
        )
    url = base.replace("http", "ws") + r.json()["url"]
    async with connect(url, max_size=2**24) as ws:
        while time.monotonic() < until:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, until - time.monotonic()))
            except TimeoutError:
                return
            message = json.loads(raw)
            arrived = time.time()
            for frame in message if isinstance(message, list) else [message]:
                if frame.get("type") == "message" and frame.get("published") is not None:
                    lags.append((arrived - frame["published"]) * 1000)


async def many(
    bases: list[str],
    roots: list[int],
    exercises: int,
    seconds: float,
    clients: int,
    watched: int = 50,
) -> dict[str, Any]:
    """The load on a running lab; its figures."""
    limits = httpx.Limits(max_connections=clients + watched + 20, keepalive_expiry=2.0)
    pool = [httpx.AsyncClient(base_url=b, timeout=120, limits=limits) for b in bases]
    try:
        r = await pool[0].post(
            "/api/auth/token", data={"username": "bench@lab", "password": PASSWORD}
        )
        teacher = {"Authorization": f"Bearer {r.json()['access_token']}"}
        gate = asyncio.Semaphore(8)
        made: list[int] = []
        t0 = time.perf_counter()

        async def create(i: int) -> None:
            client = pool[i % len(pool)]
            async with gate:
                scenario = ("night-fall", "heat-wave", "post-discharge")[i % 3]
                body = {"scenario": scenario, "speed": 60, "roles": ["alarm_centre"]}
                ex = (await client.post("/api/exercises", headers=teacher, json=body)).json()
                await client.post(
                    f"/api/exercises/{ex['id']}/control",
                    headers=teacher,
                    json={"control": "start"},
                )
                made.append(ex["id"])

        await asyncio.gather(*(create(i) for i in range(exercises)))
        created_s = time.perf_counter() - t0
        students = []
        for n, ex in enumerate(made[:: max(1, len(made) // watched)][:watched]):
            got = await pool[n % len(pool)].get(f"/api/exercises/{ex}", headers=teacher)
            code = got.json()["join_code"]
            joined = await pool[n % len(pool)].post(
                "/api/join", json={"code": code, "name": f"s{n}", "role": "alarm_centre"}
            )
            students.append((ex, joined.json()["access_token"]))

        async def clocks() -> dict[int, float]:
            listed = (await pool[0].get("/api/exercises", headers=teacher)).json()
            return {e["id"]: e["sim_s"] for e in listed if e["phase"] == "running"}

        before = await clocks()
        until = time.monotonic() + seconds
        lags: list[float] = []
        times: list[float] = []
        rng = random.Random(1)

        async def caller(i: int) -> None:
            client = pool[i % len(pool)]
            ex, token = students[i % len(students)]
            me = {"Authorization": f"Bearer {token}"}
            calls = (
                ("GET", f"/api/exercises/{ex}", None),
                ("GET", f"/api/exercises/{ex}/home", None),
                ("POST", f"/api/exercises/{ex}/actions", {"action": "answer"}),
            )
            while time.monotonic() < until:
                await asyncio.sleep(rng.uniform(0.5, 1.5))
                method, path, body = rng.choice(calls)
                t = time.perf_counter()
                r = await client.request(method, path, headers=me, json=body)
                times.append((time.perf_counter() - t) * 1000)
                if r.status_code >= 500:
                    raise SystemExit(f"{method} {path}: {r.status_code} {r.text}")

        t1 = time.perf_counter()
        used_before = usage(roots)
        await asyncio.gather(
            *(
                _watch(bases[n % len(bases)], ex, tok, until, lags)
                for n, (ex, tok) in enumerate(students)
            ),
            *(caller(i) for i in range(clients)),
        )
        wall = time.perf_counter() - t1
        used_after = usage(roots)
        after = await clocks()
        speeds = [(after[ex] - before[ex]) / wall for ex in after if ex in before]
        for ex in made:  # the classes end
            await pool[ex % len(pool)].post(
                f"/api/exercises/{ex}/control", headers=teacher, json={"control": "end"}
            )
        return {
            "exercises": len(made),
            "created_s": created_s,
            "api_p50": pct(times, 0.5),
            "api_p99": pct(times, 0.99),
            "calls_s": len(times) / wall,
            "live_p50": pct(lags, 0.5),
            "live_p99": pct(lags, 0.99),
            "messages": len(lags),
            "feeds": len(students),
            "speed_median": pct(speeds, 0.5),
            "speed_min": min(speeds, default=float("nan")),
            "homes": len(speeds),
            "parts": {
                part: (mem, (used_after[part][1] - used_before.get(part, (0, 0))[1]) / wall)
                for part, (mem, _) in used_after.items()
            },
        }
    finally:
        for client in pool:
            await client.aclose()


def run_many(layouts: list[str], exercises: int, seconds: float, clients: int) -> None:
    """Each layout in turn, then the figures side by side."""
    found = {}
    for layout in layouts:
        with tempfile.TemporaryDirectory() as tmp, lab(layout, Path(tmp)) as (bases, roots):
            found[layout] = asyncio.run(many(bases, roots, exercises, seconds, clients))
        f = found[layout]
        print(
            f"(many, {layout}) {f['exercises']} exercises at speed 60 (created and started in "
            f"{f['created_s']:.0f} s); {clients} API clients ({f['calls_s']:.0f} calls/s): p50 "
            f"{f['api_p50']:.0f} ms, p99 {f['api_p99']:.0f} ms; live p50 {f['live_p50']:.0f} ms, "
            f"p99 {f['live_p99']:.0f} ms ({f['messages']:,} messages to {f['feeds']} feeds); the "
            f"{f['homes']} homes ran at speed {f['speed_median']:.0f} (median; slowest "
            f"{f['speed_min']:.0f}) (2 cores)",
            flush=True,
        )
        parts = ", ".join(
            f"{part} {mem:.0f} MiB, {cores:.2f} cores"
            for part, (mem, cores) in sorted(f["parts"].items())
        )
        print(f"    what it took, measured while it ran: {parts}", flush=True)
    print("\n| layout | API p99 | live p99 | homes' speed (median, of 60) |")
    print("|---|---|---|---|")
    for layout, f in found.items():
        print(
            f"| {layout} | {f['api_p99']:.0f} ms | {f['live_p99']:.0f} ms | "
            f"{f['speed_median']:.0f} |"
        )
