"""Exercises: create, join, steer, act, note, look at the home, and the debrief."""

from __future__ import annotations

import io
from collections.abc import Awaitable
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.responses import HTMLResponse, PlainTextResponse

from mewet.api.deps import (
    Address,
    ApiState,
    Current,
    KnownQuery,
    Language,
    State,
    Steerable,
    Teacher,
    Visible,
    may_see,
    no_companies,
    sees_sensors,
)
from mewet.api.limits import too_many
from mewet.api.models import (
    ERRORS,
    ActionRequest,
    ControlRequest,
    ExerciseCreate,
    ExercisePublic,
    FloorPlan,
    History,
    HomePublic,
    JoinRequest,
    JoinResult,
    NoteCreate,
    NotePublic,
    Outcome,
    Participant,
    PlanDevice,
    PlanDoor,
    PlanRoom,
)
from mewet.api.routes.briefs import briefing
from mewet.api.routes.join import join_with_code
from mewet.api.routes.scenarios import find
from mewet.api.security import Principal
from mewet.exercises import debrief as debriefs
from mewet.exercises.errors import RefusedError
from mewet.exercises.manager import Hosted
from mewet.exercises.replays import BusyError
from mewet.sim.clock import zone_label

router = APIRouter(
    prefix="/api/exercises", tags=["exercises"], responses=ERRORS, dependencies=[KnownQuery]
)
T = TypeVar("T")


def public(
    hosted: Hosted, who: Principal, api: ApiState | None = None, lang: str = "en"
) -> ExercisePublic:
    """The exercise as `who` may see it (the join code for its teacher only)."""
    live, row = hosted.live, hosted.row
    own = who.kind == "user" and who.role in ("teacher", "admin")
    people = []
    if api is not None:
        people = [
            Participant(name=p["name"], role=p["role"], joined=p["joined"])
            for p in api.db.participants(row.id)
        ]
    student_role = who.exercise_role if who.kind == "participant" else None
    return ExercisePublic(
        id=row.id,
        title=row.title,
        scenario=live.setup.scenario.id,
        phase=live.phase,
        sim_s=round(live.now_s, 3),
        time=live.time(),
        speed=live.clock.speed,
        end_s=live.setup.end_s,
        roles=sorted(live.setup.roles),
        home=live.setup.home_id,
        join_code=row.join_code if own else None,
        participants=people,
        time_zone=zone_label(live.zone),
        briefing=briefing(hosted, student_role, lang) if student_role else None,
    )


def outcome(hosted: Hosted, result: str) -> Outcome:
    """What came of an input, and when."""
    live = hosted.live
    return Outcome(
        result=result,
        sim_s=round(live.now_s, 3),
        time=live.time(),
        phase=live.phase,
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses={429: ERRORS[429]})
async def create(api: State, who: Teacher, body: ExerciseCreate) -> ExercisePublic:
    """Create an exercise of a scenario; it waits, paused at its start, for `start`."""
    scenario, text, _ = find(api, who, body.scenario)
    roles: list[str] = list(body.roles) if body.roles is not None else list(scenario.roles)
    closed = sorted(set(roles) - set(scenario.roles))
    if closed:
        raise HTTPException(
            422,
            f"roles {closed} are not in scenario {scenario.id!r} ({', '.join(scenario.roles)})",
        )
    running = sum(
        1
        for h in api.exercises.hosted.values()
        if h.row.teacher == who.id and h.live.phase != "ended"
    )
    if running >= api.limits.exercises_per_teacher:
        raise too_many(
            60,
            f"you have {running} exercises that have not ended (at most "
            f"{api.limits.exercises_per_teacher}): end one first",
        )
    user = api.db.user(who.id)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "your account no longer exists")
    hosted = await api.exercises.create(
        user,
        body.title or scenario.title,
        text,
        scenario.seed if body.seed is None else body.seed,
        body.start or scenario.start,
        body.speed,
        roles,
    )
    return public(hosted, who, api)


