"""Exercises: create, join, steer, act, note, look at the home, and the debrief."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.responses import HTMLResponse, PlainTextResponse

from mewet.api.deps import (
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
)
from mewet.api.routes.scenarios import find
from mewet.api.security import Principal, issue
from mewet.contract import format_ts
from mewet.exercises import debrief as debriefs
from mewet.exercises.inputs import replay
from mewet.exercises.live import Refused
from mewet.exercises.manager import Entry
from mewet.exercises.view import HomeView

router = APIRouter(prefix="/api/exercises", tags=["exercises"], responses=ERRORS)


def public(entry: Entry, who: Principal, api: Any = None) -> ExercisePublic:
    """The exercise as `who` may see it (the join code for its teacher only)."""
    live, row = entry.live, entry.row
    own = who.kind == "user" and who.role in ("teacher", "admin")
    people = []
    if own and api is not None:
        people = [
            {"name": p["name"], "role": p["role"], "joined": p["joined"]}
            for p in api.db.participants(row.id)
        ]
    return ExercisePublic(
        id=row.id,
        title=row.title,
        scenario=live.setup.scenario.id,
        phase=live.phase,
        sim_s=round(live.now_s, 3),
        time=format_ts(live.sim.world.now()),
        speed=live.clock.speed,
        end_s=live.setup.end_s,
        roles=sorted(live.setup.roles),
        home=live.setup.home_id,
        join_code=row.join_code if own else None,
        participants=people,
    )


def outcome(entry: Entry, result: str) -> Outcome:
    """What came of an input, and when."""
    live = entry.live
    return Outcome(
        result=result,
        sim_s=round(live.now_s, 3),
        time=format_ts(live.sim.world.now()),
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
    entry = await api.exercises.create(
        user,
        body.title or scenario.title,
        text,
        scenario.seed if body.seed is None else body.seed,
        body.start or scenario.start,
        body.speed,
        roles,
    )
    return public(entry, who, api)


@router.get("")
async def list_exercises(api: State, who: Current) -> list[ExercisePublic]:
    """The exercises you may see: yours as a teacher, all as an admin, yours as a student."""
    no_companies(who)
    entries = sorted(api.exercises.entries.items())
    return [public(entry, who, api) for _, entry in entries if may_see(who, entry)]


@router.get("/{exercise_id}")
async def get_exercise(api: State, who: Current, entry: Visible) -> ExercisePublic:
    """One exercise: its clock, phase, roles and home id."""
    return public(entry, who, api)


@router.post("/{exercise_id}/join")
async def join(api: State, exercise_id: int, body: JoinRequest) -> JoinResult:
    """Join with the teacher's code, a display name and a role; no account needed."""
    entry = api.exercises.get(exercise_id)
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no exercise {exercise_id}")
    if body.code.strip().upper() != entry.row.join_code:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the join code does not match")
    if entry.live.phase == "ended":
        raise HTTPException(status.HTTP_409_CONFLICT, "the exercise has ended")
    try:
        entry.live.join(body.role, body.name)
    except Refused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    pid = api.db.add_participant(exercise_id, body.name, body.role)
    who = Principal("participant", pid, "student", entry.row.org, body.name, exercise_id, body.role)
    token, seconds = issue(who, api.key, api.token_hours)
    mqtt = None
    home = entry.live.setup.home_id
    if api.access is not None and sees_sensors(who, entry):
        user = f"s{pid}-ex{exercise_id}"
        password = api.access.grant(user, "student", home=home, group=f"exercise-{exercise_id}")
        topic = f"{api.access.root}/{home}/#"
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
async def control(api: State, who: Current, entry: Steerable, body: ControlRequest) -> Outcome:
    """Steer: start, pause, resume, speed, step, inject an incident, end."""
    try:
        result = entry.live.control(body.control, dict(body.args), who.name)
    except Refused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    api.exercises.after_control(entry)
    return outcome(entry, result)


