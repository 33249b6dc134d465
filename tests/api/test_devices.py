"""A company sees its own devices as the lab received them: online or not, last seen, and
the reasons its messages were refused; on the real Mosquitto, ingest and store."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from mewet.config import MqttUrl, StoreUrl
from mewet.ingest.service import Ingest
from mewet.servers import mosquitto
from mewet.store.base import open_store
from mewet.transport.access import BrokerAccess
from tests.support.apiserver import ADMIN, COMPANY, TEACHER, serve
from tests.support.helpers import eventually

ROOT = "mewet"
META = {
    "type": "smart_plug",
    "model": "P1",
    "manufacturer": "Acme",
    "room": "kitchen",
    "firmware": "1.0",
    "channels": [{"name": "power", "unit": "W"}],
    "commands": ["switch_off"],
}


def connect(port: int, user: str, password: str, inbox: list[bytes]) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=user, protocol=paho.MQTTv5)
    client.username_pw_set(user, password)
    connected = threading.Event()
    client.on_connect = lambda *a: connected.set()
    client.on_message = lambda c, u, msg: inbox.append(bytes(msg.payload))
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert connected.wait(10)
    return client


def test_a_company_sees_its_devices_and_why_messages_were_refused(tmp_path: Path) -> None:
    access = BrokerAccess(tmp_path / "access", ROOT)
    lab_pw = access.grant("mewet-lab", "lab")
    ingest_pw = access.grant("mewet-ingest", "ingest")
    server = mosquitto(tmp_path / "broker", secured=access.folder).start()
    access.reload = server.reload
    store_url = StoreUrl("sqlite", path=tmp_path / "store.db")
    store = open_store(store_url)
    ingest = Ingest(MqttUrl("127.0.0.1", server.port, "mewet-ingest", ingest_pw), store, root=ROOT)
    ingest.start()
    try:
        lab = MqttUrl("127.0.0.1", server.port, "mewet-lab", lab_pw)
        with serve(tmp_path / "data", lab, ROOT, access, store=store_url) as api:
            for device in ("plug-1", "plug-2"):
                which = {"home": "acme", "device": device}
                assert api.call("POST", "/api/devices", COMPANY, json=which).status_code == 201
            r = api.call("POST", "/api/devices", COMPANY, json={"home": "acme", "device": "plug-1"})
            creds = r.json()
            inbox: list[bytes] = []
            plug = connect(server.port, creds["username"], creds["password"], inbox)
            topic = f"{ROOT}/acme/plug-1"
            plug.subscribe(creds["read"][0], qos=1)
            plug.publish(f"{topic}/meta", json.dumps(META), qos=1, retain=True)
            plug.publish(f"{topic}/status", "online", qos=1, retain=True)
            reading = {"v": 1, "id": "m1", "ts": "2026-11-30T10:00:00Z", "seq": 0}
            plug.publish(f"{topic}/telemetry", json.dumps(reading | {"data": {"power": 3.5}}), 1)
            plug.publish(f"{topic}/telemetry", '{"v": 1, "id": "m2", "data": ', qos=1)
            plug.publish(f"{topic}/telemetry", json.dumps(reading | {"data": {"power": "x"}}), 1)

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
            # commands: only those the device declares, arguments as typed
            sent = "/api/devices/acme/plug-1/commands"
            body: dict[str, object] = {"name": "switch_off", "args": {"delay_s": 60, "level": 0.5}}
            r = api.call("POST", sent, COMPANY, json=body)
            assert r.status_code == 202, r.text
            eventually(lambda: len(inbox) == 1, timeout_s=10)
            assert json.loads(inbox[0])["args"] == {"delay_s": 60, "level": 0.5}
            assert isinstance(json.loads(inbox[0])["args"]["delay_s"], int)
            r = api.call("POST", sent, COMPANY, json={"name": "explode"})
            assert r.status_code == 422 and "declares: switch_off" in r.json()["detail"]
            r = api.call("POST", sent.replace("plug-1", "plug-2"), COMPANY, json=body)
            assert r.status_code == 422 and "not sent its meta" in r.json()["detail"]
            assert len(inbox) == 1  # nothing refused reached a device
            # the Last Will: pulled out without a goodbye, the lab shows it offline
            plug.publish(f"{topic}/status", "offline", qos=1, retain=True)
            eventually(lambda: listed()[0]["status"] == "offline", timeout_s=15)
            plug.loop_stop()
            plug.disconnect()
            # a teacher sees none, another company none of these, an admin all
            assert api.call("GET", "/api/devices", TEACHER).status_code == 403
            assert [d["device"] for d in api.call("GET", "/api/devices", ADMIN).json()] == [
                "plug-1",
                "plug-2",
            ]
            r = api.call("GET", "/api/devices/acme/nobody", COMPANY)
            assert r.status_code == 404 and "of yours" in r.json()["detail"]
            r = api.call("GET", "/api/devices/../etc", COMPANY)
            assert r.status_code == 404
    finally:
        ingest.stop()
        store.close()
        server.stop()
