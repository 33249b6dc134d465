"""How an incident happens in the home: `happen` waits for its time (or its chance, or the
resident's dizziness), then `strike` changes the world, and the devices react to the world
as they always do, with their own sensitivity and faults, so a fall may be detected, missed,
or reported by the resident. The incidents themselves (what a scenario writes) are in
`incidents.py`."""

from __future__ import annotations

import numpy as np
import simpy

from mewet.scenarios.body import STEP_S, floor_loss
from mewet.scenarios.homesim import HomeSim
from mewet.scenarios.incidents import (
    AnyIncident,
    ButtonPress,
    DeviceFault,
    DoorLeftOpen,
    Fall,
    HeatWave,
    Illness,
    LieOnFloor,
    MissedDose,
    NearFall,
    SkippedDrinks,
    SkippedMeals,
    SkippedSnack,
    Smoke,
    StoveLeftOn,
    Wandering,
    WaterLeak,
)
from mewet.scenarios.occupant import Occupant
from mewet.sim.home import OUTSIDE
from mewet.sim.world import Process, World


def happen(incident: AnyIncident, sim: HomeSim, rng: np.random.Generator) -> Process:
    """The incident as a SimPy process: wait for its time (or its chance), then strike."""
    env = sim.env
    if incident.dizzy_chance_per_hour is not None:
        yield from _when_dizzy(incident, incident.dizzy_chance_per_hour, sim, rng)
        return
    if incident.chance_per_day is None:
        yield env.timeout(incident.delay_s(sim.world.start))
        yield from strike(incident, sim, rng)
        return
    for delay in incident.chances(sim.world.start, rng):
        if delay > env.now:
            yield env.timeout(delay - env.now)
            env.process(strike(incident, sim, rng))


DIZZY_CHECK_S = 600.0


def _when_dizzy(
    incident: AnyIncident, per_hour: float, sim: HomeSim, rng: np.random.Generator
) -> Process:
    """Every ten minutes the resident is up and about at home (not in bed, not on the floor,
    not out) within `between`, the incident happens with a chance that grows with her
    dizziness: never while she is steady, `per_hour` an hour when she is at her dizziest."""
    env, world = sim.env, sim.world
    while True:
        yield env.timeout(DIZZY_CHECK_S)
        if world.in_bed or world.fallen or world.location == OUTSIDE or world.visitor:
            continue
        if not incident.in_window(world.now()):
            continue
        dizzy = world.dizziness()
        if dizzy > 0 and rng.random() < per_hour * dizzy * DIZZY_CHECK_S / 3600:
            yield from strike(incident, sim, rng)


def strike(incident: AnyIncident, sim: HomeSim, rng: np.random.Generator) -> Process:
    """What the incident does to the world, from now."""
    env, world, occupant = sim.env, sim.world, sim.occupant
    if isinstance(incident, Fall):
        yield from _fall(incident, env, world, occupant, rng)
    elif isinstance(incident, NearFall | LieOnFloor):
        yield from _not_a_fall(incident, sim, rng)
    elif isinstance(incident, StoveLeftOn):
        world.set("stove_on", True)  # switched on and forgotten; the day goes on elsewhere
    elif isinstance(incident, MissedDose):
        occupant.doses_to_skip += incident.doses
    elif isinstance(incident, Wandering):
        yield from _wander(incident, sim, rng)
    elif isinstance(incident, HeatWave):
        yield from _heat_wave(incident, env, world)
    elif isinstance(incident, SkippedDrinks):
        yield from _skipped_drinks(incident, env, world)
    elif isinstance(incident, SkippedMeals):
        occupant.meals_to_skip += incident.meals
    elif isinstance(incident, SkippedSnack):
        occupant.snacks_to_skip += incident.snacks
    elif isinstance(incident, DoorLeftOpen):
        yield from _door_left_open(incident, env, world)
    elif isinstance(incident, Illness):
        yield from _illness(incident, env, world)
    elif isinstance(incident, Smoke):
        world.set("smoke", True)
        yield env.timeout(incident.minutes * 60)
        world.set("smoke", False)
    elif isinstance(incident, ButtonPress):
        if world.wristband_worn:
            world.notify("button")
    elif isinstance(incident, WaterLeak):
        world.set("leak", incident.room)
        yield env.timeout(incident.minutes * 60)
        world.set("leak", False)
    elif isinstance(incident, DeviceFault):
        reason = "battery empty" if incident.fault == "battery_empty" else "offline"
        sim.devices[incident.device].die(reason)
    else:
        device = sim.devices[incident.device]
        for _ in range(incident.alarms):
            yield env.timeout(float(rng.exponential(incident.over_min * 60 / incident.alarms)))
            device.false_alarm()


