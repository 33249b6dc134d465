"""Devices in a real SimPy environment on the in-memory sink: behaviour, faults, commands."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Generator
from datetime import timedelta
from typing import Any

import jsonschema
import numpy as np
import pytest
import simpy

from mewet.contract import Command, Event, Message, Telemetry, schemas
from mewet.contract.topics import Kind, Topic
from mewet.devices.base import Device
from mewet.devices.catalogue import CATALOGUE
from mewet.devices.draws import Draws
from mewet.devices.homes import load_home
from mewet.scenarios.homesim import HomeSim
from mewet.sim.home import DevicePlacement
from mewet.sim.readings import SimEnvironment
from mewet.sim.seeds import rng_for
from mewet.sim.sink import MemorySink
from mewet.sim.world import World
from tests.support.helpers import START, run_home

HOME = load_home("default")


def make(
    type_: str,
    room: str = "bedroom",
    faults: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    door: str | None = None,
    seed: int = 1,
) -> tuple[simpy.Environment, World, Device, MemorySink]:
    """One device alone in the default home's world, switched on."""
    env = SimEnvironment()
    world = World(env, HOME, START)
    sink = MemorySink()
    placement = DevicePlacement(
        id="dut", type=type_, room=room, door=door, faults=faults or {}, options=options or {}
    )
    spec = CATALOGUE[type_]
    device = spec.factory(env, world, sink, spec, placement, rng_for(seed, "dut"))
    device.start()
    return env, world, device, sink


def events(sink: MemorySink, event_type: str | None = None) -> list[Event]:
    out = [m.payload for m in sink.messages if isinstance(m.payload, Event)]
    return [e for e in out if event_type is None or e.event_type == event_type]


def telemetry(sink: MemorySink) -> list[Telemetry]:
    return [m.payload for m in sink.messages if isinstance(m.payload, Telemetry)]


def validate_all(messages: list[Message], per_device_and_kind: int = 30) -> int:
    """Check messages against the published schemas (the first N of each device and kind)."""
    validators = {k: jsonschema.Draft202012Validator(s) for k, s in schemas().items()}
    taken: Counter[tuple[str, Kind]] = Counter()
    for m in messages:
        key = (m.topic.device, m.topic.kind)
        if taken[key] >= per_device_and_kind:
            continue
        taken[key] += 1
        body: Any = m.encode().decode()
        if m.topic.kind is not Kind.STATUS:
            body = json.loads(body)
        validators[m.topic.kind.value].validate(body)
    return sum(taken.values())


def test_readings_built_unchecked_are_what_validation_would_build() -> None:
    """Devices build telemetry with Telemetry.trusted (no validation, for speed): each must be
    equal to the model validated from its own bytes, and encode to the same bytes."""
    _, sink = run_home(seed=5, hours=6)
    readings = [m for m in sink.messages if isinstance(m.payload, Telemetry)]
    assert len(readings) > 1000
    for m in readings:
        assert isinstance(m.payload, Telemetry)
        checked = Telemetry.model_validate(dict(m.payload))
        assert checked == m.payload
        assert checked.model_dump_json() == m.payload.model_dump_json() == m.encode().decode()
        Telemetry.model_validate_json(m.encode())  # and what goes out reads back


def test_draws_follow_their_distributions() -> None:
    draw = Draws(rng_for(1, "draws"))
    normal = np.array([draw.normal(5.0, 2.0) for _ in range(20_000)])
    uniform = np.array([draw.uniform(-1.0, 3.0) for _ in range(20_000)])
    waits = np.array([draw.exponential(60.0) for _ in range(20_000)])
    assert abs(normal.mean() - 5.0) < 0.1 and abs(normal.std() - 2.0) < 0.1
    assert uniform.min() >= -1.0 and uniform.max() < 3.0 and abs(uniform.mean() - 1.0) < 0.05
    assert waits.min() >= 0 and abs(waits.mean() - 60.0) < 2.0
    again = Draws(rng_for(1, "draws"))
    assert [again.normal(5.0, 2.0) for _ in range(5)] == list(normal[:5])


