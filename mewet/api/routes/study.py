"""Self-study: a teacher publishes a scenario as an assignment; a learner runs it alone, in
the role she chooses, while the default team plays every other role; she steers it herself
(start, pause, speed, step, end), comes back to it later with her key, and gets the debrief a
class gets."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from functools import partial

from fastapi import APIRouter, Request, Response, status
from pydantic import AwareDatetime, BaseModel, Field, model_validator

from mewet.api.deps import Address, ApiState, KnownQuery, Language, State, Teacher, person
from mewet.api.models import ERRORS, JoinRequest, JoinResult, Line, RequestBody
from mewet.api.public import join_base
from mewet.api.refusals import Refusal, refused, too_many, within
from mewet.api.routes.briefs import briefing
from mewet.api.routes.join import join_with_code
from mewet.api.routes.scenarios import find, roles_in
from mewet.api.security import Principal, issue
from mewet.exercises.certificates import shown_percent
from mewet.exercises.debrief import cell
from mewet.exercises.hosted import scenario_from_text
from mewet.exercises.study import Assignment, StudyRun
from mewet.knowledge.quiz import QuizRules
from mewet.scenarios.scenario import RoleName
from mewet.texts import catalogue, said
from mewet.texts.problems import wrong

router = APIRouter(prefix="/api", tags=["self-study"], responses=ERRORS, dependencies=[KnownQuery])
OPEN_DAYS = 30
"""How long an assignment is open when the teacher does not say: the network's courses'."""
LONGEST = timedelta(days=366)
SPEED = 60.0
"""A learner's run starts at one minute a second: she speeds it up or steps as she likes."""
LEARNER_CONTROLS = ("start", "pause", "resume", "speed", "step", "end")
"""What a learner may do to her own run (not inject: the scenario's incidents are the test)."""
NO_SUCH_ASSIGNMENT = said("no_such_assignment")


class AssignmentCreate(RequestBody):
    """A scenario published for self-study: the roles a learner may take, and when it is open
    (from now, for 30 days, unless said)."""

    scenario: str = Field(min_length=1, max_length=64)
    roles: list[RoleName] = Field(min_length=1, max_length=8)
    title: Line = Field("", max_length=120)
    opens: AwareDatetime | None = None
    closes: AwareDatetime | None = None
    quiz: QuizRules | None = Field(
        None, description="A knowledge check after the run, drawn from the scenario's banks."
    )

    @model_validator(mode="after")
    def _dates(self) -> AssignmentCreate:
        self.opens, self.closes = window(self.opens, self.closes)
        return self


def window(opens: datetime | None, closes: datetime | None) -> tuple[datetime, datetime]:
    """When an assignment or a course is open: from now, for 30 days, unless said; never
    closing before it opens, nor open over a year."""
    opens = opens or datetime.now(UTC)
    closes = closes or opens + timedelta(days=OPEN_DAYS)
    if closes <= opens:
        raise wrong("closes_before_opens")
    if closes - opens > LONGEST:
        raise wrong("open_too_long")
    return opens, closes


class RunSeen(BaseModel):
    """One learner's run, as her teacher sees it."""

    exercise: int
    name: str
    role: str
    started: datetime
    phase: str
    time: str = Field(description="The home's clock where she is now.")
    debrief: str = Field(description="The run's debrief page (her KPIs).")
    attempts: int = Field(0, description="Knowledge-check attempts taken.")
    best_percent: float | None = Field(None, description="Her best knowledge-check score.")
    passed: bool | None = Field(None, description="Whether she passed the knowledge check.")


class AssignmentPublic(BaseModel):
    """An assignment, its link for learners and every learner's run."""

    id: int
    code: str
    title: str
    scenario: str
    roles: list[str]
    opens: datetime
    closes: datetime
    link: str = Field(description="The page a learner opens (the code filled in).")
    quiz: QuizRules | None
    runs: list[RunSeen]


class StudyPreview(BaseModel):
    """What a code leads to, before beginning."""

    title: str
    roles: list[str]
    opens: datetime
    closes: datetime
    open: bool


class StudyStart(RequestBody):
    """Begin a run of an assignment: your name, the role you take, and (if your school asks)
    your student number, for its gradebook."""

    name: Line = Field(min_length=1, max_length=60)
    role: RoleName
    id_number: Line = Field("", max_length=40)


class StudyResume(RequestBody):
    """Come back to your run: the key you were given."""

    key: str = Field(min_length=1, max_length=32)


class StudyRunToken(JoinResult):
    """Your token for your own run; on beginning, the key to come back with (shown once)."""

    key: str | None = Field(None, description="Keep it: with the code it opens your run again.")


