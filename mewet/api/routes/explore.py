"""Exploring the home: a learner gets a home of her own for a while (no account needed), taps
its devices, reads what each is for, and tries them: presses the wristband's button, opens
the front door at night, lies on the floor, leaves the stove on, spills water. Each try is
an incident injected into her own home now; the lab's team plays every role, and the page
follows what the device sent, the alarm and what the team did, on the live feed.

A sandbox is an exercise of the scenario `quiet-day`, started at 22:30 (night, so the
front door's night alarm is on) at speed 10, owned by the lab's `explore` account and ended
after `EXPLORE_S`; a learner's token sees that exercise only, and acts in no role.
"""

from __future__ import annotations

import secrets
import time
from functools import partial
from typing import Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from mewet.api.deps import Address, ApiState, Current, KnownQuery, State, person, visible
from mewet.api.models import ERRORS, Line, RequestBody
from mewet.api.refusals import Refusal, refused, too_many, within
from mewet.api.security import Principal, issue
from mewet.devices.catalogue import CATALOGUE
from mewet.exercises.db import AccountError, User
from mewet.exercises.errors import RefusedError
from mewet.scenarios.scenario import library, load_scenario
from mewet.sim.home import DevicePlacement, Door
from mewet.texts import said

router = APIRouter(
    prefix="/api/explorations", tags=["explore"], responses=ERRORS, dependencies=[KnownQuery]
)

OWNER = "explore@mewet.lab"
"""The lab's own account that owns every sandbox (it cannot sign in: no password)."""
ORG = "explore"
SCENARIO = "quiet-day"
SPEED = 10.0
EXPLORE_S = 45 * 60.0
"""How long a sandbox lives (wall time)."""

Try = Literal["button", "door_at_night", "lie_on_floor", "fall", "stove", "smoke", "water"]
TRIES: dict[str, tuple[Try, ...]] = {
    "wristband": ("button",),
    "contact": ("door_at_night",),
    "fall_detector": ("lie_on_floor", "fall"),
    "stove_guard": ("stove",),
    "smoke": ("smoke",),
    "water_leak": ("water",),
}
"""What a learner can try with each type of device."""


class ExploreCreate(RequestBody):
    """Who explores (a first name is enough; shown on the home's timeline)."""

    name: Line = Field("", max_length=60)


class DeviceTry(BaseModel):
    """A device of the home, what it measures (channel → unit) and what can be tried."""

    id: str
    type: str
    room: str
    units: dict[str, str] = Field(description="Each channel it measures, with its unit.")
    tries: list[Try]


class Exploration(BaseModel):
    """A home of the learner's own for a while, and the token that sees it."""

    exercise: int
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    home: str
    devices: list[DeviceTry]


class TryRequest(RequestBody):
    """Try a device: `button` (the wristband), `door_at_night` (a door alarm), `lie_on_floor`
    or `fall` (a fall detector's room), `stove`, `smoke`, `water` (a leak sensor's room)."""

    device: str = Field(min_length=1, max_length=63)
    attempt: Try = Field(alias="try")


class Tried(BaseModel):
    """What was set going, at the home's time."""

    time: str
    incident: str


