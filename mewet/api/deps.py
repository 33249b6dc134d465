"""What route handlers get handed: the lab's state, who is asking, and the exercise they may see.

Permissions live here, in one place: admins see everything; a teacher sees and steers their
own exercises; a student's token is good for one exercise and one role; companies see
scenarios and never exercises. An exercise one may not see is answered 404, as if it did not
exist.

The dependencies are `async def`, though none of them waits for anything: FastAPI runs a plain
`def` dependency on its thread pool, a hop to a worker thread and back for each (five on most
requests), and with the exercises' homes running each hop waited for the interpreter; with 20
exercises at speed 3600 they made most of a GET's 60 ms. They are quick and never block.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordBearer

from mewet.api.commands import CommandSender
from mewet.api.limits import Lockout, RateLimit, Slots
from mewet.api.refusals import refused
from mewet.api.security import Principal, read
from mewet.benchmark.jobs import Benchmarks
from mewet.config import Limits, StoreUrl
from mewet.conformance.jobs import ConformanceRuns
from mewet.contract import DEFAULT_ROOT
from mewet.exercises.certificates import Certificates
from mewet.exercises.courses import Courses
from mewet.exercises.db import AppDb
from mewet.exercises.hosted import Hosted
from mewet.exercises.manager import Exercises
from mewet.exercises.quizzes import Quizzes
from mewet.exercises.study import Study
from mewet.texts import choose
from mewet.transport.access import BrokerAccess
from mewet.transport.gate import GateControl

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


@dataclass
class ApiState:
    """What the API holds for its lifetime."""

    db: AppDb
    exercises: Exercises
    key: str
    limits: Limits = field(default_factory=Limits)
    token_hours: float = 12.0
    access: BrokerAccess | None = None
    broker_host: str | None = None
    broker_port: int | None = None
    commands: CommandSender | None = None  # to companies' devices, on a secured broker
    store: StoreUrl | None = None  # what ingest stored, for companies' device pages
    public_url: str | None = None  # the lab's address for the class (MEWET_PUBLIC_URL)
    listen_host: str = "127.0.0.1"  # where the API listens (`mewet up --host`)
    benchmarks: Benchmarks = field(default_factory=lambda: Benchmarks(Path("benchmarks"), None))
    conformance: ConformanceRuns = field(
        default_factory=lambda: ConformanceRuns(Path("conformance"), None, DEFAULT_ROOT)
    )
    revoked: set[str] = field(default_factory=set)
    """Ids of signed-out tokens that have not expired yet."""
    tickets: dict[str, tuple[Principal, int, float]] = field(default_factory=dict)
    """Live-feed tickets: ticket → (who, exercise, when it expires)."""
    live_open: Counter[str] = field(default_factory=Counter)
    """Live feeds open per token id."""
    explorations: dict[int, float] = field(default_factory=dict)
    """Homes being explored: exercise id → when its time is up (monotonic seconds)."""
    replaying: Counter[str] = field(default_factory=Counter)
    """Replays each person is waiting for now (at most `REPLAYS_WAITING` each)."""
    feeds_closing: dict[str, asyncio.Event] = field(default_factory=dict)
    """Per token id with a live feed open: set when it signs out, and its feeds close."""
    parts: Callable[[], list[dict[str, Any]]] = field(default=lambda: [])
    """The lab's own processes and their states (`mewet up` supervises them)."""
    gate: GateControl | None = None
    """The devices' door (`mewet up --secure-broker`): it pulls plugs, notes refused
    publishes."""
    health_kept: tuple[float, Any] | None = None
    """The health endpoint's last answer, with when it was made."""

    def __post_init__(self) -> None:
        self.logins = RateLimit(self.limits.logins_per_minute, 60.0)
        self.lockout = Lockout(self.limits.failures_before_lockout, self.limits.lockout_s)
        self.joins = RateLimit(self.limits.joins_per_minute, 60.0)
        self.uploads = RateLimit(self.limits.uploads_per_hour, 3600.0)
        self.scenario_checks = RateLimit(self.limits.scenario_checks_per_minute, 60.0)
        self.notes = RateLimit(self.limits.notes_per_minute, 60.0)
        self.actions = RateLimit(self.limits.actions_per_minute, 60.0)
        self.explorations_asked = RateLimit(self.limits.explorations_per_hour, 3600.0)
        self.replays_asked = RateLimit(self.limits.replays_per_minute, 60.0)
        self.trials = RateLimit(self.limits.trials_per_hour, 3600.0)
        self.device_requests = RateLimit(self.limits.device_requests_per_minute, 60.0)
        self.onboardings = RateLimit(self.limits.devices_per_minute, 60.0)
        self.assignments_made = RateLimit(self.limits.assignments_per_hour, 3600.0)
        self.study_begun = RateLimit(self.limits.study_runs_per_hour, 3600.0)
        self.study = Study(self.db)
        """Self-study assignments and the learners' runs."""
        self.quizzes = Quizzes(self.db)
        self.certificates = Certificates(self.db)
        self.courses = Courses(self.db)
        """Courses (material, scenarios, a final test) and their learners."""
        self.password_checks = Slots(self.limits.password_checks, queue=8)
        self.known_checks = Slots(1, queue=8)
        """Password checks from browsers that signed in to the account before."""

    def ticket(self, who: Principal, exercise: int, ttl_s: float = 30.0) -> str:
        """A single-use ticket for one live feed, good for `ttl_s` seconds."""
        now = time.monotonic()
        for old in [t for t, (_, _, until) in self.tickets.items() if until < now]:
            del self.tickets[old]
        ticket = secrets.token_urlsafe(24)
        self.tickets[ticket] = (who, exercise, now + ttl_s)
        return ticket

    def use_ticket(self, ticket: str | None, exercise: int) -> Principal | None:
        """Who a ticket was given to, if it is for this exercise and still good; used up."""
        if not ticket:
            return None
        found = self.tickets.pop(ticket, None)
        if found is None:
            return None
        who, ex, until = found
        if ex != exercise or until < time.monotonic() or who.token_id in self.revoked:
            return None
        return who


