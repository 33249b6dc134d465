"""Fixtures of the page tests: one Chromium per module, a lab per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mewet.config import MqttUrl
from tests.pages.browser import CHROMIUM, FLAGS
from tests.support.apiserver import Api, serve
from tests.support.helpers import unique_root

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def lab(tmp_path: Path, mqtt_url: MqttUrl) -> Iterator[Api]:
    """The lab's API and pages on a free port, over the session's Mosquitto."""
    with serve(tmp_path / "data", mqtt_url, unique_root()) as api:
        yield api
