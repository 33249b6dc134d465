"""The resident's day: a persona's daily routine with natural spread, walking the home.

Incidents interrupt it (`stop`) and the care team restarts it (`resume`). The persona shapes
it: mobility sets the pace, cognition the spread of the day and how often a dose is
forgotten, and the night-toilet rate how often the resident gets up at night.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from typing import Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mewet.sim.body import Condition, Medicine
from mewet.sim.clock import clock_time, seconds_until
from mewet.sim.home import OUTSIDE
from mewet.sim.world import Process, World

PACE = {"independent": 1.0, "walker": 1.6, "wheelchair": 1.3}
DOSE_WAIT_S = 20 * 60  # how long she waits by the dispenser for a dose not out yet
SPREAD = {"normal": 1.0, "mild_impairment": 1.5, "dementia": 2.5}
FORGETS = {"normal": 0.02, "mild_impairment": 0.08, "dementia": 0.2}


class Insulin(BaseModel):
    """An insulin dose of the day: when, how much, which kind, and who gives it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    at: str = Field(description="HH:MM local.", examples=["20:00"])
    units: float = Field(gt=0, le=100, description="International units (IU).")
    kind: Literal["nph", "long", "rapid"] = Field(
        "nph",
        description="nph (intermediate: peak 4-12 h), long (basal), rapid (with a meal).",
    )
    given_by: Literal["home_care", "self"] = Field(
        "home_care", description="Home care gives it at a visit (`tasks: [insulin]`), or she."
    )

    @field_validator("at")
    @classmethod
    def _hhmm(cls, at: str) -> str:
        return clock_time(at, "insulin", "20:00")


class Medication(BaseModel):
    """A medicine she takes regularly: its name as on her list, and its kind (what the lab
    models of it: docs/body.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1, max_length=60, examples=["bisoprolol 5 mg"])
    kind: Medicine = Field(
        "other",
        description="beta_blocker (a lower pulse, a low's racing heart muted), diuretic (dries "
        "out faster), sedative (dizzier at night), anticoagulant (a fall's injury likelier), "
        "or other (listed only).",
    )


class Persona(BaseModel):
    """Who lives in the home: what shapes the day, and what her body has."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field("Astrid", min_length=1, max_length=60)
    age: int = Field(84, ge=18, le=120)
    mobility: Literal["independent", "walker", "wheelchair"] = Field(
        "independent", description="Walking pace: a walker makes every move about 1.6x slower."
    )
    cognition: Literal["normal", "mild_impairment", "dementia"] = Field(
        "normal", description="Spread of the daily routine and how often a dose is forgotten."
    )
    night_toilet: float = Field(1.0, ge=0, le=3, description="Visits per night, on average.")
    forgets_dose: float | None = Field(
        None, ge=0, le=1, description="Chance a dose is forgotten; default by cognition."
    )
    conditions: list[Condition] = Field(
        default_factory=list,
        description="What she has: dementia, diabetes_type1, diabetes_type2, heart_failure, "
        "copd (they change her glucose, pulse, saturation and breathing).",
        examples=[["dementia", "diabetes_type2"]],
    )
    medications: list[Medication] = Field(
        default_factory=list,
        max_length=20,
        description="Her regular medicines, e.g. [{name: bisoprolol 5 mg, kind: beta_blocker}] "
        "(students see them in her background).",
    )
    insulin: list[Insulin] = Field(
        default_factory=list,
        description="Her insulin doses, e.g. [{at: '20:00', units: 16, kind: nph}].",
    )
    snack_at: str | None = Field(
        None,
        description="An evening snack, HH:MM (with insulin at night: it keeps her up).",
        examples=["21:30"],
    )

    @field_validator("snack_at")
    @classmethod
    def _snack(cls, at: str | None) -> str | None:
        return None if at is None else clock_time(at, "snack_at", "21:30")

    def forget_chance(self) -> float:
        """The chance that one dose is forgotten."""
        return FORGETS[self.cognition] if self.forgets_dose is None else self.forgets_dose


