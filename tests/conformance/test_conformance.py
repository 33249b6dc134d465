"""Conformance runs on the real broker: the docs' shell device (Mosquitto's C clients, no
paho) passes every check, the operator's plug pulled and put back; a deliberately broken
device fails exactly the checks it should, each with its evidence; the reports are JSON,
JUnit XML and HTML."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from mewet.config import MqttUrl
from mewet.conformance.report import report, write
from mewet.conformance.run import Plan, observe
from mewet.contract import MAX_PAYLOAD_BYTES
from mewet.transport.client import MqttLink
from tests.support.helpers import REPO, eventually, unique_root

SHELL_DEVICE = REPO / "docs" / "examples" / "shell-device.sh"
BROKEN_DEVICE = Path(__file__).with_name("broken_device.py")


@contextmanager
def device_process(
    start: Callable[[], subprocess.Popen[bytes]],
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """A device as a process group of its own (a shell and its clients); the list holds the
    running one, so a test can pull the plug (SIGKILL to the group) and start it again."""
    running = [start()]
    try:
        yield running
    finally:
        for p in running:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def wait_online(url: MqttUrl, base: str) -> None:
    """Until the device's retained `online` is on the broker (the operator starts the run on
    a device that is up)."""
    got: list[bytes] = []
    link = MqttLink(
        url,
        f"wait-{base.replace('/', '-')}",
        on_message=lambda m: got.append(m.payload),
        subscriptions=(f"{base}/status",),
        threaded=True,
    ).connect()
    try:
        eventually(lambda: b"online" in got, timeout_s=20)
    finally:
        link.close()


def pull_plug(p: subprocess.Popen[bytes]) -> None:
    """Power cut: every process of the device dies at once, no goodbye to the broker."""
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()


def verdicts(found: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["verdict"] for c in found["checks"]}


def test_the_docs_shell_device_passes_every_check_with_the_plug_pulled_and_put_back(
    mqtt_url: MqttUrl, tmp_path: Path
) -> None:
    root = unique_root()
    env = {
        **os.environ,
        "MQTT_HOST": mqtt_url.host,
        "MQTT_PORT": str(mqtt_url.port),
        "ROOT": root,
        "HOME_ID": "acme",
        "DEVICE": "thermo-1",
    }

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            ["sh", str(SHELL_DEVICE)],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    with device_process(start) as running:
        wait_online(mqtt_url, f"{root}/acme/thermo-1")
        plan = Plan(
            watch_s=12,
            answer_s=8,
            will_s=20,
            unplug=lambda: pull_plug(running[0]),
            replug=lambda: running.append(start()),
        )
        found = report(observe(mqtt_url, root, "acme", "thermo-1", plan), strict=True)
    # the run cannot see a device's connection attempts when a person pulls the plug: the
    # back-off is judged where the lab pulls it (at its devices' door)
    expected = {c: "pass" for c in verdicts(found)} | {"reconnect-backoff": "not_applicable"}
    assert verdicts(found) == expected, found
    assert len(found["checks"]) == 21 and found["verdict"] == "pass"
    evidence = {c["id"]: c["evidence"] for c in found["checks"]}
    assert "offline" in evidence["last-will"][0]
    assert "answered" in evidence["persistent-session"][0]
    assert "online" in evidence["back-online"][0]
    write(found, tmp_path)
    suite = ET.parse(tmp_path / "report.xml").getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("21", "0")


def test_a_broken_device_fails_exactly_the_checks_it_should_each_with_evidence(
    mqtt_url: MqttUrl, tmp_path: Path
) -> None:
    """seq +2, a clock an hour ahead, an undeclared event, no Last Will, no command result."""
    root = unique_root()

    def start() -> subprocess.Popen[bytes]:
        args = [mqtt_url.host, str(mqtt_url.port), root, "broken", "door-1"]
        return subprocess.Popen(
            [sys.executable, str(BROKEN_DEVICE), *args], start_new_session=True, cwd=REPO
        )

    with device_process(start) as running:
        wait_online(mqtt_url, f"{root}/broken/door-1")
        plan = Plan(watch_s=10, answer_s=3, will_s=5, unplug=lambda: pull_plug(running[0]))
        found = report(observe(mqtt_url, root, "broken", "door-1", plan))
    failed = sorted(c for c, v in verdicts(found).items() if v == "fail")
    assert failed == [
        "bad-argument-refused",
        "command-redelivered",
        "commands-answered",
        "events-declared",
        "last-will",
        "seq-by-one",
        "ts-skew",
        "unknown-command-refused",
    ]
    assert verdicts(found)["persistent-session"] == "not_applicable"
    assert found["verdict"] == "fail"
    why = {c["id"]: " | ".join(c["evidence"]) for c in found["checks"]}
    jump = re.search(r"seq (\d+) after (\d+)", why["seq-by-one"])
    assert jump and int(jump[1]) - int(jump[2]) == 2
    assert "'exploded' not declared (opened)" in why["events-declared"]
    assert "3600 s off" in why["ts-skew"] or "3599 s off" in why["ts-skew"]
    assert "no command_result within 3 s" in why["commands-answered"]
    assert "status never went offline" in why["last-will"]
    write(found, tmp_path)
    suite = ET.parse(tmp_path / "report.xml").getroot()
    failures = [str(c.get("name")) for c in suite.iter("testcase") if c.find("failure") is not None]
    assert sorted(failures) == failed
    page = (tmp_path / "report.html").read_text()
    assert "FAIL" in page and "status never went offline" in page


def test_without_an_operator_the_plug_checks_are_not_applicable(mqtt_url: MqttUrl) -> None:
    """Nobody to pull the plug (the default): the Last Will and the persistent session are
    'not applicable', said so, and nothing else changes; a device that never appears gets
    failures for what it should have retained, not a crash."""
    root = unique_root()
    found = report(observe(mqtt_url, root, "nobody", "ghost", Plan(watch_s=2)))
    v = verdicts(found)
    assert v["last-will"] == "not_applicable" and v["persistent-session"] == "not_applicable"
    assert v["status-online"] == v["meta-valid"] == v["state-valid"] == "fail"
    assert v["seq-by-one"] == "inconclusive"


@pytest.mark.parametrize("bad", ["acme", "acme/", "../etc/passwd", "Acme/Plug", "a/b/c"])
def test_the_command_refuses_a_device_that_is_not_home_slash_device(bad: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mewet", "conformance", bad, "--mqtt", "mqtt://127.0.0.1:1"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "HOME/DEVICE" in done.stderr and "Traceback" not in done.stderr


def test_the_devices_guide_lists_every_check() -> None:
    """A company reads in docs/devices.md what each check wants: none is missing there."""
    from mewet.conformance.checks import CHECKS

    guide = (REPO / "docs" / "devices.md").read_text()
    assert [c.id for c in CHECKS if f"`{c.id}`" not in guide] == []


def test_a_flooding_device_cannot_fill_the_lab_s_memory(
    mqtt_url: MqttUrl, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run keeps a bounded number of messages and counts the rest (here 100, to flood
    it quickly): the report says how many were not kept, and still judges what was."""
    import threading

    from mewet.conformance import run

    monkeypatch.setattr(run, "KEPT", 100)
    root = unique_root()
    flood = MqttLink(mqtt_url, f"flood-{root}").connect()

    def send() -> None:
        time.sleep(1.5)
        for i in range(300):
            flood.publish(f"{root}/acme/flood/telemetry", b'{"v": 1, "id": "x%d"}' % i)
        flood.wait_published(30)

    sender = threading.Thread(target=send)
    sender.start()
    found = report(observe(mqtt_url, root, "acme", "flood", Plan(watch_s=4)))
    sender.join()
    flood.close()
    assert found["messages"] == 100 and found["not_kept"] == 200
    assert verdicts(found)["payloads-valid"] == "fail"