async def state(request: Request) -> ApiState:
    """The API's state, set up by the app's lifespan."""
    api: ApiState = request.app.state.api
    return api


State = Annotated[ApiState, Depends(state)]


def person(who: Principal) -> str:
    """The key a person's own limits count under (an account, or a student in an exercise)."""
    return f"{who.kind}:{who.id}"


def principal_of(token: str | None, api: ApiState) -> Principal:
    """Who a token names; 401 with the reason when there is none or it is not valid."""
    if not token:
        raise refused(401, "sign_in_first", BEARER)
    try:
        who = read(token, api.key)
        if who.token_id in api.revoked:
            raise refused(401, "token_signed_out", BEARER)
        return who
    except jwt.ExpiredSignatureError:
        why = "token_expired"
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
        why = "token_invalid"
    raise refused(401, why, BEARER)


async def current(api: State, token: Annotated[str | None, Depends(oauth2)]) -> Principal:
    """The principal of the request's bearer token."""
    return principal_of(token, api)


Current = Annotated[Principal, Depends(current)]


async def teacher(who: Current) -> Principal:
    """Teachers and admins only."""
    if who.role not in ("teacher", "admin"):
        raise refused(403, "teachers_only")
    return who


async def not_student(who: Current) -> Principal:
    """Anyone with an account (admins, teachers, companies)."""
    if who.kind != "user":
        raise refused(403, "students_own_exercise")
    return who


Teacher = Annotated[Principal, Depends(teacher)]
Account = Annotated[Principal, Depends(not_student)]


def no_companies(who: Principal) -> None:
    """Companies test devices; they never see an exercise (403)."""
    if who.role == "company":
        raise refused(403, "companies_no_exercises")


def may_see(who: Principal, hosted: Hosted) -> bool:
    """Admins see every exercise, a teacher their own, a student the one they joined."""
    return (
        who.role == "admin"
        or (who.kind == "user" and who.role == "teacher" and hosted.row.teacher == who.id)
        or (who.kind == "participant" and who.exercise == hosted.row.id)
    )


async def visible(who: Principal, api: ApiState, exercise_id: int) -> Hosted:
    """The exercise, if `who` may see it; 403 for companies, else 404 as if it did not exist
    (ElsewhereError: another server runs it, and answers)."""
    no_companies(who)
    hosted = await api.exercises.find(exercise_id)
    if hosted is None or not may_see(who, hosted):
        raise refused(404, "no_exercise", exercise=exercise_id)
    return hosted


async def exercise(who: Current, api: State, exercise_id: int) -> Hosted:
    """The exercise of the path, if the caller may see it."""
    return await visible(who, api, exercise_id)


Visible = Annotated[Hosted, Depends(exercise)]


async def steerable(who: Current, api: State, hosted: Visible) -> Hosted:
    """Only the exercise's own teacher (or an admin) steers it; a learner steers her own
    self-study run."""
    if who.kind == "participant" and api.study.run(hosted.row.id) is not None:
        return hosted
    if who.kind != "user" or who.role not in ("teacher", "admin"):
        raise refused(403, "teacher_steers")
    return hosted


Steerable = Annotated[Hosted, Depends(steerable)]


def sees_sensors(who: Principal, hosted: Hosted) -> bool:
    """Whether the caller sees the home's sensors (the scenario may keep them from a role)."""
    if who.kind != "participant" or who.exercise_role is None:
        return True
    return hosted.live.setup.scenario.sees_sensors(who.exercise_role)


async def client_address(request: Request) -> str:
    """The client's address, as the trusted proxy forwarded it (uvicorn's proxy headers)."""
    return request.client.host if request.client is not None else "unknown"


Address = Annotated[str, Depends(client_address)]


async def known_query(request: Request) -> None:
    """A query parameter the route does not take is a 422, not silently ignored (the debrief's
    `until_min=` asked as `at_min=` would give the debrief of now)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known: set[str] = set()
    stack = [dependant]
    while stack:
        d = stack.pop()
        known |= {p.alias for p in d.query_params}
        stack.extend(d.dependencies)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        allowed = ", ".join(sorted(known)) or "-"
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": f"unknown query parameter (this route takes: {allowed})",
                    "type": "unknown_query",
                    "ctx": {"allowed": allowed},
                }
                for name in unknown
            ]
        )


KnownQuery = Depends(known_query)
BEARER = {"WWW-Authenticate": "Bearer"}


def language_of(request: Request) -> str:
    """The language texts are given in: the one chosen on the pages, else the browser's;
    English for a client that says nothing (scripts, other systems)."""
    cookie, accept = request.cookies.get("lang"), request.headers.get("accept-language")
    return choose(cookie, accept) if cookie or accept else "en"


async def language(request: Request) -> str:
    """`language_of` as a dependency."""
    return language_of(request)


Language = Annotated[str, Depends(language)]
