"""A company tests its device through the API: the run goes on in the background, its report
is kept per device and listed, and every limit answers in plain words; on the real
Mosquitto (secured), ingest and store."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from mewet.config import Limits
from tests.api.test_devices import META
from tests.support.apiserver import ADMIN, COMPANY, TEACHER
from tests.support.helpers import eventually
from tests.support.securelab import secured_lab

RUN = "/api/devices/acme/plug-1/conformance"


def test_a_company_runs_a_conformance_test_through_the_api_and_downloads_the_report(
    tmp_path: Path,
) -> None:
    with secured_lab(tmp_path, Limits(conformance_runs=1)) as lab:
        api = lab.api
        plug = lab.device("acme", "plug-1")
        lab.device("acme", "plug-2").close()
        plug.send("status", "online", retain=True)
        plug.send("meta", json.dumps(META), retain=True)
        plug.send("state", '{"on": true}', retain=True)
        r = api.call("POST", RUN, COMPANY, json={"watch_s": 5, "answer_s": 2})
        assert r.status_code == 202, r.text
        assert (r.json()["id"], r.json()["status"]) == (1, "running")
        # one run per device; the lab's limit (1 here) for the next device; nonsense refused
        again = api.call("POST", RUN, COMPANY, json={"watch_s": 5})
        assert again.status_code == 409 and "going on" in again.json()["detail"]
        other = api.call("POST", RUN.replace("plug-1", "plug-2"), COMPANY, json={})
        assert other.status_code == 429 and other.headers["Retry-After"]
        assert api.call("POST", RUN, COMPANY, json={"watch_s": 1}).status_code == 422
        assert api.call("POST", RUN, COMPANY, json={"watch_s": 5, "x": 1}).status_code == 422
        assert api.call("POST", RUN, TEACHER, json={}).status_code == 403
        for seq in range(6):  # the plug reports while it is watched; it never answers commands
            now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            reading = {"v": 1, "id": f"r{seq}", "ts": now, "seq": seq, "data": {"power": 3.5}}
            plug.send("telemetry", json.dumps(reading))
            time.sleep(1)

        def listed() -> list[dict[str, object]]:
            return list(api.call("GET", RUN, COMPANY).json())

        [done] = eventually(lambda: [x for x in listed() if x["status"] == "done"], timeout_s=30)
        assert (done["verdict"], done["report"]) == ("fail", f"{RUN}/1")
        found = api.call("GET", f"{RUN}/1", COMPANY).json()
        verdicts = {c["id"]: c["verdict"] for c in found["checks"]}
        assert verdicts["status-online"] == verdicts["meta-valid"] == "pass"
        assert verdicts["seq-by-one"] == verdicts["channels-declared"] == "pass"
        assert verdicts["commands-answered"] == "fail"
        assert verdicts["last-will"] == "not_applicable"  # nobody pulls a plug through the API
        assert len(plug.inbox) >= 2  # switch_off, and again with the same id
        page = api.call("GET", f"{RUN}/1/report.html", COMPANY)
        assert page.status_code == 200 and "attachment" in page.headers["content-disposition"]
        assert "no command_result within" in page.text
        xml = api.call("GET", f"{RUN}/1/report.xml", COMPANY)
        assert ET.fromstring(xml.content).get("failures") == str(found["counts"]["fail"])
        # signed by the lab: a customer asks whether the report they were shown is the lab's
        assert found["signature"]["alg"] == "HMAC-SHA256"
        check = "/api/conformance-verifications"
        r = api.call("POST", check, TEACHER, json={"report": found})
        assert r.status_code == 200 and r.json()["valid"] is True
        edited = found | {"verdict": "pass"}
        r = api.call(
            "POST", check, TEACHER, json={"report": edited}, headers={"Accept-Language": "fi"}
        )
        assert r.json()["valid"] is False and "muutettu jälkikäteen" in r.json()["detail"]
        fewer = found | {"checks": [c for c in found["checks"] if c["verdict"] != "fail"]}
        assert api.call("POST", check, COMPANY, json={"report": fewer}).json()["valid"] is False
        unsigned = {k: v for k, v in found.items() if k != "signature"}
        assert api.call("POST", check, COMPANY, json={"report": unsigned}).json()["valid"] is False
        for hostile in ({"report": "x"}, {"report": found, "extra": 1}, {}):
            assert api.call("POST", check, COMPANY, json=hostile).status_code == 422
        assert api.call("POST", check, None, json={"report": found}).status_code == 401
        assert api.call("GET", f"{RUN}/9", COMPANY).status_code == 404
        assert api.call("GET", f"{RUN}/1/report.pdf", COMPANY).status_code in (404, 422)
        assert api.call("GET", f"{RUN}/1/../../x", COMPANY).status_code == 404
        assert [x["id"] for x in api.call("GET", RUN, ADMIN).json()] == [1]
        assert api.call("GET", "/api/devices/acme/nobody/conformance", COMPANY).status_code == 404
        plug.close()


def test_one_company_cannot_take_every_slot_and_a_flooded_run_still_reports(
    tmp_path: Path,
) -> None:
    """With three runs in the lab and two per company, acme's third device waits (429) while
    beta's starts. A device that floods its run (in a worker process) with 300 payloads of
    200 kB (60 MB) gets its report: what was kept, what was not, and the sizes."""
    with secured_lab(tmp_path, Limits(conformance_runs=3, conformance_runs_per_company=2)) as lab:
        api = lab.api
        plugs = [lab.device("acme", f"plug-{i}") for i in (1, 2, 3)]
        beta = lab.device("beta", "hub", "dev@beta")
        for i in (1, 2):
            r = api.call("POST", RUN.replace("plug-1", f"plug-{i}"), COMPANY, json={"watch_s": 5})
            assert r.status_code == 202, r.text
        third = api.call("POST", RUN.replace("plug-1", "plug-3"), COMPANY, json={"watch_s": 5})
        assert third.status_code == 429 and "your company runs 2" in third.json()["detail"]
        r = api.call("POST", "/api/devices/beta/hub/conformance", "dev@beta", json={"watch_s": 5})
        assert r.status_code == 202, r.text
        time.sleep(1.5)  # the runs are watching
        # from a process of its own, as a device would
        user, password = plugs[0].login
        flood = ["mosquitto_pub", "-p", str(lab.port), "-u", user, "-P", password, "-i", user]
        flood += ["-t", f"{plugs[0].topic}/telemetry", "-q", "1", "-l"]
        subprocess.run(flood, input=(b"x" * 200_000 + b"\n") * 300, check=True, timeout=60)

        def report() -> dict[str, Any] | None:
            r = api.call("GET", f"{RUN}/1", COMPANY)
            found: dict[str, Any] | None = r.json() if r.status_code == 200 else None
            return found

        found = eventually(report, timeout_s=60)
        assert found is not None
        assert found["not_kept"] and found["messages"] + found["not_kept"] >= 300
        evidence = json.dumps(found["checks"])
        assert "200000 bytes, over 65536" in evidence
        for device in (*plugs, beta):
            device.close()
