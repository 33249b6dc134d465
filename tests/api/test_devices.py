"""A company sees its own devices as the lab received them: online or not, last seen, and
the reasons its messages were refused; on the real Mosquitto, ingest and store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.support.apiserver import ADMIN, COMPANY, TEACHER
from tests.support.helpers import eventually
from tests.support.securelab import secured_lab

META = {
    "type": "smart_plug",
    "model": "P1",
    "manufacturer": "Acme",
    "room": "kitchen",
    "firmware": "1.0",
    "channels": [{"name": "power", "unit": "W"}],
    "commands": ["switch_off"],
}


def reading(msg_id: str, seq: int) -> dict[str, object]:
    """A telemetry envelope stamped now (a ts far from the lab's clock is a deviation)."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {"v": 1, "id": msg_id, "ts": now, "seq": seq}


def test_a_company_sees_its_devices_and_why_messages_were_refused(tmp_path: Path) -> None:
    with secured_lab(tmp_path) as lab:
        api = lab.api
        plug = lab.device("acme", "plug-1")
        lab.device("acme", "plug-2").close()
        plug.send("meta", json.dumps(META), retain=True)
        plug.send("status", "online", retain=True)
        plug.send("telemetry", json.dumps(reading("m1", 0) | {"data": {"power": 3.5}}))
        plug.send("telemetry", '{"v": 1, "id": "m2", "data": ')
        plug.send("telemetry", json.dumps(reading("m1", 0) | {"data": {"power": "x"}}))
        plug.send("telemetry", json.dumps(reading("m4", 2) | {"data": {"voltage": 230.0}}))

        def listed() -> list[dict[str, object]]:
            r = api.call("GET", "/api/devices", COMPANY)
            assert r.status_code == 200, r.text
            return list(r.json())

        eventually(lambda: listed()[0]["refused"] == 2, timeout_s=15)
        one, two = listed()
        assert (one["device"], one["type"], one["status"]) == ("plug-1", "smart_plug", "online")
        assert one["last_seen"] is not None
        assert (two["device"], two["status"], two["refused"]) == ("plug-2", "never seen", 0)
        detail = api.call("GET", "/api/devices/acme/plug-1", COMPANY).json()
        reasons = " | ".join(d["reason"] for d in detail["dead_letters"])
        assert "JSON" in reasons and "power" in reasons, reasons
        # stored all the same, but not what it declared: a deviation with the reason
        eventually(lambda: listed()[0]["deviations"] == {"undeclared_channel": 1}, timeout_s=15)
        assert two["deviations"] == {}
        assert listed()[0]["messages"] == {"telemetry": 2, "event": 0}
        assert two["messages"] == {"telemetry": 0, "event": 0}
        detail = api.call("GET", "/api/devices/acme/plug-1", COMPANY).json()
        [strayed] = detail["recent_deviations"]
        assert strayed["detail"] == "channel 'voltage' (declared: power)"
        assert strayed["msg_id"] == "m4"
        # its last readings, newest first, every channel of each
        assert [r["data"] for r in detail["telemetry"]] == [{"voltage": 230.0}, {"power": 3.5}]
        # commands: only those the device declares, arguments as typed
        sent = "/api/devices/acme/plug-1/commands"
        body: dict[str, object] = {"name": "switch_off", "args": {"delay_s": 60, "level": 0.5}}
        r = api.call("POST", sent, COMPANY, json=body)
        assert r.status_code == 202, r.text
        eventually(lambda: len(plug.inbox) == 1, timeout_s=10)
        assert json.loads(plug.inbox[0])["args"] == {"delay_s": 60, "level": 0.5}
        assert isinstance(json.loads(plug.inbox[0])["args"]["delay_s"], int)
        r = api.call("POST", sent, COMPANY, json={"name": "explode"})
        assert r.status_code == 422 and "declares: switch_off" in r.json()["detail"]
        r = api.call("POST", sent.replace("plug-1", "plug-2"), COMPANY, json=body)
        assert r.status_code == 422 and "not sent its meta" in r.json()["detail"]
        assert len(plug.inbox) == 1  # nothing refused reached the device
        # the device answers; the company sees the answer among its last events
        ref = json.loads(plug.inbox[0])["id"]
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        answer = {"v": 1, "id": "m3", "ts": now, "seq": 1, "event_type": "command_result"}
        answer["data"] = {"command": "switch_off", "ok": True, "ref": ref, "detail": ""}
        plug.send("event", json.dumps(answer))

        def last_events() -> list[dict[str, object]]:
            return list(api.call("GET", "/api/devices/acme/plug-1", COMPANY).json()["events"])

        eventually(lambda: len(last_events()) == 1, timeout_s=15)
        # the command's history: sent, answered, how long it took
        [history] = api.call("GET", "/api/devices/acme/plug-1", COMPANY).json()["commands"]
        assert (history["id"], history["name"], history["ok"]) == (ref, "switch_off", True)
        assert history["args"] == {"delay_s": 60, "level": 0.5}
        assert 0 <= history["latency_s"] < 30
        [seen] = last_events()
        assert seen["event_type"] == "command_result" and seen["data"]["ref"] == ref  # type: ignore[index]
        # the command delivered again is answered again, later: the latency stays the first's
        later = (datetime.now(UTC) + timedelta(seconds=35)).isoformat().replace("+00:00", "Z")
        plug.send("event", json.dumps({**answer, "id": "m5", "seq": 2, "ts": later}))
        eventually(lambda: len(last_events()) == 2, timeout_s=15)
        [again] = api.call("GET", "/api/devices/acme/plug-1", COMPANY).json()["commands"]
        assert again["latency_s"] == history["latency_s"] < 30
        # a reading stamped an hour ahead (a clock gone wrong) is not "last seen" in the future
        ahead = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
        ahead_reading = {"v": 1, "id": "m6", "ts": ahead, "seq": 3, "data": {"power": 3.0}}
        plug.send("telemetry", json.dumps(ahead_reading))
        eventually(lambda: listed()[0]["messages"] == {"telemetry": 3, "event": 2}, timeout_s=15)
        last_seen = datetime.fromisoformat(str(listed()[0]["last_seen"]))
        assert last_seen <= datetime.now(UTC) + timedelta(seconds=1)
        # what its Last Will says when it is pulled out: the lab shows it offline
        plug.send("status", "offline", retain=True)
        eventually(lambda: listed()[0]["status"] == "offline", timeout_s=15)
        plug.close()
        # a teacher sees none, an admin every company's
        assert api.call("GET", "/api/devices", TEACHER).status_code == 403
        everyone = api.call("GET", "/api/devices", ADMIN).json()
        assert [d["device"] for d in everyone] == ["plug-1", "plug-2"]
        r = api.call("GET", "/api/devices/acme/nobody", COMPANY)
        assert r.status_code == 404 and "of yours" in r.json()["detail"]
        assert api.call("GET", "/api/devices/../etc", COMPANY).status_code == 404


def test_a_company_makes_device_accounts_at_a_pace_and_up_to_its_share(tmp_path: Path) -> None:
    """A script making devices gets a 429 past a few a minute (another company is not held
    up), and a company holds a bounded number; renewing a device's password is not a new
    one."""
    from mewet.config import Limits

    with secured_lab(tmp_path, Limits(devices_per_minute=4, devices_per_company=2)) as lab:
        api = lab.api

        def make(device: str, who: str = COMPANY) -> httpx.Response:
            home = "acme" if who == COMPANY else "beta"
            return api.call("POST", "/api/devices", who, json={"home": home, "device": device})

        assert [make(f"d-{i}").status_code for i in (1, 2)] == [201, 201]
        full = make("d-3")
        assert full.status_code == 429 and "its 2 device accounts" in full.json()["detail"]
        assert make("d-1").status_code == 201  # a new password for one it has
        paced = make("d-1")
        assert paced.status_code == 429 and "a few device accounts a minute" in paced.text
        assert paced.headers["Retry-After"]
        assert make("hub", "dev@beta").status_code == 201
