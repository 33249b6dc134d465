"""Incidents: what goes wrong in a scenario, and what it does to the home.

Each incident is one model (its settings, validated from the scenario file). It happens at a
set time (`at`, `day`) or by chance (`chance_per_day`, within `between`), or a teacher
injects it now; how it then happens in the home is `happening.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mewet.sim.body import Clothing
from mewet.sim.clock import clock_time, minutes_of_day
from mewet.texts import wrong

WHEN = {"at", "day", "chance_per_day", "dizzy_chance_per_hour", "between"}
"""The fields that say when an incident happens (the rest say what it does)."""


class _Incident(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    at: str | None = Field(
        None, description="Local clock time HH:MM of the first such moment after the start."
    )
    day: int = Field(0, ge=0, le=3650, description="Days after the start day (with `at`).")
    chance_per_day: float | None = Field(
        None, gt=0, le=1, description="Instead of `at`: the chance it happens on any one day."
    )
    dizzy_chance_per_hour: float | None = Field(
        None,
        gt=0,
        le=1,
        description=(
            "Instead of `at`: the chance per hour at full dizziness, while the resident is up "
            "and about at home; it rises with dizziness (drying out, heat, illness, skipped "
            "meals) and is 0 while she is steady."
        ),
    )
    between: tuple[str, str] = Field(
        ("00:00", "23:59"),
        description="With `chance_per_day` or `dizzy_chance_per_hour`: from, to (HH:MM, local).",
    )

    @field_validator("at")
    @classmethod
    def _hhmm(cls, at: str | None) -> str | None:
        return None if at is None else clock_time(at, "at", "03:10")

    @field_validator("between")
    @classmethod
    def _window(cls, between: tuple[str, str]) -> tuple[str, str]:
        for t in between:
            clock_time(t, "between", "22:00")
        return between

    @model_validator(mode="after")
    def _when(self) -> _Incident:
        given = [self.at, self.chance_per_day, self.dizzy_chance_per_hour]
        if sum(when is not None for when in given) != 1:
            raise wrong("incident_when")
        return self

    def settings(self) -> dict[str, Any]:
        """What the incident does, without when: an injected one happens now."""
        return self.model_dump(exclude=WHEN)

    def in_window(self, now: datetime) -> bool:
        """Whether a local clock time is inside `between` (which may cross midnight)."""
        first, last = (minutes_of_day(t) for t in self.between)
        minute = now.hour * 60 + now.minute
        if first <= last:
            return first <= minute <= last
        return minute >= first or minute <= last

    def delay_s(self, start: datetime) -> float:
        """Seconds from the start to this incident (for one with `at`)."""
        h, m = map(int, (self.at or "00:00").split(":"))
        when = start.replace(hour=h, minute=m, second=0, microsecond=0) + timedelta(days=self.day)
        if when < start:
            when += timedelta(days=1)
        return (when - start).total_seconds()

    def chances(self, start: datetime, rng: np.random.Generator) -> Iterator[float]:
        """Seconds from the start of every chance occurrence, day by day, without end."""
        first, last = (minutes_of_day(t) for t in self.between)
        span = (last - first) % (24 * 60) or 24 * 60
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
        day = 0
        while True:
            if rng.random() < (self.chance_per_day or 0.0):
                offset = first + float(rng.uniform(0, span))
                when = midnight + timedelta(days=day, minutes=offset)
                if when >= start:
                    yield (when - start).total_seconds()
            day += 1


class Fall(_Incident):
    """The resident falls and cannot get up alone."""

    type: Literal["fall"]
    room: str | None = Field(
        None, description="Where (the resident goes there first); default: where they are."
    )
    presses_button: float = Field(
        0.5, ge=0, le=1, description="Chance the resident presses the alarm button."
    )
    injury: float = Field(
        0.1, ge=0, le=1, description="Chance of an injury that needs the paramedics (a hip)."
    )


class NearFall(_Incident):
    """The resident stumbles and catches herself: no fall, but a jolt the wristband may take
    for one (near-falls are a main source of wearables' false alarms)."""

    type: Literal["near_fall"]
    wristband_alarm: float = Field(
        0.3, ge=0, le=1, description="Chance the wristband (if worn) reports it as a fall."
    )


class LieOnFloor(_Incident):
    """The resident lies down on the floor on purpose (a sore back, stretching, looking under
    the sofa) and gets up again alone: not a fall, though the room looks like one."""

    type: Literal["lie_on_floor"]
    room: str | None = Field(
        None, description="Where (the resident goes there first); default: where they are."
    )
    minutes: float = Field(15.0, gt=0, le=240, description="Minutes before getting up.")
    radar_alarm: float = Field(
        0.15, ge=0, le=1, description="Chance the room's fall detector reports it as a fall."
    )


class StoveLeftOn(_Incident):
    """The resident switches the hob on and walks away."""

    type: Literal["stove_left_on"]


class MissedDose(_Incident):
    """The resident forgets the next dose(s) from the dispenser."""

    type: Literal["missed_dose"]
    doses: int = Field(1, ge=1, le=10, description="How many doses in a row are forgotten.")


class DeviceFault(_Incident):
    """A device fails: its battery runs out at once, or it goes offline (e.g. the gateway)."""

    type: Literal["device_fault"]
    device: str = Field(description="Which device (an id of the home's devices).")
    fault: Literal["battery_empty", "offline"] = Field(
        "battery_empty", description="Its battery runs out, or it drops off the network."
    )


class FalseAlarmBurst(_Incident):
    """A device raises a run of false alarms (a loose wristband, a steamy bathroom)."""

    type: Literal["false_alarm_burst"]
    device: str = Field(description="Which device (one that can raise false alarms).")
    alarms: int = Field(5, ge=1, le=100, description="How many false alarms.")
    over_min: float = Field(
        60.0, gt=0, le=24 * 60, description="Minutes they are spread over (at random)."
    )


Where = Literal["stairwell", "yard", "street", "far"]
FIND_MIN: dict[str, tuple[float, float]] = {
    "stairwell": (2.0, 6.0),
    "yard": (5.0, 15.0),
    "street": (15.0, 40.0),
    "far": (40.0, 90.0),
}
"""How long a search takes to find a resident, by where they are (minutes, from, to)."""


class Wandering(_Incident):
    """The resident (with dementia) gets up at night and goes out of the front door, to
    somewhere nearby or further; a search finds them there, in time."""

    type: Literal["wandering"]
    minutes: float = Field(
        40.0, gt=0, le=24 * 60, description="Minutes before coming back alone (if not found)."
    )
    outdoor_c: float = Field(-5.0, ge=-40, le=45, description="The temperature outside, °C.")
    where: Where = Field(
        "yard", description="Where the resident goes: stairwell, yard, street or far."
    )
    found_after_min: float | tuple[float, float] | None = Field(
        None,
        description="How long a search takes to find them, from the first searcher's start: "
        "minutes, or [from, to] drawn between; default by `where` (stairwell 2-6, yard 5-15, "
        "street 15-40, far 40-90).",
        examples=[25, [20, 40]],
    )
    locks_door: bool = Field(
        False,
        description="Whether the resident locks the front door behind them (a person with a "
        "memory disorder going out at night seldom does).",
    )
    clothing: Clothing = Field(
        "nightwear",
        description="What the resident wears out: nightwear, light (indoor clothes) or warm "
        "(a coat): how fast the cold takes the body's heat.",
    )

    @field_validator("found_after_min")
    @classmethod
    def _minutes(
        cls, value: float | tuple[float, float] | None
    ) -> float | tuple[float, float] | None:
        spans = [value] if isinstance(value, float | int) else list(value or ())
        if any(not 0 < m <= 24 * 60 for m in spans):
            raise wrong("minutes_span", low=0, high=24 * 60, example="25, [20, 40]")
        if isinstance(value, tuple) and value[0] > value[1]:
            raise wrong("span_order", example="[20, 40]")
        return value

    def find_after_s(self, rng: np.random.Generator) -> float:
        """How long a search will take this time, seconds."""
        span = self.found_after_min
        if span is None:
            span = FIND_MIN[self.where]
        if isinstance(span, tuple):
            return float(rng.uniform(span[0], span[1])) * 60
        return float(span) * 60


class SkippedSnack(_Incident):
    """The resident skips her evening snack (no appetite, forgets): with insulin for the
    night, her glucose falls lower than it would."""

    type: Literal["skipped_snack"]
    snacks: int = Field(1, ge=1, le=30, description="How many evening snacks in a row.")


class HeatWave(_Incident):
    """Days of heat: the home warms up and a resident who drinks too little dehydrates."""

    type: Literal["heat_wave"]
    days: float = Field(3.0, gt=0, le=30, description="How many days the heat lasts.")
    indoor_rise_c: float = Field(7.0, gt=0, le=20, description="How much warmer indoors, °C.")
    drinks: float = Field(
        0.4, ge=0, le=1, description="Share of the extra water the heat needs that gets drunk."
    )


class SkippedDrinks(_Incident):
    """The resident forgets to drink for some hours (memory problems, a busy day, the heat):
    she dries out as on the floor, then drinks again and slowly makes it up."""

    type: Literal["skipped_drinks"]
    hours: float = Field(6.0, gt=0, le=72, description="Hours nothing is drunk.")


class SkippedMeals(_Incident):
    """The resident skips her next meals (no appetite, memory problems, the heat): she sits in
    the living room instead of cooking; she gets dizzier with each, and eating makes up for
    them."""

    type: Literal["skipped_meals"]
    meals: int = Field(1, ge=1, le=9, description="How many meals in a row (of three a day).")


class DoorLeftOpen(_Incident):
    """A door or window is left open (the balcony door on a winter evening): it stays open
    until the resident notices, or someone closes it for her."""

    type: Literal["door_left_open"]
    door: str = Field("balcony-door", description="Which door (an id of the home's doors).")
    minutes: float = Field(
        120.0, gt=0, le=24 * 60, description="Minutes before the resident notices and closes it."
    )


class Illness(_Incident):
    """An acute illness after discharge (e.g. an infection): heart rate up, SpO2 down, fever."""

    type: Literal["illness"]
    hours_to_worst: float = Field(
        12.0, gt=0, le=240, description="Hours from the first signs to the worst."
    )


class Smoke(_Incident):
    """Smoke in a room (a pan on the hob, a heater): the smoke alarm there goes off."""

    type: Literal["smoke"]
    minutes: float = Field(20.0, gt=0, le=24 * 60, description="Minutes before it clears.")


class ButtonPress(_Incident):
    """The resident presses her wristband's alarm button (she feels unwell, or is afraid):
    the alarm centre gets the call. Without the wristband on, nothing happens."""

    type: Literal["button_press"]


class WaterLeak(_Incident):
    """Water on the floor (a spill, a sink left running): the leak sensor in that room goes
    off, and clears when the floor is dry."""

    type: Literal["water_leak"]
    room: str = Field("kitchen", description="Where the water is (a room of the home).")
    minutes: float = Field(30.0, gt=0, le=24 * 60, description="Minutes before it is dry.")


AnyIncident = (
    Fall
    | NearFall
    | LieOnFloor
    | StoveLeftOn
    | MissedDose
    | DeviceFault
    | FalseAlarmBurst
    | Wandering
    | HeatWave
    | SkippedDrinks
    | SkippedMeals
    | SkippedSnack
    | DoorLeftOpen
    | Illness
    | Smoke
    | ButtonPress
    | WaterLeak
)
Incident = Annotated[AnyIncident, Field(discriminator="type")]