@router.get("")
async def list_exercises(api: State, who: Current) -> list[ExercisePublic]:
    """The exercises you may see: yours as a teacher, all as an admin, yours as a student."""
    no_companies(who)
    return [
        public(hosted, who, api)
        for _, hosted in sorted(api.exercises.hosted.items())
        if may_see(who, hosted)
    ]


@router.get("/{exercise_id}")
async def get_exercise(api: State, who: Current, hosted: Visible, lang: Language) -> ExercisePublic:
    """One exercise: its clock, phase, roles and home id (a student's: their briefing too, in
    the language of the pages or of the browser)."""
    return public(hosted, who, api, lang)


@router.post("/{exercise_id}/join", responses={429: ERRORS[429]})
async def join(
    api: State, address: Address, lang: Language, exercise_id: int, body: JoinRequest
) -> JoinResult:
    """Join with the teacher's code, a display name and a role (as `POST /api/join`, which
    needs no exercise id)."""
    hosted = api.exercises.get(exercise_id)
    return await join_with_code(api, address, body, hosted, lang)


@router.post("/{exercise_id}/control")
async def control(api: State, who: Current, hosted: Steerable, body: ControlRequest) -> Outcome:
    """Steer: start, pause, resume, speed, step, inject an incident, end."""
    try:
        result = await api.exercises.call(
            partial(hosted.live.control, body.control, dict(body.args), who.name)
        )
    except RefusedError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    api.exercises.after_control(hosted)
    return outcome(hosted, result)


def _role_of(who: Principal, hosted: Hosted, asked: str | None) -> str:
    if who.kind == "participant":
        if asked is not None and asked != who.exercise_role:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"you joined as {who.exercise_role}, not {asked}"
            )
        return str(who.exercise_role)
    if who.role not in ("teacher", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only participants and teachers act")
    if asked is None:
        raise HTTPException(422, "say in which role you act")
    return asked


@router.post("/{exercise_id}/actions")
async def act(api: State, who: Current, hosted: Visible, body: ActionRequest) -> Outcome:
    """Act in your role at the current sim time, with the same effect as the default policy;
    an action that makes no sense now is answered 409 with the reason."""
    role = _role_of(who, hosted, body.role)
    live = hosted.live

    def take_action() -> str:
        if not live.plays(role):
            if who.kind == "participant" or role not in live.setup.roles:
                raise RefusedError(f"the {role} role is played by its default policy here")
            live.check_running()
            live.join(role, who.name)  # the teacher takes the role over
        return live.act(role, body.action, dict(body.args), who.name)

    try:
        result = await api.exercises.call(take_action)
    except RefusedError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return outcome(hosted, result)


@router.post("/{exercise_id}/notes", status_code=status.HTTP_201_CREATED)
async def note(api: State, who: Current, hosted: Visible, body: NoteCreate) -> NotePublic:
    """Write a note (documentation), timestamped with the sim time and signed with your name."""
    role = who.exercise_role if who.kind == "participant" else body.role
    try:
        kept = await api.exercises.call(partial(hosted.live.note, body.text, role, who.name))
    except RefusedError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return NotePublic(
        n=kept.n,
        sim_s=round(kept.sim_s, 3),
        time=hosted.live.time(kept.sim_s),
        role=kept.role,
        by=kept.by,
        text=body.text,
    )


def _sensors(who: Principal, hosted: Hosted) -> None:
    if not sees_sensors(who, hosted):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"the {who.exercise_role} does not see the home's sensors"
        )


@router.get("/{exercise_id}/home", responses={429: ERRORS[429]})
async def home(
    api: State,
    who: Current,
    hosted: Visible,
    at_min: Annotated[
        float | None,
        Query(ge=0, le=3660 * 1440, description="Minutes after the start: the home then."),
    ] = None,
) -> HomePublic:
    """Every device's state now, or at an earlier moment (replayed)."""
    _sensors(who, hosted)
    live = hosted.live
    if at_min is None or at_min * 60 >= live.now_s:
        now = await api.exercises.call(live.home_now)
    else:
        now = await replayed(api.exercises.home_at(hosted, at_min * 60))
    return HomePublic(sim_s=now.sim_s, time=now.time, devices=now.devices)


