"""Incidents: what goes wrong in a scenario, at a set time, and what it does to the home.

Each incident is one model (its settings, validated from the scenario file) with a `happen`
process that changes the world; the devices react to the world as they always do, with their
own sensitivity and faults, so a fall may be detected, missed, or reported by the resident.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mewet.devices.base import Process
from mewet.scenarios.home import OUTSIDE
from mewet.scenarios.occupant import Occupant
from mewet.scenarios.world import World

if TYPE_CHECKING:
    from mewet.scenarios.homesim import HomeSim


class _Incident(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    at: str = Field(description="Local clock time HH:MM of the first such moment after the start.")
    day: int = Field(0, ge=0, le=3650, description="Days after the start day.")

    @field_validator("at")
    @classmethod
    def _hhmm(cls, at: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", at):
            raise ValueError(f"at {at!r}: use a clock time HH:MM, e.g. 03:10")
        return at

    def delay_s(self, start: datetime) -> float:
        """Seconds from the start to this incident."""
        h, m = map(int, self.at.split(":"))
        when = start.replace(hour=h, minute=m, second=0, microsecond=0) + timedelta(days=self.day)
        if when < start:
            when += timedelta(days=1)
        return (when - start).total_seconds()


class Fall(_Incident):
    """The resident falls and cannot get up alone."""

    type: Literal["fall"]
    room: str | None = Field(
        None, description="Where (the resident goes there first); default: where they are."
    )
    presses_button: float = Field(
        0.5, ge=0, le=1, description="Chance the resident presses the alarm button."
    )


class StoveLeftOn(_Incident):
    """The resident switches the hob on and walks away."""

    type: Literal["stove_left_on"]


class MissedDose(_Incident):
    """The resident forgets the next dose(s) from the dispenser."""

    type: Literal["missed_dose"]
    doses: int = Field(1, ge=1, le=10)


class DeviceFault(_Incident):
    """A device fails: its battery runs out at once, or it goes offline (e.g. the gateway)."""

    type: Literal["device_fault"]
    device: str
    fault: Literal["battery_empty", "offline"] = "battery_empty"


class FalseAlarmBurst(_Incident):
    """A device raises a run of false alarms (a loose wristband, a steamy bathroom)."""

    type: Literal["false_alarm_burst"]
    device: str
    alarms: int = Field(5, ge=1, le=100)
    over_min: float = Field(60.0, gt=0, le=24 * 60)


class Wandering(_Incident):
    """The resident (with dementia) gets up at night and goes out of the front door."""

    type: Literal["wandering"]
    minutes: float = Field(40.0, gt=0, le=24 * 60, description="How long before coming back alone.")
    outdoor_c: float = Field(-5.0, ge=-40, le=45, description="The temperature outside.")


AnyIncident = Fall | StoveLeftOn | MissedDose | DeviceFault | FalseAlarmBurst | Wandering
Incident = Annotated[AnyIncident, Field(discriminator="type")]


def happen(incident: AnyIncident, sim: HomeSim, rng: np.random.Generator) -> Process:
    """The incident as a SimPy process: wait for its time, then change the world."""
    env, world, occupant = sim.env, sim.world, sim.occupant
    yield env.timeout(incident.delay_s(world.start))
    if isinstance(incident, Fall):
        yield from _fall(incident, env, world, occupant, rng)
    elif isinstance(incident, StoveLeftOn):
        world.set("stove_on", True)  # switched on and forgotten; the day goes on elsewhere
    elif isinstance(incident, MissedDose):
        occupant.doses_to_skip += incident.doses
    elif isinstance(incident, Wandering):
        yield from _wander(incident, env, world, occupant)
    elif isinstance(incident, DeviceFault):
        reason = "battery empty" if incident.fault == "battery_empty" else "offline"
        sim.devices[incident.device].die(reason)
    else:
        device = sim.devices[incident.device]
        for _ in range(incident.alarms):
            yield env.timeout(float(rng.exponential(incident.over_min * 60 / incident.alarms)))
            device.false_alarm()


def _wander(
    incident: Wandering, env: simpy.Environment, world: World, occupant: Occupant
) -> Process:
    occupant.stop()
    world.outdoor_temp_c = incident.outdoor_c
    yield from occupant.walk_to(OUTSIDE)
    world.set("activity", "wandering")
    yield env.timeout(incident.minutes * 60)
    if world.location == OUTSIDE and not occupant.driven():
        occupant.resume()  # nobody found them: they find the way home alone


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
    world.set("fallen", True)
    if world.wristband_worn and rng.random() < incident.presses_button:
        yield env.timeout(float(rng.uniform(60, 600)))  # shock first, then the button
        world.notify("button")
