"""Small helpers shared by the tests that talk to the real servers."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from mewet.config import MqttUrl
from mewet.contract import Event, Telemetry
from mewet.devices.homes import load_home
from mewet.scenarios.homesim import HomeSim
from mewet.sim.sink import MemorySink
from mewet.transport.client import MqttLink

T = TypeVar("T")
START = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]
"""The repository's root folder."""
_roots = itertools.count()


def unique_root() -> str:
    """A topic root of its own, so tests sharing the broker never see each other's messages."""
    return f"t{time.monotonic_ns() % 10**8}x{next(_roots)}"


def eventually(check: Callable[[], T], timeout_s: float = 30.0, every_s: float = 0.1) -> T:
    """Poll until `check` returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout_s
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(every_s)
        value = check()
    assert value, f"not true within {timeout_s} s: {value!r}"
    return value


def telemetry(seq: int, device: str = "vitals") -> bytes:
    """A valid telemetry payload."""
    ts = START + timedelta(seconds=seq)
    return (
        Telemetry(id=f"{device}-{seq}", ts=ts, seq=seq, data={"heart_rate": 60.0 + seq % 40})
        .model_dump_json()
        .encode()
    )


def event(seq: int, device: str = "wristband") -> bytes:
    """A valid event payload."""
    ts = START + timedelta(seconds=seq)
    return (
        Event(id=f"{device}-{seq}", ts=ts, seq=seq, event_type="button_pressed", severity="alarm")
        .model_dump_json()
        .encode()
    )


def publisher(url: MqttUrl) -> MqttLink:
    """A connected publishing link."""
    return MqttLink(url, f"test-pub-{time.monotonic_ns()}").connect()


def publish_stream(link: MqttLink, root: str, home: str, device: str, seqs: range) -> None:
    """Publish valid telemetry with the given sequence numbers, then wait for the broker's acks."""
    for seq in seqs:
        link.publish(f"{root}/{home}/{device}/telemetry", telemetry(seq, device))
    assert link.wait_published(60)


def run_home(seed: int = 1, hours: float = 24, home: str = "default") -> tuple[HomeSim, MemorySink]:
    """The default home run into a memory sink."""
    sink = MemorySink()
    sim = HomeSim(load_home(home), sink, seed, START)
    sim.run(hours * 3600)
    return sim, sink