@router.post("/assignments", status_code=status.HTTP_201_CREATED, responses={429: ERRORS[429]})
async def publish(
    api: State, who: Teacher, lang: Language, request: Request, body: AssignmentCreate
) -> AssignmentPublic:
    """Publish a scenario for self-study."""
    within(api.assignments_made, person(who), said("too_many_assignments"))
    scenario, text, found = find(api, who, body.scenario, lang)
    roles_in(scenario, list(body.roles))
    assert body.opens is not None  # the validator set both
    assert body.closes is not None
    made = api.study.publish(
        who.id,
        who.org,
        body.title or scenario.text(lang)[0],
        scenario.id,
        text,
        found["version"],
        sorted(set(body.roles)),
        body.opens,
        body.closes,
        body.quiz,
    )
    return _public(api, made, request)


@router.get("/assignments")
async def assignments(api: State, who: Teacher, request: Request) -> list[AssignmentPublic]:
    """Your assignments (every one, for an admin), newest first, with each learner's run."""
    await end_closed(api)
    mine = api.study.of_teacher(None if who.role == "admin" else who.id)
    return [_public(api, a, request) for a in mine]


@router.get(
    "/assignments/{number}/results.csv",
    responses={200: {"description": "The results.", "content": {"text/csv": {}}}},
)
async def results(api: State, who: Teacher, lang: Language, number: int) -> Response:
    """Every learner's result as CSV, for a gradebook (Moodle's import maps the ID number to
    its users and the score column to a grade item): the best score, whether she passed,
    her certificate's code."""
    a = api.study.assignment(number)
    if a is None or (a.teacher != who.id and who.role != "admin"):
        raise refused(404, "no_assignment", number=number)
    t = catalogue(lang)
    rows = [
        [
            t["csv_id_number"],
            t["csv_full_name"],
            t["csv_role"],
            t["csv_attempts"],
            f"{a.title} (%)",
            t["csv_passed"],
            t["csv_certificate"],
        ]
    ]
    for run in api.study.runs(a.id):
        attempts, best, passed = _score(api, a, run)
        given = api.certificates.of("run", run.exercise)
        rows.append(
            [
                run.id_number,
                run.name,
                t["roles"].get(run.role, run.role),
                str(attempts),
                "" if best is None else shown_percent(best, lang),
                t["yes"] if passed else t["no"],
                given.code if given is not None else "",
            ]
        )
    return gradebook(rows, lang, a.code)


def gradebook(rows: list[list[str]], lang: str, code: str) -> Response:
    """Results as a spreadsheet opens them: `;` between cells in Finnish (`,` in English), a
    byte-order mark for Excel, no cell a spreadsheet would run as a formula."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if lang == "fi" else ",")
    writer.writerows([[cell(v) for v in row] for row in rows])
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{code}-results.csv"'},
    )


def _score(api: ApiState, a: Assignment, run: StudyRun) -> tuple[int, float | None, bool | None]:
    """A run's knowledge check: attempts taken, the best score, whether it passed (None:
    not taken)."""
    taken = api.quizzes.runs.of(run.exercise)
    best = max((x.percent for x in taken if x.percent is not None), default=None)
    passed = None if a.quiz is None or best is None else best >= a.quiz.pass_percent
    return len(taken), best, passed


def _public(api: ApiState, a: Assignment, request: Request) -> AssignmentPublic:
    base, _ = join_base(request, api.public_url, api.listen_host)
    runs = []
    for run in api.study.runs(a.id):
        seen = api.exercises.glance(run.exercise)
        if seen is None:
            continue
        attempts, best, passed = _score(api, a, run)
        runs.append(
            RunSeen(
                exercise=run.exercise,
                name=run.name,
                role=run.role,
                started=run.created,
                phase=seen.phase,
                time=seen.time,
                debrief=f"/debrief/{run.exercise}",
                attempts=attempts,
                best_percent=best,
                passed=passed,
            )
        )
    return AssignmentPublic(
        id=a.id,
        code=a.code,
        title=a.title,
        scenario=a.scenario,
        roles=a.roles,
        opens=a.opens,
        closes=a.closes,
        link=f"{base}/study?code={a.code}",
        quiz=a.quiz,
        runs=runs,
    )


def _assignment(api: ApiState, code: str, address: str) -> Assignment:
    """The assignment of a code (each ask counts against the address, as joining does)."""
    within(api.joins, address, said("too_many_joins"))
    found = api.study.by_code(code[:32])
    if found is None:
        raise Refusal(404, NO_SUCH_ASSIGNMENT)
    return found


def _open(a: Assignment) -> None:
    now = datetime.now(UTC)
    if not a.open_at(now):
        key = "assignment_not_yet_open" if now < a.opens else "assignment_closed"
        raise refused(409, key, opens=_shown(a.opens), closes=_shown(a.closes))


def _shown(at: datetime) -> str:
    """A moment as the refusal says it: the date and time in UTC, with its zone."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@router.get("/study/{code}", responses={429: ERRORS[429]})
