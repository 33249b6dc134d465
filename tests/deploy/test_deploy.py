"""The deployment: the compose file, the broker's files and the Grafana dashboards stay true to
the code, and every dashboard query returns data from a real influxd after a seeded run."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from influxdb import InfluxDBClient

from mewet.config import IngestSettings, MqttUrl, StoreUrl
from mewet.ingest.service import Ingest
from mewet.scenarios.homesim import run_live, will_device
from mewet.scenarios.run import ScenarioSim
from mewet.scenarios.scenario import load_scenario
from mewet.servers import LAB_BROKER_SETTINGS, Server, free_port, mosquitto
from mewet.sim.clock import SimClock
from mewet.store.base import open_store
from mewet.store.dashboards import dashboards, render
from mewet.transport.access import BrokerAccess
from mewet.transport.client import MqttLink
from mewet.transport.sink import MqttSink
from tests.support.helpers import REPO, eventually, unique_root

SECRETS = {
    "MEWET_INGEST_PASSWORD": "ingest-password-0123",
    "MEWET_LAB_PASSWORD": "lab-password-0123456",
    "INFLUXDB_PASSWORD": "influx",
    "GRAFANA_ADMIN_PASSWORD": "grafana",
    "MEWET_SECRET_KEY": "k" * 40,
    "MEWET_PUBLIC_HOST": "lab.school.example",
    "POSTGRES_PASSWORD": "postgres-password",
}


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run(
        ["docker-compose", "-f", str(REPO / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env={**clean, **env},
        cwd=REPO,
        check=False,
        timeout=120,
    )


def test_the_compose_file_is_valid_and_demands_its_secrets() -> None:
    done = compose_config(SECRETS)
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    services = config["services"]
    assert set(services) == {
        "broker-init",
        "mosquitto",
        "influxdb",
        "grafana",
        "postgres",
        "api-a",
        "api-b",
        "proxy",
        "ingest-1",
        "ingest-2",
    }
    # two ingest replicas share one subscription
    for name in ("ingest-1", "ingest-2"):
        command = services[name]["command"]
        assert command[command.index("--share") + 1] == "mewet-ingest"
        assert "mewet-ingest:ingest-password-0123@mosquitto" in " ".join(command)
    # health checks, and starting in order of health
    for name in ("mosquitto", "influxdb", "grafana", "postgres", "api-a", "api-b", "proxy"):
        assert "healthcheck" in services[name], name
    # two API servers on one PostgreSQL, each telling the other where it is
    for name in ("api-a", "api-b"):
        api = services[name]
        assert api["depends_on"]["mosquitto"]["condition"] == "service_healthy"
        assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
        env = api["environment"]
        assert env["MEWET_SERVER_URL"] == f"http://{name}:8000"
        assert env["MEWET_DB_URL"] == "postgresql://mewet:postgres-password@postgres:5432/mewet"
        # the API runs as its own user, without the broker's process table
        assert api["user"] == "mewet" and "pid" not in api
    assert services["api-a"]["volumes"] != services["api-b"]["volumes"]
    assert services["mosquitto"]["depends_on"]["broker-init"]["condition"] == (
        "service_completed_successfully"
    )
    # only the broker's TLS listener is on every interface; the rest on localhost, behind a
    # proxy, and plain MQTT not published at all
    public = [
        (name, port)
        for name, service in services.items()
        for port in service.get("ports", [])
        if not _host_ip(port).startswith("127.")
    ]
    assert [name for name, _ in public] == ["mosquitto"]
    assert [_target(port) for port in services["mosquitto"]["ports"]] == [8883]
    assert "influxdb" not in [n for n, s in services.items() if s.get("ports")]
    assert services["mosquitto"]["user"] == "1883:1883"
    # a secret left out is named, and nothing starts
    missing = compose_config({k: v for k, v in SECRETS.items() if k != "INFLUXDB_PASSWORD"})
    assert missing.returncode != 0 and "set INFLUXDB_PASSWORD" in missing.stderr


def _target(port: str | dict[str, Any]) -> int:
    """The container port a published port leads to."""
    if isinstance(port, dict):
        return int(port["target"])
    return int(port.split(":")[-1].split("/")[0])


def _host_ip(port: str | dict[str, Any]) -> str:
    """The interface a published port listens on ('' for all)."""
    if isinstance(port, dict):
        return str(port.get("host_ip", ""))
    parts = port.split(":")
    return parts[0] if len(parts) == 3 else ""


def test_every_file_the_compose_file_mounts_exists() -> None:
    config = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    mounts = [
        volume.split(":")[0]
        for service in config["services"].values()
        for volume in service.get("volumes", [])
        if volume.startswith("./")
    ]
    assert mounts, "the compose file mounts the broker config and the dashboards"
    for mount in mounts:
        assert (REPO / mount).exists(), mount
    assert (REPO / "Dockerfile").exists()


def test_the_broker_config_is_the_labs_and_runs_on_mosquitto(tmp_path: Path) -> None:
    """broker/mosquitto.docker.conf: the lab's broker settings, accounts only, TLS outside, and
    a config the real Mosquitto accepts (its paths moved into a temporary folder), run by
    broker/mosquitto-run.sh, which reloads the accounts when the lab rewrites them."""
    text = (REPO / "broker" / "mosquitto.docker.conf").read_text()
    lines = {line.strip() for line in text.splitlines()}
    assert set(LAB_BROKER_SETTINGS) <= lines
    assert "allow_anonymous false" in lines
    assert "use_username_as_clientid true" in lines
    access = BrokerAccess(tmp_path / "access", "mewet")
    assert f"password_file /mosquitto/access/{access.password_file.name}" in lines
    assert f"acl_file /mosquitto/access/{access.acl_file.name}" in lines
    # as the deployment does: mewet broker init, then the broker
    env = {**os.environ, **SECRETS}
    init = subprocess.run(
        [str(REPO / ".venv/bin/mewet"), "broker", "init", "--access-dir", str(access.folder)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    # the deployment's own config, its paths moved here, on the real Mosquitto
    port, tls_port = free_port(), free_port()
    conf = text.replace("/mosquitto/access/", f"{access.folder}/")
    conf = conf.replace("/mosquitto/certs/", f"{certs}/")
    conf = conf.replace("/mosquitto/data/", f"{tmp_path}/")
    conf = conf.replace("listener 1883", f"listener {port} 127.0.0.1")
    conf = conf.replace("listener 8883", f"listener {tls_port} 127.0.0.1")
    conf += f"user {getpass.getuser()}\n"  # as root, it would switch to user mosquitto
    (tmp_path / "mosquitto.conf").write_text(conf)
    run = REPO / "broker" / "mosquitto-run.sh"
    argv = ["sh", str(run), str(tmp_path / "mosquitto.conf"), str(access.folder)]
    server = Server("mosquitto", tmp_path, port, argv)
    server.start()
    try:
        url = MqttUrl("127.0.0.1", port, "mewet-lab", SECRETS["MEWET_LAB_PASSWORD"])
        link = MqttLink(url, "deploy-check", subscriptions=("$SYS/broker/uptime",))
        link.connect()  # the health check's account and topic
        link.close()
        # the lab writes a new account; the broker takes it without anyone signalling it
        student = access.grant("s1-ex1", "student", home="ex1-aa")
        eventually(lambda: tls_connects(tls_port, certs, "s1-ex1", student), timeout_s=15)
        assert not tls_connects(tls_port, certs, "s1-ex1", "wrong password")
    finally:
        server.stop()


def tls_connects(port: int, certs: Path, user: str, password: str) -> bool:
    """Whether an MQTT 5 client gets in over TLS, checking the server's certificate."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    client.username_pw_set(user, password)
    client.tls_set(ca_certs=str(certs / "fullchain.pem"))
    answer: list[bool] = []
    client.on_connect = lambda c, u, f, rc, p: answer.append(not rc.is_failure)
    try:
        client.connect("localhost", port)
        deadline = time.monotonic() + 5
        while not answer and time.monotonic() < deadline:
            client.loop(0.1)
    finally:
        client.disconnect()
    return answer == [True]


