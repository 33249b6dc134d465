"""Exercise API under a class's load: 30 exercises live at speed 60 in one `mewet up`, one
WebSocket client on each, then 100 concurrent API clients; then two hostile loads:

(a) 20 exercises at speed 3600 (the most a teacher may set) while 100 clients call the API
    and a WebSocket client watches each (and how fast the homes really ran meanwhile);
(b) 8 students asking `home?at_min=` for different moments of a day-long exercise (each a
    replay) while 20 clients call the API;

and the self-study loads: (study) 30 learners each begin a run, play 10 hours and leave it
paused (how long beginning takes, and the memory each paused run holds), then, put away, the
memory left, how fast each learner's run comes back, and the teacher's list of her ended
exercises, in memory and put away; (learners) 200
learners self-studying at once, each in her own run at speed 60 with its live feed open and a
call every few seconds (the API's p99, the live lag, and how fast their homes really ran).

Prints the machine; p50/p99 latency from a device's publish to the WebSocket client (the
server stamps each live frame with when the message went out; both ends read the same
machine's clock); and p50/p99/max of the API calls. Targets on a 2-core machine, load
generator included: live p99 under 250 ms, API p99 under 100 ms, no call over 1 s. The lab
runs with its limits raised for one teacher and one address (a class has many).
Run: `make bench-api` (or python bench/api.py; `--loads a` for one load; `--db postgresql`
with the app's state in a PostgreSQL the bench starts).
"""

from __future__ import annotations

import argparse
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
from pathlib import Path
from typing import Any

import httpx
from ingest import machine  # bench/ is the script's folder: the same machine line as there
from many import LAYOUTS, run_many, usage  # bench/ is the script's folder
from websockets.asyncio.client import connect

from mewet.servers import free_port, postgres

PASSWORD = "bench password"


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0-1) of values, in the same unit."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


PUT_AWAY_S = 20


def start_lab(data: Path, db_url: str | None = None) -> tuple[subprocess.Popen[str], str]:
    """`mewet up` on free ports, with a teacher account (its state in `db_url`, else SQLite);
    returns the process and API URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEWET_")}
    if db_url is not None:
        env["MEWET_DB_URL"] = db_url
    # one teacher and one address stand for a whole class here
    env |= {
        "MEWET_LIMITS__EXERCISES_PER_TEACHER": "100",
        "MEWET_LIMITS__JOINS_PER_MINUTE": "10000",
        "MEWET_LIMITS__LIVE_PER_TOKEN": "100",
        # a few clients share each student's sign-in here
        "MEWET_LIMITS__ACTIONS_PER_MINUTE": "1000",
        "MEWET_LIMITS__NOTES_PER_MINUTE": "1000",
        "MEWET_LIMITS__STUDY_RUNS_PER_HOUR": "10000",
        "MEWET_LIMITS__STUDY_RUNS": "1000",
        "MEWET_LIMITS__CONNECTIONS_PER_ADDRESS": "4000",
        # what rests is put away after 20 s, not 10 minutes: the study load measures it
        "MEWET_LIMITS__PUT_AWAY_S": str(PUT_AWAY_S),
    }
    subprocess.run(
        [sys.executable, "-m", "mewet", "user", "add", "--email", "bench@lab", "--role",
         "teacher", "--org", "bench", "--password", PASSWORD, "--data-dir", str(data)],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    api_port = free_port()
    log = (data.parent / "lab.log").open("w")  # the lab's own log, shown if the bench fails
    proc = subprocess.Popen(
        [sys.executable, "-m", "mewet", "up", "--data-dir", str(data), "--mqtt-port",
         str(free_port()), "--api-port", str(api_port)],
        env=env, stdout=subprocess.DEVNULL, stderr=log, text=True,
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
    raise SystemExit(f"mewet up did not start: {(data.parent / 'lab.log').read_text()[-2000:]}")


async def watch(base: str, ex: int, token: str, until: float, lags: list[float]) -> int:
    """One participant's live feed: the lag of every device message, until `until`."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        r = await client.post(
            f"/api/exercises/{ex}/live/ticket", headers={"Authorization": f"Bearer {token}"}
        )
    url = base.replace("http", "ws") + r.json()["url"]
    frames = 0
    async with connect(url, max_size=2**22) as ws:
        while time.monotonic() < until:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, until - time.monotonic()))
            except TimeoutError:
                break
            message = json.loads(raw)
            arrived = time.time()
            for frame in message if isinstance(message, list) else [message]:
                frames += 1
                if frame.get("type") == "message" and frame.get("published") is not None:
                    lags.append((arrived - frame["published"]) * 1000)
    return frames


