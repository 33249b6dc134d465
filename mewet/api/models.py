"""What the API takes and gives: request bodies (`...Create`, `...Request`) and answers
(`...Public`), validated at the boundary, with every field described for the OpenAPI page.
A company's devices, commands, conformance runs and benchmarks: `company_models.py`."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from mewet.exercises.frames import DeviceView, MessageFrame
from mewet.scenarios.scenario import MAX_SCENARIO_BYTES, RoleName

# control characters (terminal escapes, NUL), C1 controls, and the invisible marks that turn
# text around (U+202E shows "gnp.exe" as "exe.png"): never part of a name or a note
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile("[\t\n]+")


def clean_text(text: str) -> str:
    """Text as people wrote it, without control characters (line breaks and tabs kept)."""
    cleaned = _CONTROLS.sub("", text).strip()
    if not cleaned:
        raise ValueError("there is no text once control characters are removed")
    return cleaned


def clean_line(text: str) -> str:
    """One line (a name, a title): without control characters, line breaks as spaces."""
    return clean_text(_BREAKS.sub(" ", text))


def clean_value(text: str) -> str:
    """An action's or a control's value: one line (breaks as spaces), no control characters."""
    return _CONTROLS.sub("", _BREAKS.sub(" ", text)).strip()


Line = Annotated[str, AfterValidator(clean_line)]
Text = Annotated[str, AfterValidator(clean_text)]
Scalar = str | int | float | bool
MAX_VALUE_CHARS = 1000
Value = (
    Annotated[str, Field(max_length=MAX_VALUE_CHARS), AfterValidator(clean_value)]
    | int
    | Annotated[float, Field(allow_inf_nan=False)]
    | bool
)
"""A value a person gives an action or a control (a case number, a record's field): at most
1000 characters on one line, or a finite number, or true/false."""
Control = Literal["start", "pause", "resume", "speed", "step", "inject", "end"]


class RequestBody(BaseModel):
    """A request's body: a field it does not know is refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Where(BaseModel):
    """One problem of a request: where it is, and what is wrong."""

    where: str
    problem: str


class Problem(BaseModel):
    """Every 4xx answer: what was wrong, in plain words in the asker's language (the
    `lang` cookie, else `Accept-Language`, else English), and for 422 each problem."""

    detail: str
    said: dict[str, Any] | None = Field(
        None,
        description="The message itself: its id in the lab's catalogues and its values, for "
        'a client that says it in its own words, e.g. {"id": "busy", "role": '
        '"alarm_centre", "action": "talk", "left_s": 90}.',
    )
    problems: list[Where] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": text}
    for code, text in (
        (400, "The body could not be read at all (not UTF-8, cut off)."),
        (401, "Not signed in, or the token is not valid."),
        (403, "Signed in, but not allowed to do this."),
        (404, "No such thing, or not one you may see."),
        (409, "Not now: the reason says why."),
        (413, "The request body is too large."),
        (422, "The request is not valid: where, and what is wrong."),
        (429, "Too many requests: `Retry-After` says when to try again."),
    )
}


class Token(BaseModel):
    """A bearer token for the `Authorization: Bearer ...` header."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until it expires.")


class Me(BaseModel):
    """Who the token belongs to."""

    name: str
    role: str
    org: str
    exercise: int | None = None
    exercise_role: str | None = None


class ScenarioCheck(RequestBody):
    """A scenario file to check, or to test-run, without saving it."""

    yaml: str = Field(
        min_length=1, max_length=MAX_SCENARIO_BYTES, description="The scenario file text."
    )


class ScenarioUpload(ScenarioCheck):
    """A scenario file to save (a new version, if it is yours already) and share with the
    other schools of the lab."""

    shared: bool = Field(True, description="Visible to every school of the lab, not only yours.")


class ScenarioPublic(BaseModel):
    """A scenario one can run."""

    id: str
    title: str
    description: str
    learning_goals: list[str]
    roles: list[str]
    days: float
    source: Literal["library", "uploaded"]
    org: str | None = Field(None, description="The school that wrote it (uploaded ones).")
    shared: bool = True
    version: int = Field(0, description="The newest version of an uploaded one (library: 0).")
    editable: bool = Field(False, description="Whether you may save a new version of it.")


class ScenarioVersion(BaseModel):
    """One saved version of an uploaded scenario."""

    version: int
    created: str = Field(description="When it was saved (UTC).")
    title: str


class ScenarioDetail(ScenarioPublic):
    """A scenario with its file and teacher's guide."""

    teacher_guide: str
    yaml: str
    versions: list[ScenarioVersion] = Field(default_factory=list)


