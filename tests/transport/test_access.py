"""Broker accounts on the real Mosquitto: every allow and every deny, as MQTT 5 clients see it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from mewet.contract import Command
from mewet.servers import Server, mosquitto
from mewet.transport.access import BrokerAccess, hash_password
from tests.support.helpers import eventually

ROOT = "mewet"


@dataclass
class Client:
    """A plain paho MQTT 5 client that records what the broker answered."""

    port: int
    user: str
    password: str
    connack: ReasonCode | None = None
    answers: dict[int, list[ReasonCode]] = field(default_factory=dict)
    done: dict[int, threading.Event] = field(default_factory=dict)
    client: paho.Client | None = None
    received: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    client_id: str = ""

    def connect(self) -> str:
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=paho.MQTTv5)
        c.username_pw_set(self.user, self.password)
        connected = threading.Event()

        def on_connect(cl: paho.Client, u: object, f: object, rc: ReasonCode, p: object) -> None:
            self.connack = rc
            connected.set()

        def on_subscribe(
            cl: paho.Client, u: object, mid: int, rcs: list[ReasonCode], p: object
        ) -> None:
            self.answers[mid] = rcs
            self.done.setdefault(mid, threading.Event()).set()

        def on_publish(cl: paho.Client, u: object, mid: int, rc: ReasonCode, p: object) -> None:
            self.answers[mid] = [rc]
            self.done.setdefault(mid, threading.Event()).set()

        def on_message(cl: paho.Client, u: object, msg: paho.MQTTMessage) -> None:
            self.received.append(msg.topic)
            self.bodies.append(bytes(msg.payload))

        c.on_connect, c.on_subscribe, c.on_publish = on_connect, on_subscribe, on_publish
        c.on_message = on_message
        c.connect("127.0.0.1", self.port)
        c.loop_start()
        assert connected.wait(10)
        self.client = c
        assert self.connack is not None
        if self.connack.is_failure:  # refused: stop paho from trying again in the background
            c.loop_stop()
        return str(self.connack)

    def _connected(self) -> paho.Client:
        # Mosquitto 2.0.11 answers a denied QoS 1 publish with PUBACK "Not authorized" and
        # then drops the connection; paho reconnects, and the next check waits for that
        assert self.client is not None
        deadline = time.monotonic() + 10
        while not self.client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.client

    def _wait(self, mid: int) -> str:
        assert self.done[mid].wait(10)
        return str(self.answers[mid][0])

    def subscribe(self, topic: str) -> str:
        _, mid = self._connected().subscribe(topic, qos=1)
        assert mid is not None, "not connected"
        self.done.setdefault(mid, threading.Event())
        return self._wait(mid)

    def publish(self, topic: str) -> str:
        """'Success' when the broker took it (with or without subscribers), else its reason."""
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        info = self._connected().publish(topic, b"{}", qos=1, properties=props)
        self.done.setdefault(info.mid, threading.Event())
        answer = self._wait(info.mid)
        return "Success" if answer == "No matching subscribers" else answer

    def close(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client.loop_stop()


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[tuple[Server, BrokerAccess, dict[str, str]]]:
    access = BrokerAccess(tmp_path / "access", ROOT)
    pw = {
        "mewet-ingest": access.grant("mewet-ingest", "ingest", apply=False),
        "mewet-lab": access.grant("mewet-lab", "lab", homes=("ex1-aa", "ex2-bb"), apply=False),
        "mewet-commands": access.grant("mewet-commands", "commands", apply=False),
        "s-ada": access.grant("s-ada", "student", home="ex1-aa", group="exercise-1", apply=False),
        "s-eve": access.grant("s-eve", "student", home="ex2-bb", group="exercise-2", apply=False),
        "acme-plug": access.grant(
            "acme-plug", "device", home="acme", device="plug-1", group="acme", apply=False
        ),
    }
    access.apply()
    server = mosquitto(tmp_path / "broker", secured=access.folder).start()
    access.reload = server.reload
    yield server, access, pw
    server.stop()


def port_of(server: Server, user: str) -> int:
    """Where an account signs in: the lab's own on the lab's listener, everyone else on the
    clients' listener."""
    if user.startswith("mewet-"):
        return server.port
    assert server.clients_port is not None
    return server.clients_port