def _heat_wave(incident: HeatWave, env: simpy.Environment, world: World) -> Process:
    """Warm up over a day, stay hot, cool down; hydration follows what the resident drinks."""
    steps = int(incident.days * 86400 / STEP_S)
    # without drinking more, a 7-degree heat wave costs a quarter of the hydration a day
    per_day = 0.25 * (1 - incident.drinks) * incident.indoor_rise_c / 7
    loss = per_day * STEP_S / 86400
    for i in range(steps):
        warm = min(1.0, (i + 1) * STEP_S / 86400)
        world.indoor_heat_c = round(incident.indoor_rise_c * warm, 2)
        world.hydration = max(0.0, world.hydration - loss * world.body.fluid_loss())
        world.warmth()
        yield env.timeout(STEP_S)
    while world.indoor_heat_c > 0 or world.hydration < 1.0:
        world.indoor_heat_c = max(0.0, round(world.indoor_heat_c - incident.indoor_rise_c / 24, 2))
        world.hydration = min(1.0, world.hydration + 0.02)
        world.warmth()
        yield env.timeout(STEP_S)


def _skipped_drinks(incident: SkippedDrinks, env: simpy.Environment, world: World) -> Process:
    """Nothing drunk for `hours` (the loss of a long lie, more in the heat), then the usual
    drinks again: back up a little every half hour, unless lying on the floor (the body
    process counts that)."""
    for _ in range(max(1, int(incident.hours * 3600 / STEP_S))):
        yield env.timeout(STEP_S)
        if not world.fallen:
            world.hydration = max(0.0, world.hydration - floor_loss(world))
    while world.hydration < 1.0:
        yield env.timeout(STEP_S)
        if not world.fallen:
            world.hydration = min(1.0, world.hydration + 0.02)


def _door_left_open(incident: DoorLeftOpen, env: simpy.Environment, world: World) -> Process:
    """Open now; closed when she notices, unless someone closed it first (then it stays so).
    The front door is unlocked first, by her hand: an open door is no locked door."""
    door = next((d for d in world.home.doors if d.id == incident.door), None)
    if door is not None and door.kind == "entrance":
        world.notify("lock_by_hand", False)
    world.set_door(incident.door, True)
    yield env.timeout(incident.minutes * 60)
    world.set_door(incident.door, False)


def _illness(incident: Illness, env: simpy.Environment, world: World) -> Process:
    """The illness worsens to its worst, then stays until someone treats it."""
    steps = max(1, int(incident.hours_to_worst * 3600 / STEP_S))
    for i in range(steps):
        if world.illness == 0.0 and i > 0:
            return  # treated on the way
        world.illness = round((i + 1) / steps, 3)
        world.warmth()  # a fever rising
        yield env.timeout(STEP_S)


def _wander(incident: Wandering, sim: HomeSim, rng: np.random.Generator) -> Process:
    """Out of the front door (locked behind only if the scenario says so) to somewhere
    outside; home alone after `minutes` unless a search has found them first."""
    env, world, occupant = sim.env, sim.world, sim.occupant
    occupant.stop()
    world.outdoor_temp_c = incident.outdoor_c
    world.body.clothing = incident.clothing
    yield from occupant.walk_to(OUTSIDE, lock_behind=incident.locks_door)
    world.whereabouts = incident.where
    world.missing_since = float(env.now)
    world.find_after_s = incident.find_after_s(rng)
    world.found = False
    world.set("activity", "wandering")
    sim.truth.level("whereabouts", incident.where)
    yield env.timeout(incident.minutes * 60)
    if world.missing() and not occupant.driven():
        world.whereabouts = None
        world.missing_since = None
        occupant.resume()  # nobody found them: they find the way home alone


def _not_a_fall(incident: NearFall | LieOnFloor, sim: HomeSim, rng: np.random.Generator) -> Process:
    """A stumble, or lying on the floor on purpose: the truth says what it was, a device may
    take it for a fall, then the day goes on."""
    env, world, occupant = sim.env, sim.world, sim.occupant
    occupant.stop()
    world.set("in_bed", False)
    if isinstance(incident, NearFall):
        world.set("activity", "near_fall")
        kind, chance, minutes = "wristband", incident.wristband_alarm, 0.5
        if not world.wristband_worn:
            chance = 0.0
    else:
        if incident.room is not None and world.location != incident.room:
            yield from occupant.walk_to(incident.room)
        world.set("activity", "rest_on_floor")
        kind, chance, minutes = "fall_detector", incident.radar_alarm, incident.minutes
    yield env.timeout(float(rng.uniform(2, 10)))
    if rng.random() < chance:
        for device in sim.devices.values():
            if device.spec.type == kind and (kind == "wristband" or device.room == world.location):
                device.false_alarm()
    yield env.timeout(minutes * 60)
    occupant.resume()


def _fall(
    incident: Fall,
    env: simpy.Environment,
    world: World,
    occupant: Occupant,
    rng: np.random.Generator,
) -> Process:
    occupant.stop()
    if incident.room is not None and world.location != incident.room:
        yield from occupant.walk_to(incident.room)
    world.set("in_bed", False)
    world.set("activity", "fall")
    world.injured = bool(rng.random() < world.body.injury_chance(incident.injury))
    world.set("fallen", True)
    if world.wristband_worn and rng.random() < incident.presses_button:
        yield env.timeout(float(rng.uniform(60, 600)))  # shock first, then the button
        world.notify("button")
