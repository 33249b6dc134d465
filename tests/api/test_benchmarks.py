"""A company benchmarks its fall detector through the API, on a secured lab: the run plays
in a worker process, the company's analytics listens with the account it is given and
publishes through its own device, and the figures come back; every bad request is refused."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from mewet.benchmark.jobs import Benchmarks
from mewet.contract import Event, Topic
from tests.support.apiserver import COMPANY, TEACHER
from tests.support.helpers import eventually
from tests.support.securelab import ROOT, Device, secured_lab

OTHER_COMPANY = "dev@beta"


def listen(port: int, creds: dict[str, Any], detector: Device) -> paho.Client:
    """The company's analytics: reads the benchmark's homes with the account the API gave,
    relays the lab's own fall alarms ten seconds late through the detector device."""
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    client.username_pw_set(creds["username"], creds["password"])
    connected = threading.Event()
    client.on_connect = lambda *a: connected.set()
    sent = [0]

    def heard(c: paho.Client, u: object, msg: paho.MQTTMessage) -> None:
        if not msg.topic.endswith("/event"):
            return
        event = Event.model_validate_json(msg.payload)
        if event.event_type == "fall_detected":
            sent[0] += 1
            home = Topic.parse(msg.topic, ROOT).home
            detection = {
                "v": 1,
                "id": f"det-{sent[0]}",
                "ts": (event.ts + timedelta(seconds=10)).isoformat(),
                "seq": sent[0],
                "event_type": "fall_detected",
                "severity": "alarm",
                "data": {"home": home},
            }
            detector.send("event", json.dumps(detection))

    client.on_message = heard
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert connected.wait(10)
    for topic in creds["read"]:
        client.subscribe(topic, qos=1)
    return client


def test_a_company_benchmarks_its_detector_through_the_api(tmp_path: Path) -> None:
    with secured_lab(tmp_path) as lab:
        api = lab.api
        detector = lab.device("acme", "detector")
        body = {
            "home": "acme",
            "device": "detector",
            "scenarios": ["night-fall"],
            "seeds": "1-2",
            "speed": 3600,
            # delays count on arrival: at speed 3600 a tenth of a second on a busy machine is
            # six minutes of the home's time, on top of the radar's own 60-150 s
            "window_s": 1800,
        }
        r = api.call("POST", "/api/benchmarks", COMPANY, json=body)
        assert r.status_code == 202, r.text
        started = r.json()
        number = started["id"]
        assert started["homes"] == [f"bm{number}-night-fall-1", f"bm{number}-night-fall-2"]
        assert started["publish_to"] == f"{ROOT}/acme/detector/event"
        analytics = listen(lab.port, started["mqtt"], detector)
        try:
            # one at a time per company; others' runs are not theirs to see
            again = api.call("POST", "/api/benchmarks", COMPANY, json=body)
            assert again.status_code == 429 and "still running" in again.json()["detail"]
            assert api.call("GET", f"/api/benchmarks/{number}", OTHER_COMPANY).status_code == 404
            early = api.call("GET", f"/api/benchmarks/{number}/report.html", COMPANY)
            assert early.status_code == 409

            def done() -> dict[str, Any]:
                seen: dict[str, Any] = api.call("GET", f"/api/benchmarks/{number}", COMPANY).json()
                return seen if seen["status"] != "running" else {}

            finished = eventually(done, timeout_s=120, every_s=1)
        finally:
            analytics.loop_stop()
            analytics.disconnect()
        assert finished["status"] == "done", finished["error"]
        report = finished["report"]
        ref = report["reference"]
        assert report["falls"] == 2 and report["refused"] == 0
        assert report["detected"] == ref["detected"] > 0
        # it claims ten seconds after the lab's detectors; its delay is counted when its
        # detections reached the lab, which is never before the detector it relays
        assert report["delays_from"] == "arrival"
        assert report["delay_s"]["p50"] >= ref["delay_s"]["p50"]
        page = api.call("GET", f"/api/benchmarks/{number}/report.html", COMPANY)
        assert page.status_code == 200 and "<svg" in page.text
        assert "attachment" in page.headers["content-disposition"]
        listed = api.call("GET", "/api/benchmarks", COMPANY).json()
        assert [b["id"] for b in listed] == [number] and listed[0]["report"] is None
        assert api.call("GET", "/api/benchmarks", OTHER_COMPANY).json() == []
        # the analytics account was for this run only
        assert f"a.{number}" not in lab_accounts(tmp_path)
    # a lab started again on the same data lists the run, with its figures, and numbers on
    restarted = Benchmarks(tmp_path / "data" / "benchmarks", None)
    kept = restarted.jobs[number]
    assert (kept.status, kept.org, kept.homes) == ("done", "acme", started["homes"])
    assert kept.result == report
    assert restarted._last == number  # the next run is number + 1


def test_a_run_the_lab_stopped_during_is_listed_as_failed_after_a_restart(tmp_path: Path) -> None:
    """The record a lab leaves of a run it was playing when it stopped: failed, with why;
    an unreadable record is passed over, never a crash."""
    from datetime import UTC, datetime

    from mewet.benchmark.jobs import Job, _save

    now = datetime.now(UTC)
    _save(Job(1, "acme", "acme/d", ["bm1-night-fall-1"], 600, 300, tmp_path / "1", now, now))
    (tmp_path / "2").mkdir()
    (tmp_path / "2" / "job.json").write_text('{"id": "not a number"')
    restarted = Benchmarks(tmp_path, None)
    assert list(restarted.jobs) == [1]
    assert (restarted.jobs[1].status, restarted.jobs[1].error) == (
        "failed",
        "the lab stopped during the run",
    )
    assert restarted._last == 2


