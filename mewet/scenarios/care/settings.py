"""What a scenario says about its care team: who, how many, how far, the protocol, the targets."""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from mewet.sim.clock import clock_time
from mewet.texts import wrong

Urgency = Literal["A", "B", "C", "D"]
Situation = Literal[
    "fallen", "injured", "gone_out", "no_answer", "smoke", "unwell", "dose_missed", "well"
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Response = Literal[
    "dispatch_home_care",
    "dispatch_paramedics_A",
    "dispatch_paramedics_B",
    "dispatch_paramedics_C",
    "dispatch_paramedics_D",
    "call_relative",
    "call_doctor",
    "call_fire_service",
    "call_police",
    "remind",
    "close",
]
RESPONSES: tuple[str, ...] = typing.get_args(Response)
Condition = Literal["found", "answered", "on_site", "resolved"]
CONDITIONS: tuple[str, ...] = typing.get_args(Condition)


class TimedStep(BaseModel):
    """A step of the protocol that waits: `after_min` minutes after the situation is known,
    unless what it names has happened by then, the alarm centre does what `do` lists. (A
    person at the alarm centre takes the same steps as actions.)"""

    model_config = ConfigDict(frozen=True, extra="forbid")
    after_min: float = Field(gt=0, le=24 * 60, description="Minutes after the call.")
    unless: Condition | None = Field(
        None,
        description="Skip it when this has happened by then: found (the resident, by a "
        "search), answered (the resident answers the safety phone), on_site (help is with "
        "the resident), resolved (the case's situation is).",
    )
    do: list[Response] = Field(min_length=1, description="The responses, in order.")


TIMED = "{after_min: 20, unless: found, do: [call_police]}"
"""A timed step as a scenario writes it, for the messages that show one."""


def _step(value: Any) -> Any:
    """A protocol step as the scenario writes it: a response's name, or a timed step; a
    mistake is told with the words allowed."""
    if isinstance(value, str):
        if value not in RESPONSES:
            raise wrong("protocol_step", value=value, steps=", ".join(RESPONSES), example=TIMED)
        return value
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"after_min", "unless", "do"})
        if unknown:
            raise wrong("timed_step_keys", keys=", ".join(unknown))
        if value.get("unless") is not None and value["unless"] not in CONDITIONS:
            allowed = ", ".join(CONDITIONS)
            raise wrong("step_condition", value=str(value["unless"]), conditions=allowed)
        for word in value.get("do") or []:
            if word not in RESPONSES:
                raise wrong("step_response", value=str(word), responses=", ".join(RESPONSES))
        try:
            return TimedStep.model_validate(value)
        except ValidationError:
            raise wrong("timed_step", example=TIMED) from None
    raise wrong("timed_step", example=TIMED)


Step = Annotated[Response | TimedStep, BeforeValidator(_step)]
"""One step of the protocol: a response at once, or a timed step."""


class Targets(BaseModel):
    """Service levels the run is measured against (Nordic safety-alarm practice)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    answer_min: float = Field(3.0, gt=0, description="Alarm answered within.")
    help_min: float | None = Field(
        None, gt=0, description="Help on site within; 30 in town, 60 in the countryside."
    )
    long_lie_min: float = Field(60.0, gt=0, description="On the floor for less than.")
    visit_late_min: float = Field(
        30.0, gt=0, description="A planned visit comes at most this late (punctuality)."
    )
    find_min: float = Field(
        60.0, gt=0, description="A missing resident is found within, from the alarm."
    )


class Responses(BaseModel):
    """The protocol: what the alarm centre does once it knows the situation (its default
    policy), one list of steps per situation, in order. A step is a response at once
    (`dispatch_home_care`) or a timed one, e.g. for a resident gone out at night:
    `[call_relative, dispatch_home_care, {after_min: 20, unless: found, do:
    [dispatch_paramedics_B, call_police]}]`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    fallen: list[Step] = ["dispatch_home_care", "call_relative"]
    injured: list[Step] = ["dispatch_paramedics_B", "dispatch_home_care", "call_relative"]
    gone_out: list[Step] = ["dispatch_home_care", "call_relative"]
    no_answer: list[Step] = ["dispatch_home_care", "call_relative"]
    smoke: list[Step] = ["call_fire_service", "dispatch_home_care"]
    unwell: list[Step] = ["dispatch_home_care", "call_doctor"]
    dose_missed: list[Step] = ["remind"]
    well: list[Step] = ["close"]


