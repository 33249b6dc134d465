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

from mewet.sim.body import BETA_BLOCKER_PULSE, BETA_BLOCKER_RISE, SEDATIVE_NIGHT_DIZZY, Body
from mewet.sim.home import Home
from mewet.sim.readings import Readings, SimEnvironment

Process = Generator[simpy.Event, Any, None]
"""A SimPy process of the home: the resident, a device, an incident, a care worker."""
WARMTH = {"location", "fallen", "activity"}
"""Changes of the world that change where the body's temperatures head."""
HEART_RATE = {
    "sleep": 58.0,
    "relax": 68.0,
    "eat": 72.0,
    "walk": 88.0,
    "leave_home": 92.0,
    "wandering": 96.0,
}
"""Pulse by what she is doing, at rest otherwise 72 (a wearable's resting rate shifts it)."""


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
    leak: bool | str = False
    """Water on the floor: in one room (its id), or everywhere (True)."""
    outdoor_temp_c: float = 2.0
    indoor_c: float = 21.5  # the flat's temperature, before a heat wave
    indoor_heat_c: float = 0.0  # degrees a heat wave adds indoors
    hydration: float = 1.0  # 1 well hydrated, 0 severely dehydrated
    illness: float = 0.0  # 0 well, 1 at the worst of an acute illness (e.g. an infection)
    meals_missed: int = 0  # meals skipped since the last one eaten
    injured: bool = False  # hurt in a fall: needs paramedics, not just help up
    fallen_since: float | None = None  # sim time she went down, while on the floor
    body: Body = field(default_factory=Body)
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
    _surroundings: tuple[object, ...] = field(default=(), repr=False)
    readings: Readings = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.readings = Readings(self.env)
        self.watchers.append(self._body_watch)

    def _body_watch(self, subject: str, value: Any) -> None:
        if subject == "fallen":
            self.fallen_since = float(self.env.now) if value else None
        if subject in WARMTH:
            self.warmth()

    def warmth(self) -> None:
        """Tell the body its surroundings now (indoors or out, the air, the floor, a
        fever, a hot flat, someone warming her): where its temperatures head from here.
        Most changes of the world (from walking to sitting) change none of that, and cost
        nothing here: a resident-year has a quarter of a million of them. Whoever changes
        the illness, the heat or the warming calls this; it announces a change as "body"."""
        outdoors = self.location == "outside"
        air = self.outdoor_temp_c if outdoors else self.indoor_c + self.indoor_heat_c
        now = (outdoors, air, self.fallen, self.activity == "sleep", self.illness)
        key = (*now, self.indoor_heat_c, self.body.rewarming, self.body.clothing)
        if key == self._surroundings:
            return
        self._surroundings = key
        self.body.surroundings(
            float(self.env.now),
            outdoors=outdoors,
            air_c=air,
            on_floor=self.fallen,
            asleep=self.activity == "sleep",
            fever_c=1.8 * self.illness,
            heat_c=self.indoor_heat_c,
        )
        self.notify("body")

    def glucose(self, t: float | None = None) -> float:
        """Blood glucose now (or at `t`), mmol/l."""
        return self.body.glucose(float(self.env.now) if t is None else t, self.meals_missed)

    def pulse_base(self) -> float:
        """The pulse of what she is doing and how she is, until the world changes: by
        activity, drying out, illness, heart failure."""
        dry = max(0.0, 1.0 - self.hydration)
        base = HEART_RATE.get(self.activity, 72.0) + 35.0 * dry + 35.0 * self.illness
        base += BETA_BLOCKER_PULSE if self.body.takes("beta_blocker") else 0.0
        return base + (8.0 if "heart_failure" in self.body.conditions else 0.0)

    def pulse_now(self, t: float, core: float, glucose: float | None) -> float:
        """What the pulse adds at `t` on top of `pulse_base`: a long lie, the cold, a low
        glucose (None: not low, as without diabetes); a beta-blocker halves the rise."""
        extra = 0.0
        if self.fallen and self.fallen_since is not None:
            extra += 15.0 + 8.0 * min((t - self.fallen_since) / 3600, 3.0)
        if 32.0 < core < 35.5:
            extra += 12.0  # shivering, the stress of the cold
        elif core <= 32.0:
            extra -= (32.0 - core) * 8.0  # the heart slows in deep cold
        if glucose is not None and glucose < 3.5:
            extra += 18.0  # adrenaline of a low glucose
        if extra > 0 and self.body.takes("beta_blocker"):
            extra *= BETA_BLOCKER_RISE  # the warning a racing heart gives is muted
        return extra

    def vital_signs(self, t: float) -> dict[str, float | str]:
        """What her body shows at `t`: core and skin temperature, glucose, pulse, blood
        pressure, saturation, respiration and consciousness (ACVPU), before any instrument's
        error. Pulse follows what she does, drying out, illness, a long lie, the cold and a
        low glucose (docs/body.md says from where)."""
        body = self.body
        core, glucose = body.core_c(t), self.glucose(t)
        dry = max(0.0, 1.0 - self.hydration)
        copd = "copd" in body.conditions
        pulse = self.pulse_base() + self.pulse_now(t, core, glucose)
        resp = 16.0 + 8.0 * self.illness + (4.0 if copd else 0.0)
        resp += 4.0 if glucose < 3.5 or 32.0 < core < 35.0 else 0.0
        resp -= 4.0 if core <= 32.0 else 0.0
        cold = self.location == "outside" or core < 35.5
        systolic = 138.0 - 35.0 * dry - 25.0 * max(0.0, self.illness - 0.4) + (12.0 if cold else 0)
        systolic -= 20.0 if core < 32.0 else 0.0
        spo2 = (91.0 if copd else 96.0) - 9.0 * self.illness - (1.0 if cold else 0.0)
        return {
            "temperature": core,
            "skin_temp": body.skin_c(t),
            "glucose": glucose,
            "pulse": pulse,
            "systolic": systolic,
            "diastolic": 78.0 - 15.0 * dry,
            "spo2": min(100.0, spo2),
            "resp_rate": resp,
            "consciousness": body.consciousness(t, glucose, self.illness, self.dehydrated()),
        }

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
        out (from hydration 0.9 down), the heat indoors, illness, skipped meals, a low glucose
        (below 4 mmol/l), the cold (a core below 35.5 °C) and a sedative at night."""
        dry = max(0.0, 0.9 - self.hydration) / 0.5
        heat = 0.04 * max(0.0, self.indoor_heat_c)
        t = float(self.env.now)
        low = max(0.0, 4.0 - self.glucose(t)) * 0.25 if self.body.diabetes != "none" else 0.0
        cold = max(0.0, 35.5 - self.body.core_c(t)) * 0.3
        night = self.body.takes("sedative") and not 7 <= self.date(t).hour < 22
        sedated = SEDATIVE_NIGHT_DIZZY if night else 0.0  # a sleeping pill's night
        worse = 0.5 * self.illness + 0.1 * self.meals_missed + low + cold + sedated
        return min(1.0, dry + heat + worse)

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