async def sign_in(client: httpx.AsyncClient) -> dict[str, str]:
    """The teacher's authorization header."""
    r = await client.post("/api/auth/token", data={"username": "bench@lab", "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def live_phase(
    client: httpx.AsyncClient, base: str, exercises: int, seconds: float, speed: float = 60
) -> dict[str, Any]:
    """Create and start the exercises, watch them all, measure the live lag."""
    teacher = await sign_in(client)
    students = []
    for i in range(exercises):
        scenario = ("night-fall", "heat-wave", "post-discharge")[i % 3]
        ex = (
            await client.post(
                "/api/exercises", headers=teacher, json={"scenario": scenario, "speed": speed}
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
    teacher_only: bool = False,
) -> dict[str, list[float]]:
    """`clients` concurrent clients, each making `per_client` rounds of the main calls, with
    about `think_s` between calls (a person reading the screen; 0: as fast as possible);
    `teacher_only`: the teacher's reads only (GET exercise, home, history)."""
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
        me = teacher if teacher_only else {"Authorization": f"Bearer {token}"}
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
            if teacher_only:
                continue
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


async def run(
    base: str,
    exercises: int,
    seconds: float,
    clients: int,
    per_client: int,
    loads: str,
    lab_pid: int = 0,
) -> None:
    chosen = loads.split(",")
    # idle connections let go before the lab closes them (5 s), as a browser would retry
    limits = httpx.Limits(max_connections=clients + 10, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        if "class" in chosen:
            await class_load(client, base, exercises, seconds, clients, per_client)
        if "a" in chosen:
            await fast_load(client, base, seconds, clients)
        if "b" in chosen:
            await replay_load(client)
        if "study" in chosen:
            await study_load(client, lab_pid, exercises)
        if "learners" in chosen:
            await learners_load(client, base, 200, seconds)


def rss_mib(pid: int) -> float:
    """The resident memory of the lab's API: its process and its workers', MiB (Linux)."""
    return sum(mem for part, (mem, _) in usage([pid]).items() if part == "api")


async def study_load(client: httpx.AsyncClient, lab_pid: int, learners: int) -> None:
    """(study) Learners each begin a self-study run of night-fall, play 10 hours of it and
    leave it paused: how long beginning takes, and the memory each paused run holds in the
    lab's process until it ends or its assignment closes."""
    teacher = await sign_in(client)
    body = {"scenario": "night-fall", "roles": ["alarm_centre"], "quiz": {"questions": 10}}
    code = (await client.post("/api/assignments", json=body, headers=teacher)).json()["code"]
    before = rss_mib(lab_pid)
    took, runs = await paused_runs(client, code, learners)
    await asyncio.sleep(2)
    held = rss_mib(lab_pid) - before
    print(
        f"(study) {learners} learners begin a run, play 10 h, leave it paused: beginning p50 "
        f"{pct(took, 0.5) * 1000:.0f} ms, p99 {pct(took, 0.99) * 1000:.0f} ms; the lab's memory "
        f"+{held:.0f} MiB, {held / learners:.1f} MiB a paused run (2 cores)"
    )
    # a past week's classes, ended; then everything rests, and is put away
    await ended_exercises(client, teacher, learners)
    listed = len((await client.get("/api/exercises", headers=teacher)).json())
    listed_live = await timed_get(client, "/api/exercises", teacher, 20)
    await asyncio.sleep(2)
    full = rss_mib(lab_pid) - before
    await asyncio.sleep(PUT_AWAY_S * 2 + 5)  # idle for PUT_AWAY_S, and a round to see it
    rested = rss_mib(lab_pid) - before
    listed_kept = await timed_get(client, "/api/exercises", teacher, 20)
    back = []
    for exercise, me in runs:  # each learner comes back to hers
        started = time.perf_counter()
        r = await client.get(f"/api/exercises/{exercise}", headers=me)
        back.append(time.perf_counter() - started)
        if r.status_code != 200 or r.json()["phase"] != "paused":
            raise SystemExit(f"a run put away came back wrong: {r.status_code} {r.text}")
    await asyncio.sleep(PUT_AWAY_S * 2 + 5)  # put away again
    await paused_runs(client, code, learners)  # the next group's, in the memory freed
    await asyncio.sleep(2)
    again = rss_mib(lab_pid) - before
    print(
        f"(study) with {learners} ended exercises too, the lab's memory +{full:.0f} MiB; all "
        f"put away after {PUT_AWAY_S} s idle: +{rested:.0f} MiB; {learners} more learners' "
        f"paused runs then: +{again:.0f} MiB. A learner back to her put-away run: p50 "
        f"{pct(back, 0.5) * 1000:.0f} ms, p99 {pct(back, 0.99) * 1000:.0f} ms. The teacher's "
        f"list ({listed} exercises) p50 {pct(listed_live, 0.5) * 1000:.0f} ms in memory, "
        f"{pct(listed_kept, 0.5) * 1000:.0f} ms put away (2 cores)"
    )


async def paused_runs(
    client: httpx.AsyncClient, code: str, learners: int
) -> tuple[list[float], list[tuple[int, dict[str, str]]]]:
    """Learners each begin a run, play 10 hours and pause it: how long each beginning took,
    and each run's exercise and the learner's sign-in."""
    took, runs = [], []
    for n in range(learners):
        started = time.perf_counter()
        r = await client.post(f"/api/study/{code}", json={"name": f"L{n}", "role": "alarm_centre"})
        took.append(time.perf_counter() - started)
        run = r.json()
        me = {"Authorization": f"Bearer {run['access_token']}"}
        runs.append((run["exercise"], me))
        path = f"/api/exercises/{run['exercise']}/control"
        for control in ({"control": "start"}, {"control": "step", "args": {"minutes": 600}},
                        {"control": "pause"}):  # fmt: skip
            await client.post(path, json=control, headers=me)
    return took, runs


async def ended_exercises(client: httpx.AsyncClient, teacher: dict[str, str], n: int) -> None:
    """`n` exercises of the teacher's, each started and ended (a past week's classes)."""
    for _ in range(n):
        body = {"scenario": "night-fall", "roles": ["alarm_centre"]}
        ex = (await client.post("/api/exercises", json=body, headers=teacher)).json()
        for control in ("start", "end"):
            path = f"/api/exercises/{ex['id']}/control"
            await client.post(path, json={"control": control}, headers=teacher)


async def timed_get(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], times: int
) -> list[float]:
    """Seconds each of `times` GETs of `path` took, one after the other."""
    took = []
    for _ in range(times):
        started = time.perf_counter()
        r = await client.get(path, headers=headers)
        took.append(time.perf_counter() - started)
        if r.status_code != 200:
            raise SystemExit(f"{path}: {r.status_code} {r.text}")
    return took


async def learners_load(
    client: httpx.AsyncClient, base: str, learners: int, seconds: float
) -> None:
    """(learners) `learners` learners self-studying at once: each begins her own run of
    night-fall, starts it (speed 60), keeps its live feed open and, like a person reading her
    screen, asks for her run, her home or acts every 2-4 s; the API's latency, the live lag,
    and the speed each home really ran at."""
    teacher = await sign_in(client)
    body = {"scenario": "night-fall", "roles": ["alarm_centre"]}
    code = (await client.post("/api/assignments", json=body, headers=teacher)).json()["code"]
    runs = []
    for n in range(learners):
        r = await client.post(f"/api/study/{code}", json={"name": f"L{n}", "role": "alarm_centre"})
        if r.status_code != 201:
            raise SystemExit(f"begin: {r.status_code} {r.text}")
        run = r.json()
        me = {"Authorization": f"Bearer {run['access_token']}"}
        await client.post(
            f"/api/exercises/{run['exercise']}/control", json={"control": "start"}, headers=me
        )
        runs.append((run["exercise"], run["access_token"], me))

    async def clock(ex: int, me: dict[str, str]) -> float:
        got = await client.get(f"/api/exercises/{ex}", headers=me)
        return float(got.json()["sim_s"])

    times: list[float] = []
    rng = random.Random(1)
    until = time.monotonic() + seconds

    async def learner(ex: int, me: dict[str, str]) -> None:
        calls = (
            ("GET", f"/api/exercises/{ex}", None),
            ("GET", f"/api/exercises/{ex}/home", None),
            ("POST", f"/api/exercises/{ex}/actions", {"action": "answer"}),
        )
        while time.monotonic() < until:
            await asyncio.sleep(rng.uniform(2.0, 4.0))
            method, path, body = rng.choice(calls)
            t0 = time.perf_counter()
            r = await client.request(method, path, headers=me, json=body)
            times.append((time.perf_counter() - t0) * 1000)
            if r.status_code >= 500:
                raise SystemExit(f"{method} {path}: {r.status_code} {r.text}")

    before = [await clock(ex, me) for ex, _, me in runs]
    t0 = time.perf_counter()
    lags: list[float] = []
    await asyncio.gather(
        *(watch(base, ex, token, until, lags) for ex, token, _ in runs),
        *(learner(ex, me) for ex, _, me in runs),
    )
    wall = time.perf_counter() - t0
    after = [await clock(ex, me) for ex, _, me in runs]
    speeds = [(b - a) / wall for a, b in zip(before, after, strict=True)]
    print(
        f"(learners) {learners} learners self-studying at once, each run at speed 60 with its "
        f"live feed ({len(times) / wall:.0f} calls/s): API p50 {pct(times, 0.5):.0f} ms, p99 "
        f"{pct(times, 0.99):.0f} ms, max {max(times):.0f} ms; live p50 {pct(lags, 0.5):.0f} ms, "
        f"p99 {pct(lags, 0.99):.0f} ms ({len(lags):,} messages); the homes ran at speed "
        f"{min(speeds):.0f} to {max(speeds):.0f} (median {pct(speeds, 0.5):.0f}) (2 cores)"
    )
    for ex, _, me in runs:
        await client.post(f"/api/exercises/{ex}/control", json={"control": "end"}, headers=me)


async def class_load(
    client: httpx.AsyncClient,
    base: str,
    exercises: int,
    seconds: float,
    clients: int,
    per_client: int,
) -> None:
    """A class: `exercises` at speed 60, watched, then `clients` clients calling the API."""
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
    for ex, _ in live["students"]:  # the class ends
        await client.post(
            f"/api/exercises/{ex}/control", headers=live["teacher"], json={"control": "end"}
        )


async def fast_load(client: httpx.AsyncClient, base: str, seconds: float, clients: int) -> None:
    """(a) 20 exercises at speed 3600, watched, while `clients` clients call the API."""
    watched = asyncio.create_task(live_phase(client, base, 20, seconds, speed=3600))
    await asyncio.sleep(5)  # created and started
    while not watched.done() and len(await sim_times(client)) < 20:
        await asyncio.sleep(0.5)
    teacher = await sign_in(client)
    clocks = await sim_times(client)
    students = [(ex, "") for ex in clocks]
    t0 = time.perf_counter()
    times = await api_phase(client, teacher, students, clients, 3, think_s=1.0, teacher_only=True)
    wall = time.perf_counter() - t0
    later = await sim_times(client)  # the homes that ran all along: how fast they really ran
    speeds = [(later[ex] - clocks[ex]) / wall for ex in later if ex in clocks]
    live = await watched
    every = [t for ts in times.values() for t in ts]
    lags = live["lags"]
    print(
        f"(a) 20 exercises at speed 3600 and {clients} API clients "
        f"({len(every) / (time.perf_counter() - t0):.0f} calls/s): API p50 "
        f"{pct(every, 0.5):.0f} ms, p99 {pct(every, 0.99):.0f} ms, max {max(every):.0f} ms; "
        f"live p50 {pct(lags, 0.5):.0f} ms, p99 {pct(lags, 0.99):.0f} ms ({len(lags):,} messages); "
        f"the {len(speeds)} homes running throughout ran at speed {min(speeds):.0f} to "
        f"{max(speeds):.0f} (median {pct(speeds, 0.5):.0f})"
    )
    for name, ts in times.items():
        print(f"  {name:<14} p50 {pct(ts, 0.5):6.1f} ms   p99 {pct(ts, 0.99):6.1f} ms")
    for ex, _ in live["students"]:
        await client.post(
            f"/api/exercises/{ex}/control", headers=live["teacher"], json={"control": "end"}
        )


async def sim_times(client: httpx.AsyncClient) -> dict[int, float]:
    """The sim time of every running exercise, by id."""
    teacher = await sign_in(client)
    listed = (await client.get("/api/exercises", headers=teacher)).json()
    return {e["id"]: e["sim_s"] for e in listed if e["phase"] == "running"}


async def replay_load(client: httpx.AsyncClient) -> None:
    """(b) 8 students replaying different moments of a day-long exercise, 20 API clients."""
    teacher = await sign_in(client)
    ex = (
        await client.post(
            "/api/exercises", headers=teacher, json={"scenario": "quiet-day", "speed": 60}
        )
    ).json()
    eid = ex["id"]
    await client.post(f"/api/exercises/{eid}/control", headers=teacher, json={"control": "start"})
    await client.post(
        f"/api/exercises/{eid}/control",
        headers=teacher,
        json={"control": "step", "args": {"minutes": 1439}},
    )
    replays: list[float] = []
    tokens = []
    for i in range(8):  # each student asks with her own sign-in (replays are paced per person)
        joined = await client.post(
            f"/api/exercises/{eid}/join",
            json={"code": ex["join_code"], "name": f"r{i}", "role": "alarm_centre"},
        )
        tokens.append({"Authorization": f"Bearer {joined.json()['access_token']}"})

    async def student(i: int) -> None:
        for k in range(4):
            t0 = time.perf_counter()
            r = await client.get(
                f"/api/exercises/{eid}/home", headers=tokens[i], params={"at_min": 60 * i + 7 * k}
            )
            replays.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                raise SystemExit(f"home?at_min: {r.status_code} {r.text}")

    others = asyncio.create_task(
        api_phase(client, teacher, [(eid, "")], 20, 3, think_s=0.5, teacher_only=True)
    )
    await asyncio.gather(*(student(i) for i in range(8)))
    times = await others
    every = [t for ts in times.values() for t in ts]
    print(
        f"(b) 8 students replaying 32 moments of a day-long exercise (each answer "
        f"p50 {pct(replays, 0.5):.0f} ms, max {max(replays):.0f} ms) and 20 API clients: "
        f"API p50 {pct(every, 0.5):.0f} ms, p99 {pct(every, 0.99):.0f} ms, max {max(every):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--exercises", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5, help="Rounds of calls per client.")
    parser.add_argument(
        "--loads",
        default="class,a,b,study,learners,many",
        help="Which loads, comma-separated: class (speed 60), a (speed 3600), b (replays), "
        "study (self-study runs left paused), learners (200 learners self-studying at once), "
        "many (500 exercises at speed 60 in each of --layouts: bench/many.py).",
    )
    parser.add_argument(
        "--layouts",
        default=",".join(LAYOUTS),
        help="For `many`: single (the homes in the API's process), workers (one per core), "
        "servers (two API servers on one PostgreSQL).",
    )
    parser.add_argument("--many", type=int, default=500, help="Exercises of the `many` load.")
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="Where the lab keeps its state: SQLite (its default) or a PostgreSQL the bench "
        "starts (Debian's, on the same cores).",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}; the app database: {args.db}")
    chosen = args.loads.split(",")
    args.loads = ",".join(load for load in chosen if load != "many")
    if args.loads:
        one_lab(args)
    if "many" in chosen:
        run_many(args.layouts.split(","), args.many, args.seconds, args.clients)


def one_lab(args: argparse.Namespace) -> None:
    """The loads on one `mewet up` (its defaults: a worker per core)."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as servers:
        db_url = None
        if args.db == "postgresql":
            folder = Path(tempfile.mkdtemp(prefix="mewet-bench-pg-"))
            folder.chmod(0o755)  # its user (`postgres` when run as root) reaches its folder
            pg = postgres(folder / "pg").start()
            servers.callback(shutil.rmtree, folder, ignore_errors=True)
            servers.callback(pg.stop)
            db_url = pg.url()
        proc, base = start_lab(Path(tmp) / "data", db_url)
        try:
            asyncio.run(
                run(
                    base,
                    args.exercises,
                    args.seconds,
                    args.clients,
                    args.rounds,
                    args.loads,
                    proc.pid,
                )
            )
        except BaseException:
            print((Path(tmp) / "lab.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)


if __name__ == "__main__":
    main()
