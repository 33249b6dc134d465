"""Exercises: create, join, steer, act, note, look at the home, and the debrief."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.responses import HTMLResponse, PlainTextResponse

from mewet.api.deps import (
    ApiState,
    Current,
    State,
    Steerable,
    Teacher,
    Visible,
    may_see,
    no_companies,
    sees_sensors,
)
from mewet.api.models import (
    ERRORS,
    ActionRequest,
    ControlRequest,
    ExerciseCreate,
    ExercisePublic,
    History,
    HomePublic,
    JoinRequest,
    JoinResult,
    MqttAccess,
    NoteCreate,
    NotePublic,
    Outcome,
    Participant,
)
from mewet.api.routes.scenarios import find
from mewet.api.security import Principal, issue
from mewet.contract import home_filter
from mewet.exercises import debrief as debriefs
from mewet.exercises.errors import RefusedError
from mewet.exercises.live import home_at
from mewet.exercises.manager import Hosted

router = APIRouter(prefix="/api/exercises", tags=["exercises"], responses=ERRORS)


def public(hosted: Hosted, who: Principal, api: ApiState | None = None) -> ExercisePublic:
    """The exercise as `who` may see it (the join code for its teacher only)."""
    live, row = hosted.live, hosted.row
    own = who.kind == "user" and who.role in ("teacher", "admin")
    people = []
    if own and api is not None:
        people = [
            Participant(name=p["name"], role=p["role"], joined=p["joined"])
            for p in api.db.participants(row.id)
        ]
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


@router.post("", status_code=status.HTTP_201_CREATED)
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
async def get_exercise(api: State, who: Current, hosted: Visible) -> ExercisePublic:
    """One exercise: its clock, phase, roles and home id."""
    return public(hosted, who, api)


@router.post("/{exercise_id}/join")
async def join(api: State, exercise_id: int, body: JoinRequest) -> JoinResult:
    """Join with the teacher's code, a display name and a role; no account needed."""
    hosted = api.exercises.get(exercise_id)
    if hosted is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no exercise {exercise_id}")
    if body.code.strip().upper() != hosted.row.join_code:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the join code does not match")
    if hosted.live.phase == "ended":
        raise HTTPException(status.HTTP_409_CONFLICT, "the exercise has ended")
    try:
        hosted.live.join(body.role, body.name)
    except RefusedError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    pid = api.db.add_participant(exercise_id, body.name, body.role)
    who = Principal(
        "participant", pid, "student", hosted.row.org, body.name, exercise_id, body.role
    )
    token, seconds = issue(who, api.key, api.token_hours)
    mqtt = None
    home = hosted.live.setup.home_id
    if api.access is not None and sees_sensors(who, hosted):
        user = f"s{pid}-ex{exercise_id}"
        password = api.access.grant(user, "student", home=home, group=f"exercise-{exercise_id}")
        topic = home_filter(home, api.access.root)
        mqtt = MqttAccess(host=api.broker_host, username=user, password=password, read=[topic])
    return JoinResult(
        access_token=token,
        expires_in=seconds,
        exercise=exercise_id,
        role=body.role,
        home=home,
        mqtt=mqtt,
    )


@router.post("/{exercise_id}/control")
async def control(api: State, who: Current, hosted: Steerable, body: ControlRequest) -> Outcome:
    """Steer: start, pause, resume, speed, step, inject an incident, end."""
    try:
        result = hosted.live.control(body.control, dict(body.args), who.name)
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
async def act(who: Current, hosted: Visible, body: ActionRequest) -> Outcome:
    """Act in your role at the current sim time, with the same effect as the default policy;
    an action that makes no sense now is answered 409 with the reason."""
    role = _role_of(who, hosted, body.role)
    try:
        if not hosted.live.plays(role):
            if who.kind == "participant" or role not in hosted.live.setup.roles:
                raise RefusedError(f"the {role} role is played by its default policy here")
            hosted.live.check_running()
            hosted.live.join(role, who.name)  # the teacher takes the role over
        result = hosted.live.act(role, body.action, dict(body.args), who.name)
    except RefusedError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return outcome(hosted, result)


@router.post("/{exercise_id}/notes", status_code=status.HTTP_201_CREATED)
async def note(who: Current, hosted: Visible, body: NoteCreate) -> NotePublic:
    """Write a note (documentation), timestamped with the sim time and signed with your name."""
    role = who.exercise_role if who.kind == "participant" else body.role
    try:
        kept = hosted.live.note(body.text, role, who.name)
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


@router.get("/{exercise_id}/home")
async def home(
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
        return HomePublic(
            sim_s=round(live.now_s, 3),
            time=live.time(),
            devices=live.view.devices(),
        )
    then = await asyncio.to_thread(home_at, live.setup, list(live.inputs), at_min * 60)
    return HomePublic(sim_s=then.sim_s, time=then.time, devices=then.devices)


@router.get("/{exercise_id}/home/{device}/history")
async def history(
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
    return History(device=device, messages=hosted.live.view.recent(device, limit))


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


@router.get("/{exercise_id}/debrief", response_model=None, responses=DEBRIEF_TYPES)
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
    found = await api.exercises.debrief(hosted, None if until_min is None else until_min * 60)
    if format == "csv":
        return PlainTextResponse(debriefs.to_csv(found), media_type="text/csv")
    if format == "html":
        return HTMLResponse(await asyncio.to_thread(debriefs.to_html, found))
    return found


@router.get("/{exercise_id}/debrief/{chart}.{fmt}", response_class=Response, responses=CHART_TYPES)
async def chart(
    api: State,
    who: Current,
    hosted: Visible,
    chart: Literal["timeline", "vitals"],
    fmt: Literal["png", "svg"],
) -> Response:
    """The timeline chart, or the vitals around the incident, as PNG or SVG."""
    _debrief_allowed(who, hosted)
    found = await api.exercises.debrief(hosted)
    draw = debriefs.timeline_plot if chart == "timeline" else debriefs.vitals_plot
    body = await asyncio.to_thread(draw, found, fmt)
    return Response(body, media_type="image/png" if fmt == "png" else "image/svg+xml")