def lab_accounts(tmp_path: Path) -> set[str]:
    """The users Mosquitto's password file lets in."""
    lines = (tmp_path / "access" / "passwd").read_text().splitlines()
    return {line.split(":", 1)[0] for line in lines if line}


def test_bad_benchmark_requests_are_refused_in_plain_words(tmp_path: Path) -> None:
    with secured_lab(tmp_path) as lab:
        api = lab.api
        lab.device("acme", "detector").close()
        good: dict[str, Any] = {"home": "acme", "device": "detector", "scenarios": ["night-fall"]}
        cases: list[tuple[dict[str, Any], int, str]] = [
            ({"speed": 10}, 422, "speed"),
            ({"seeds": "1-9"}, 422, "at most 5 seeds"),
            ({"seeds": "9-1"}, 422, "goes down"),
            ({"seeds": "x" * 41}, 422, "seeds"),
            ({"scenarios": ["no-such-story"]}, 422, "not in the library"),
            ({"scenarios": ["../../etc/passwd"]}, 422, "scenarios"),
            ({"scenarios": []}, 422, "scenarios"),
            ({"scenarios": ["falls-by-chance"], "speed": 60}, 422, "raise the speed"),
            ({"window_s": 0}, 422, "window_s"),
            ({"speed": "fast"}, 422, "speed"),
            ({"truth": "please"}, 422, "truth"),
            ({"held_out": 13}, 422, "held_out"),
            ({"held_out": 0}, 422, "held_out"),
            ({"held_out": "many"}, 422, "held_out"),
            ({"held_out": 2, "speed": 20}, 422, "speed"),
            ({"device": "ghost"}, 404, "no device acme/ghost"),
        ]
        for change, code, says in cases:
            r = api.call("POST", "/api/benchmarks", COMPANY, json=good | change)
            assert r.status_code == code and says in r.text, (change, r.status_code, r.text)
        r = api.call("POST", "/api/benchmarks", TEACHER, json=good)
        assert r.status_code == 403
        r = api.call("POST", "/api/benchmarks", OTHER_COMPANY, json=good)
        assert r.status_code == 404  # acme's detector is not beta's
        assert api.call("GET", "/api/benchmarks/999", COMPANY).status_code == 404
        assert api.call("GET", "/api/benchmarks", None).status_code == 401
        # a company cannot claim a benchmark's home as its own
        r = api.call(
            "POST", "/api/devices", COMPANY, json={"home": "bm1-night-fall-1", "device": "x"}
        )
        assert r.status_code == 409 and "benchmarks" in r.text


def test_a_company_waits_its_turn_not_for_ever_and_each_may_cancel(tmp_path: Path) -> None:
    """With one benchmark worker, acme's long run holds it; beta's run is queued (202), not
    refused; acme cancels and beta's starts in turn. A company cannot cancel another's."""
    from mewet.config import Limits

    with secured_lab(tmp_path, Limits(benchmarks=1)) as lab:
        api = lab.api
        lab.device("acme", "detector").close()
        lab.device("beta", "detector", OTHER_COMPANY).close()
        body = {"scenarios": ["night-fall"], "seeds": "1", "speed": 600, "device": "detector"}
        first = api.call("POST", "/api/benchmarks", COMPANY, json=body | {"home": "acme"})
        assert first.status_code == 202 and first.json()["status"] == "running", first.text
        second = api.call("POST", "/api/benchmarks", OTHER_COMPANY, json=body | {"home": "beta"})
        assert second.status_code == 202 and second.json()["status"] == "queued", second.text
        a, b = first.json()["id"], second.json()["id"]
        assert api.call("DELETE", f"/api/benchmarks/{a}", OTHER_COMPANY).status_code == 404
        cancelled = api.call("DELETE", f"/api/benchmarks/{a}", COMPANY)
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

        def status(n: int, who: str) -> str:
            return str(api.call("GET", f"/api/benchmarks/{n}", who).json()["status"])

        eventually(lambda: status(b, OTHER_COMPANY) == "running", timeout_s=30)
        assert status(a, COMPANY) == "cancelled"
        eventually(lambda: f"a.{a}" not in lab_accounts(tmp_path), timeout_s=10)
        assert api.call("DELETE", f"/api/benchmarks/{b}", OTHER_COMPANY).json()["status"] == (
            "cancelled"
        )
        again = api.call("POST", "/api/benchmarks", COMPANY, json=body | {"home": "acme"})
        assert again.status_code == 202 and again.json()["status"] == "running", again.text
        api.call("DELETE", f"/api/benchmarks/{again.json()['id']}", COMPANY)


def test_a_company_benchmarks_on_a_secured_lab_from_the_command_line(tmp_path: Path) -> None:
    """`mewet benchmark --lab URL`: the lab plays the homes; the command prints the login the
    analytics read them with, waits, and writes the figures and the report page."""
    import os
    import subprocess
    import sys

    from tests.support.apiserver import PASSWORD

    with secured_lab(tmp_path) as lab:
        lab.device("acme", "detector").close()
        args = ["--detector", "acme/detector", "--scenarios", "night-fall", "--seeds", "1"]
        args += ["--speed", "3600", "--lab", lab.api.base, "--email", COMPANY]
        args += ["--out", str(tmp_path / "out"), "--json"]
        done = subprocess.run(
            [sys.executable, "-m", "mewet", "benchmark", *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "MEWET_PASSWORD": PASSWORD},
        )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["falls"] == 1 and report["detected"] == 0  # it never said a word
    assert "subscribe to mewet/bm1-night-fall-1/#" in " ".join(done.stderr.split())
    assert (tmp_path / "out" / "report.html").read_text().startswith("<!doctype html")
    assert json.loads((tmp_path / "out" / "report.json").read_text()) == report