def test_the_committed_dashboards_are_the_generated_ones() -> None:
    for name, board in dashboards().items():
        path = REPO / "dashboards" / f"{name}.json"
        assert path.read_text() == render(board), f"regenerate: make docs ({path.name})"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A night fall with the wristband, through Mosquitto and ingest into a real influxd."""
    from mewet.servers import influxd

    folder = tmp_path_factory.mktemp("seeded")
    broker = mosquitto(folder / "broker").start()
    influx = influxd(folder / "influxd").start()
    root = unique_root()
    mqtt = MqttUrl("127.0.0.1", broker.port)
    store_url = StoreUrl("influxdb", host="127.0.0.1", port=influx.port, database="seeded")
    store = open_store(store_url)
    ingest = Ingest(mqtt, store, IngestSettings(stats_every_s=0.5), root=root, client_id="seed")
    try:
        ingest.start()
        scenario = load_scenario("night-fall")
        home = scenario.build_home()
        sink = MqttSink(mqtt, home.id, will_device(home), root=root)
        sim = ScenarioSim(scenario, sink, root=root)
        sink.connect()
        asyncio.run(run_live(sim, SimClock(sim.world.start, 0), 86400.0, None, sink.pump))
        sim.shutdown()
        assert sink.close()
        sent = sum(sink.sent.values())
        # and one message that cannot be read: a dead letter
        bad = MqttLink(mqtt, "seed-bad")
        bad.connect()
        bad.publish(f"{root}/{home.id}/vitals/telemetry", b"{not json")
        bad.wait_published()
        bad.close()
        eventually(lambda: ingest.counters.written + ingest.counters.rejected >= sent, 60)
        time.sleep(1.5)  # a stats point after the last write
        yield store_url, home.id, scenario.start
    finally:
        ingest.stop()
        store.close()
        influx.stop()
        broker.stop()


def test_every_dashboard_query_returns_data(seeded: Any) -> None:
    store_url, home, start = seeded
    client = InfluxDBClient("127.0.0.1", store_url.port, database=store_url.database)
    begin = start.astimezone(UTC)
    end = max(datetime.now(UTC), begin + timedelta(days=1)) + timedelta(hours=1)
    window = f"time >= '{begin:%Y-%m-%dT%H:%M:%SZ}' AND time <= '{end:%Y-%m-%dT%H:%M:%SZ}'"
    empty = []
    for name, board in dashboards().items():
        variable = board["templating"]["list"][0]["query"]
        assert home in json.dumps(client.query(variable).raw), "the home picker lists the home"
        for panel in board["panels"]:
            for target in panel["targets"]:
                # Grafana sets $__interval from the panel's width and time range; ingest's own
                # stats span only the seconds this test's run took, so they get a short one
                step = "1s" if '"ingest"' in target["query"] else "10m"
                q = (
                    target["query"]
                    .replace("$timeFilter", window)
                    .replace("$__interval", step)
                    .replace("$home", home)
                )
                if not list(client.query(q).get_points()) and not _grouped(client, q):
                    empty.append(f"{name} / {panel['title']}: {q}")
    assert not empty, "\n".join(empty)


def _grouped(client: InfluxDBClient, q: str) -> bool:
    return any(series.get("values") for series in client.query(q).raw.get("series", []))