@router.post("", status_code=status.HTTP_201_CREATED, responses={429: ERRORS[429]})
async def explore(api: State, address: Address, body: ExploreCreate) -> Exploration:
    """A home of your own to explore for 45 minutes, its clock at 22:30 and running at
    speed 10 (no account needed; a few an hour from one address, a few dozen in the lab)."""
    await _sweep(api)
    within(api.explorations_asked, address, said("too_many_explorations"))
    if len(api.explorations) >= api.limits.explorations:
        raise too_many(60, said("explorations_full", most=api.limits.explorations))
    scenario = load_scenario(SCENARIO)
    text = library()[SCENARIO].read_text(encoding="utf-8")
    start = scenario.start.replace(hour=22, minute=30)
    hosted = await api.exercises.create(
        _owner(api), "", text, secrets.randbelow(10_000), start, SPEED, [], "", 0
    )
    ex = hosted.row.id
    api.explorations[ex] = time.monotonic() + EXPLORE_S
    await api.exercises.call(partial(hosted.live.control, "start", {}, ORG))
    name = body.name or "-"
    pid = api.db.add_participant(ex, name, "explorer")
    who = Principal("participant", pid, "student", ORG, name, ex, None)
    token, _ = issue(who, api.key, EXPLORE_S / 3600)
    home = hosted.live.sim.home
    devices = [
        DeviceTry(
            id=d.id,
            type=d.type,
            room=d.room,
            units={c.name: c.unit for c in CATALOGUE[d.type].channels},
            tries=list(TRIES.get(d.type, ())),
        )
        for d in home.devices
    ]
    return Exploration(
        exercise=ex,
        access_token=token,
        expires_in=int(EXPLORE_S),
        home=hosted.live.setup.home_id,
        devices=devices,
    )


@router.post("/{exercise_id}/tries", responses={429: ERRORS[429]})
async def attempt(api: State, who: Current, exercise_id: int, body: TryRequest) -> Tried:
    """Try a device of your home now: the incident happens at the home's time, and the live
    feed shows what the device sent and what the team did."""
    hosted = await visible(who, api, exercise_id)
    if who.kind != "participant" or who.org != ORG:
        raise refused(403, "explorers_only")
    within(api.actions, f"{person(who)}:{exercise_id}", said("too_many_actions"))
    placed = next((d for d in hosted.live.sim.home.devices if d.id == body.device), None)
    if placed is None or body.attempt not in TRIES.get(placed.type, ()):
        raise refused(422, "cannot_try", device=body.device[:63], attempt=body.attempt)
    incident = _incident(body.attempt, placed, hosted.live.sim.home.doors)
    try:
        await api.exercises.call(
            partial(hosted.live.control, "inject", dict(incident), who.name or ORG)
        )
    except RefusedError as exc:
        raise Refusal(409, exc.said) from None
    return Tried(time=hosted.live.time(), incident=str(incident["type"]))


def _incident(attempt: Try, placed: DevicePlacement, doors: list[Door]) -> dict[str, Any]:
    """The incident a try sets going, in the device's room (or at its door)."""
    room = placed.room
    if attempt == "button":
        return {"type": "button_press"}
    if attempt == "door_at_night":
        door = placed.door or next(d.id for d in doors if d.kind == "entrance")
        return {"type": "door_left_open", "door": door, "minutes": 10}
    if attempt == "lie_on_floor":
        return {"type": "lie_on_floor", "room": room, "minutes": 5, "radar_alarm": 1.0}
    if attempt == "fall":
        return {"type": "fall", "room": room}
    if attempt == "stove":
        return {"type": "stove_left_on"}
    if attempt == "smoke":
        return {"type": "smoke", "minutes": 10}
    return {"type": "water_leak", "room": room, "minutes": 20}


def _owner(api: ApiState) -> User:
    """The lab's own account that owns the sandboxes, made the first time."""
    owner = api.db.user_by_email(OWNER)
    if owner is not None:
        return owner
    try:
        return api.db.add_user(OWNER, "teacher", ORG, "!")
    except AccountError:  # two learners at once: the other request made it
        made = api.db.user_by_email(OWNER)
        assert made is not None
        return made


async def _sweep(api: ApiState) -> None:
    """End the sandboxes whose time is up (and any a restart left behind)."""
    now = time.monotonic()
    owner = api.db.user_by_email(OWNER)
    for hosted in list(api.exercises.hosted.values()):
        if owner is None or hosted.row.teacher != owner.id or hosted.live.phase == "ended":
            api.explorations.pop(hosted.row.id, None)
            continue
        if api.explorations.get(hosted.row.id, 0.0) <= now:
            api.explorations.pop(hosted.row.id, None)
            await api.exercises.call(partial(hosted.live.control, "end", {}, ORG))