@router.get("/{exercise_id}/home/{device}/history")
async def history(
    api: State,
    who: Current,
    hosted: Visible,
    device: str,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> History:
    """A device's latest telemetry and events, oldest first."""
    _sensors(who, hosted)
    if device not in hosted.live.devices():
        known = ", ".join(hosted.live.devices())
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no device {device!r} (known: {known})")
    recent = await api.exercises.call(partial(hosted.live.view.recent, device, limit))
    return History(device=device, messages=recent)


@router.get("/{exercise_id}/plan")
async def plan(hosted: Visible) -> FloorPlan:
    """The home's floor plan, for drawing: rooms with their rectangles (metres), doors, and
    each device in its room. Every participant may see it (the relative too: it is their
    mother's flat)."""
    home = hosted.live.sim.home
    rooms = [
        PlanRoom(id=r.id, name=r.name, name_fi=r.name_fi or r.name, x=x, y=y, w=w, h=h)
        for r, x, y, w, h in home.plan()
    ]
    return FloorPlan(
        rooms=rooms,
        doors=[PlanDoor(id=d.id, between=list(d.between), kind=d.kind) for d in home.doors],
        devices=[
            PlanDevice(id=d.id, type=d.type, room=d.room, door=d.door, x=d.x, y=d.y)
            for d in home.devices
        ],
    )


@router.get(
    "/{exercise_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
async def qr(
    who: Current,
    hosted: Steerable,
    url: Annotated[str, Query(min_length=1, max_length=300, pattern=r"^https?://")],
) -> Response:
    """The join page's address with this exercise's code, as a QR code for the class's
    phones (for the exercise's teacher)."""
    import segno

    link = f"{url.rstrip('/')}/join?code={hosted.row.join_code}"
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=8, border=2)
    return Response(out.getvalue(), media_type="image/svg+xml")


def _debrief_allowed(who: Principal, hosted: Hosted) -> None:
    if who.kind == "participant" and hosted.live.phase != "ended":
        raise HTTPException(
            status.HTTP_409_CONFLICT, "the debrief opens when the teacher ends the exercise"
        )


DEBRIEF_TYPES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The debrief as JSON, CSV (the timeline) or a printable HTML report.",
        "content": {"application/json": {}, "text/csv": {}, "text/html": {}},
    }
}
CHART_TYPES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The chart.", "content": {"image/png": {}, "image/svg+xml": {}}}
}


@router.get(
    "/{exercise_id}/debrief", response_model=None, responses={**DEBRIEF_TYPES, 429: ERRORS[429]}
)
async def debrief(
    api: State,
    who: Current,
    hosted: Visible,
    format: Literal["json", "csv", "html"] = "json",
    until_min: Annotated[float | None, Query(ge=0, le=3660 * 1440)] = None,
) -> dict[str, Any] | Response:
    """One timeline of sensor events, alarms, actions and notes, with the KPIs against their
    targets; as JSON, CSV or a printable HTML report. `until_min`: up to that moment."""
    _debrief_allowed(who, hosted)
    if format == "html":
        return HTMLResponse(await replayed(api.exercises.chart(hosted, "report", "html")))
    until = None if until_min is None else until_min * 60
    found = await replayed(api.exercises.debrief(hosted, until))
    if format == "csv":
        return PlainTextResponse(debriefs.to_csv(found), media_type="text/csv")
    return found


@router.get(
    "/{exercise_id}/debrief/{chart}.{fmt}",
    response_class=Response,
    responses={**CHART_TYPES, 429: ERRORS[429]},
)
async def chart(
    api: State,
    who: Current,
    hosted: Visible,
    chart: Literal["timeline", "vitals"],
    fmt: Literal["png", "svg"],
) -> Response:
    """The timeline chart, or the vitals around the incident, as PNG or SVG."""
    _debrief_allowed(who, hosted)
    body = await replayed(api.exercises.chart(hosted, chart, fmt))
    return Response(body, media_type="image/png" if fmt == "png" else "image/svg+xml")


async def replayed(job: Awaitable[T]) -> T:
    """A replay's answer; 429 when too many replays are waiting already."""
    try:
        return await job
    except BusyError as exc:
        raise too_many(5, str(exc)) from None