class Paramedics(BaseModel):
    """The ambulance service: response time by urgency class (town; doubled in the country)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    crews: int = Field(1, ge=1, le=20)
    response_min: dict[Urgency, float] = {"A": 12.0, "B": 30.0, "C": 60.0, "D": 120.0}
    hospital_hours: float = Field(6.0, gt=0, le=24 * 14, description="Away when conveyed.")


Task = Literal["insulin", "medication", "meal", "snack", "wash"]
Item = Literal[
    "door",
    "time_found",
    "temperature",
    "glucose",
    "blood_pressure",
    "spo2",
    "pulse",
    "resp_rate",
    "consciousness",
    "news2",
]
"""What a visit's record can carry besides its words."""


class RoutineVisit(BaseModel):
    """A routine home-care visit as planned: when, on which days, what for, and how late it
    comes in this story."""

    model_config = ConfigDict(extra="forbid")
    at: str = Field(description="HH:MM local.", examples=["08:00"])
    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS),
        description="On which days (mon ... sun); default every day.",
        examples=[["mon", "thu"]],
    )
    tasks: list[Task] = Field(
        default_factory=list,
        description="What the visit is for: insulin (the resident's insulin given by home "
        "care), medication, meal, snack, wash.",
        examples=[["insulin", "snack"]],
    )
    late_min: float | tuple[float, float] = Field(
        0.0,
        description="How late home care comes: minutes, or [from, to] drawn between (a busy "
        "evening round). Punctuality is a KPI.",
        examples=[50, [0, 30]],
    )

    @field_validator("late_min")
    @classmethod
    def _late(cls, late: float | tuple[float, float]) -> float | tuple[float, float]:
        spans = list(late) if isinstance(late, tuple) else [late]
        if any(not 0 <= m <= 12 * 60 for m in spans):
            raise wrong("minutes_span", low=0, high=12 * 60, example="50, [0, 30]")
        return late

    @field_validator("at")
    @classmethod
    def _hhmm(cls, at: str) -> str:
        return clock_time(at, "visit", "08:00")