def client(server: Server, pw: dict[str, str], user: str) -> Client:
    c = Client(port_of(server, user), user, pw[user])
    assert c.connect() == "Success"
    return c


OK, DENIED = "Granted QoS 1", "Not authorized"


def connected(port: int, user: str, password: str) -> Client | None:
    """A connected client, or None when the broker refuses (it reloads its files a moment
    after the lab signals it)."""
    c = Client(port, user, password)
    return c if c.connect() == "Success" else None


def test_each_account_may_do_its_job_and_nothing_else(
    secured: tuple[Server, BrokerAccess, dict[str, str]],
) -> None:
    """Writes are answered (MQTT 5: "Not authorized"); reads the ACL denies are never
    delivered (Mosquitto grants the subscription and filters each message)."""
    server, _, pw = secured
    ingest = client(server, pw, "mewet-ingest")
    assert ingest.subscribe(f"$share/ingest/{ROOT}/+/+/+") == OK
    student = client(server, pw, "s-ada")
    for topic in (f"{ROOT}/ex1-aa/#", f"{ROOT}/ex2-bb/#", f"{ROOT}/acme/#"):
        assert student.subscribe(topic) == OK
    device = client(server, pw, "acme-plug")
    for topic in (f"{ROOT}/acme/plug-1/cmd/#", f"{ROOT}/acme/plug-2/cmd/#", f"{ROOT}/ex1-aa/#"):
        assert device.subscribe(topic) == OK

    lab = client(server, pw, "mewet-lab")
    assert lab.subscribe(f"{ROOT}/#") == OK
    commands = client(server, pw, "mewet-commands")
    assert commands.subscribe(f"{ROOT}/#") == OK  # granted, and filtered: it reads nothing
    for kind in KINDS:
        assert lab.publish(f"{ROOT}/ex1-aa/vitals/{kind}") == "Success", kind
        assert device.publish(f"{ROOT}/acme/plug-1/{kind}") == "Success", kind
    assert lab.publish(f"{ROOT}/ex2-bb/vitals/telemetry") == "Success"
    assert commands.publish(f"{ROOT}/acme/plug-1/cmd/reset") == "Success"
    time.sleep(1.0)  # what is delivered, is delivered by now
    assert set(student.received) == {f"{ROOT}/ex1-aa/vitals/{k}" for k in KINDS}
    assert device.received == [f"{ROOT}/acme/plug-1/cmd/reset"]  # from the commands account
    assert commands.received == []
    assert f"{ROOT}/acme/plug-1/telemetry" in lab.received
    assert {f"{ROOT}/ex2-bb/vitals/telemetry", f"{ROOT}/acme/plug-1/state"} <= set(ingest.received)

    # (Mosquitto 2.0.11 drops the connection after a denied publish: these come last)
    assert lab.publish(f"{ROOT}/ex1-aa/vitals/cmd/silence") == DENIED
    assert lab.publish(f"{ROOT}/acme/plug-1/telemetry") == DENIED  # not a home the lab runs
    assert lab.publish("elsewhere/topic") == DENIED
    assert ingest.publish(f"{ROOT}/ex1-aa/vitals/telemetry") == DENIED
    assert student.publish(f"{ROOT}/ex1-aa/vitals/telemetry") == DENIED
    assert student.publish(f"{ROOT}/ex1-aa/lock-front/cmd/unlock") == DENIED
    assert device.publish(f"{ROOT}/acme/plug-2/telemetry") == DENIED
    assert device.publish(f"{ROOT}/acme/plug-1/cmd/reset") == DENIED
    assert device.publish(f"{ROOT}/ex1-aa/vitals/telemetry") == DENIED
    assert commands.publish(f"{ROOT}/acme/plug-1/telemetry") == DENIED
    assert commands.publish(f"{ROOT}/acme/plug-1/cmd") == DENIED  # cmd/<name> only
    for c in (ingest, lab, student, device, commands):
        c.close()


KINDS = ("meta", "status", "state", "telemetry", "event")