class FileProblem(BaseModel):
    """One thing to fix in a file, at its line, in your language."""

    line: int | None = Field(description="The line (none: the whole file).")
    where: str = Field(description="The field, as the file writes it: incidents[0].at.")
    problem: str = Field(description="What is wrong and how to fix it.")


class RolePreview(BaseModel):
    """What a student in one role is told."""

    role: str
    brief: str
    sensors: bool


class ScenarioPreview(BaseModel):
    """The guide as students and teachers will see it."""

    title: str
    description: str
    learning_goals: list[str]
    teacher_guide: str
    resident: str
    home: str
    start: str
    days: float
    roles: list[RolePreview]


class ScenarioChecked(BaseModel):
    """What checking a scenario found: its problems, or how it will look."""

    ok: bool
    id: str | None = None
    problems: list[FileProblem] = Field(default_factory=list)
    preview: ScenarioPreview | None = None


class ExerciseCreate(RequestBody):
    """A new exercise of a scenario."""

    scenario: str = Field(min_length=1, max_length=64, description="Scenario id.")
    title: Line | None = Field(
        None, min_length=1, max_length=120, description="Default: the scenario's title."
    )
    group: Line | None = Field(
        None,
        min_length=1,
        max_length=60,
        description="The group (class) it is for, e.g. 'SH24A, ryhmä 2': shown with the title.",
    )
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="Default: the scenario's.")
    speed: float = Field(60.0, gt=0, le=3600, description="Sim seconds per wall second.")
    start: AwareDatetime | None = Field(None, description="Default: the scenario's start.")
    roles: list[RoleName] | None = Field(
        None, description="Roles open to students (default: every role the scenario has)."
    )


class ExerciseCopy(RequestBody):
    """The same exercise again, for the next group."""

    group: Line | None = Field(
        None, min_length=1, max_length=60, description="The next group's name (default: the same)."
    )


class Participant(BaseModel):
    """Someone who joined an exercise, in which role, when (UTC)."""

    name: str
    role: str
    joined: str


class ActionBrief(BaseModel):
    """One action a role can take, and what it means."""

    name: str
    label: str = Field(description="The button's words, in the asker's language.")
    description: str


class Briefing(BaseModel):
    """What a student is told on joining: the exercise, the goals, their role."""

    title: str
    description: str
    learning_goals: list[str]
    resident: str = Field(description="Who lives in the home.")
    role: str
    brief: str = Field(description="What the role knows at the start and what it does.")
    sensors: bool = Field(description="Whether the role sees the home's sensors.")
    actions: list[ActionBrief]


class ExercisePublic(BaseModel):
    """An exercise as its teacher and participants see it."""

    id: int
    title: str = Field(description="The teacher's own, else the scenario's in your language.")
    group: str = Field("", description="The group (class) it is for.")
    created: str = Field("", description="When it was created (UTC).")
    scenario: str
    scenario_version: int = Field(
        0, description="The version of an uploaded scenario it runs (0: the library's)."
    )
    phase: str
    sim_s: float
    time: str
    speed: float
    end_s: float
    roles: list[str]
    home: str = Field(description="The home's id on the broker: `<root>/<home>/<device>/<kind>`.")
    join_code: str | None = Field(None, description="Only for the exercise's teacher.")
    join_url: str | None = Field(
        None,
        description="Only for the exercise's teacher: the join page with the code, at the "
        "lab's address for the class (MEWET_PUBLIC_URL, else where the teacher's browser "
        "came from, else this computer's address on its network).",
    )
    join_reachable: bool = Field(
        True,
        description="Whether phones on the school network reach `join_url` (False: the lab "
        "listens on this computer only).",
    )
    participants: list[Participant] = Field(
        default_factory=list, description="Who joined in which role (everyone in it sees)."
    )
    time_zone: str = Field(description="The home's time zone: every `time` is local, e.g. +01:00.")
    briefing: Briefing | None = Field(
        None, description="For a student: the exercise and their role (teachers: see the guide)."
    )
    steer: bool = Field(
        False, description="Whether you steer it yourself (your own self-study run)."
    )


