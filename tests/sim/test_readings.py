"""Periodic readings taken between the world's changes: the same readings, at the same times,
as a SimPy process per device would take them, in runs whole or in steps."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from mewet.contract import Event, Message, Telemetry
from mewet.devices.base import Device
from mewet.devices.draws import Draws
from mewet.devices.homes import load_home
from mewet.scenarios.homesim import HomeSim
from mewet.scenarios.jsonl import message_json
from mewet.scenarios.run import run_scenario
from mewet.scenarios.scenario import library, load_scenario
from mewet.sim.readings import Many, Measure, Readings, SimEnvironment, Stream
from mewet.sim.sink import MemorySink
from mewet.sim.world import Process
from tests.support.helpers import START


def add_as_process(
    self: Readings, device: Device, period_s: float, measure: Measure, many: Many | None = None
) -> None:
    """The plain way, for comparison: one SimPy process per device, one timeout per reading."""
    env = self.env
    stream = Stream.draw(device, float(env.now), period_s, measure, many, 0)

    def every() -> Process:
        while True:
            yield env.timeout(stream.due() - env.now)
            if not device.alive:
                return
            device.telemetry(measure(), stream.stamp_of(stream.index))
            stream.index += 1

    env.process(every())


@pytest.mark.parametrize("name", sorted(library()))
def test_readings_are_the_ones_a_process_per_device_takes(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every library scenario: a stove guard cutting the power, devices dying, vitals alerts
    the care team answers, a resident lying on the floor, a heat wave, lost messages."""
    scenario = load_scenario(name)
    days = min(1.5, scenario.days)
    sim, sink = run_scenario(scenario, days=days)
    with monkeypatch.context() as patch:
        patch.setattr(Readings, "add", add_as_process)
        plain_sim, plain_sink = run_scenario(scenario, days=days)
    assert len(sink.messages) > 2500
    assert [message_json(m) for m in sink.messages] == [
        message_json(m) for m in plain_sink.messages
    ]
    assert sim.truth.records == plain_sim.truth.records
    assert sim.team is not None and plain_sim.team is not None
    assert sim.team.timeline == plain_sim.team.timeline


def test_most_readings_are_taken_in_bulk() -> None:
    """A quiet day's readings go in stretches between the world's changes, not one by one;
    taking them one by one gives the same messages."""
    bulk, one_by_one = MemorySink(), MemorySink()
    sim = HomeSim(load_home("default"), bulk, 5, START)
    sim.run(86400)
    plain = HomeSim(load_home("default"), one_by_one, 5, START)
    plain.world.readings.bulk = False
    plain.run(86400)
    readings = sum(m.topic.kind.value == "telemetry" for m in bulk.messages)
    assert sim.world.readings.taken_in_bulk > 0.9 * readings
    assert plain.world.readings.taken_in_bulk == 0
    assert [message_json(m) for m in bulk.messages] == [
        message_json(m) for m in one_by_one.messages
    ]


def test_a_run_in_steps_is_the_run_in_one_go() -> None:
    """Live runs advance a minute at a time, with the clock's pauses in between."""
    whole, stepped = MemorySink(), MemorySink()
    HomeSim(load_home("default"), whole, 3, START).run(6 * 3600)
    sim = HomeSim(load_home("default"), stepped, 3, START)
    for minute in range(1, 6 * 60 + 1):
        sim.run(minute * 60.0)
    assert len(whole.messages) > 1500
    assert [message_json(m) for m in stepped.messages] == [message_json(m) for m in whole.messages]


class Stamped(MemorySink):
    """Keeps each message with the sim time the home had been advanced to when it came."""

    def __init__(self) -> None:
        super().__init__()
        self.until = 0.0
        self.sent_by: list[float] = []

    def publish(self, message: Message) -> None:
        super().publish(message)
        self.sent_by.append(self.until)


