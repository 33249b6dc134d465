"""The API's refusals as messages: every 4xx the pages show is said in the asker's language
(the pages' choice, else the browser's; English for a client that names none), with the
message itself beside it for a client that says it in its own words."""

from __future__ import annotations

import math
from typing import Protocol

from fastapi import HTTPException, status

from mewet.texts import Arg, Said, said


class Refusal(HTTPException):
    """An HTTP error whose words are a message of the catalogues."""

    def __init__(
        self, status_code: int, message: Said, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status_code, str(message), headers)
        self.said = message


def refused(
    status_code: int, id: str, headers: dict[str, str] | None = None, **args: Arg
) -> Refusal:
    """`Refusal(status_code, said(id, **args))`."""
    return Refusal(status_code, said(id, **args), headers)


def too_many(wait_s: float, what: Said) -> Refusal:
    """The 429 for a limit, saying when to try again."""
    seconds = max(1, math.ceil(wait_s))
    return Refusal(
        status.HTTP_429_TOO_MANY_REQUESTS,
        said("try_again", what=what, wait_s=seconds),
        headers={"Retry-After": str(seconds)},
    )


class Limit(Protocol):
    """A count kept per key (`limits.RateLimit`, `limits.Lockout`): how long `key` must wait."""

    def wait(self, key: str) -> float: ...


def within(limit: Limit, key: str, what: Said) -> None:
    """Ask the limit for `key` (counting this one, for a rate); its 429 when it must wait."""
    wait = limit.wait(key)
    if wait:
        raise too_many(wait, what)
