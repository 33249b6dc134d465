"""Joining: a student gives the teacher's code, a name and a role, and gets a token for that
exercise and role. The code alone finds the exercise; attempts are limited per address, and a
wrong code says nothing about which exercises exist."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from mewet.api.deps import Address, ApiState, KnownQuery, Language, State, sees_sensors
from mewet.api.limits import too_many
from mewet.api.models import ERRORS, JoinRequest, JoinResult, MqttAccess
from mewet.api.routes.briefs import briefing
from mewet.api.security import Principal, issue
from mewet.contract import home_filter
from mewet.exercises.errors import RefusedError
from mewet.exercises.manager import Hosted

router = APIRouter(prefix="/api", tags=["join"], responses=ERRORS, dependencies=[KnownQuery])
NO_SUCH_CODE = "no exercise has this join code: check it with your teacher"


class JoinPreview(BaseModel):
    """What a code leads to, before joining: the exercise's title and the roles open."""

    title: str
    roles: list[str]
    taken: list[str] = Field(description="Open roles someone has joined in already.")


@router.get("/join/{code}", responses={429: ERRORS[429]})
async def preview(api: State, address: Address, code: str) -> JoinPreview:
    """The exercise a join code leads to (its title and open roles), for the join page."""
    wait = api.joins.wait(address)
    if wait:
        raise too_many(wait, "too many join attempts from this address")
    found = api.exercises.by_code(code.strip().upper()[:32])
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_SUCH_CODE)
    taken = sorted({p["role"] for p in api.db.participants(found.row.id)})
    return JoinPreview(title=found.row.title, roles=sorted(found.live.setup.roles), taken=taken)


@router.post("/join", responses={429: ERRORS[429]})
async def join(api: State, address: Address, lang: Language, body: JoinRequest) -> JoinResult:
    """Join with the code the teacher gave, a display name and a role; no account needed."""
    return await join_with_code(api, address, body, None, lang)


async def join_with_code(
    api: ApiState, address: str, body: JoinRequest, hosted: Hosted | None, lang: str = "en"
) -> JoinResult:
    """Join the exercise whose code this is (`hosted`: the one the path named, if any)."""
    wait = api.joins.wait(address)
    if wait:
        raise too_many(wait, "too many join attempts from this address")
    code = body.code.strip().upper()
    found = api.exercises.by_code(code)
    if found is None or (hosted is not None and found is not hosted):
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_SUCH_CODE)
    if found.live.phase == "ended":
        raise HTTPException(status.HTTP_409_CONFLICT, "the exercise has ended")
    try:
        await api.exercises.call(partial(found.live.join, body.role, body.name))
    except RefusedError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    ex = found.row.id
    pid = api.db.add_participant(ex, body.name, body.role)
    who = Principal("participant", pid, "student", found.row.org, body.name, ex, body.role)
    token, seconds = issue(who, api.key, api.token_hours)
    mqtt = None
    home = found.live.setup.home_id
    if api.access is not None and sees_sensors(who, found):
        user = f"s{pid}-ex{ex}"
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