def test_no_anonymous_clients_and_no_wrong_passwords(
    secured: tuple[Server, BrokerAccess, dict[str, str]],
) -> None:
    server, _, _ = secured
    assert Client(port_of(server, "s-ada"), "s-ada", "wrong").connect() in (
        "Bad user name or password",
        "Not authorized",
    )
    anonymous = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    seen: list[str] = []
    anonymous.on_connect = lambda c, u, f, rc, p: seen.append(str(rc))
    anonymous.connect("127.0.0.1", server.port)
    anonymous.loop_start()
    try:
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen and seen[0] in ("Not authorized", "Bad user name or password")
    finally:
        anonymous.loop_stop()


def test_students_come_and_go_with_a_reload(
    secured: tuple[Server, BrokerAccess, dict[str, str]],
) -> None:
    server, access, pw = secured
    new = access.grant("s-bo", "student", home="ex1-aa", group="exercise-1")
    late = eventually(
        lambda: connected(port_of(server, "s-bo"), "s-bo", new), timeout_s=10
    )  # no restart
    assert late.subscribe(f"{ROOT}/ex1-aa/#") == OK
    late.close()
    assert access.revoke(group="exercise-1") == 2  # the exercise ended
    eventually(
        lambda: Client(port_of(server, "s-bo"), "s-bo", new).connect() != "Success", timeout_s=10
    )
    assert Client(port_of(server, "s-ada"), "s-ada", pw["s-ada"]).connect() != "Success"
    assert Client(port_of(server, "s-eve"), "s-eve", pw["s-eve"]).connect() == "Success"
    assert "s-ada" not in (access.folder / "passwd").read_text()
    # the accounts survive a restart of the lab (hashes only: no password is kept)
    again = BrokerAccess(access.folder, ROOT)
    assert set(again.accounts) == {
        "mewet-ingest",
        "mewet-lab",
        "mewet-commands",
        "s-eve",
        "acme-plug",
    }
    assert pw["s-eve"] not in (access.folder / "access.json").read_text()


def test_two_processes_granting_at_once_keep_each_others_accounts(
    secured: tuple[Server, BrokerAccess, dict[str, str]],
) -> None:
    """An API's workers (or two API servers) share the broker's accounts: each student a
    worker lets in can sign in, whatever the other worker granted or revoked meanwhile."""
    server, first, _ = secured
    second = BrokerAccess(first.folder, ROOT, server.reload)  # as another process has it
    passwords: dict[str, str] = {}

    def grants(access: BrokerAccess, names: list[str]) -> None:
        for name in names:
            passwords[name] = access.grant(name, "student", home="ex9-aa", group="exercise-9")

    threads = [
        threading.Thread(target=grants, args=(first, [f"s-a{i}" for i in range(20)])),
        threading.Thread(target=grants, args=(second, [f"s-b{i}" for i in range(20)])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(passwords) <= set(BrokerAccess(first.folder, ROOT).accounts)
    for name in ("s-a19", "s-b19", "s-a0", "s-b0"):
        eventually(
            lambda n=name: Client(port_of(server, n), n, passwords[n]).connect() == "Success",  # type: ignore[misc]
            timeout_s=10,
        )
    assert second.revoke(group="exercise-9") == 40  # the exercise ended, wherever it ran
    assert not {n for n in BrokerAccess(first.folder, ROOT).accounts if n.startswith("s-")} - {
        "s-ada",
        "s-eve",
    }


def test_password_hashes_are_mosquitto_passwd_s(tmp_path: Path) -> None:
    import base64
    import subprocess

    file = tmp_path / "pw"
    file.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(file), "alice", "s3cret"], check=True)
    stored = file.read_text().strip().split(":", 1)[1]
    salt = base64.b64decode(stored.split("$")[3])
    assert hash_password("s3cret", salt) == stored