def test_every_check_has_its_title_in_finnish_and_english() -> None:
    """The company page names each check in the page's language."""
    from mewet.conformance.checks import CHECKS
    from mewet.texts import LANGUAGES, catalogue

    for lang in LANGUAGES:
        titles = catalogue(lang)["check_titles"]
        assert [c.id for c in CHECKS if not titles.get(c.id)] == [], lang


FAULTY_DEVICE = Path(__file__).with_name("faulty_device.py")
FAULTS = [
    # (the device's one fault, the checks it fails, words of their evidence)
    ("late", ["commands-answered"], "(limit 2 s), ok=True → 1."),
    (
        "retained-only",
        [
            "bad-argument-refused",
            "command-redelivered",
            "commands-answered",
            "live-messages",
            "reporting-period",
            "unknown-command-refused",
        ],
        "no telemetry or event in the 6 s watched",
    ),
    ("will-not-retained", ["last-will"], "but not retained: a new subscriber then got 'online'"),
    ("retained-telemetry", ["readings-not-retained"], "telemetry is retained"),
    ("silent-channel", ["reporting-period"], "humidity: declared every 1 s, not one reading"),
    (
        "wrong-ref",
        [
            "bad-argument-refused",
            "command-redelivered",
            "commands-answered",
            "unknown-command-refused",
        ],
        "with ref 'nope', which names no command sent",
    ),
    (
        "accepts-anything",
        ["bad-argument-refused", "unknown-command-refused"],
        "ok=True for a command it does not declare",
    ),
]