@dataclass(frozen=True)
class Routine:
    """One entry of the day plan: at about `hour` (± `spread_min`), do `step`."""

    hour: float
    spread_min: float
    name: str


NIGHT_TOILET_SLOTS = 3
DAY: tuple[Routine, ...] = (
    Routine(1.0, 60, "night_toilet"),
    Routine(3.0, 60, "night_toilet"),
    Routine(5.0, 45, "night_toilet"),
    Routine(7.0, 20, "get_up"),
    Routine(7.75, 10, "breakfast"),
    Routine(9.0, 15, "relax"),
    Routine(11.0, 20, "housekeeping"),
    Routine(12.0, 15, "lunch"),
    Routine(13.0, 30, "go_out"),
    Routine(15.5, 20, "balcony"),
    Routine(16.0, 10, "relax"),
    Routine(18.0, 15, "dinner"),
    Routine(19.0, 10, "relax"),
    Routine(20.08, 12, "medication"),
    Routine(22.0, 20, "evening"),
)


class Occupant:
    """Walks through the floor plan on a daily routine; devices react to what it does."""

    def __init__(
        self,
        env: simpy.Environment,
        world: World,
        rng: np.random.Generator,
        persona: Persona | None = None,
    ) -> None:
        self.env = env
        self.world = world
        self.rng = rng
        self.persona = persona or Persona()
        self.pace = PACE[self.persona.mobility]
        self.spread = SPREAD[self.persona.cognition]
        hour = world.now().hour
        asleep = hour < 7 or hour >= 22
        world.location = "bedroom" if asleep else "living-room"
        world.in_bed = asleep
        world.activity = "sleep" if asleep else "relax"
        self.doses_to_skip = 0
        self.meals_to_skip = 0
        self.snacks_to_skip = 0
        self.process: simpy.Process | None = None
        world.body.conditions = tuple(self.persona.conditions)
        world.body.medicines = tuple(m.kind for m in self.persona.medications)

    def start(self) -> simpy.Process:
        """Start living (and her own insulin, and her snack, at their times)."""
        self.world.warmth()
        self.world.body.settle()
        for dose in self.persona.insulin:
            if dose.given_by == "self":
                self.env.process(self._daily(dose.at, partial(self._inject, dose)))
        if self.persona.snack_at is not None:
            self.env.process(self._daily(self.persona.snack_at, self._snack))
        self.process = self.env.process(self.live())
        return self.process

    def _daily(self, at: str, do: Callable[[], None]) -> Process:
        while True:
            yield self.env.timeout(seconds_until(self.world.now(), at))
            do()

    def _inject(self, dose: Insulin) -> None:
        """Her own insulin at its time, if she is at home and up to it."""
        w = self.world
        if w.location != OUTSIDE and not w.fallen and self.driven():
            w.body.insulin(float(self.env.now), dose.units, dose.kind)

    def _snack(self) -> None:
        """Her evening snack, unless she skips it or cannot (out, on the floor, asleep)."""
        if self.snacks_to_skip > 0:
            self.snacks_to_skip -= 1
            return
        w = self.world
        if w.location != OUTSIDE and not w.fallen and not w.in_bed and self.driven():
            w.body.eat(float(self.env.now), snack=True)

    def stop(self) -> None:
        """Stop the daily routine where it is (an incident takes over)."""
        if self.process is not None and self.process.is_alive:
            self.process.interrupt("incident")

    def driven(self) -> bool:
        """Whether the daily routine (or a return to it) is running."""
        return self.process is not None and self.process.is_alive

    def resume(self, escorted: bool = False) -> None:
        """Back on the feet after being helped up: to bed at night, else to the sofa, then on.
        `escorted`: brought home from outside by a visitor with the digital key (their entry
        is known to the door alarm)."""
        self.process = self.env.process(self._after_help(escorted))

    def _after_help(self, escorted: bool = False) -> Process:
        try:
            if escorted and self.world.location == OUTSIDE:
                self.world.key_entry = True
                try:
                    yield from self.walk_to("hall")
                finally:
                    self.world.key_entry = False
            hour = self.world.now().hour
            if hour < 7 or hour >= 22:
                yield from self.sleep()
            else:
                yield from self.relax()
            yield from self._days()
        except simpy.Interrupt:
            return

    def live(self) -> Process:
        """Follow the day plan, one routine after the other, day after day."""
        try:
            yield from self._days()
        except simpy.Interrupt:
            return

    def _days(self) -> Process:
        day_s = 86400.0
        while True:
            now = self.world.now()
            tod = now.hour * 3600 + now.minute * 60 + now.second
            upcoming = sorted(((r.hour * 3600 - tod) % day_s, i) for i, r in enumerate(DAY))
            wait, index = upcoming[0]
            routine = DAY[index]
            jitter = float(self.rng.uniform(0, routine.spread_min * 60 * self.spread))
            yield self.env.timeout(wait + jitter + 1)
            step: Callable[[], Process] = getattr(self, routine.name)
            yield from step()

    # -- moving ---------------------------------------------------------------------

    def walk_to(self, room: str, lock_behind: bool = True) -> Process:
        """Walk room by room, opening and closing doors on the way (going out, locking the
        front door behind unless `lock_behind` is off)."""
        w = self.world
        if w.in_bed:
            w.set("in_bed", False)
            yield self.env.timeout(20)
        route = w.home.path(w.location, room)
        w.set("activity", "walk")
        for here, there in pairwise(route):
            door = w.home.door_between(here, there)
            yield self.env.timeout(float(self.rng.uniform(4, 9)) * self.slowness())
            if door is not None and door.kind in ("door", "entrance"):
                if door.kind == "entrance":
                    w.notify("lock_by_hand", False)
                w.set_door(door.id, True)
                yield self.env.timeout(3)
                w.set("location", there)
                yield self.env.timeout(3)
                w.set_door(door.id, False)
                if door.kind == "entrance" and there == OUTSIDE and lock_behind:
                    yield self.env.timeout(5)
                    w.notify("lock_by_hand", True)
            else:
                w.set("location", there)

    def do(self, activity: str, minutes: float, spread: float = 0.3) -> Process:
        """Spend some minutes (with natural spread) on one activity where we are."""
        self.world.set("activity", activity)
        scale = float(self.rng.uniform(1 - spread, 1 + spread)) * self.slowness()
        yield self.env.timeout(minutes * 60 * scale)

    def slowness(self) -> float:
        """How much slower than a fit resident: mobility, and dehydration or illness."""
        unwell = 1.3 if self.world.unwell() else 1.0
        return self.pace * unwell

    def cook(self, minutes: float) -> Process:
        """Prepare a meal on the stove and take it off again."""
        yield from self.walk_to("kitchen")
        self.world.set("activity", "meal_preparation")
        self.world.set("stove_on", True)
        yield self.env.timeout(minutes * 60 * float(self.rng.uniform(0.7, 1.3)))
        self.world.set("stove_on", False)
        self.world.set("stove_power", True)

    def meal(self, cook_min: float, eat_min: float, wash_min: float) -> Process:
        """Cook, eat and wash up, unless this meal is one to skip."""
        if self.meals_to_skip > 0:
            yield from self.skip_meal(cook_min + eat_min)
            return
        yield from self.cook(cook_min)
        yield from self.eat(eat_min, wash_min)

    def eat(self, eat_min: float, wash_min: float) -> Process:
        """Eat (which makes up for any skipped meal), then wash up."""
        yield from self.do("eat", eat_min)
        self.world.meals_missed = 0
        self.world.body.eat(float(self.env.now))
        yield from self.do("wash_dishes", wash_min)

    def skip_meal(self, minutes: float) -> Process:
        """Sit through a mealtime in the living room without eating: the truth says
        `skipped_meal`; no kitchen, no hob."""
        self.meals_to_skip -= 1
        self.world.meals_missed += 1
        yield from self.walk_to("living-room")
        yield from self.do("skipped_meal", minutes)
        self.world.set("activity", "relax")

    def take_dose(self) -> Process:
        """Take the dose the dispenser holds out (unless this one is forgotten); if it is not
        out yet, wait for it a while by the dispenser, as a dose taken too early is none."""
        if self.doses_to_skip > 0:
            self.doses_to_skip -= 1
            return
        if self.rng.random() < self.persona.forget_chance():
            return
        if not self.world.dose_waiting:
            yield self.env.any_of([self.world.on("dose_waiting"), self.env.timeout(DOSE_WAIT_S)])
        if self.world.dose_waiting:
            self.world.notify("take_dose")

    # -- routines -------------------------------------------------------------------

    def night_toilet(self) -> Process:
        """Bed to toilet and back (the CASAS 'Bed_to_Toilet' activity), some nights."""
        chance = self.persona.night_toilet / NIGHT_TOILET_SLOTS
        if not self.world.in_bed or self.rng.random() >= chance:
            return
        yield from self.walk_to("bathroom")
        yield from self.do("bed_to_toilet", 4)
        yield from self.sleep()

    def sleep(self) -> Process:
        """Back to bed."""
        yield from self.walk_to("bedroom")
        self.world.set("activity", "sleep")
        self.world.set("in_bed", True)

    def get_up(self) -> Process:
        """Morning: measure blood pressure, bathroom, scale."""
        self.world.set("in_bed", False)
        yield self.env.timeout(60)
        self.world.set("activity", "personal_hygiene")
        self.world.notify("measure_bp")
        yield self.env.timeout(120)
        yield from self.walk_to("bathroom")
        self.world.notify("weigh")
        yield from self.do("personal_hygiene", 15)

    def breakfast(self) -> Process:
        """Breakfast, with the morning dose (taken even when breakfast is skipped)."""
        if self.meals_to_skip > 0:
            yield from self.walk_to("kitchen")
            yield from self.take_dose()
            yield from self.skip_meal(26)
            return
        yield from self.cook(6)
        yield self.env.timeout(60 * 15)
        yield from self.take_dose()
        yield from self.eat(20, 8)

    def relax(self) -> Process:
        """Sit in the living room with the TV on."""
        yield from self.walk_to("living-room")
        self.world.set("activity", "relax")

    def housekeeping(self) -> Process:
        """Tidy up: a tour of the rooms."""
        for room in ("bedroom", "bathroom", "kitchen", "living-room"):
            yield from self.walk_to(room)
            yield from self.do("housekeeping", 6)
        self.world.set("activity", "relax")

    def lunch(self) -> Process:
        """Cook and eat lunch."""
        yield from self.meal(15, 20, 8)

    def go_out(self) -> Process:
        """A walk or shopping: dressed for the weather, out of the front door and back."""
        self.world.body.clothing = "warm" if self.world.outdoor_temp_c < 10 else "light"
        yield from self.walk_to(OUTSIDE)
        yield from self.do("leave_home", 75, 0.5)
        yield from self.walk_to("hall")
        yield from self.walk_to("living-room")
        self.world.set("activity", "relax")

    def balcony(self) -> Process:
        """Fresh air on the balcony."""
        yield from self.walk_to("balcony")
        yield from self.do("relax", 10)
        yield from self.walk_to("living-room")

    def dinner(self) -> Process:
        """Cook and eat dinner."""
        yield from self.meal(20, 25, 10)

    def medication(self) -> Process:
        """The evening dose from the dispenser, then back to the sofa."""
        yield from self.walk_to("kitchen")
        self.world.set("activity", "medication")
        yield from self.take_dose()
        yield from self.do("medication", 2)
        yield from self.relax()

    def evening(self) -> Process:
        """Wearables on charge overnight, bathroom, then bed."""
        self.world.notify("charge")
        yield from self.walk_to("bathroom")
        yield from self.do("personal_hygiene", 12)
        yield from self.sleep()
