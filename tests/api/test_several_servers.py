"""Two `mewet api` servers on one broker and one PostgreSQL, as a school's IT runs them behind
a proxy: a teacher on one, her students on the other; the first killed, the class goes on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from mewet.api.security import hash_password
from mewet.config import MqttUrl
from mewet.exercises.db import AppDb
from mewet.servers import PostgresServer, free_port
from tests.cli.test_supervision import children
from tests.support.apiserver import (
    ACCOUNTS,
    PASSWORD,
    SECRET,
    TEACHER,
    Api,
    act,
    control,
    create,
    frames,
)
from tests.support.appdb import fresh_database
from tests.support.helpers import REPO, eventually, unique_root

WORKERS = 2


def start_api(name: str, port: int, env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    """`mewet api` with its two workers (on the two ports after its own), in a folder of its
    own."""
    folder = folder / name
    folder.mkdir()
    log = (folder / "api.log").open("wb")
    argv = [sys.executable, "-m", "mewet", "api", "--port", str(port), "--data-dir", str(folder)]
    return subprocess.Popen(
        [*argv, "--workers", str(WORKERS)],
        env={**env, "MEWET_SERVER_URL": f"http://127.0.0.1:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def logs(folder: Path) -> str:
    """The end of every log of a test's servers, for a failure to show."""
    return "\n".join(
        f"--- {log.relative_to(folder)}\n{log.read_text(errors='replace')[-3000:]}"
        for log in sorted(folder.glob("*/*.log"))
    )


def serving(
    ports: tuple[int, int], servers: tuple[subprocess.Popen[bytes], ...], folder: Path
) -> None:
    """Wait until both servers answer; fail at once, with their logs, if one has stopped."""
    deadline = time.monotonic() + 60
    while not (up(ports[0]) and up(ports[1])):
        stopped = [s.args for s in servers if s.poll() is not None]
        if stopped or time.monotonic() > deadline:
            pytest.fail(f"the servers did not start (stopped: {stopped}):\n{logs(folder)}")
        time.sleep(0.1)


@contextmanager
def proxy(folder: Path, servers: tuple[int, int]) -> Iterator[Api]:
    """The deployment's Caddy (proxy/Caddyfile) in front of the two servers."""
    port = free_port()
    env = {
        **os.environ,
        "MEWET_PROXY_PORT": str(port),
        "MEWET_API_SERVERS": " ".join(f"127.0.0.1:{p}" for p in servers),
        "HOME": str(folder),  # where Caddy keeps its own state
        "XDG_DATA_HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder),
    }
    argv = ["caddy", "run", "--config", str(REPO / "proxy/Caddyfile"), "--adapter", "caddyfile"]
    with (folder / "caddy.log").open("wb") as log:
        caddy = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        eventually(lambda: up(port), timeout_s=30)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield Api(f"http://127.0.0.1:{port}", "", client)
    finally:
        caddy.terminate()
        caddy.wait(10)


