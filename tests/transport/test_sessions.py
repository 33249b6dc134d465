"""A student's broker login ends with her exercise or when she signs out: her connection is
closed and her session, with everything queued for it, is gone from the broker."""

from __future__ import annotations

import threading
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from mewet.config import MqttUrl
from mewet.servers import mosquitto
from mewet.transport.access import BrokerAccess
from mewet.transport.held import held_messages
from tests.support.apiserver import TEACHER, control, create, serve
from tests.support.helpers import eventually

ROOT = "mewet"


def student_client(
    port: int, given: dict[str, str], home: str
) -> tuple[paho.Client, threading.Event]:
    """A student's own MQTT client that keeps its session for an hour (clean start off)."""
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=given["username"], protocol=paho.MQTTv5
    )
    client.username_pw_set(given["username"], given["password"])
    connected, dropped = threading.Event(), threading.Event()
    client.on_connect = lambda *a: connected.set()
    client.on_disconnect = lambda *a: dropped.set()
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 3600
    client.connect("127.0.0.1", port, clean_start=False, properties=props)
    client.loop_start()
    assert connected.wait(10)
    client.subscribe(f"{ROOT}/{home}/#", qos=1)
    return client, dropped


def test_an_ended_exercise_and_a_sign_out_end_the_students_broker_sessions(
    tmp_path: Path,
) -> None:
    access = BrokerAccess(tmp_path / "access", ROOT)
    lab_pw = access.grant("mewet-lab", "lab")
    server = mosquitto(tmp_path / "broker", secured=access.folder).start()
    access.reload = server.reload
    assert server.clients_port is not None
    lab = MqttUrl("127.0.0.1", server.port, "mewet-lab", lab_pw)
    try:
        with serve(tmp_path / "data", lab, ROOT, access) as api:
            ex = create(api)
            joined = {}
            for name, role in (("Ada", "alarm_centre"), ("Eve", "home_care")):
                r = api.call(
                    "POST",
                    f"/api/exercises/{ex['id']}/join",
                    json={"code": ex["join_code"], "name": name, "role": role},
                )
                assert r.status_code == 200, r.text
                joined[name] = r.json()
            ada, _ = student_client(server.clients_port, joined["Ada"]["mqtt"], ex["home"])
            ada.disconnect()  # her session stays, and queues what her home sends
            ada.loop_stop()
            eve, eve_dropped = student_client(
                server.clients_port, joined["Eve"]["mqtt"], ex["home"]
            )
            control(api, ex["id"], "start", TEACHER)
            control(api, ex["id"], "step", TEACHER, minutes=30)
            held = eventually(lambda: held_messages(lab) or 0, timeout_s=10)
            assert held > 50

            # Eve signs out in the browser: her MQTT client is disconnected, her login ends
            r = api.call("POST", "/api/auth/logout", joined["Eve"]["access_token"])
            assert r.status_code == 204
            assert eve_dropped.wait(10)
            assert joined["Eve"]["mqtt"]["username"] not in access.accounts
            eve.loop_stop()

            # the exercise ends: Ada's session, and all it queued, is gone from the broker
            control(api, ex["id"], "end", TEACHER)
            # what the broker still holds also counts messages on their way to the API's own
            # (clean) subscription, which a loaded machine delivers late: give it a minute
            eventually(lambda: held_messages(lab) == 0, timeout_s=60, every_s=0.5)
    finally:
        server.stop()
