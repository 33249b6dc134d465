"""Signing in: an email and password for a bearer token."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from mewet.api.deps import Address, Current, KnownQuery, State
from mewet.api.models import ERRORS, Me, Token
from mewet.api.refusals import refused, too_many, within
from mewet.api.security import (
    DEVICE_COOKIE,
    Principal,
    check_login,
    device_cookie,
    issue,
    known_device,
)
from mewet.texts import said
from mewet.transport.access import student_user

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=ERRORS, dependencies=[KnownQuery])


@router.post("/token", responses={429: ERRORS[429]})
async def token(
    api: State,
    address: Address,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    response: Response,
    device: Annotated[str | None, Cookie(alias=DEVICE_COOKIE)] = None,
) -> Token:
    """Sign in with `username` (the email) and `password` as a form; get a bearer token.

    Attempts are limited per address and per account (429 with `Retry-After`); a browser
    that signed in to the account before has a count of its own, so wrong passwords from
    elsewhere cannot lock its owner out. The password is checked off the event loop, a few
    at a time, so sign-ins never slow other requests."""
    within(api.logins, address, said("too_many_sign_ins"))
    email = form.username.strip().lower()[:200]
    known = known_device(device, email, api.key)
    lock = email if known is None else f"{email} device {known}"
    within(api.lockout, lock, said("too_many_wrong_passwords"))
    # a browser that signed in to this account before has a lane of its own: anonymous
    # floods (many addresses, each under its limit) fill the other one, not hers
    lane = api.password_checks if known is None else api.known_checks
    if lane.full():
        raise too_many(1, said("busy_checking_passwords"))
    user = api.db.user_by_email(email)
    async with lane.turn():
        right = await asyncio.to_thread(
            check_login, form.password[:1024], user.password_hash if user else None
        )
    if user is None or not right:
        api.lockout.failed(lock)
        raise refused(401, "wrong_password", {"WWW-Authenticate": "Bearer"})
    api.lockout.succeeded(lock)
    if known is None:
        response.set_cookie(
            DEVICE_COOKIE,
            device_cookie(email, api.key),
            max_age=365 * 86400,
            httponly=True,
            samesite="strict",
            path="/api/auth",
        )
    who = Principal("user", user.id, user.role, user.org, user.email)
    access, seconds = issue(who, api.key, api.token_hours)
    return Token(access_token=access, expires_in=seconds)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(api: State, who: Current) -> Response:
    """Sign out: this token (an account's or a student's) is refused from now on."""
    api.db.revoke(who.token_id, who.expires)
    api.revoked.add(who.token_id)
    closing = api.feeds_closing.pop(who.token_id, None)
    if closing is not None:  # the live feeds open with this sign-in close now
        closing.set()
    if who.kind == "participant" and who.exercise is not None and api.access is not None:
        await asyncio.to_thread(api.access.revoke, student_user(who.id, who.exercise))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me")
async def me(who: Current) -> Me:
    """Who the token belongs to."""
    return Me(
        name=who.name,
        role=who.role,
        org=who.org,
        exercise=who.exercise,
        exercise_role=who.exercise_role,
    )