class JoinRequest(RequestBody):
    """A student joins with the code the teacher gave, a display name and a role."""

    code: str = Field(min_length=1, max_length=32)
    name: Line = Field(min_length=1, max_length=60)
    role: RoleName


class MqttAccess(BaseModel):
    """An account on the lab's broker, for MQTT Explorer, mosquitto_sub or a device."""

    host: str | None = Field(None, description="Where the broker is, when the lab says.")
    port: int | None = Field(None, description="The broker's port for clients, when it says.")
    username: str
    password: str
    read: list[str] = Field(description="Topic filters this account may read.")
    write: list[str] = Field(default_factory=list, description="Topics it may write.")


class JoinResult(Token):
    """The student's token, good for this exercise and role only, and their briefing."""

    exercise: int
    role: str
    home: str
    briefing: Briefing
    mqtt: MqttAccess | None = Field(
        None, description="Read access to this exercise's home (when the broker is secured)."
    )


class ControlRequest(RequestBody):
    """The teacher steers: start, pause, resume, speed ({speed}), step ({minutes}), inject
    ({incident: index in the scenario} or an ad hoc incident such as {type: fall, room:
    kitchen}, {type: device_fault, device: dispenser}, {type: smoke}), end."""

    control: Control
    args: dict[str, Value] = Field(default_factory=dict, max_length=20)


class ActionRequest(RequestBody):
    """An action in a role (the role comes from a student's token; a teacher names it)."""

    action: str = Field(min_length=1, max_length=40)
    args: dict[str, Value] = Field(default_factory=dict, max_length=10)
    role: RoleName | None = None


class Outcome(BaseModel):
    """What came of an action or a control, and when (sim time)."""

    result: str = Field(description="In the asker's language.")
    said: dict[str, Any] = Field(description="The result as a message: its id and values.")
    sim_s: float
    time: str
    phase: str


class NoteCreate(RequestBody):
    """Documentation: what you saw, did, decided."""

    text: Text = Field(min_length=1, max_length=4000)
    role: RoleName | None = None


class NotePublic(BaseModel):
    """A timestamped, attributed note."""

    n: int
    sim_s: float
    time: str
    role: str | None
    by: str
    text: str


class HomePublic(BaseModel):
    """Every device of the exercise's home at a moment."""

    sim_s: float
    time: str
    devices: dict[str, DeviceView]


class History(BaseModel):
    """A device's latest telemetry and events."""

    device: str
    messages: list[MessageFrame]


class PlanRoom(BaseModel):
    """A room on the floor plan: its rectangle in metres from the plan's top left."""

    id: str
    name: str
    name_fi: str
    x: float
    y: float
    w: float
    h: float


class PlanDoor(BaseModel):
    """A door, opening or window between two rooms (or a room and outside)."""

    id: str
    between: list[str]
    kind: str


class PlanDevice(BaseModel):
    """A device on the floor plan: in its room, at its place when the home file gives one;
    a worn one goes with the resident."""

    id: str
    name: str = Field(description="What the device is called, in your language.")
    type: str
    worn: bool = Field(False, description="Worn by the resident: drawn with her, not in a room.")
    room: str
    door: str | None = None
    x: float | None = None
    y: float | None = None


class FloorPlan(BaseModel):
    """The home drawn: rooms, doors, devices."""

    rooms: list[PlanRoom]
    doors: list[PlanDoor]
    devices: list[PlanDevice]
