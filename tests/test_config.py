"""URLs and durations in every form the commands accept, and clear errors for the rest."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from mewet.config import MqttUrl, StoreUrl, load_settings, parse_duration
from mewet.errors import ConfigError


def test_mqtt_urls() -> None:
    url = MqttUrl.parse("mqtt://ann:s%40cret@broker.example:1884")
    assert (url.host, url.port, url.username, url.password, url.tls) == (
        "broker.example",
        1884,
        "ann",
        "s@cret",
        False,
    )
    assert MqttUrl.parse("mqtts://h").port == 8883
    assert MqttUrl.parse("mqtt://h").port == 1883
    assert "s@cret" not in str(url)


def test_store_urls() -> None:
    assert StoreUrl.parse("sqlite:///data/x.db").path == Path("data/x.db")
    assert StoreUrl.parse("sqlite:////abs/x.db").path == Path("/abs/x.db")
    influx = StoreUrl.parse("influxdb://u:p@db:8087/lab")
    assert (influx.backend, influx.host, influx.port, influx.database, influx.password) == (
        "influxdb",
        "db",
        8087,
        "lab",
        "p",
    )


@pytest.mark.parametrize("bad", ["http://h", "mqtt://", "mqtt://h:99999", "h:1883"])
def test_bad_mqtt_urls_say_what_to_write(bad: str) -> None:
    with pytest.raises(ConfigError, match="mqtt://"):
        MqttUrl.parse(bad)


@pytest.mark.parametrize(
    "bad", ["postgres://h/db", "sqlite://", "influxdb://h", "influxdb://h:x/db"]
)
def test_bad_store_urls_say_what_to_write(bad: str) -> None:
    with pytest.raises(ConfigError):
        StoreUrl.parse(bad)


def test_durations() -> None:
    assert parse_duration("90m") == timedelta(minutes=90)
    assert parse_duration("6h") == timedelta(hours=6)
    assert parse_duration("7d") == timedelta(days=7)
    assert parse_duration("30") == timedelta(seconds=30)
    with pytest.raises(ConfigError, match="90m"):
        parse_duration("soon")


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEWET_MQTT_URL", "mqtt://x:1")
    monkeypatch.setenv("MEWET_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEWET_INGEST__BATCH_SIZE", "7")
    s = load_settings()
    assert s.mqtt().port == 1
    assert s.store().path == tmp_path / "mewet.db"
    assert s.ingest.batch_size == 7
    assert load_settings(mqtt_url="mqtt://y:2").mqtt().host == "y"
