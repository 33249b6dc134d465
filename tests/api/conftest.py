"""The API served for real over the session's Mosquitto, for the tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mewet.config import MqttUrl
from tests.support.apiserver import Api, serve
from tests.support.helpers import unique_root


@pytest.fixture
def api(tmp_path: Path, mqtt_url: MqttUrl) -> Iterator[Api]:
    """A fresh API (its own data folder and topic root) for each test."""
    with serve(tmp_path / "data", mqtt_url, unique_root()) as running:
        yield running