def test_students_and_company_devices_get_their_own_broker_accounts(tmp_path: Path) -> None:
    """Through the API on a secured broker: a student reads their exercise's home and nothing
    else, until the exercise ends; a company's device writes its own topics only."""
    from mewet.config import MqttUrl
    from tests.support.apiserver import TEACHER, control, create, join, serve

    access = BrokerAccess(tmp_path / "access", ROOT)
    lab_pw = access.grant("mewet-lab", "lab")
    server = mosquitto(tmp_path / "broker", secured=access.folder).start()
    access.reload = server.reload
    try:
        url = MqttUrl("127.0.0.1", server.port, "mewet-lab", lab_pw)
        with serve(tmp_path / "data", url, ROOT, access) as api:
            mine, other = create(api), create(api)
            r = api.call(
                "POST",
                f"/api/exercises/{mine['id']}/join",
                json={"code": mine["join_code"], "name": "Ada", "role": "alarm_centre"},
            )
            given = r.json()["mqtt"]
            assert given["host"] == "lab" and given["read"] == [f"{ROOT}/{mine['home']}/#"]
            join(api, other, "alarm_centre", "Eve")
            student = Client(port_of(server, "s"), given["username"], given["password"])
            assert student.connect() == "Success"
            assert student.subscribe(f"{ROOT}/{mine['home']}/#") == OK
            assert student.subscribe(f"{ROOT}/{other['home']}/#") == OK  # filtered on delivery
            for ex in (mine, other):
                control(api, ex["id"], "start")
                control(api, ex["id"], "step", minutes=30)
            time.sleep(1.0)
            homes = {t.split("/")[1] for t in student.received}
            assert homes == {mine["home"]}
            student.close()
            # the relative sees no sensors: no broker account either
            r = api.call(
                "POST",
                f"/api/exercises/{mine['id']}/join",
                json={"code": mine["join_code"], "name": "Cy", "role": "relative"},
            )
            assert r.json()["mqtt"] is None
            control(api, mine["id"], "end", TEACHER)
            # the broker reloads its files when signalled, a moment later
            eventually(
                lambda: (
                    given["username"] not in access.accounts
                    and Client(port_of(server, "s"), given["username"], given["password"]).connect()
                    != "Success"
                ),
                timeout_s=10,
            )

            r = api.call(
                "POST", "/api/devices", "dev@acme", json={"home": "acme", "device": "plug-1"}
            )
            assert r.status_code == 201, r.text
            creds = r.json()
            device = Client(port_of(server, "d"), creds["username"], creds["password"])
            assert device.connect() == "Success"
            assert device.subscribe(creds["read"][0]) == OK
            # the company sends its device a command through the API, as the lab would
            body = {"name": "switch_off", "args": {"delay_s": 5}}
            r = api.call("POST", "/api/devices/acme/plug-1/commands", "dev@acme", json=body)
            assert r.status_code == 202, r.text
            sent = r.json()
            assert sent["topic"] == f"{ROOT}/acme/plug-1/cmd/switch_off"
            eventually(lambda: device.received == [sent["topic"]], timeout_s=10)
            command = Command.model_validate_json(device.bodies[0])
            assert command.id == sent["id"] and command.args == {"delay_s": 5}
            r = api.call("POST", "/api/devices/acme/plug-2/commands", "dev@acme", json=body)
            assert r.status_code == 404  # not a device of theirs
            r = api.call("POST", "/api/devices/acme/plug-1/commands", TEACHER, json=body)
            assert r.status_code == 403
            bad = {"name": "cmd/../telemetry", "args": {}}
            r = api.call("POST", "/api/devices/acme/plug-1/commands", "dev@acme", json=bad)
            assert r.status_code == 422
            assert device.publish(f"{ROOT}/acme/plug-1/telemetry") == "Success"
            assert device.publish(f"{ROOT}/acme/plug-2/telemetry") == DENIED
            device.close()
            r = api.call("POST", "/api/devices", TEACHER, json={"home": "acme", "device": "x"})
            assert r.status_code == 403
            r = api.call("POST", "/api/devices", "dev@acme", json={"home": "ex1-aa", "device": "x"})
            assert r.status_code == 409
            assert api.call("DELETE", "/api/devices/acme/plug-1", "dev@acme").status_code == 204
            eventually(
                lambda: (
                    Client(port_of(server, "d"), creds["username"], creds["password"]).connect()
                    != "Success"
                ),
                timeout_s=10,
            )
    finally:
        server.stop()