def test_catalogue_has_at_least_15_types_with_units_and_rates() -> None:
    assert len(CATALOGUE) >= 15
    for spec in CATALOGUE.values():
        for channel in spec.channels:
            assert channel.unit or channel.name in ("devices",), (spec.type, channel.name)


def test_every_device_type_emits_messages_valid_against_the_published_schemas() -> None:
    sink = MemorySink()
    sim = HomeSim(HOME, sink, 3, START)
    # the room radar speaks only when someone falls, or by a rare false alarm: make one
    sim.at(3600.0, sim.devices["fall-bathroom"].false_alarm)
    sim.run(48 * 3600)
    types = {d.id: d.type for d in HOME.devices}
    seen_types = {types[m.topic.device] for m in sink.messages}
    assert seen_types == {d.type for d in HOME.devices}
    assert {d.type for d in HOME.devices} == set(CATALOGUE)
    assert validate_all(sink.messages) > 500
    # and every type says more than hello: telemetry or events after its birth messages
    talking = {
        types[m.topic.device] for m in sink.messages if m.topic.kind in (Kind.TELEMETRY, Kind.EVENT)
    }
    assert talking == set(CATALOGUE)


def test_seq_counts_up_by_one_per_device_without_faults() -> None:
    e, _, _, sink = make("vitals", faults={"dropout": 0.0})
    e.run(until=3600)
    seqs = [t.seq for t in telemetry(sink)]
    assert seqs == list(range(len(seqs))) and 59 <= len(seqs) <= 62  # a minute, give or take 2%


def test_same_seed_same_messages_and_adding_a_device_changes_no_other() -> None:
    _, a = run_home(seed=11, hours=12)
    _, b = run_home(seed=11, hours=12)
    assert [m.encode() for m in a.messages] == [m.encode() for m in b.messages]
    _, c = run_home(seed=12, hours=12)
    assert [m.encode() for m in a.messages] != [m.encode() for m in c.messages]
    extra = DevicePlacement(id="motion-extra", type="motion", room="kitchen")
    bigger = HOME.model_copy(update={"devices": [extra, *HOME.devices]})
    d = MemorySink()
    HomeSim(bigger, d, 11, START).run(12 * 3600)
    # the gateway counts its devices, so it alone may (and does) report differently
    others = [m.encode() for m in d.messages if m.topic.device not in ("motion-extra", "gateway")]
    assert others == [m.encode() for m in a.messages if m.topic.device != "gateway"]
    assert any(m.topic.device == "motion-extra" for m in d.messages)


# -- faults ---------------------------------------------------------------------------


def test_battery_drains_to_empty_then_offline_and_silent() -> None:
    env, _, device, sink = make("motion", faults={"battery_days": 1 / 24, "battery_start": 50})
    env.run(until=3 * 3600)
    low = events(sink, "battery_low")
    assert len(low) == 1
    statuses = [m.payload for m in sink.messages if m.topic.kind is Kind.STATUS]
    assert statuses == ["online", "offline"]
    assert sink.messages[-1].payload == "offline"
    assert not device.alive
    # empty after 50% of one hour: 30 minutes; the low warning came at 10%
    assert low[0].ts - START == pytest.approx(timedelta(minutes=24), abs=timedelta(seconds=1))


def test_rechargeable_wearable_is_topped_up_when_put_on_charge() -> None:
    env, world, device, _ = make("vitals", faults={"battery_days": 1.0})
    env.run(until=12 * 3600)
    assert 45 < device.battery() < 55
    world.notify("charge")
    env.run(until=12 * 3600 + 120)
    assert device.battery() > 99
    env.run(until=36 * 3600)
    assert device.alive


def test_dropout_loses_messages_but_not_sequence_numbers() -> None:
    env, *_, sink = make("vitals", faults={"dropout": 0.3})
    env.run(until=86400)
    seqs = [t.seq for t in telemetry(sink)]
    lost = (seqs[-1] + 1) - len(seqs)
    assert 0.25 < lost / (seqs[-1] + 1) < 0.35
    assert seqs == sorted(seqs)