@pytest.mark.parametrize(("fault", "failing", "told"), FAULTS, ids=[f[0] for f in FAULTS])
def test_a_device_with_one_fault_fails_exactly_its_check(
    mqtt_url: MqttUrl, fault: str, failing: list[str], told: str
) -> None:
    """Each fault a company's engineer tried fails its own check, with evidence that says
    what happened; nothing passes that was not checked."""
    root = unique_root()

    def start() -> subprocess.Popen[bytes]:
        args = [mqtt_url.host, str(mqtt_url.port), root, "faulty", "t-1", fault]
        return subprocess.Popen(
            [sys.executable, str(FAULTY_DEVICE), *args], start_new_session=True, cwd=REPO
        )

    with device_process(start) as running:
        wait_online(mqtt_url, f"{root}/faulty/t-1")
        time.sleep(1)  # retained-only: its process is gone by now
        unplug = (lambda: pull_plug(running[0])) if fault == "will-not-retained" else None
        plan = Plan(watch_s=6, answer_s=2, will_s=10, unplug=unplug)
        found = report(observe(mqtt_url, root, "faulty", "t-1", plan))
    failed = sorted(c for c, v in verdicts(found).items() if v == "fail")
    assert failed == failing, found
    evidence = " | ".join(" | ".join(c["evidence"]) for c in found["checks"] if c["id"] in failed)
    assert told in evidence, evidence
    assert found["verdict"] == "fail" and found["checks"][0]["verdict"] == "fail"  # first
    assert all(c["hint"] for c in found["checks"] if c["verdict"] == "fail")


@pytest.mark.parametrize(
    ("again", "told"),
    [
        ("silent-return", "status stayed offline (it never said online again)"),
        ("no-rebirth", "never published meta and state again"),
    ],
)
def test_a_device_not_born_again_after_a_power_cut_fails_back_online(
    mqtt_url: MqttUrl, again: str, told: str
) -> None:
    """Plugged back in, the device sends its readings but not its birth: never `online`
    again (the page would show it offline for good: its Will said so), or no meta and state
    (what changed while it was away is not said). `back-online` fails and says which."""
    root = unique_root()
    starts = iter(["none", again])

    def start() -> subprocess.Popen[bytes]:
        args = [mqtt_url.host, str(mqtt_url.port), root, "faulty", "t-1", next(starts)]
        return subprocess.Popen(
            [sys.executable, str(FAULTY_DEVICE), *args], start_new_session=True, cwd=REPO
        )

    with device_process(start) as running:
        wait_online(mqtt_url, f"{root}/faulty/t-1")
        plan = Plan(
            watch_s=6,
            answer_s=2,
            will_s=8,
            unplug=lambda: pull_plug(running[0]),
            replug=lambda: running.append(start()),
        )
        found = report(observe(mqtt_url, root, "faulty", "t-1", plan))
    checks = {c["id"]: c for c in found["checks"]}
    assert checks["last-will"]["verdict"] == "pass"
    assert checks["back-online"]["verdict"] == "fail"
    assert told in checks["back-online"]["evidence"][0]
    assert "retained" in checks["back-online"]["hint"]


