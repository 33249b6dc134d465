"""What route handlers get handed: the lab's state, who is asking, and the exercise they may see.

Permissions live here, in one place: admins see everything; a teacher sees and steers their
own exercises; a student's token is good for one exercise and one role; companies see
scenarios and never exercises. An exercise one may not see is answered 404, as if it did not
exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from mewet.api.commands import CommandSender
from mewet.api.security import Principal, read
from mewet.exercises.db import AppDb
from mewet.exercises.manager import Exercises, Hosted
from mewet.transport.access import BrokerAccess

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


@dataclass
class ApiState:
    """What the API holds for its lifetime."""

    db: AppDb
    exercises: Exercises
    key: str
    token_hours: float = 12.0
    access: BrokerAccess | None = None
    broker_host: str | None = None
    commands: CommandSender | None = None  # to companies' devices, on a secured broker


def state(request: Request) -> ApiState:
    """The API's state, set up by the app's lifespan."""
    api: ApiState = request.app.state.api
    return api


State = Annotated[ApiState, Depends(state)]


def principal_of(token: str | None, api: ApiState) -> Principal:
    """Who a token names; 401 with the reason when there is none or it is not valid."""
    if not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "sign in first: POST /api/auth/token, then send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return read(token, api.key)
    except jwt.ExpiredSignatureError:
        why = "the token has expired: sign in (or join) again"
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
        why = "the token is not valid: sign in (or join) again"
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, why, headers={"WWW-Authenticate": "Bearer"})


def current(api: State, token: Annotated[str | None, Depends(oauth2)]) -> Principal:
    """The principal of the request's bearer token."""
    return principal_of(token, api)


Current = Annotated[Principal, Depends(current)]


def teacher(who: Current) -> Principal:
    """Teachers and admins only."""
    if who.role not in ("teacher", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only teachers (and admins) can do this")
    return who


def not_student(who: Current) -> Principal:
    """Anyone with an account (admins, teachers, companies)."""
    if who.kind != "user":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "students see their exercise only")
    return who


Teacher = Annotated[Principal, Depends(teacher)]
Account = Annotated[Principal, Depends(not_student)]


def no_companies(who: Principal) -> None:
    """Companies test devices; they never see an exercise (403)."""
    if who.role == "company":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "companies have no access to exercises")


def may_see(who: Principal, hosted: Hosted) -> bool:
    """Admins see every exercise, a teacher their own, a student the one they joined."""
    return (
        who.role == "admin"
        or (who.kind == "user" and who.role == "teacher" and hosted.row.teacher == who.id)
        or (who.kind == "participant" and who.exercise == hosted.row.id)
    )


def visible(who: Principal, api: ApiState, exercise_id: int) -> Hosted:
    """The exercise, if `who` may see it; 403 for companies, else 404 as if it did not exist."""
    no_companies(who)
    hosted = api.exercises.get(exercise_id)
    if hosted is None or not may_see(who, hosted):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no exercise {exercise_id}")
    return hosted


def exercise(who: Current, api: State, exercise_id: int) -> Hosted:
    """The exercise of the path, if the caller may see it."""
    return visible(who, api, exercise_id)


Visible = Annotated[Hosted, Depends(exercise)]


def steerable(who: Current, hosted: Visible) -> Hosted:
    """Only the exercise's own teacher (or an admin) steers it."""
    if who.kind != "user" or who.role not in ("teacher", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the exercise's teacher steers it")
    return hosted


Steerable = Annotated[Hosted, Depends(steerable)]


def sees_sensors(who: Principal, hosted: Hosted) -> bool:
    """Whether the caller sees the home's sensors (the scenario may keep them from a role)."""
    if who.kind != "participant" or who.exercise_role is None:
        return True
    return hosted.live.setup.scenario.sees_sensors(who.exercise_role)
