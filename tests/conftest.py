"""Fixtures: the real Mosquitto, influxd and PostgreSQL, started on free ports, stopped by
PID. `MEWET_TEST_DB=postgresql` (`make test-pg`) runs the whole suite with the app's state in
PostgreSQL instead of SQLite."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mewet.config import MqttUrl, StoreUrl
from mewet.servers import InfluxServer, PostgresServer, Server, influxd, mosquitto, postgres
from mewet.store.base import Store, open_store
from tests.support import appdb

_db_names = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL for the session (in a folder of its own under /tmp: when the
    tests run as root, the server runs as user `postgres`, who must reach it)."""
    folder = Path(tempfile.mkdtemp(prefix="mewet-pg-"))
    folder.chmod(0o755)  # the server's own folder inside is its user's alone
    server = postgres(folder / "pg").start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def app_databases(request: pytest.FixtureRequest) -> Iterator[None]:
    """With `MEWET_TEST_DB=postgresql`, every lab the tests start keeps its state in
    PostgreSQL (tests/support/appdb.py)."""
    if os.environ.get("MEWET_TEST_DB", "sqlite") != "postgresql":
        yield
        return
    appdb.SERVER = request.getfixturevalue("postgres_server")
    yield
    appdb.SERVER = None


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real Mosquitto for the session."""
    server = mosquitto(tmp_path_factory.mktemp("mosquitto")).start()
    yield server
    server.stop()


@pytest.fixture
def mqtt_url(broker: Server) -> MqttUrl:
    """The URL of the session broker."""
    return MqttUrl("127.0.0.1", broker.port)


@pytest.fixture(scope="session")
def influx_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    """One real influxd for the session."""
    server = influxd(tmp_path_factory.mktemp("influxd")).start()
    yield server
    server.stop()


@pytest.fixture
def influx_url(influx_server: InfluxServer) -> StoreUrl:
    """A fresh database on the session influxd for each test."""
    return StoreUrl(
        "influxdb",
        host="127.0.0.1",
        port=influx_server.port,
        database=f"t{os.getpid()}_{next(_db_names)}",
    )


@pytest.fixture(params=["sqlite", "influxdb"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> StoreUrl:
    """Each backend in turn: the same tests run on both."""
    if request.param == "sqlite":
        return StoreUrl("sqlite", path=tmp_path / "store.db")
    url: StoreUrl = request.getfixturevalue("influx_url")
    return url


@pytest.fixture
def store(store_url: StoreUrl) -> Iterator[Store]:
    """An open, empty store of each backend."""
    s = open_store(store_url)
    yield s
    s.close()
