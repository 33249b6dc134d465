"""A lab as a school runs it: Mosquitto with accounts, ingest into a store, and the API that
gives companies' devices their broker logins and shows what the lab received."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from mewet.config import Limits, MqttUrl, StoreUrl
from mewet.ingest.service import Ingest
from mewet.servers import mosquitto
from mewet.store.base import open_store
from mewet.transport.access import BrokerAccess
from tests.support.apiserver import COMPANY, Api, serve
from tests.support.door import devices_door

ROOT = "mewet"


@dataclass
class Device:
    """A company's device on the lab's broker, with its own login (paho, MQTT 5)."""

    client: paho.Client
    topic: str
    inbox: list[bytes] = field(default_factory=list)
    login: tuple[str, str] = ("", "")
    """Its broker user name and password."""

    def send(self, kind: str, payload: str | bytes, retain: bool = False) -> None:
        self.client.publish(f"{self.topic}/{kind}", payload, qos=1, retain=retain)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@dataclass
class SecuredLab:
    api: Api
    port: int
    lab: MqttUrl | None = None
    """The lab's own login on its own listener (the simulator's and the API's)."""

    def device(self, home: str, device: str, company: str = COMPANY) -> Device:
        """A new broker login for a company's device (through the API), connected."""
        r = self.api.call("POST", "/api/devices", company, json={"home": home, "device": device})
        assert r.status_code == 201, r.text
        creds = r.json()
        user = creds["username"]
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=user, protocol=paho.MQTTv5)
        client.username_pw_set(user, creds["password"])
        found = Device(client, f"{ROOT}/{home}/{device}", login=(user, creds["password"]))
        connected = threading.Event()
        client.on_connect = lambda *a: connected.set()
        client.on_message = lambda c, u, msg: found.inbox.append(bytes(msg.payload))
        client.connect("127.0.0.1", self.port)
        client.loop_start()
        assert connected.wait(10)
        client.subscribe(creds["read"][0], qos=1)
        return found


@contextmanager
def secured_lab(
    tmp_path: Path, limits: Limits | None = None, door: bool = False
) -> Iterator[SecuredLab]:
    """The lab; with `door`, devices connect through the devices' door, as on `mewet up
    --secure-broker`, and the API may pull their plugs there."""
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
        assert server.clients_port is not None
        with ExitStack() as stack:
            port, gate = server.clients_port, None
            if door:
                at = devices_door(tmp_path / "door", port, access.folder, ROOT)
                found = stack.enter_context(at)
                port, gate = found.port, found.control
            data = tmp_path / "data"
            api = stack.enter_context(
                serve(data, lab, ROOT, access, store=store_url, limits=limits, gate=gate)
            )
            yield SecuredLab(api, port, lab)
    finally:
        ingest.stop()
        store.close()
        server.stop()
