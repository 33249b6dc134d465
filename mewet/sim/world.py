"""What is true in the virtual home right now: where the resident is and what is on.

The occupant, incidents and care workers change the world; devices observe it. Changes
are announced as SimPy events per subject, so a device process simply waits on them.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import simpy

from mewet.sim.home import Home
from mewet.sim.readings import Readings, SimEnvironment

Process = Generator[simpy.Event, Any, None]
"""A SimPy process of the home: the resident, a device, an incident, a care worker."""


@dataclass
class World:
    """The home's physical state, shared by the occupant and the devices."""

    env: SimEnvironment
    home: Home
    start: datetime
    location: str = "bedroom"
    activity: str = "sleep"
    in_bed: bool = True
    fallen: bool = False
    stove_on: bool = False
    stove_power: bool = True
    wristband_worn: bool = True
    smoke: bool = False
    leak: bool = False
    outdoor_temp_c: float = 2.0
    indoor_heat_c: float = 0.0  # degrees a heat wave adds indoors
    hydration: float = 1.0  # 1 well hydrated, 0 severely dehydrated
    illness: float = 0.0  # 0 well, 1 at the worst of an acute illness (e.g. an infection)
    meals_missed: int = 0  # meals skipped since the last one eaten
    injured: bool = False  # hurt in a fall: needs paramedics, not just help up
    visitor: str | None = None  # the room a care worker is in, if one is here
    key_entry: bool = False  # a visitor is going through the front door with a digital key
    whereabouts: str | None = None  # where outside a resident who wandered off is
    missing_since: float | None = None  # sim time the resident went out and off
    find_after_s: float = 600.0  # how long a search takes to find them, from its start
    found: bool = False  # a searcher is with the resident outside
    escorted: bool = False  # being brought home
    dose_waiting: bool = False  # the dispenser holds out a dose to be taken
    doors_open: dict[str, bool] = field(default_factory=dict)
    watchers: list[Callable[[str, Any], None]] = field(default_factory=list, repr=False)
    _waiting: dict[str, simpy.Event] = field(default_factory=dict, repr=False)
    readings: Readings = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.readings = Readings(self.env)

    def now(self) -> datetime:
        """The simulated wall-clock date of `env.now`."""
        return self.date(float(self.env.now))

    def date(self, sim_s: float) -> datetime:
        """The simulated wall-clock date of a sim time."""
        return self.start + timedelta(0, sim_s)  # positional: a third cheaper, once a message

    def on(self, subject: str) -> simpy.Event:
        """An event that fires at the next change of `subject` (e.g. 'location', 'stove')."""
        ev = self._waiting.get(subject)
        if ev is None:
            ev = self._waiting[subject] = self.env.event()
        return ev

    def notify(self, subject: str, value: Any = None) -> None:
        """Announce a change of `subject` to every process waiting on it."""
        ev = self._waiting.pop(subject, None)
        if ev is not None:
            ev.succeed(value)

    def set(self, subject: str, value: Any) -> None:
        """Change one attribute and announce it, only when it really changes."""
        if getattr(self, subject) != value:
            setattr(self, subject, value)
            for watch in self.watchers:
                watch(subject, value)
            self.notify(subject, value)

    def ill(self) -> bool:
        """Whether an illness shows (fever, fast pulse)."""
        return self.illness > 0.3

    def acutely_ill(self) -> bool:
        """Whether the illness needs hospital rather than home treatment."""
        return self.illness > 0.6

    def dehydrated(self) -> bool:
        """Whether dehydration shows (dry mouth, confusion)."""
        return self.hydration < 0.6

    def dizziness(self) -> float:
        """How dizzy the resident is on her feet, 0 steady to 1 barely standing: from drying
        out (from hydration 0.9 down), the heat indoors, illness and skipped meals."""
        dry = max(0.0, 0.9 - self.hydration) / 0.5
        heat = 0.04 * max(0.0, self.indoor_heat_c)
        return min(1.0, dry + heat + 0.5 * self.illness + 0.1 * self.meals_missed)

    def missing(self) -> bool:
        """Whether the resident has wandered off and nobody has found them yet."""
        return self.location == "outside" and self.activity == "wandering" and not self.found

    def unwell(self) -> bool:
        """Whether the resident is noticeably unwell (dehydrated or ill)."""
        return self.ill() or self.dehydrated()

    def set_door(self, door: str, is_open: bool) -> None:
        """Open or close a door and announce it as subject 'door:<id>'."""
        if self.doors_open.get(door, False) != is_open:
            self.doors_open[door] = is_open
            self.notify(f"door:{door}", is_open)