def test_a_fleet_home_advanced_in_small_steps_sends_the_same_and_never_early() -> None:
    """A fleet advances each home a fraction of a second at a time (`advance`, not `run`):
    the same messages as a run in one go, and none before its moment, bulk readings
    included."""
    whole, stepped = MemorySink(), Stamped()
    HomeSim(load_home("default"), whole, 3, START).run(2 * 3600)
    sim = HomeSim(load_home("default"), stepped, 3, START)
    rng = np.random.default_rng(5)
    until = 0.0
    while until < 2 * 3600:
        until = min(2 * 3600.0, until + float(rng.choice([0.1, 0.25, 0.5, 7.0])))
        stepped.until = until
        sim.advance(until)
        assert sim.env.now == until
    assert len(whole.messages) > 500
    assert [message_json(m) for m in stepped.messages] == [message_json(m) for m in whole.messages]
    for m, sent_by in zip(stepped.messages, stepped.sent_by, strict=True):
        if isinstance(m.payload, Telemetry | Event):
            assert (m.payload.ts - START).total_seconds() <= sent_by + 0.1  # clocks off by 2%


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


def test_readings_are_stamped_exactly_a_period_apart() -> None:
    """A device's timer counts whole microseconds: a day of a plug's, the stove guard's or the
    hub's readings, in bulk and one by one, are stamped at one steady spacing, its period's."""
    sink = MemorySink()
    HomeSim(load_home("default"), sink, 2, START).run(86400)
    for device, nominal in (("plug-kettle", 60.0), ("stove-guard", 60.0), ("gateway", 300.0)):
        stamps = [m.payload.ts for m in sink.of(device, "telemetry")]
        spacings = {b - a for a, b in pairwise(stamps)}
        assert len(stamps) > 86400 / nominal * 0.97
        assert len(spacings) == 1, (device, spacings)
        assert abs(spacings.pop().total_seconds() / nominal - 1) <= 0.02


def test_the_clock_skips_only_through_quiet_stretches() -> None:
    env = SimEnvironment()
    env.timeout(10.0)
    assert env.skip_to(4.0) and env.now == 4.0
    assert not env.skip_to(10.0) and env.now == 4.0  # an event is due then: wait for it
    with pytest.raises(ValueError, match="cannot go back"):
        env.skip_to(3.0)


def test_draws_taken_together_are_the_draws_taken_one_by_one() -> None:
    """Across the blocks the draws are fetched in, and whatever the other kind did meanwhile."""
    one, many = Draws(np.random.default_rng(7)), Draws(np.random.default_rng(7))
    normals = [one.normal(1.0, 0.02) for _ in range(1500)]
    uniforms = [one.random() for _ in range(2100)]
    normals += [one.normal(1.0, 0.02) for _ in range(700)]
    assert many.uniforms(5) + many.uniforms(2095) == uniforms
    assert many.normals(1, 1.0, 0.02) + many.normals(2199, 1.0, 0.02) == normals


def test_faulty_devices_read_in_bulk_as_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lost messages, a clock that runs ahead, values that freeze, a flat battery: the bulk
    path applies each fault as a single reading does."""
    faults = {
        "plug-tv": {"stuck_after_h": 5.0, "dropout": 0.1},
        "env-living": {"clock_skew_s": 42.5, "dropout": 0.3},
        "env-bedroom": {"battery_days": 0.75},  # dies in the evening
        "gateway": {"dropout": 0.05, "clock_skew_s": -3.0},
        "stove-guard": {"stuck_after_h": 20.0},
    }
    home = load_home("default")
    home = home.model_copy(
        update={
            "devices": [
                d.model_copy(update={"faults": {**d.faults, **faults.get(d.id, {})}})
                for d in home.devices
            ]
        }
    )

    def run() -> tuple[MemorySink, HomeSim]:
        sink = MemorySink()
        sim = HomeSim(home, sink, 9, START)
        sim.run(26 * 3600)
        return sink, sim

    bulk, sim = run()
    with monkeypatch.context() as patch:
        patch.setattr(Readings, "add", add_as_process)
        plain, _ = run()
    assert sim.world.readings.taken_in_bulk > 5000
    assert [message_json(m) for m in bulk.messages] == [message_json(m) for m in plain.messages]
    # and the faults showed: gaps in seq, frozen values, a device gone offline
    env = [p for m in bulk.of("env-living") if isinstance(p := m.payload, Telemetry)]
    plug = [p for m in bulk.of("plug-tv") if isinstance(p := m.payload, Telemetry)]
    assert len(env) < env[-1].seq + 1
    assert len({p.data["power"] for p in plug[-300:]}) == 1
    assert [m.payload for m in bulk.of("env-bedroom", "status")][-1] == "offline"