def test_the_same_device_without_its_fault_passes_strict(mqtt_url: MqttUrl, tmp_path: Path) -> None:
    """Strict (for CI): an inconclusive check fails the run, and JUnit says so; the correct
    device, watched long enough, passes strict with nothing left undecided but the plug
    checks nobody pulled."""
    root = unique_root()

    def start() -> subprocess.Popen[bytes]:
        args = [mqtt_url.host, str(mqtt_url.port), root, "fine", "t-1", "none"]
        return subprocess.Popen(
            [sys.executable, str(FAULTY_DEVICE), *args], start_new_session=True, cwd=REPO
        )

    with device_process(start):
        wait_online(mqtt_url, f"{root}/fine/t-1")
        record = observe(mqtt_url, root, "fine", "t-1", Plan(watch_s=6, answer_s=2))
    found = report(record, strict=True)
    assert found["verdict"] == "pass" and found["counts"]["inconclusive"] == 0, found
    # a device that never appears: inconclusive checks fail a strict run, and JUnit says why
    nobody = report(observe(mqtt_url, root, "nobody", "ghost", Plan(watch_s=2)), strict=True)
    write(nobody, tmp_path)
    suite = ET.parse(tmp_path / "report.xml").getroot()
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["strict"] == "true" and int(props["inconclusive"] or 0) >= 1
    failures = {str(c.get("name")) for c in suite.iter("testcase") if c.find("failure") is not None}
    inconclusive = {c["id"] for c in nobody["checks"] if c["verdict"] == "inconclusive"}
    assert inconclusive and inconclusive <= failures
    assert int(suite.get("failures") or 0) == nobody["counts"]["fail"] + len(inconclusive)


def test_a_company_tests_its_device_on_the_secured_lab_from_its_ci(tmp_path: Path) -> None:
    """On a secured lab the company asks the API for a tester login (reads its device's
    topics, sends its commands) and runs `mewet conformance --strict` with it: a real
    verdict, not the false "declares no commands" its device's own login gave."""
    from tests.support.apiserver import COMPANY
    from tests.support.securelab import ROOT as LAB_ROOT
    from tests.support.securelab import secured_lab

    with secured_lab(tmp_path) as lab:
        api = lab.api
        r = api.call("POST", "/api/devices", COMPANY, json={"home": "acme", "device": "t-1"})
        device = r.json()
        args = ["127.0.0.1", str(lab.port), LAB_ROOT, "acme", "t-1", "none"]
        args += [device["username"], device["password"]]

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, str(FAULTY_DEVICE), *args], start_new_session=True, cwd=REPO
            )

        tester = api.call("POST", "/api/devices/acme/t-1/tester", COMPANY)
        assert tester.status_code == 201, tester.text
        login = tester.json()
        assert login["read"] == [f"{LAB_ROOT}/acme/t-1/#"]
        assert login["write"] == [f"{LAB_ROOT}/acme/t-1/cmd/#"]
        assert api.call("POST", "/api/devices/acme/t-1/tester", "dev@beta").status_code == 404
        assert api.call("POST", "/api/devices/acme/nobody/tester", COMPANY).status_code == 404
        url = f"mqtt://{login['username']}:{login['password']}@127.0.0.1:{lab.port}"
        with device_process(start):
            wait_online(MqttUrl.parse(url), f"{LAB_ROOT}/acme/t-1")
            command = ["conformance", "acme/t-1", "--mqtt", url, "--watch", "6", "--answer", "2"]
            out = subprocess.run(
                [sys.executable, "-m", "mewet", *command, "--strict", "--json"],
                check=False,
                capture_output=True,
                text=True,
                timeout=60,
                env={**os.environ, "MEWET_TOPIC_ROOT": LAB_ROOT},
            )
        assert out.returncode == 0, out.stdout + out.stderr
        found = json.loads(out.stdout)
        assert found["verdict"] == "pass" and found["strict"] is True
        assert verdicts(found)["commands-answered"] == "pass"


def test_a_run_keeps_a_bounded_number_of_bytes(mqtt_url: MqttUrl) -> None:
    """300 payloads of 200 kB (60 MB): the run keeps the first 64 KiB of each, enough to say
    it was too large, and 16 MiB in all; the rest is counted, and the evidence names the
    whole size."""
    import threading

    from mewet.conformance.run import KEPT_BYTES

    root = unique_root()
    flood = MqttLink(mqtt_url, f"flood-{root}").connect()

    def send() -> None:
        time.sleep(1.5)
        for _ in range(300):
            flood.publish(f"{root}/acme/flood/telemetry", b"x" * 200_000)
        flood.wait_published(30)

    sender = threading.Thread(target=send)
    sender.start()
    record = observe(mqtt_url, root, "acme", "flood", Plan(watch_s=4))
    sender.join()
    flood.close()
    assert record.kept_bytes <= KEPT_BYTES
    assert len(record.seen) == KEPT_BYTES // (MAX_PAYLOAD_BYTES + 1)
    assert record.not_kept == 300 - len(record.seen)
    found = report(record)
    assert "200000 bytes, over 65536" in json.dumps(found["checks"])
