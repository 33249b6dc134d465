"""Passwords (hashed with Argon2 through pwdlib) and bearer tokens (signed JWTs with expiry).

A token names who holds it: an account (admin, teacher, company) or a student who joined one
exercise in one role, whose token is good for that exercise and role only.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import jwt
from pwdlib import PasswordHash

ALGORITHM = "HS256"
_hasher = PasswordHash.recommended()


def hash_password(password: str) -> str:
    """The password's Argon2 hash, for the accounts table."""
    return _hasher.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    """Whether the password matches the hash (slow on purpose: run it off the event loop)."""
    return _hasher.verify(password, hashed)


@functools.cache
def _nobodys_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def check_login(password: str, hashed: str | None) -> bool:
    """Whether the password is right; for an email without an account (`hashed` None) a hash
    is checked all the same, so the answer takes as long and says nothing of who has one."""
    if hashed is None:
        verify_password(password, _nobodys_hash())
        return False
    return verify_password(password, hashed)


def secret_key(data_dir: Path, configured: str | None) -> str:
    """The signing key: the configured one, else one kept in the data folder across restarts."""
    if configured:
        return configured
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # created readable by its owner only, never for a moment by anyone else
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: an account, or a student in one exercise and role."""

    kind: Literal["user", "participant"]
    id: int
    role: str
    org: str
    name: str
    exercise: int | None = None
    exercise_role: str | None = None
    token_id: str = ""
    """The token's own id (`jti`): what signing out revokes."""
    expires: float = 0.0
    """When the token expires (Unix seconds)."""


DEVICE_COOKIE = "mewet_device"
"""A browser that signed in to an account before: wrong passwords from elsewhere do not lock
it out (OWASP's device cookies), so nobody can keep a teacher from her class by failing to
sign in as her."""


def device_cookie(email: str, key: str) -> str:
    """The cookie a browser gets when it signs in: a nonce, signed for this email."""
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_device_mac(email, nonce, key)}"


def known_device(cookie: str | None, email: str, key: str) -> str | None:
    """The nonce of a device cookie this lab gave for this email, else None."""
    nonce, _, mac = (cookie or "").partition(".")
    if nonce and mac and hmac.compare_digest(mac, _device_mac(email, nonce, key)):
        return nonce
    return None


def _device_mac(email: str, nonce: str, key: str) -> str:
    message = f"device|{email}|{nonce}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def issue(principal: Principal, key: str, hours: float) -> tuple[str, int]:
    """A signed token for the principal, and its lifetime in seconds."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": f"{principal.kind}:{principal.id}",
        "role": principal.role,
        "org": principal.org,
        "name": principal.name,
        "iat": now,
        "exp": now + timedelta(hours=hours),
        "jti": secrets.token_urlsafe(12),
    }
    if principal.exercise is not None:
        claims["ex"] = principal.exercise
        claims["exr"] = principal.exercise_role
    return jwt.encode(claims, key, algorithm=ALGORITHM), int(hours * 3600)


def read(token: str, key: str) -> Principal:
    """The principal of a valid token; jwt.InvalidTokenError (or ValueError) when it is not."""
    claims = jwt.decode(
        token, key, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "jti"]}
    )
    kind, _, ident = str(claims["sub"]).partition(":")
    if kind not in ("user", "participant"):
        raise ValueError("unknown subject")
    return Principal(
        kind,  # type: ignore[arg-type]
        int(ident),
        str(claims["role"]),
        str(claims["org"]),
        str(claims["name"]),
        claims.get("ex"),
        claims.get("exr"),
        str(claims["jti"]),
        float(claims["exp"]),
    )