async def preview(api: State, address: Address, code: str) -> StudyPreview:
    """What an assignment's code leads to: its title, the roles, when it is open."""
    a = _assignment(api, code, address)
    return StudyPreview(
        title=a.title,
        roles=a.roles,
        opens=a.opens,
        closes=a.closes,
        open=a.open_at(datetime.now(UTC)),
    )


@router.post("/study/{code}", status_code=status.HTTP_201_CREATED, responses={429: ERRORS[429]})
async def begin(
    api: State, address: Address, lang: Language, code: str, body: StudyStart
) -> StudyRunToken:
    """Begin your own run of an assignment (no account needed): it waits at its start for
    you to start it; the key in the answer brings you back to it later."""
    a = _assignment(api, code, address)
    _open(a)
    return await start_run(api, address, lang, a, body)


async def start_run(
    api: ApiState, address: str, lang: str, a: Assignment, body: StudyStart, learner: int = 0
) -> StudyRunToken:
    """A learner's new run of an open assignment (`learner`: a course learner's), within the
    lab's limits on runs."""
    if body.role not in a.roles:
        raise refused(422, "role_not_assigned", role=body.role, roles=", ".join(a.roles))
    within(api.study_begun, address, said("too_many_study_runs"))
    await end_closed(api)
    kept = api.study.open_phases()  # every server's
    if sum(1 for phase in kept if phase != "paused") >= api.limits.study_runs:
        raise too_many(60, said("study_full", most=api.limits.study_runs))
    if len(kept) >= api.limits.study_runs_kept:
        raise too_many(3600, said("study_kept_full", most=api.limits.study_runs_kept))
    teacher = api.db.user(a.teacher)
    if teacher is None:
        raise Refusal(404, NO_SUCH_ASSIGNMENT)
    scenario = scenario_from_text(a.scenario_yaml, f"{a.scenario}.yaml")
    hosted = await api.exercises.create(
        teacher,
        a.title,
        a.scenario_yaml,
        scenario.seed,
        scenario.start,
        SPEED,
        [body.role],
        f"{a.code}",
        a.scenario_version,
    )
    joined = await join_with_code(
        api,
        address,
        JoinRequest(code=hosted.row.join_code, name=body.name, role=body.role),
        hosted,
        lang,
    )
    pid = api.db.add_participant(hosted.row.id, body.name, body.role)  # the one just joined
    key = api.study.begin(hosted.row.id, a.id, pid, body.name, body.role, body.id_number, learner)
    return StudyRunToken(**joined.model_dump(), key=key)


@router.post("/study/{code}/resume", responses={429: ERRORS[429]})
async def resume(
    api: State, address: Address, lang: Language, code: str, body: StudyResume
) -> StudyRunToken:
    """Come back to your run with the assignment's code and your key: a new token for it."""
    a = _assignment(api, code, address)
    _open(a)
    run: StudyRun | None = api.study.by_key(a.id, body.key)
    if run is None:
        raise refused(404, "no_such_study_run")
    return await run_token(api, run, lang)


async def run_token(api: ApiState, run: StudyRun, lang: str) -> StudyRunToken:
    """A new token for a learner's run (she came back)."""
    hosted = await api.exercises.find(run.exercise)
    if hosted is None:
        raise refused(404, "no_such_study_run")
    who = Principal(
        "participant", run.participant, "student", hosted.row.org, run.name, run.exercise, run.role
    )
    token, seconds = issue(who, api.key, api.token_hours)
    return StudyRunToken(
        access_token=token,
        expires_in=seconds,
        exercise=run.exercise,
        role=run.role,
        home=hosted.live.setup.home_id,
        briefing=briefing(hosted, run.role, lang),
    )


async def end_closed(api: ApiState) -> None:
    """End the runs of assignments that have closed: what they hold goes, their debriefs
    stay."""
    now = datetime.now(UTC)
    for hosted in list(api.exercises.hosted.values()):
        if hosted.live.phase == "ended":
            continue
        run = api.study.run(hosted.row.id)
        found = api.study.assignment(run.assignment) if run is not None else None
        if found is not None and now >= found.closes:
            await api.exercises.call(partial(hosted.live.control, "end", {}, "lab"))


async def pause_when_alone(api: ApiState, exercise: int) -> None:
    """A learner who leaves her run (its last live feed closes) finds it where she left it:
    a running self-study run is paused."""
    hosted = api.exercises.get(exercise)
    if hosted is None or hosted.live.phase != "running" or api.study.run(exercise) is None:
        return
    await api.exercises.call(partial(hosted.live.control, "pause", {}, "lab"))
