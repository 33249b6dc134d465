"""The care team: the alarm centre answers alarms, home care comes, opens with its digital key,
helps the resident up and documents; the KPIs are measured from what they did.

The team hears exactly what crosses the lab's sink: every event of severity `alarm`. Each
role is a SimPy process with a resource (operators, home-care staff), so alarms queue when
everyone is busy, as they do on a busy night. Each decision is a method, so a person acting
through the API can take a role's place later with the same effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Event, Message, format_ts
from mewet.devices.base import Device, Process
from mewet.devices.sink import Sink
from mewet.scenarios.home import OUTSIDE
from mewet.scenarios.truth import Truth

if TYPE_CHECKING:
    from mewet.scenarios.homesim import HomeSim


class Targets(BaseModel):
    """Service levels the run is measured against (Nordic safety-alarm practice)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    answer_min: float = Field(3.0, gt=0, description="Alarm answered within.")
    help_min: float | None = Field(
        None, gt=0, description="Help on site within; 30 in town, 60 in the countryside."
    )
    long_lie_min: float = Field(60.0, gt=0, description="On the floor for less than.")


class CareSettings(BaseModel):
    """Who answers and who comes."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    area: Literal["town", "countryside"] = "town"
    operators: int = Field(2, ge=1, le=50)
    answer_s: float = Field(60.0, gt=0, le=3600, description="Mean time to pick up once free.")
    home_care_staff: int = Field(2, ge=1, le=50)
    travel_min: float | None = Field(
        None, gt=0, le=600, description="Default 20 in town, 45 in the countryside."
    )
    assess_min: float = Field(8.0, gt=0, le=240)
    targets: Targets = Targets()

    def travel(self) -> float:
        """Mean travel time of home care, minutes."""
        return self.travel_min or (20.0 if self.area == "town" else 45.0)

    def help_target(self) -> float:
        """Minutes within which help must be on site."""
        return self.targets.help_min or (30.0 if self.area == "town" else 60.0)


@dataclass(frozen=True, slots=True)
class CareAction:
    """One thing a role did, when."""

    ts: datetime
    role: str
    action: str
    detail: str = ""

    def as_json(self) -> dict[str, str]:
        """The record as written to care.jsonl."""
        return {
            "ts": format_ts(self.ts),
            "role": self.role,
            "action": self.action,
            "detail": self.detail,
        }


class AlarmTap:
    """A sink in front of the real one: passes everything on, and hands alarms to the team."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.team: CareTeam | None = None

    def publish(self, message: Message) -> None:
        """Pass the message on; an alarm also goes to the alarm centre."""
        self.sink.publish(message)
        p = message.payload
        if self.team is not None and isinstance(p, Event) and p.severity == "alarm":
            self.team.alarm(message.topic.device, p)