def test_stuck_sensor_repeats_its_last_values() -> None:
    env, *_, sink = make("environment", room="living-room", faults={"stuck_after_h": 2})
    env.run(until=8 * 3600)
    after = [t for t in telemetry(sink) if t.ts >= START + timedelta(hours=2)]
    before = [t for t in telemetry(sink) if t.ts < START + timedelta(hours=2)]
    assert len({t.data["co2"] for t in after}) == 1
    assert len({t.data["co2"] for t in before}) > 1


def test_false_alarm_rate_of_the_wristband_follows_published_figures() -> None:
    env, *_, sink = make("wristband", faults={"battery_days": None})
    env.run(until=30 * 86400)
    falls = events(sink, "fall_detected")
    # default 0.035 per hour worn: about 25 in 30 days (Poisson, seeded)
    assert 12 <= len(falls) <= 40


def test_detection_sensitivity_of_the_wristband() -> None:
    env, world, _, sink = make("wristband", faults={"false_alarms_per_h": 0, "battery_days": None})

    def falls() -> Generator[simpy.Event, Any, None]:
        for _ in range(400):
            yield env.timeout(600)
            world.set("fallen", True)
            yield env.timeout(60)
            world.set("fallen", False)

    env.process(falls())
    env.run()
    detected = len(events(sink, "fall_detected"))
    assert 0.72 <= detected / 400 <= 0.88


def test_a_wristband_not_worn_detects_nothing() -> None:
    env, world, _, sink = make("wristband", faults={"false_alarms_per_h": 0, "sensitivity": 1})
    env.run(until=10)
    world.set("wristband_worn", False)
    env.run(until=20)
    world.set("fallen", True)
    world.notify("button")
    env.run(until=100)
    assert events(sink, "removed")
    assert not events(sink, "fall_detected") and not events(sink, "button_pressed")


def test_clock_skew_shifts_timestamps() -> None:
    env, *_, sink = make("vitals", faults={"clock_skew_s": -90})
    env.run(until=600)
    first = telemetry(sink)[0]
    period = 60.0
    assert first.ts < START
    assert START - first.ts <= timedelta(seconds=90) and START - first.ts > timedelta(
        seconds=90 - period
    )


# -- behaviour and commands --------------------------------------------------------------


def test_motion_sees_the_resident_but_not_after_a_fall() -> None:
    env, world, _, sink = make(
        "motion", room="hall", options={"hold_s": 30}, faults={"sensitivity": 1}
    )
    env.run(until=10)
    world.set("activity", "walk")
    world.set("location", "hall")
    env.run(until=20)
    assert len(events(sink, "motion_detected")) == 1
    world.set("fallen", True)
    env.run(until=4 * 3600)
    assert [e.event_type for e in events(sink)] == ["motion_detected", "motion_cleared"]


def test_motion_sensitivity_delays_and_misses_sightings() -> None:
    blind_env, blind_world, _, blind_sink = make("motion", room="hall", faults={"sensitivity": 0})
    blind_world.set("activity", "walk")
    blind_world.set("location", "hall")
    blind_env.run(until=3600)
    assert not events(blind_sink)  # and the run ended: a blind sensor waits, it does not spin
    seen_at = []
    for seed in range(40):
        env, world, _, sink = make(
            "motion", room="hall", faults={"sensitivity": 0.5}, options={"hold_s": 60}, seed=seed
        )
        env.run(until=100)
        world.set("activity", "walk")
        world.set("location", "hall")
        env.run(until=400)
        world.set("location", "kitchen")
        env.run(until=1000)
        detected, cleared = events(sink)
        seen_at.append((detected.ts - START).total_seconds() - 100)
        last_seen = (cleared.ts - START).total_seconds() - 60
        assert 100 <= last_seen < 400 and (last_seen - 100) % 10 == pytest.approx(0)
    assert all(s % 10 == pytest.approx(0) for s in seen_at)  # at a retrigger, 10 s apart
    assert 0.3 < seen_at.count(0.0) / len(seen_at) < 0.7  # half are seen at the first