def _role_of(who: Principal, entry: Entry, asked: str | None) -> str:
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
async def act(who: Current, entry: Visible, body: ActionRequest) -> Outcome:
    """Act in your role at the current sim time, with the same effect as the default policy;
    an action that makes no sense now is answered 409 with the reason."""
    role = _role_of(who, entry, body.role)
    try:
        if not entry.live.plays(role):
            if who.kind == "participant" or role not in entry.live.setup.roles:
                raise Refused(f"the {role} role is played by its default policy here")
            entry.live.check_running()
            entry.live.join(role, who.name)  # the teacher takes the role over
        result = entry.live.act(role, body.action, dict(body.args), who.name)
    except Refused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return outcome(entry, result)


@router.post("/{exercise_id}/notes", status_code=status.HTTP_201_CREATED)
async def note(who: Current, entry: Visible, body: NoteCreate) -> NotePublic:
    """Write a note (documentation), timestamped with the sim time and signed with your name."""
    role = who.exercise_role if who.kind == "participant" else body.role
    try:
        kept = entry.live.note(body.text, role, who.name)
    except Refused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return NotePublic(
        n=kept.n,
        sim_s=round(kept.sim_s, 3),
        time=format_ts(entry.live.sim.world.date(kept.sim_s)),
        role=kept.role,
        by=kept.by,
        text=body.text,
    )


def _sensors(who: Principal, entry: Entry) -> None:
    if not sees_sensors(who, entry):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"the {who.exercise_role} does not see the home's sensors"
        )


@router.get("/{exercise_id}/home")
async def home(
    who: Current,
    entry: Visible,
    at_min: Annotated[
        float | None,
        Query(ge=0, le=3660 * 1440, description="Minutes after the start: the home then."),
    ] = None,
) -> HomePublic:
    """Every device's state now, or at an earlier moment (replayed)."""
    _sensors(who, entry)
    live = entry.live
    if at_min is None or at_min * 60 >= live.now_s:
        return HomePublic(
            sim_s=round(live.now_s, 3),
            time=format_ts(live.sim.world.now()),
            devices=live.view.devices(),
        )
    view = HomeView()
    sim = await asyncio.to_thread(replay, live.setup, list(live.inputs), at_min * 60, view)
    return HomePublic(
        sim_s=round(float(sim.env.now), 3), time=format_ts(sim.world.now()), devices=view.devices()
    )


@router.get("/{exercise_id}/home/{device}/history")
async def history(
    who: Current,
    entry: Visible,
    device: str,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> History:
    """A device's latest telemetry and events, oldest first."""
    _sensors(who, entry)
    if device not in entry.live.sim.devices:
        known = ", ".join(sorted(entry.live.sim.devices))
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no device {device!r} (known: {known})")
    return History(device=device, messages=entry.live.view.recent(device, limit))


def _debrief_allowed(who: Principal, entry: Entry) -> None:
    if who.kind == "participant" and entry.live.phase != "ended":
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
    entry: Visible,
    format: Literal["json", "csv", "html"] = "json",
    until_min: Annotated[float | None, Query(ge=0, le=3660 * 1440)] = None,
) -> dict[str, Any] | Response:
    """One timeline of sensor events, alarms, actions and notes, with the KPIs against their
    targets; as JSON, CSV or a printable HTML report. `until_min`: up to that moment."""
    _debrief_allowed(who, entry)
    found = await api.exercises.debrief(entry, None if until_min is None else until_min * 60)
    if format == "csv":
        return PlainTextResponse(debriefs.to_csv(found), media_type="text/csv")
    if format == "html":
        return HTMLResponse(await asyncio.to_thread(debriefs.to_html, found))
    return found


@router.get("/{exercise_id}/debrief/{chart}.{fmt}", response_class=Response, responses=CHART_TYPES)
async def chart(
    api: State,
    who: Current,
    entry: Visible,
    chart: Literal["timeline", "vitals"],
    fmt: Literal["png", "svg"],
) -> Response:
    """The timeline chart, or the vitals around the incident, as PNG or SVG."""
    _debrief_allowed(who, entry)
    found = await api.exercises.debrief(entry)
    draw = debriefs.timeline_plot if chart == "timeline" else debriefs.vitals_plot
    body = await asyncio.to_thread(draw, found, fmt)
    return Response(body, media_type="image/png" if fmt == "png" else "image/svg+xml")