class CareTeam:
    """Alarm centre operators and home-care staff following the default protocol."""

    def __init__(self, sim: HomeSim, settings: CareSettings, rng: np.random.Generator) -> None:
        self.sim = sim
        self.env = sim.env
        self.world = sim.world
        self.settings = settings
        self.rng = rng
        self.operators = simpy.Resource(self.env, settings.operators)
        self.staff = simpy.Resource(self.env, settings.home_care_staff)
        self.timeline: list[CareAction] = []
        self.answers: list[float] = []
        self.arrivals: list[float] = []
        self.false_alarms = 0
        self.visit: simpy.Process | None = None
        self.lie_began: float | None = None
        self.lies: list[float] = []

    def log(self, role: str, action: str, detail: str = "") -> None:
        """Write one action to the care timeline."""
        self.timeline.append(CareAction(self.world.now(), role, action, detail))

    # -- the alarm centre ---------------------------------------------------------------

    def alarm(self, device: str, event: Event) -> None:
        """An alarm reaches the alarm centre."""
        on_site = self.visit is not None and self.visit.is_alive
        self.env.process(self._answer(device, event, float(self.env.now), on_site))

    def _answer(self, device: str, event: Event, raised: float, on_site: bool) -> Process:
        with self.operators.request() as free:
            yield free
            pickup = float(self.rng.gamma(4.0, self.settings.answer_s / 4.0))
            yield self.env.timeout(pickup)
            self.answers.append(float(self.env.now) - raised)
            self.log("alarm_centre", "answered", f"{event.event_type} from {device}")
            yield self.env.timeout(float(self.rng.uniform(45, 120)))  # talking, or trying to
            self.decide(device, event, raised, on_site)

    def decide(self, device: str, event: Event, raised: float, on_site: bool = False) -> None:
        """The operator's decision after the call (the default policy)."""
        if on_site and event.event_type == "door_opened_at_night":
            self.log("alarm_centre", "noted", "home care on site opened the door")
        elif self.world.fallen or self._gone_out(event):
            if self.visit is not None and self.visit.is_alive:
                self.log("alarm_centre", "linked", "home care is already on its way")
            else:
                why = "the resident cannot get up" if self.world.fallen else "no answer at home"
                self.log("alarm_centre", "dispatched", f"home care, urgent: {why}")
                self.visit = self.env.process(self._visit(raised))
        elif event.event_type == "dose_missed":
            self.log("alarm_centre", "reminded", "called the resident about the missed dose")
        else:
            self.false_alarms += 1
            self.log("alarm_centre", "closed", "false alarm: the resident is fine")
        target = self.sim.devices.get(device)
        if target is not None and "silence" in target.spec.commands:
            target.command("silence", {}, f"care-{len(self.timeline)}")

    def _gone_out(self, event: Event) -> bool:
        """A night door alarm and nobody home: the resident has wandered off."""
        return event.event_type == "door_opened_at_night" and self.world.location == OUTSIDE

    # -- home care ---------------------------------------------------------------------

    def _visit(self, raised: float) -> Process:
        with self.staff.request() as free:
            yield free
            self.log("home_care", "departed")
            travel = self.settings.travel() * 60 * float(self.rng.uniform(0.75, 1.25))
            yield self.env.timeout(travel)
            self.arrivals.append(float(self.env.now) - raised)
            self.log("home_care", "arrived")
            yield from self._enter()
            if self.world.fallen:
                yield self.env.timeout(
                    self.settings.assess_min * 60 * float(self.rng.uniform(0.7, 1.3))
                )
                self.log("home_care", "assessed", "no injury that needs an ambulance")
                self.world.set("fallen", False)
                self.log("home_care", "helped_up")
                self.sim.occupant.resume()
                note = "fall at home, helped up, fall-risk follow-up advised"
            elif self.world.location == OUTSIDE:
                yield self.env.timeout(float(self.rng.uniform(300, 900)))  # searching nearby
                self.log("home_care", "found_outside", "brought home and to bed")
                self.sim.occupant.resume()
                note = "found outside at night, cold; dementia follow-up advised"
            else:
                self.log("home_care", "checked", "the resident is at home and well")
                note = "checked after an alarm, nothing wrong"
            yield self.env.timeout(float(self.rng.uniform(300, 600)))
            self.log("home_care", "documented", note)
            yield from self._leave()

    def _lock(self) -> Device | None:
        return next((d for d in self.sim.devices.values() if d.spec.type == "smart_lock"), None)

    def _through_front_door(self, going_in: bool) -> Process:
        """Open the entrance, step through (the visitor is then inside, or gone), close it."""
        entrance = next((d for d in self.world.home.doors if d.kind == "entrance"), None)
        if entrance is None:
            self.world.set("visitor", self.world.location if going_in else None)
            return
        inside = next(room for room in entrance.between if room != OUTSIDE)
        if not going_in:
            self.world.set("visitor", inside)
            yield self.env.timeout(15)
        self.world.set_door(entrance.id, True)
        yield self.env.timeout(5)
        self.world.set("visitor", inside if going_in else None)
        self.world.set_door(entrance.id, False)

    def _enter(self) -> Process:
        lock = self._lock()
        if lock is not None:
            lock.command("unlock", {"key": "home-care"}, f"care-{len(self.timeline)}")
            self.log("home_care", "unlocked", "digital key")
        yield from self._through_front_door(going_in=True)
        yield self.env.timeout(15)
        self.world.set("visitor", self.world.location)

    def _leave(self) -> Process:
        yield from self._through_front_door(going_in=False)
        lock = self._lock()
        if lock is not None:
            yield self.env.timeout(5)
            lock.command("lock", {"key": "home-care"}, f"care-{len(self.timeline)}")
        self.log("home_care", "left")


def kpis(team: CareTeam, truth: Sequence[Truth], missed_doses: int) -> dict[str, Any]:
    """The run's KPIs against the scenario's targets."""
    s = team.settings
    falls = [t for t in truth if t.kind == "activity" and t.value == "fall"]
    lies = []
    for begin, finish in zip(falls[::2], falls[1::2], strict=False):
        lies.append((finish.ts - begin.ts).total_seconds() / 60)
    answer = max(team.answers, default=None)
    help_ = max(team.arrivals, default=None)
    long_lie = max(lies, default=None)

    def minutes(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds / 60, 1)

    out: dict[str, Any] = {
        "alarms_answered": len(team.answers),
        "time_to_answer_max_min": minutes(answer),
        "time_to_help_max_min": minutes(help_),
        "long_lie_max_min": None if long_lie is None else round(long_lie, 1),
        "missed_doses": missed_doses,
        "false_alarms_handled": team.false_alarms,
        "actions_per_role": _per_role(team.timeline),
        "targets": {
            "answer_min": s.targets.answer_min,
            "help_min": s.help_target(),
            "long_lie_min": s.targets.long_lie_min,
        },
    }
    out["met"] = {
        "answer": answer is None or answer / 60 <= s.targets.answer_min,
        "help": help_ is None or help_ / 60 <= s.help_target(),
        "long_lie": long_lie is None or long_lie < s.targets.long_lie_min,
    }
    return out


def _per_role(timeline: list[CareAction]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for a in timeline:
        counts[a.role] = counts.get(a.role, 0) + 1
    return dict(sorted(counts.items()))
