"""Exercises: create, join, steer, act, note, and look at the home (the debrief: `debriefs.py`)."""

from __future__ import annotations

import io
from datetime import datetime
from functools import partial
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request, Response, status

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
    person,
    sees_sensors,
)
from mewet.api.models import (
    ERRORS,
    ActionRequest,
    ControlRequest,
    ExerciseCopy,
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
    PlanDevice,
    PlanDoor,
    PlanRoom,
)
from mewet.api.public import join_base
from mewet.api.refusals import Refusal, refused, too_many, within
from mewet.api.routes.debriefs import replayed
from mewet.api.routes.join import join_with_code
from mewet.api.routes.listing import listed, public
from mewet.api.routes.scenarios import find, roles_in
from mewet.api.routes.study import LEARNER_CONTROLS
from mewet.api.security import Principal
from mewet.devices.catalogue import CATALOGUE
from mewet.devices.names import device_names
from mewet.exercises.errors import RefusedError
from mewet.exercises.hosted import Hosted
from mewet.texts import Said, said, say

router = APIRouter(
    prefix="/api/exercises", tags=["exercises"], responses=ERRORS, dependencies=[KnownQuery]
)
T = TypeVar("T")


def outcome(hosted: Hosted, result: Said, lang: str) -> Outcome:
    """What came of an input, and when; in the asker's language."""
    live = hosted.live
    return Outcome(
        result=say(result, lang, device_names(live.sim.home, lang)),
        said=result.as_json(),
        sim_s=round(live.now_s, 3),
        time=live.time(),
        phase=live.phase,
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses={429: ERRORS[429]})
async def create(
    api: State, who: Teacher, lang: Language, request: Request, body: ExerciseCreate
) -> ExercisePublic:
    """Create an exercise of a scenario; it waits, paused at its start, for `start`."""
    scenario, text, found = find(api, who, body.scenario)
    roles: list[str] = list(body.roles) if body.roles is not None else list(scenario.roles)
    roles_in(scenario, roles)
    hosted = await _open(
        api,
        who,
        title=body.title or "",
        text=text,
        seed=scenario.seed if body.seed is None else body.seed,
        start=body.start or scenario.start,
        speed=body.speed,
        roles=roles,
        group=body.group or "",
        version=found["version"],
    )
    return public(hosted, who, api, lang, request)


@router.post(
    "/{exercise_id}/duplicate", status_code=status.HTTP_201_CREATED, responses={429: ERRORS[429]}
)
async def duplicate(
    api: State,
    who: Teacher,
    hosted: Steerable,
    lang: Language,
    request: Request,
    body: ExerciseCopy,
) -> ExercisePublic:
    """The same exercise again for the next group: the same scenario file, seed, start,
    speed, open roles and title; the group named anew (default: the same); a new code,
    nobody joined yet."""
    live, row = hosted.live, hosted.row
    copy = await _open(
        api,
        who,
        title=row.title,
        text=row.scenario_yaml,
        seed=live.setup.seed,
        start=live.setup.start,
        speed=row.speed,
        roles=sorted(live.setup.roles),
        group=body.group or row.group,
        version=row.scenario_version,
    )
    return public(copy, who, api, lang, request)


async def _open(
    api: ApiState,
    who: Principal,
    *,
    title: str,
    text: str,
    seed: int,
    start: datetime,
    speed: float,
    roles: list[str],
    group: str,
    version: int = 0,
) -> Hosted:
    """A new exercise for its teacher, within the teacher's limit of running ones."""
    running = api.exercises.open_of(who.id)  # wherever they run
    if running >= api.limits.exercises_per_teacher:
        raise too_many(
            60,
            said("too_many_exercises", running=running, most=api.limits.exercises_per_teacher),
        )
    user = api.db.user(who.id)
    if user is None:
        raise refused(401, "account_gone")
    return await api.exercises.create(user, title, text, seed, start, speed, roles, group, version)


@router.get("")
async def list_exercises(
    api: State, who: Current, lang: Language, request: Request
) -> list[ExercisePublic]:
    """The exercises you may see: yours as a teacher, all as an admin, yours as a student
    (learners' self-study runs are listed under their assignments)."""
    return await listed(api, who, lang, request)


@router.get("/{exercise_id}")
async def get_exercise(
    api: State, who: Current, hosted: Visible, lang: Language, request: Request
) -> ExercisePublic:
    """One exercise: its clock, phase, roles and home id (a student's: their briefing too, in
    the language of the pages or of the browser; its teacher's: the join link)."""
    return public(hosted, who, api, lang, request)


@router.post("/{exercise_id}/join", responses={429: ERRORS[429]})
async def join(
    api: State, address: Address, lang: Language, exercise_id: int, body: JoinRequest
) -> JoinResult:
    """Join with the teacher's code, a display name and a role (as `POST /api/join`, which
    needs no exercise id)."""
    hosted = await api.exercises.find(exercise_id)
    return await join_with_code(api, address, body, hosted, lang)


@router.post("/{exercise_id}/control")
async def control(
    api: State, who: Current, hosted: Steerable, lang: Language, body: ControlRequest
) -> Outcome:
    """Steer: start, pause, resume, speed, step, inject an incident, end (a learner steers
    her own self-study run, and does not inject)."""
    if who.kind == "participant" and body.control not in LEARNER_CONTROLS:
        raise refused(403, "learner_steers")
    try:
        result = await api.exercises.call(
            partial(hosted.live.control, body.control, dict(body.args), signed(who))
        )
    except RefusedError as exc:
        raise Refusal(status.HTTP_409_CONFLICT, exc.said) from None
    api.exercises.after_control(hosted)
    return outcome(hosted, result, lang)