def test_stove_guard_cuts_power_when_the_stove_is_left_on() -> None:
    env, world, _, sink = make("stove_guard", room="kitchen")
    world.location = "kitchen"
    world.set("stove_on", True)
    env.run(until=600)
    assert not events(sink, "power_cut")
    world.set("location", "living-room")
    env.run(until=600 + 16 * 60 + 120)
    cut = events(sink, "power_cut")
    assert len(cut) == 1 and cut[0].data["reason"] == "unattended"
    assert world.stove_power is False
    temps = [t.data["hob_temp"] for t in telemetry(sink)]
    assert max(temps) > 150


def test_dispenser_escalates_a_missed_dose_and_confirms_a_taken_one() -> None:
    env, world, _, sink = make("dispenser", room="kitchen", options={"doses": ["07:00", "08:00"]})
    env.run(until=3600 + 300)  # 07:05: the 07:00 dose is due
    world.notify("take_dose")
    env.run(until=2 * 3600 + 3600)
    kinds = [e.event_type for e in events(sink)]
    assert kinds == ["dose_due", "dose_taken", "dose_due", "dose_reminder", "dose_missed"]
    assert events(sink, "dose_missed")[0].severity == "alarm"


def command(device: Device, name: str, **args: Any) -> Event:
    device.command(name, args, f"cmd-{name}")
    result = [e for e in events(device.sink) if e.event_type == "command_result"]  # type: ignore[arg-type]
    return result[-1]


def test_commands_act_and_report_the_result() -> None:
    env, _, lock, sink = make("smart_lock", room="hall", door="front-door")
    env.run(until=10)
    result = command(lock, "unlock", key="home-care-7")
    assert result.data == {
        "command": "unlock",
        "ok": True,
        "ref": "cmd-unlock",
        "detail": "unlocked",
    }
    unlocked = events(sink, "unlocked")[0]
    assert unlocked.data == {"method": "digital_key", "key": "home-care-7"}
    assert lock.state["locked"] is False
    assert command(lock, "dance").data["ok"] is False
    # an argument a command does not take is refused, not ignored: the lock stays open
    misspelt = command(lock, "lock", kye="home-care-7").data
    assert misspelt["ok"] is False and misspelt["detail"] == (
        "lock takes no argument 'kye' (it takes: key)"
    )
    assert lock.state["locked"] is False

    _, world2, guard, _ = make("stove_guard", room="kitchen")
    assert command(guard, "cut_power", delay_s=5).data == {
        "command": "cut_power",
        "ok": False,
        "ref": "cmd-cut_power",
        "detail": "cut_power takes no argument 'delay_s'",
    }
    world2.set("stove_on", True)
    assert command(guard, "cut_power").data["ok"] is True
    assert world2.stove_power is False
    assert command(guard, "reset").data["ok"] is True
    assert world2.stove_power is True


def test_gateway_reboot_starts_seq_again_at_zero() -> None:
    env, _, gateway, sink = make("gateway", room="hall")
    env.run(until=3600)
    command(gateway, "reboot")
    env.run(until=2 * 3600)
    seqs = [m.payload.seq for m in sink.messages if isinstance(m.payload, Telemetry | Event)]
    assert 0 in seqs[1:]


def test_commands_from_the_contract_reach_devices_in_a_home() -> None:
    sim, sink = run_home(hours=1)
    topic = Topic("default", "lock-front", Kind.CMD, "unlock")
    cmd = Command(id="c1", ts=START, args={"key": "nurse"})
    assert sim.command(topic, cmd)
    assert not sim.command(Topic("default", "nope", Kind.CMD, "unlock"), cmd)
    results = [e for e in events(sink, "command_result")]
    assert results[-1].data["ref"] == "c1"


