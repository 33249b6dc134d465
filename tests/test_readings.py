"""Periodic readings taken between the world's changes: the same readings, at the same times,
as a SimPy process per device would take them, in runs whole or in steps."""

from __future__ import annotations

from itertools import pairwise

import pytest

from mewet.devices.base import Device, Process
from mewet.devices.sink import MemorySink
from mewet.scenarios.home import load_home
from mewet.scenarios.homesim import HomeSim
from mewet.scenarios.readings import Measure, Readings, SimEnvironment
from mewet.scenarios.run import message_json, run_scenario
from mewet.scenarios.scenario import load_scenario

from .conftest import START


def add_as_process(self: Readings, device: Device, period_s: float, measure: Measure) -> None:
    """The plain way, for comparison: one SimPy process per device, one timeout per reading."""
    env = self.env
    first = period_s * device.draw.random()

    def every() -> Process:
        yield env.timeout(first)
        while device.alive:
            device.telemetry(measure())
            yield env.timeout(period_s * (0.98 + 0.04 * device.draw.random()))

    env.process(every())


@pytest.mark.parametrize(
    "name",
    [
        "stove-left-on",  # a reading changes the world: the guard cuts the power
        "battery-and-false-alarms",  # devices die: their readings stop
        "post-discharge",  # readings raise vitals alerts that the care team answers
    ],
)
def test_readings_are_the_ones_a_process_per_device_takes(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = load_scenario(name)
    days = min(2.0, scenario.days)
    sim, sink = run_scenario(scenario, days=days)
    with monkeypatch.context() as patch:
        patch.setattr(Readings, "add", add_as_process)
        plain_sim, plain_sink = run_scenario(scenario, days=days)
    assert len(sink.messages) > 5000
    assert [message_json(m) for m in sink.messages] == [
        message_json(m) for m in plain_sink.messages
    ]
    assert sim.truth.records == plain_sim.truth.records
    assert sim.care is not None and plain_sim.care is not None
    assert sim.care.timeline == plain_sim.care.timeline


def test_a_run_in_steps_is_the_run_in_one_go() -> None:
    """Live runs advance a minute at a time, with the clock's pauses in between."""
    whole, stepped = MemorySink(), MemorySink()
    HomeSim(load_home("default"), whole, 3, START).run(6 * 3600)
    sim = HomeSim(load_home("default"), stepped, 3, START)
    for minute in range(1, 6 * 60 + 1):
        sim.run(minute * 60.0)
    assert len(whole.messages) > 1500
    assert [message_json(m) for m in stepped.messages] == [message_json(m) for m in whole.messages]


def test_a_device_switched_on_later_reports_on_time() -> None:
    """The readings process may be asleep until an hourly reading; a plug switched on in the
    meantime still reports within its first minute, then every minute."""
    home = load_home("default")
    sink = MemorySink()
    sim = HomeSim(home, sink, 1, START)
    hub = next(p for p in home.devices if p.type == "gateway")
    plug = next(p for p in home.devices if p.type == "smart_plug")
    sim.devices = {hub.id: sim.devices[hub.id], plug.id: sim.devices[plug.id]}
    sim.devices[hub.id].start()
    sim.env.run(1800.0)  # only the hub, every five minutes
    sim.devices[plug.id].start()
    sim.env.run(1800.0 + 600.0)
    readings = [
        (m.payload.ts - START).total_seconds()
        for m in sink.messages
        if m.topic.device == plug.id and m.topic.kind.value == "telemetry"
    ]
    assert 1800.0 <= readings[0] <= 1860.0
    assert len(readings) >= 9
    assert all(58.0 <= b - a <= 62.0 for a, b in pairwise(readings))


def test_the_clock_skips_only_through_quiet_stretches() -> None:
    env = SimEnvironment()
    env.timeout(10.0)
    assert env.skip_to(4.0) and env.now == 4.0
    assert not env.skip_to(10.0) and env.now == 4.0  # an event is due then: wait for it
    with pytest.raises(ValueError, match="cannot go back"):
        env.skip_to(3.0)
