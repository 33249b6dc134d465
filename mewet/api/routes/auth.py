"""Signing in: an email and password for a bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from mewet.api.deps import Current, State
from mewet.api.models import ERRORS, Me, Token
from mewet.api.security import Principal, issue, verify_password

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=ERRORS)


@router.post("/token")
async def token(api: State, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """Sign in with `username` (the email) and `password` as a form; get a bearer token."""
    user = api.db.user_by_email(form.username)
    if user is None or not verify_password(form.password, user.password_hash):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "wrong email or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    who = Principal("user", user.id, user.role, user.org, user.email)
    access, seconds = issue(who, api.key, api.token_hours)
    return Token(access_token=access, expires_in=seconds)


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