@pytest.mark.parametrize(
    ("type_", "subject", "on", "off", "severity"),
    [
        ("smoke", "smoke", "smoke_detected", "smoke_cleared", "alarm"),
        ("water_leak", "leak", "leak_detected", "leak_cleared", "alarm"),
        ("bed", "in_bed", "bed_entered", "bed_exited", "info"),
    ],
)
def test_binary_sensors_report_the_condition_and_its_end(
    type_: str, subject: str, on: str, off: str, severity: str
) -> None:
    env, world, device, sink = make(type_, faults={"sensitivity": 1, "false_alarms_per_h": 0})
    env.run(until=5)
    world.set(subject, False)  # the resident starts in bed
    env.run(until=10)
    sink.messages.clear()
    world.set(subject, True)
    env.run(until=20)
    assert device.state[device.state_key] is True  # type: ignore[attr-defined]
    world.set(subject, False)
    env.run(until=30)
    got = [(e.event_type, e.severity) for e in events(sink) if e.event_type in (on, off)]
    assert got == [(on, severity), (off, "info")]


def test_a_hushed_smoke_alarm_sounds_again_for_new_smoke() -> None:
    env, world, smoke, _ = make("smoke", room="hall", faults={"sensitivity": 1})
    env.run(until=10)
    world.set("smoke", True)
    env.run(until=20)
    assert command(smoke, "silence").data["ok"] is True
    assert smoke.state["silenced"] is True
    world.set("smoke", False)
    env.run(until=30)
    world.set("smoke", True)
    env.run(until=40)
    assert smoke.state["silenced"] is False and smoke.state["smoke"] is True


@pytest.mark.parametrize(("night_alarm", "expected"), [(True, 1), (False, 0)])
def test_a_door_opened_at_night_raises_an_alarm_when_set_up(
    night_alarm: bool, expected: int
) -> None:
    env, world, _, sink = make(
        "contact",
        room="hall",
        door="front-door",
        options={"night_alarm": night_alarm, "night": ["05:00", "07:00"]},
        faults={"sensitivity": 1},
    )
    env.run(until=10)
    world.set_door("front-door", True)  # 06:00 in the home: inside the night hours
    env.run(until=20)
    world.set_door("front-door", False)
    env.run(until=2 * 3600)
    world.set_door("front-door", True)  # 08:00: day again
    env.run(until=2 * 3600 + 10)
    alarms = events(sink, "door_opened_at_night")
    assert len(alarms) == expected and all(a.severity == "alarm" for a in alarms)
    assert len(events(sink, "opened")) == 2


def test_draws_are_each_stream_s_blocks_handed_out_from_the_end_mixed_in_any_order() -> None:
    """What a seed gives: the draws of two streams spawned from the device's generator, each a
    block of 1,024 at a time handed out last first, however single and bulk draws interleave
    (whatever the lab keeps in memory to give them)."""
    normals_rng, uniforms_rng = np.random.default_rng(7).spawn(2)
    normal_blocks = [normals_rng.standard_normal(1024)[::-1] for _ in range(3)]
    uniform_blocks = [uniforms_rng.random(1024)[::-1] for _ in range(3)]
    want_normals = np.concatenate(normal_blocks).tolist()
    want_uniforms = np.concatenate(uniform_blocks).tolist()
    draws = Draws(np.random.default_rng(7))
    got_normals: list[float] = []
    got_uniforms: list[float] = []
    sizes = np.random.default_rng(3).integers(1, 300, 40)
    for i, n in enumerate(sizes):
        if i % 3 == 0:
            got_uniforms += draws.uniforms(int(n))
        elif i % 3 == 1:
            got_normals += draws.normals(int(n), 0.0, 1.0)
        else:
            got_uniforms += [draws.random() for _ in range(int(n) % 70)]
            got_normals += [draws.normal(0.0, 1.0) for _ in range(int(n) % 50)]
    assert len(got_uniforms) > 1100 and len(got_normals) > 1100  # past a block's end
    assert got_uniforms == want_uniforms[: len(got_uniforms)]
    assert got_normals == want_normals[: len(got_normals)]