class RelativeSettings(BaseModel):
    """The resident's next of kin."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    who: str = Field("daughter", min_length=1, max_length=60)
    answers: float = Field(0.7, ge=0, le=1, description="Chance the phone is answered.")
    travel_min: float = Field(30.0, gt=0, le=600)
    stays_min: float = Field(60.0, gt=0, le=24 * 60)
    calls_at: list[str] = Field(
        default_factory=list,
        description="When the relative calls the resident, HH:MM local (no answer: they "
        "alert the alarm centre).",
        examples=[["18:00"]],
    )
    call_days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS),
        description="On which days (mon ... sun); default every day.",
        examples=[["sun"]],
    )

    @field_validator("calls_at")
    @classmethod
    def _hhmm(cls, calls: list[str]) -> list[str]:
        return [clock_time(c, "call", "18:00") for c in calls]


DURATIONS: dict[str, dict[str, float]] = {
    "alarm_centre": {
        "talk": 1.5,
        "dispatch_home_care": 0.5,
        "dispatch_paramedics": 1.0,
        "call_relative": 1.0,
        "call_doctor": 1.0,
        "call_fire_service": 0.5,
        "call_police": 1.0,
        "remind": 1.0,
        "close": 0.5,
    },
    "home_care": {
        "unlock": 0.5,
        "help_up": 3.0,
        "give_fluids": 5.0,
        "give_meal": 10.0,
        "call_paramedics": 1.0,
        "measure": 5.0,
        "warm": 5.0,
        "give_sugar": 2.0,
        "give_insulin": 5.0,
        "give_snack": 10.0,
        "give_medication": 5.0,
        "help_wash": 20.0,
        "document": 7.0,
        "leave": 0.5,
    },
    "paramedic": {
        "unlock": 0.5,
        "assess": 10.0,
        "measure": 5.0,
        "treat": 10.0,
        "convey": 10.0,
    },
    "physiotherapist": {"unlock": 0.5, "assess": 40.0, "leave": 0.5},
    "doctor": {"consult": 10.0},
    "relative": {"answer_phone": 2.0, "unlock": 0.5, "leave": 0.5},
}
"""How long each action keeps its role busy, minutes (home care's assessment: `assess_min`);
an action not listed takes no time. A person in the role and its default policy alike."""


class CareSettings(BaseModel):
    """Who answers, who comes, the protocol they follow, and the service levels."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    area: Literal["town", "countryside"] = "town"
    operators: int = Field(2, ge=1, le=50)
    answer_s: float = Field(60.0, gt=0, le=3600, description="Mean time to pick up once free.")
    home_care_staff: int = Field(2, ge=1, le=50)
    travel_min: float | None = Field(
        None, gt=0, le=600, description="Default 20 in town, 45 in the countryside."
    )
    assess_min: float = Field(
        8.0, gt=0, le=240, description="How long home care's assessment takes, minutes."
    )
    durations: dict[str, dict[str, Annotated[float, Field(ge=0, le=24 * 60)]]] = Field(
        default_factory=dict,
        description="Minutes an action keeps its role busy, by role and action, over the "
        "defaults (e.g. {home_care: {help_up: 5}}).",
    )
    visits: list[RoutineVisit] = Field(
        default_factory=list,
        description="Routine home-care visits: HH:MM every day, or {at: HH:MM, days: [...]}.",
        examples=[["08:00", "20:00"]],
    )
    physio_after_fall_days: float | None = Field(
        3.0, ge=0, le=60, description="Fall-risk visit this many days after a fall (null: none)."
    )
    paramedics: Paramedics = Paramedics()
    police_min: float | None = Field(
        None,
        gt=0,
        le=600,
        description="Mean time for a police patrol to reach the area; default 15 in town, "
        "30 in the countryside.",
    )
    relative: RelativeSettings = RelativeSettings()
    protocol: Responses = Responses()
    documentation: list[Item] = Field(
        default_factory=list,
        description="What home care's record of an alarm visit must carry (a KPI): door, "
        "time_found, temperature, glucose, blood_pressure, spo2, pulse, resp_rate, "
        "consciousness, news2.",
        examples=[["door", "time_found", "temperature", "glucose"]],
    )
    targets: Targets = Targets()

    @field_validator("visits", mode="before")
    @classmethod
    def _every_day(cls, visits: object) -> object:
        """ "08:00" is short for a visit at 08:00 every day."""
        if isinstance(visits, list):
            return [{"at": v} if isinstance(v, str) else v for v in visits]
        return visits

    def duration_s(self, role: str, action: str) -> float:
        """How long an action keeps its role busy, seconds."""
        given = self.durations.get(role, {}).get(action)
        if given is None and role == "home_care" and action == "assess":
            given = self.assess_min
        if given is None:
            given = DURATIONS.get(role, {}).get(action, 0.0)
        return given * 60

    def travel(self) -> float:
        """Mean travel time of home care, minutes."""
        return self.travel_min or (20.0 if self.area == "town" else 45.0)

    def police(self) -> float:
        """Mean time for the police to reach the area, minutes."""
        return self.police_min or (15.0 if self.area == "town" else 30.0)

    def response(self, urgency: Urgency) -> float:
        """Mean response time of the paramedics for an urgency class, minutes."""
        factor = 1.0 if self.area == "town" else 2.0
        return self.paramedics.response_min[urgency] * factor

    def help_target(self) -> float:
        """Minutes within which help must be on site."""
        return self.targets.help_min or (30.0 if self.area == "town" else 60.0)
