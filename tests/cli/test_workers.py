"""`mewet up` runs the exercises' homes in worker processes, one per core: a class's student
gets her broker account from the worker that runs her exercise, and a worker killed mid-class
hands the class to the other worker within seconds and is started again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from mewet.config import MqttUrl
from mewet.exercises.db import AppDb
from mewet.servers import free_port
from mewet.transport.client import MqttLink, Received
from tests.cli.test_cli import run_lab
from tests.cli.test_supervision import children, health
from tests.support.appdb import app_db_url
from tests.support.helpers import eventually

TEACHER, PASSWORD = "anna@north", "s3cret-pass"


def add_teacher(data: Path) -> None:
    url = app_db_url(data)
    env = {**os.environ, **({"MEWET_DB_URL": url} if url else {})}
    argv = [sys.executable, "-m", "mewet", "user", "add", "--data-dir", str(data)]
    argv += ["--email", TEACHER, "--role", "teacher", "--org", "North", "--password", PASSWORD]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def running_it(data: Path, exercise: int) -> str:
    """The address of the worker whose lease on the exercise holds."""
    db = AppDb(data / "app.db", app_db_url(data))
    try:
        row = db.one("SELECT server FROM leases WHERE exercise = ?", (exercise,))
    finally:
        db.close()
    assert row is not None
    return str(row["server"])


def test_a_worker_killed_hands_its_class_to_the_other_and_is_started_again(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    add_teacher(data)
    port, devices = free_port(), free_port()
    seen: dict[str, Any] = {}

    def the_class(api: int) -> None:
        lab = next(iter(children(os.getpid(), "mewet up")))
        with httpx.Client(base_url=f"http://127.0.0.1:{api}", timeout=30) as c:
            r = c.post("/api/auth/token", data={"username": TEACHER, "password": PASSWORD})
            teacher = {"Authorization": f"Bearer {r.json()['access_token']}"}
            body = {"scenario": "night-fall", "roles": ["alarm_centre"], "speed": 60}
            ex = c.post("/api/exercises", json=body, headers=teacher).json()
            assert c.post(
                f"/api/exercises/{ex['id']}/control", json={"control": "start"}, headers=teacher
            ).is_success
            joined = c.post(
                "/api/join",
                json={"code": ex["join_code"], "name": "Ada", "role": "alarm_centre"},
            ).json()
            # her broker account comes from the worker that runs her exercise
            got: list[Received] = []
            mqtt = joined["mqtt"]
            student = MqttLink(
                MqttUrl("127.0.0.1", devices, mqtt["username"], mqtt["password"]),
                f"student-{mqtt['username']}",
                on_message=got.append,
                threaded=True,
            )
            student.connect()
            student.follow(*mqtt["read"])
            eventually(lambda: got, timeout_s=20)
            student.close()

            worker = running_it(data, ex["id"])
            [pid] = [
                p
                for p in children(lab, "mewet worker")
                if f"--port {urlsplit(worker).port}" in cmdline(p)
            ]
            os.kill(pid, signal.SIGKILL)

            def taken_over() -> dict[str, Any] | None:
                """Answered again, by a worker alive (the other, or this one started
                again: whichever took the lease first)."""
                r = c.get(f"/api/exercises/{ex['id']}", headers=teacher)
                assert r.status_code in (200, 503), r.text
                port = urlsplit(running_it(data, ex["id"])).port
                now = [p for p in children(lab, "mewet worker") if f"--port {port}" in cmdline(p)]
                if r.status_code != 200 or now in ([], [pid]):
                    return None
                out: dict[str, Any] = r.json()
                return out

            after = eventually(taken_over, timeout_s=20, every_s=0.5)
            assert after is not None and after["phase"] == "running"  # it runs on
            me = {"Authorization": f"Bearer {joined['access_token']}"}
            r = c.post(f"/api/exercises/{ex['id']}/notes", json={"text": "Soitin."}, headers=me)
            assert r.status_code == 201, r.text
            restarted = eventually(
                lambda: [
                    p
                    for p in health(api)["parts"]
                    if p["name"].startswith("worker") and p["restarts"] and p["state"] == "running"
                ],
                timeout_s=30,
            )
            seen["restarted"] = restarted

    code, err, store = run_lab(
        data,
        "--mqtt-port",
        str(port),
        "--device-port",
        str(devices),
        "--secure-broker",
        "--workers",
        "2",  # whatever the machine's cores
        while_running=the_class,
    )
    store.close()
    assert code == 0, err
    assert len(seen["restarted"]) == 1
    assert "stopped (exit code -9); starting it again" in " ".join(err.split())


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