def test_nobody_can_take_over_the_lab_s_connections(
    secured: tuple[Server, BrokerAccess, dict[str, str]],
) -> None:
    """On the students' and devices' listener a client's id is its user name: a student who
    connects with the client id of the lab's simulator no longer knocks the simulator off (its
    Last Will used to mark the home offline)."""
    from mewet.config import MqttUrl
    from mewet.transport.client import MqttLink, Will

    server, _, pw = secured
    assert server.clients_port is not None and server.clients_port != server.port
    watcher = client(server, pw, "mewet-ingest")
    assert watcher.subscribe(f"{ROOT}/ex1-aa/gateway/status") == OK
    lab = MqttLink(
        MqttUrl("127.0.0.1", server.port, "mewet-lab", pw["mewet-lab"]),
        "mewet-sim-ex1-aa",
        will=Will(f"{ROOT}/ex1-aa/gateway/status", b"offline"),
        threaded=True,
    ).connect()
    try:
        for _ in range(5):
            thief = Client(server.clients_port, "s-ada", pw["s-ada"], client_id="mewet-sim-ex1-aa")
            assert thief.connect() == "Success"
            thief.close()
        time.sleep(1.0)
        assert lab.connects == 1  # never knocked off
        assert watcher.received == []  # no Last Will: the home never looked offline
    finally:
        lab.close()
        watcher.close()


def test_the_lab_s_own_listener_takes_only_the_lab_s_own_accounts(
    secured: tuple[Server, BrokerAccess, dict[str, str]],
) -> None:
    """On the lab's own listener client ids are free (the simulator and ingest keep theirs):
    a student's or a device's account is refused there, so it cannot connect as
    `mewet-up-ingest` or `mewet-sim-default` and knock the lab's own clients off."""
    from mewet.config import MqttUrl
    from mewet.transport.client import MqttLink

    server, _, pw = secured
    ingest = MqttLink(
        MqttUrl("127.0.0.1", server.port, "mewet-ingest", pw["mewet-ingest"]),
        "mewet-up-ingest",
        threaded=True,
    ).connect()
    try:
        for user in ("s-ada", "acme-plug"):
            thief = Client(server.port, user, pw[user], client_id="mewet-up-ingest")
            assert thief.connect() in ("Not authorized", "Bad user name or password"), user
            client(server, pw, user).close()  # theirs is the other listener
        time.sleep(1.0)
        assert ingest.connects == 1  # never knocked off
    finally:
        ingest.close()


def test_device_accounts_cannot_collide_and_the_lab_s_homes_cannot_be_claimed(
    tmp_path: Path,
) -> None:
    """Two companies' devices whose ids once made the same account get two; the lab's own
    homes and another company's home are refused."""
    from mewet.config import MqttUrl
    from tests.support.apiserver import serve

    access = BrokerAccess(tmp_path / "access", ROOT)
    lab_pw = access.grant("mewet-lab", "lab", homes=("default",))
    server = mosquitto(tmp_path / "broker", secured=access.folder).start()
    access.reload = server.reload
    try:
        url = MqttUrl("127.0.0.1", server.port, "mewet-lab", lab_pw)
        with serve(tmp_path / "data", url, ROOT, access) as api:
            first = api.call(
                "POST", "/api/devices", "dev@acme", json={"home": "acme-lab", "device": "bed-02"}
            )
            second = api.call(
                "POST", "/api/devices", "dev@beta", json={"home": "acme", "device": "lab-bed-02"}
            )
            assert first.status_code == second.status_code == 201, (first.text, second.text)
            a, b = first.json(), second.json()
            assert a["username"] != b["username"]
            port = server.clients_port or 0
            eventually(lambda: connected(port, a["username"], a["password"]), timeout_s=10)
            eventually(lambda: connected(port, b["username"], b["password"]), timeout_s=10)
            for home in ("default", "ex7-abcdef"):
                r = api.call("POST", "/api/devices", "dev@acme", json={"home": home, "device": "x"})
                assert r.status_code == 409 and "lab's own" in r.json()["detail"]
            r = api.call(
                "POST", "/api/devices", "dev@beta", json={"home": "acme-lab", "device": "y"}
            )
            assert r.status_code == 409 and "another company" in r.json()["detail"]
    finally:
        server.stop()
