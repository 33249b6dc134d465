"""On a secured lab the lab pulls the plug itself, at the devices' door: a company's CI asks
the API for a run with `unplug`, and the Last Will, the reconnect back-off, the birth after
reconnecting and the persistent session are judged with nobody beside the device."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.test_conformance import FAULTY_DEVICE, device_process, verdicts
from tests.support.apiserver import COMPANY, PASSWORD
from tests.support.helpers import REPO, eventually
from tests.support.securelab import ROOT, SecuredLab, secured_lab


def through_the_api(lab: SecuredLab) -> dict[str, Any]:
    """A strict run that pulls the plug, asked of the API, waited for, its report."""
    base = "/api/devices/acme/t-1"
    body = {"watch_s": 6, "answer_s": 2, "strict": True, "unplug": True}
    r = lab.api.call("POST", f"{base}/conformance", COMPANY, json=body)
    assert r.status_code == 202, r.text
    run = eventually(
        lambda: [
            x
            for x in lab.api.call("GET", f"{base}/conformance", COMPANY).json()
            if x["status"] != "running"
        ],
        timeout_s=150,
        every_s=1,
    )[0]
    assert run["status"] == "done", run
    found: dict[str, Any] = lab.api.call("GET", run["report"], COMPANY).json()
    return found


def from_the_command_line(lab: SecuredLab, out: Path) -> dict[str, Any]:
    """`mewet conformance --lab URL --unplug --strict`, as a company's CI runs it."""
    args = ["acme/t-1", "--lab", lab.api.base, "--email", COMPANY, "--unplug", "--strict"]
    args += ["--watch", "6", "--answer", "2", "--out", str(out), "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "mewet", "conformance", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "MEWET_PASSWORD": PASSWORD},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conformance run 1 of acme/t-1 started on the lab" in done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    assert json.loads((out / "report.json").read_text()) == found
    return found


def run_unplugged(
    lab: SecuredLab, fault: str, run: Callable[[SecuredLab], dict[str, Any]]
) -> dict[str, Any]:
    """The faulty device (with `fault`) through the door, and a strict run that pulls its plug."""
    r = lab.api.call("POST", "/api/devices", COMPANY, json={"home": "acme", "device": "t-1"})
    login = r.json()
    args = ["127.0.0.1", str(lab.port), ROOT, "acme", "t-1", fault]
    args += [login["username"], login["password"]]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, str(FAULTY_DEVICE), *args], start_new_session=True, cwd=REPO
        )

    with device_process(start):
        eventually(
            lambda: (
                lab.api.call("GET", "/api/devices/acme/t-1", COMPANY).json()["status"] == "online"
            ),
            timeout_s=20,
        )
        started = time.monotonic()
        found = run(lab)
    assert time.monotonic() - started >= 20  # the plug stayed out 20 s
    return found


def test_a_correct_device_passes_strict_with_the_plug_pulled_by_the_lab(tmp_path: Path) -> None:
    """From the company's CI: `mewet conformance --lab URL --unplug --strict` exits 0."""
    with secured_lab(tmp_path, door=True) as lab:
        found = run_unplugged(lab, "none", lambda lab: from_the_command_line(lab, tmp_path / "r"))
    assert found["verdict"] == "pass" and "signature" in found, found
    assert set(verdicts(found).values()) <= {"pass", "not_applicable"}, verdicts(found)
    evidence = {c["id"]: c["evidence"] for c in found["checks"]}
    for check in ("last-will", "reconnect-backoff", "back-online", "persistent-session"):
        assert verdicts(found)[check] == "pass", (check, evidence[check])
    assert "offline" in evidence["last-will"][0] and "retained" in evidence["last-will"][0]
    said = evidence["reconnect-backoff"][0]
    assert "reconnects refused, then let in; tries" in said
    gaps = [float(g) for g in said.split("; tries ")[1].split(" s apart")[0].split(", ")]
    assert len(gaps) >= 3 and gaps[-1] > gaps[0] * 1.5, gaps  # 1 s doubling


def test_a_device_that_never_backs_off_fails_exactly_reconnect_backoff(tmp_path: Path) -> None:
    with secured_lab(tmp_path, door=True) as lab:
        found = run_unplugged(lab, "no-backoff", through_the_api)
    failed = sorted(c for c, v in verdicts(found).items() if v == "fail")
    assert failed == ["reconnect-backoff"], found
    [check] = [c for c in found["checks"] if c["id"] == "reconnect-backoff"]
    assert "the pause between tries never grows" in check["evidence"]
    assert check["hint"].startswith("Wait longer before each new try")


def test_the_plug_cannot_be_pulled_on_a_lab_without_a_door(tmp_path: Path) -> None:
    with secured_lab(tmp_path) as lab:
        lab.api.call("POST", "/api/devices", COMPANY, json={"home": "acme", "device": "t-1"})
        r = lab.api.call(
            "POST", "/api/devices/acme/t-1/conformance", COMPANY, json={"unplug": True}
        )
    assert r.status_code == 409
    assert "no devices' door" in r.json()["detail"]


@pytest.mark.parametrize("unplug", ["yes", 2, None])
def test_unplug_takes_only_true_or_false(tmp_path: Path, unplug: object) -> None:
    with secured_lab(tmp_path, door=True) as lab:
        lab.api.call("POST", "/api/devices", COMPANY, json={"home": "acme", "device": "t-1"})
        r = lab.api.call(
            "POST", "/api/devices/acme/t-1/conformance", COMPANY, json={"unplug": unplug}
        )
    assert r.status_code == 422, r.text
