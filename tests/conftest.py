"""Fixtures: the real Mosquitto and influxd, started on free ports, stopped by PID."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mewet.config import MqttUrl, StoreUrl
from mewet.servers import InfluxServer, Server, influxd, mosquitto
from mewet.store.base import Store, open_store

_db_names = itertools.count()


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