def signed(who: Principal) -> str:
    """How an input is signed: a student by the name they gave, a teacher (or admin) as
    the teacher; everyone in the exercise sees it, and an email address is not for them."""
    return who.name if who.kind == "participant" else "teacher"


def _role_of(who: Principal, hosted: Hosted, asked: str | None) -> str:
    if who.kind == "participant":
        if who.exercise_role is None:  # exploring a home: she tries its devices instead
            raise refused(403, "explorer_acts")
        if asked is not None and asked != who.exercise_role:
            raise refused(403, "joined_as", role=str(who.exercise_role), asked=asked)
        return str(who.exercise_role)
    if who.role not in ("teacher", "admin"):
        raise refused(403, "who_acts")
    if asked is None:
        raise refused(422, "which_role")
    return asked


@router.post("/{exercise_id}/actions")
async def act(
    api: State, who: Current, hosted: Visible, lang: Language, body: ActionRequest
) -> Outcome:
    """Act in your role at the current sim time, with the same effect as the default policy;
    an action that makes no sense now is answered 409 with the reason."""
    role = _role_of(who, hosted, body.role)
    within(api.actions, f"{person(who)}:{hosted.row.id}", said("too_many_actions"))
    live = hosted.live

    def take_action() -> Said:
        if not live.plays(role):
            if who.kind == "participant" or role not in live.setup.roles:
                raise RefusedError(said("role_by_policy", role=role))
            live.check_running()
            live.join(role, signed(who))  # the teacher takes the role over
        return live.act(role, body.action, dict(body.args), signed(who))

    try:
        result = await api.exercises.call(take_action)
    except RefusedError as exc:
        raise Refusal(status.HTTP_409_CONFLICT, exc.said) from None
    return outcome(hosted, result, lang)


@router.post("/{exercise_id}/notes", status_code=status.HTTP_201_CREATED)
async def note(api: State, who: Current, hosted: Visible, body: NoteCreate) -> NotePublic:
    """Write a note (documentation), timestamped with the sim time and signed with your name;
    the teacher's notes mark a moment for the debrief (the instructor's log)."""
    role = who.exercise_role if who.kind == "participant" else body.role
    within(api.notes, f"{person(who)}:{hosted.row.id}", said("too_many_notes"))
    written = sum(1 for i in hosted.live.inputs if i.kind == "note")
    if written >= api.limits.notes_per_exercise:
        raise refused(
            status.HTTP_429_TOO_MANY_REQUESTS, "notes_full", most=api.limits.notes_per_exercise
        )
    try:
        kept = await api.exercises.call(partial(hosted.live.note, body.text, role, signed(who)))
    except RefusedError as exc:
        raise Refusal(status.HTTP_409_CONFLICT, exc.said) from None
    return NotePublic(
        n=kept.n,
        sim_s=round(kept.sim_s, 3),
        time=hosted.live.time(kept.sim_s),
        role=kept.role,
        by=kept.by,
        text=body.text,
    )


@router.get("/{exercise_id}/notes")
async def notes(
    hosted: Visible,
    before: Annotated[int | None, Query(ge=1, description="Notes numbered below this.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[NotePublic]:
    """The notes so far, newest first; `before` (a note's `n`) pages back from it. The live
    feed's snapshot carries the newest 200: the rest are here (and in the debrief)."""
    live = hosted.live
    found = [i for i in live.inputs if i.kind == "note" and (before is None or i.n < before)]
    return [
        NotePublic(
            n=i.n,
            sim_s=round(i.sim_s, 3),
            time=live.time(i.sim_s),
            role=i.role,
            by=i.by if i.role else "",  # the teacher is named by role, as on the feed
            text=str(i.args.get("text", "")),
        )
        for i in reversed(found[-limit:])
    ]


def _sensors(who: Principal, hosted: Hosted) -> None:
    if not sees_sensors(who, hosted):
        raise refused(403, "no_sensors_role", role=str(who.exercise_role))


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
        now = await replayed(api, who, api.exercises.replayed.home_at(hosted, at_min * 60))
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
        raise refused(404, "no_device", device=device[:64], known=known)
    recent = await api.exercises.call(partial(hosted.live.view.recent, device, limit))
    return History(device=device, messages=recent)


@router.get("/{exercise_id}/plan")
async def plan(hosted: Visible, lang: Language) -> FloorPlan:
    """The home's floor plan, for drawing: rooms with their rectangles (metres), doors, and
    each device in its room (a worn one with the resident), named in your language. Every
    participant may see it (the relative too: it is their mother's flat)."""
    home = hosted.live.sim.home
    names = device_names(home, lang)
    rooms = [
        PlanRoom(id=r.id, name=r.name, name_fi=r.name_fi or r.name, x=x, y=y, w=w, h=h)
        for r, x, y, w, h in home.plan()
    ]
    return FloorPlan(
        rooms=rooms,
        doors=[PlanDoor(id=d.id, between=list(d.between), kind=d.kind) for d in home.doors],
        devices=[
            PlanDevice(
                id=d.id,
                name=names[d.id],
                type=d.type,
                worn=d.type in CATALOGUE and CATALOGUE[d.type].worn,
                room=d.room,
                door=d.door,
                x=d.x,
                y=d.y,
            )
            for d in home.devices
        ],
    )


@router.get(
    "/{exercise_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
async def qr(api: State, who: Current, hosted: Steerable, request: Request) -> Response:
    """The join page's address with this exercise's code, as a QR code for the class's
    phones (for the exercise's teacher), at the lab's address for the class (`join_url`)."""
    import segno

    base, _ = join_base(request, api.public_url, api.listen_host)
    link = f"{base}/join?code={hosted.row.join_code}"
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=8, border=2)
    return Response(out.getvalue(), media_type="image/svg+xml")