def up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def two_servers(
    tmp_path: Path, mqtt_url: MqttUrl, postgres_server: PostgresServer
) -> Iterator[tuple[Api, Api, subprocess.Popen[bytes], Api]]:
    url = fresh_database(postgres_server, f"several_{os.getpid()}")
    db = AppDb(tmp_path / "unused.db", url)
    for email, (role, org) in ACCOUNTS.items():
        db.add_user(email, role, org, hash_password(PASSWORD))
    db.close()
    root = unique_root()
    env = {
        **os.environ,
        "MEWET_DB_URL": url,
        "MEWET_MQTT_URL": f"mqtt://{mqtt_url.host}:{mqtt_url.port}",
        "MEWET_SECRET_KEY": SECRET,
        "MEWET_TOPIC_ROOT": root,
    }
    ports = free_port(WORKERS + 1), free_port(WORKERS + 1)
    while abs(ports[0] - ports[1]) <= WORKERS:
        ports = ports[0], free_port(WORKERS + 1)
    a = start_api("a", ports[0], env, tmp_path)
    b = start_api("b", ports[1], env, tmp_path)
    try:
        serving(ports, (a, b), tmp_path)
        with (
            httpx.Client(base_url=f"http://127.0.0.1:{ports[0]}", timeout=30) as on_a,
            httpx.Client(base_url=f"http://127.0.0.1:{ports[1]}", timeout=30) as on_b,
            proxy(tmp_path, ports) as through_proxy,
        ):
            yield (
                Api(f"http://127.0.0.1:{ports[0]}", root, on_a),
                Api(f"http://127.0.0.1:{ports[1]}", root, on_b),
                a,
                through_proxy,
            )
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in (a, b):
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def joined(api: Api, code: str, role: str, name: str) -> str:
    r = api.call("POST", "/api/join", json={"code": code, "name": name, "role": role})
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def seen(api: Api, ex: int, who: str) -> dict[str, Any]:
    r = api.call("GET", f"/api/exercises/{ex}", who)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_a_class_on_two_servers_goes_on_when_the_teachers_server_is_killed(
    two_servers: tuple[Api, Api, subprocess.Popen[bytes], Api],
) -> None:
    on_a, on_b, server_a, on_proxy = two_servers
    # the teacher's browser reached server A; her students' phones reach server B
    ex = create(on_a)
    eid = ex["id"]
    # run by one of A's workers, its join link is still where the teacher's browser came
    assert ex["join_url"].startswith(f"{on_a.base}/join?code=")
    centre = joined(on_b, ex["join_code"], "alarm_centre", "Ada")
    feed = on_b.live(eid, centre)  # relayed by B from A, which runs the exercise
    assert frames(feed, lambda f: f["type"] == "snapshot")[-1]["clock"]["phase"] == "created"
    # and one more through the deployment's proxy, which spreads requests over both
    care = joined(on_proxy, ex["join_code"], "home_care", "Bo")
    care_feed = on_proxy.live(eid, care)
    frames(care_feed, lambda f: f["type"] == "snapshot")
    control(on_a, eid, "start")
    control(on_a, eid, "step", minutes=555)  # 03:15, past the fall at 03:10
    alarm = frames(feed, lambda f: f["type"] == "alarm")[-1]
    assert act(on_b, eid, centre, "answer", case=alarm["id"]).status_code == 200
    assert act(on_b, eid, centre, "talk", case=alarm["id"]).status_code == 200
    frames(feed, lambda f: f["type"] == "action" and f["action"] == "talked")
    control(on_a, eid, "resume")
    # the teacher sees her exercise from either server
    listed = on_b.call("GET", "/api/exercises", TEACHER).json()
    assert [e["id"] for e in listed] == [eid]
    earlier = create(on_a, title="SH24B")  # an earlier group's, ended: its debrief stays
    control(on_a, earlier["id"], "start")
    control(on_a, earlier["id"], "end")

    for pid in [*children(server_a.pid, "mewet worker"), server_a.pid]:
        os.kill(pid, signal.SIGKILL)  # the whole server: its workers and its front
    server_a.wait(10)
    with pytest.raises(ConnectionClosed) as closed:  # the feed relayed from A: reconnect
        frames(feed, lambda f: False, timeout_s=20)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
    with pytest.raises(ConnectionClosed):  # A's, or relayed from A by B
        frames(care_feed, lambda f: False, timeout_s=20)

    # until B takes the exercise over (within seconds), it says so in plain words
    def taken_over() -> dict[str, Any] | None:
        r = on_b.call("GET", f"/api/exercises/{eid}", TEACHER)
        if r.status_code == 503:
            assert "moving to another server" in r.json()["detail"]
            assert r.headers["retry-after"] == "3"
            return None
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out

    started = time.monotonic()
    after = eventually(taken_over, timeout_s=30, every_s=0.5)
    assert after is not None
    took = time.monotonic() - started
    assert took < 15, f"taken over after {took:.1f} s"
    # restored to where its clock was last kept (every 5 s), its last input (resume) before
    assert after["phase"] == "running" and after["sim_s"] >= 555 * 60
    # her list on B still has the earlier group's, ended, as A kept it; its debrief opens
    # on B (once A's lease on it has run out: "moving" until then)
    listed = on_b.call("GET", "/api/exercises", TEACHER).json()
    assert {e["id"]: e["phase"] for e in listed} == {eid: "running", earlier["id"]: "ended"}
    debrief = f"/api/exercises/{earlier['id']}/debrief"
    eventually(lambda: on_b.call("GET", debrief, TEACHER).status_code == 200, 15, 0.5)

    # the page reconnects: the same class, every action kept, the clock running on B
    feed = on_b.live(eid, centre)
    snapshot = frames(feed, lambda f: f["type"] == "snapshot")[-1]
    assert [a["action"] for a in snapshot["actions"]] == ["answered", "talked"]
    assert [c["id"] for c in snapshot["cases"]] == [alarm["id"]]

    def dispatched() -> bool:  # once the talk is over (90 s in the home: 1.5 s at speed 60)
        r = act(on_b, eid, centre, "dispatch_home_care", case=alarm["id"])
        assert r.status_code in (200, 409), r.text
        return bool(r.status_code == 200)

    eventually(dispatched, timeout_s=10, every_s=0.5)
    frames(feed, lambda f: f["type"] == "action" and f["action"].startswith("dispatched"))
    feed.close()
    # the home care nurse's page reconnects through the proxy, to B alone now
    care_feed = on_proxy.live(eid, care)
    snapshot = frames(care_feed, lambda f: f["type"] == "snapshot")[-1]
    assert snapshot["clock"]["phase"] == "running"
    assert act(on_proxy, eid, care, "arrive").status_code in (200, 409)  # answered, by B
    # signing out on A's replacement closes her feed wherever it runs (B's worker here)
    assert on_b.call("POST", "/api/auth/logout", care).status_code == 204
    with pytest.raises(ConnectionClosed) as closed:
        frames(care_feed, lambda f: False, timeout_s=15)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    going = after["sim_s"]
    eventually(lambda: seen(on_b, eid, TEACHER)["sim_s"] > going, timeout_s=20)
