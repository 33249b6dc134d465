"""Joining: a student gives the teacher's code, a name and a role, and gets a token for that
exercise and role. The code alone finds the exercise; attempts are limited per address, and a
wrong code says nothing about which exercises exist."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter
from pydantic import BaseModel, Field

from mewet.api.deps import Address, ApiState, KnownQuery, Language, State, sees_sensors
from mewet.api.models import ERRORS, JoinRequest, JoinResult, MqttAccess
from mewet.api.refusals import Refusal, refused, within
from mewet.api.routes.briefs import briefing
from mewet.api.security import Principal, issue
from mewet.contract import home_filter
from mewet.exercises.errors import RefusedError
from mewet.exercises.hosted import Hosted
from mewet.texts import said
from mewet.transport.access import student_user

router = APIRouter(prefix="/api", tags=["join"], responses=ERRORS, dependencies=[KnownQuery])
NO_SUCH_CODE = said("no_such_code")
TOO_MANY_JOINS = said("too_many_joins")


class JoinPreview(BaseModel):
    """What a code leads to, before joining: the exercise's title, its group, the roles open
    and who has joined in which."""

    title: str
    group: str = Field(description="The group (class) it is for, as the teacher named it.")
    roles: list[str]
    taken: list[str] = Field(description="Open roles someone has joined in already.")
    taken_by: dict[str, list[str]] = Field(
        default_factory=dict, description="Role → the names of those who joined in it."
    )


async def _found(api: ApiState, code: str) -> Hosted:
    """The exercise of a join code; 404 for none, 409 for one that has ended."""
    found = await api.exercises.by_code(code.strip().upper()[:32])
    if found is None:
        raise Refusal(404, NO_SUCH_CODE)
    if found.live.phase == "ended":
        raise refused(409, "code_ended")
    return found


@router.get("/join/{code}", responses={429: ERRORS[429]})
async def preview(api: State, address: Address, lang: Language, code: str) -> JoinPreview:
    """The exercise a join code leads to (its title and open roles), for the join page."""
    within(api.joins, address, TOO_MANY_JOINS)
    found = await _found(api, code)
    taken_by: dict[str, list[str]] = {}
    for p in api.db.participants(found.row.id):
        taken_by.setdefault(p["role"], []).append(p["name"])
    return JoinPreview(
        title=found.title(lang),
        group=found.row.group,
        roles=sorted(found.live.setup.roles),
        taken=sorted(taken_by),
        taken_by=taken_by,
    )


@router.post("/join", responses={429: ERRORS[429]})
async def join(api: State, address: Address, lang: Language, body: JoinRequest) -> JoinResult:
    """Join with the code the teacher gave, a display name and a role; no account needed."""
    return await join_with_code(api, address, body, None, lang)


async def join_with_code(
    api: ApiState, address: str, body: JoinRequest, hosted: Hosted | None, lang: str = "en"
) -> JoinResult:
    """Join the exercise whose code this is (`hosted`: the one the path named, if any)."""
    within(api.joins, address, TOO_MANY_JOINS)
    found = await _found(api, body.code)
    if hosted is not None and found is not hosted:
        raise Refusal(404, NO_SUCH_CODE)
    most = api.limits.participants_per_exercise
    joined = api.db.participants(found.row.id)
    back = any(p["name"] == body.name and p["role"] == body.role for p in joined)
    if len(joined) >= most and not back:  # someone who joined before may come back
        raise refused(429, "exercise_full", most=most)
    try:
        await api.exercises.call(partial(found.live.join, body.role, body.name))
    except RefusedError as exc:
        raise Refusal(409, exc.said) from None
    ex = found.row.id
    pid = api.db.add_participant(ex, body.name, body.role)
    who = Principal("participant", pid, "student", found.row.org, body.name, ex, body.role)
    token, seconds = issue(who, api.key, api.token_hours)
    mqtt = None
    home = found.live.setup.home_id
    if api.access is not None and sees_sensors(who, found):
        user = student_user(pid, ex)
        password = api.access.grant(user, "student", home=home, group=f"exercise-{ex}")
        topic = home_filter(home, api.access.root)
        mqtt = MqttAccess(
            host=api.broker_host,
            port=api.broker_port,
            username=user,
            password=password,
            read=[topic],
        )
    return JoinResult(
        access_token=token,
        expires_in=seconds,
        exercise=ex,
        role=body.role,
        home=home,
        mqtt=mqtt,
        briefing=briefing(found, body.role, lang),
    )
