"""Courses: a teacher puts material pages, scenarios and a final test together and opens the
course for a period (30 days unless she says); a learner enrols with its code and her name,
reads the pages, runs each scenario alone in a role, takes the final test once her runs have
ended, and gets the course's certificate when she passes. The teacher sees every learner's
progress and exports the results for a gradebook.

A learner has no account: she holds the course's code and the key she was given when she
enrolled (sent in the body, never in a URL). A wrong code or key counts against her address,
as a wrong join code does; the right ones do not, so a class behind one school address can
follow its courses."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response, status

from mewet.api.course_models import (
    CourseCreate,
    CoursePreview,
    CoursePublic,
    Enrol,
    Enrolled,
    LearnerKey,
    LearnerSeen,
    MaterialIn,
    Progress,
    ScenarioIn,
    StepProgress,
    StepRun,
    StepSeen,
    StepStart,
    TestAnswers,
    TestResult,
)
from mewet.api.deps import Address, ApiState, KnownQuery, Language, State, Teacher, person
from mewet.api.models import ERRORS
from mewet.api.public import join_base
from mewet.api.refusals import Refusal, refused, within
from mewet.api.routes.knowledge import (
    AttemptAsked,
    AttemptMarked,
    answered,
    going_on,
    seen_attempt,
)
from mewet.api.routes.scenarios import find, roles_in
from mewet.api.routes.study import (
    StudyRunToken,
    StudyStart,
    gradebook,
    run_token,
    start_run,
)
from mewet.api.security import Principal
from mewet.exercises.certificates import shown_percent
from mewet.exercises.courses import Course, FinalTest, Learner, Material, Plan, ScenarioStep
from mewet.knowledge.quiz import QuizRules
from mewet.texts import catalogue, said

router = APIRouter(prefix="/api", tags=["courses"], responses=ERRORS, dependencies=[KnownQuery])
NO_SUCH_COURSE = said("no_such_course")


# -- the teacher ---------------------------------------------------------------------------


@router.post("/courses", status_code=status.HTTP_201_CREATED, responses={429: ERRORS[429]})
async def make(
    api: State, who: Teacher, lang: Language, request: Request, body: CourseCreate
) -> CoursePublic:
    """Open a course: every scenario step becomes an assignment of the course's own, kept as
    the scenario is now."""
    within(api.assignments_made, person(who), said("too_many_assignments"))
    found = []
    for step in body.steps:
        if isinstance(step, ScenarioIn):
            scenario, text, public = find(api, who, step.scenario, lang)
            roles_in(scenario, list(step.roles))
            found.append((step, scenario, text, public["version"]))
    banks = body.test.banks
    if banks is None:
        ids = {s.id for _, s, _, _ in found}
        banks = [
            b.id
            for b in api.quizzes.banks(who.org)
            if b.scenarios == "all" or ids & set(b.scenarios)
        ]
    known = {b.id for b in api.quizzes.banks(who.org)}
    for bank in banks:
        if bank not in known:
            raise refused(422, "no_bank", bank=bank)
    pool = api.quizzes.pool_of(who.org, banks)
    if len(pool) < body.test.questions:
        raise refused(422, "course_test_too_few", questions=body.test.questions, pool=len(pool))
    assert body.opens is not None  # the validator set both
    assert body.closes is not None
    rules = body.test.model_dump(exclude={"banks"})
    test = FinalTest(**rules, banks=sorted(banks))
    course = api.courses.make(
        who.id, who.org, body.title, body.opens, body.closes, Plan(steps=[], test=test)
    )
    steps: list[Material | ScenarioStep] = []
    scenarios = iter(found)
    for step in body.steps:
        if isinstance(step, MaterialIn):
            steps.append(Material(title=step.title, text=step.text))
            continue
        _, scenario, text, version = next(scenarios)
        a = api.study.publish(
            who.id,
            who.org,
            scenario.text(lang)[0],
            scenario.id,
            text,
            version,
            sorted(set(step.roles)),
            body.opens,
            body.closes,
            course=course.id,
        )
        steps.append(
            ScenarioStep(
                title=scenario.title,
                title_fi=scenario.text("fi")[0],
                scenario=scenario.id,
                roles=a.roles,
                assignment=a.id,
            )
        )
    api.courses.set_plan(course.id, Plan(steps=steps, test=test))
    made = api.courses.course(course.id)
    assert made is not None
    return _public(api, made, request, lang)


@router.get("/courses")
async def courses(api: State, who: Teacher, lang: Language, request: Request) -> list[CoursePublic]:
    """Your courses (every one, for an admin), newest first, with each learner's progress."""
    mine = api.courses.of_teacher(None if who.role == "admin" else who.id)
    return [_public(api, c, request, lang) for c in mine]


def _mine(api: ApiState, who: Principal, number: int) -> Course:
    c = api.courses.course(number)
    if c is None or (c.teacher != who.id and who.role != "admin"):
        raise refused(404, "no_course", number=number)
    return c


@router.get(
    "/courses/{number}/results.csv",
    responses={200: {"description": "The results.", "content": {"text/csv": {}}}},
)
async def results(api: State, who: Teacher, lang: Language, number: int) -> Response:
    """Every learner's progress and final test as CSV, for a gradebook (Moodle's import maps
    the ID number to its users and the score column to a grade item)."""
    c = _mine(api, who, number)
    t = catalogue(lang)
    rows = [
        [
            t["csv_id_number"],
            t["csv_full_name"],
            t["csv_runs_done"],
            t["csv_read"],
            t["csv_attempts"],
            f"{c.title} (%)",
            t["csv_passed"],
            t["csv_certificate"],
        ]
    ]
    scenarios, pages = len(c.scenario_steps), len(c.plan.steps) - len(c.scenario_steps)
    for seen in (_learner_seen(api, c, learner) for learner in api.courses.learners(c.id)):
        rows.append(
            [
                seen.id_number,
                seen.name,
                f"{seen.runs_done}/{scenarios}",
                f"{seen.read}/{pages}",
                str(seen.attempts),
                "" if seen.best_percent is None else shown_percent(seen.best_percent, lang),
                "" if seen.passed is None else t["yes"] if seen.passed else t["no"],
                seen.certificate or "",
            ]
        )
    return gradebook(rows, lang, c.code)


def _steps(c: Course, lang: str) -> list[StepSeen]:
    return [
        StepSeen(
            kind=s.kind,
            title=c.title_of(s, lang),
            roles=s.roles if isinstance(s, ScenarioStep) else [],
        )
        for s in c.plan.steps
    ]


def _public(api: ApiState, c: Course, request: Request, lang: str) -> CoursePublic:
    base, _ = join_base(request, api.public_url, api.listen_host)
    return CoursePublic(
        id=c.id,
        code=c.code,
        title=c.title,
        opens=c.opens,
        closes=c.closes,
        link=f"{base}/course?code={c.code}",
        steps=_steps(c, lang),
        test=c.plan.test,
        scenarios=len(c.scenario_steps),
        learners=[_learner_seen(api, c, learner) for learner in api.courses.learners(c.id)],
    )


def _runs(api: ApiState, c: Course, learner: Learner) -> dict[int, StepRun]:
    """Her run of each scenario step (by the step's place), those she has begun."""
    steps = {s.assignment: i for i, s in c.scenario_steps}
    out = {}
    for run in api.study.of_learner(learner.id):
        seen = api.exercises.glance(run.exercise)
        i = steps.get(run.assignment)
        if seen is None or i is None:
            continue
        out[i] = StepRun(
            step=i,
            exercise=run.exercise,
            role=run.role,
            phase=seen.phase,
            debrief=f"/debrief/{run.exercise}",
        )
    return out


def _result(api: ApiState, c: Course, learner: Learner) -> TestResult:
    taken = api.quizzes.courses.of(learner.id)
    best = max((x.percent for x in taken if x.percent is not None), default=None)
    given = api.certificates.of("course", learner.id)
    return TestResult(
        attempts=len(taken),
        best_percent=best,
        passed=None if best is None else best >= c.plan.test.pass_percent,
        certificate=given.code if given is not None else None,
    )


def _learner_seen(api: ApiState, c: Course, learner: Learner) -> LearnerSeen:
    runs = _runs(api, c, learner)
    return LearnerSeen(
        **_result(api, c, learner).model_dump(),
        name=learner.name,
        id_number=learner.id_number,
        enrolled=learner.created,
        read=len(learner.read),
        runs=list(runs.values()),
        runs_done=sum(r.phase == "ended" for r in runs.values()),
    )


# -- the learner ---------------------------------------------------------------------------


def _course(api: ApiState, code: str, address: str) -> Course:
    """The course of a code (each ask counts against the address, as joining does)."""
    within(api.joins, address, said("too_many_joins"))
    found = api.courses.by_code(code[:32])
    if found is None:
        raise Refusal(404, NO_SUCH_COURSE)
    return found


def _learner(api: ApiState, code: str, key: str, address: str) -> tuple[Course, Learner]:
    """The course and its learner by her key; only a wrong code or key counts against the
    address."""
    c = api.courses.by_code(code[:32])
    learner = api.courses.by_key(c.id, key) if c is not None else None
    if c is None or learner is None:
        within(api.joins, address, said("too_many_joins"))
        raise Refusal(404, said("no_such_learner"))
    return c, learner


def _open(c: Course) -> None:
    now = datetime.now(UTC)
    if not c.open_at(now):
        key = "course_not_yet_open" if now < c.opens else "course_closed"
        shown = "%Y-%m-%d %H:%M UTC"
        raise refused(
            409,
            key,
            opens=c.opens.astimezone(UTC).strftime(shown),
            closes=c.closes.astimezone(UTC).strftime(shown),
        )


@router.get("/course/{code}", responses={429: ERRORS[429]})
async def preview(api: State, address: Address, lang: Language, code: str) -> CoursePreview:
    """What a course's code leads to: its title, steps and test, when it is open."""
    c = _course(api, code, address)
    rules = c.plan.test.model_dump(exclude={"banks"})
    return CoursePreview(
        title=c.title,
        opens=c.opens,
        closes=c.closes,
        open=c.open_at(datetime.now(UTC)),
        steps=_steps(c, lang),
        test=QuizRules(**rules),
    )


@router.post("/course/{code}", status_code=status.HTTP_201_CREATED, responses={429: ERRORS[429]})
async def enrol(api: State, address: Address, lang: Language, code: str, body: Enrol) -> Enrolled:
    """Enrol on a course (no account needed); the key in the answer brings you back."""
    c = _course(api, code, address)
    _open(c)
    within(api.study_begun, address, said("too_many_study_runs"))
    learner, key = api.courses.enrol(c.id, body.name, body.id_number)
    return Enrolled(**_progress(api, c, learner, lang).model_dump(), key=key)


@router.post("/course/{code}/me", responses={429: ERRORS[429]})
async def me(api: State, address: Address, lang: Language, code: str, body: LearnerKey) -> Progress:
    """Where you are on the course (with your key)."""
    c, learner = _learner(api, code, body.key, address)
    return _progress(api, c, learner, lang)


def _step(c: Course, n: int) -> Material | ScenarioStep:
    if not 0 <= n < len(c.plan.steps):
        raise refused(404, "no_step", n=n)
    return c.plan.steps[n]


@router.post("/course/{code}/steps/{n}/read", responses={429: ERRORS[429]})
async def read(
    api: State, address: Address, lang: Language, code: str, n: int, body: LearnerKey
) -> Progress:
    """Mark a material page read."""
    c, learner = _learner(api, code, body.key, address)
    if not isinstance(_step(c, n), Material):
        raise refused(422, "step_not_material", n=n)
    api.courses.mark_read(learner, n)
    found = api.courses.learner(learner.id)
    assert found is not None
    return _progress(api, c, found, lang)


@router.post("/course/{code}/steps/{n}/run", responses={429: ERRORS[429]})
async def run(
    api: State, address: Address, lang: Language, code: str, n: int, body: StepStart
) -> StudyRunToken:
    """Your run of a scenario step: begun now in the role you choose, or (begun before) the
    one you left, where you left it."""
    c, learner = _learner(api, code, body.key, address)
    _open(c)
    step = _step(c, n)
    if not isinstance(step, ScenarioStep):
        raise refused(422, "step_not_scenario", n=n)
    mine = next(
        (r for r in api.study.of_learner(learner.id) if r.assignment == step.assignment), None
    )
    if mine is not None and await api.exercises.find(mine.exercise) is not None:
        return await run_token(api, mine, lang)
    a = api.study.assignment(step.assignment)
    assert a is not None
    # her name and number were checked when she enrolled
    start = StudyStart.model_construct(
        name=learner.name, role=body.role, id_number=learner.id_number
    )
    return await start_run(api, address, lang, a, start, learner.id)


def _test_open(api: ApiState, c: Course, learner: Learner) -> bool:
    runs = _runs(api, c, learner)
    return all(i in runs and runs[i].phase == "ended" for i, _ in c.scenario_steps)


@router.post("/course/{code}/test", status_code=status.HTTP_201_CREATED)
async def test(
    api: State, address: Address, lang: Language, code: str, body: LearnerKey
) -> AttemptAsked:
    """Begin an attempt at the final test (or go on with the one begun), once every
    scenario's run has ended."""
    c, learner = _learner(api, code, body.key, address)
    _open(c)
    if not _test_open(api, c, learner):
        raise refused(409, "course_runs_first")
    pool = api.quizzes.pool_of(c.org, c.plan.test.banks)
    return going_on(api.quizzes.courses, learner.id, c.plan.test, pool, lang)


@router.post("/course/{code}/test/{n}")
async def answer(
    api: State, address: Address, lang: Language, code: str, n: int, body: TestAnswers
) -> AttemptMarked:
    """Send your answers to attempt `n`: each question marked, with what your answers tell;
    a pass gives the course's certificate."""
    c, learner = _learner(api, code, body.key, address)
    pool = api.quizzes.pool_of(c.org, c.plan.test.banks)
    return answered(
        api,
        api.quizzes.courses,
        learner.id,
        n,
        c.plan.test,
        pool,
        body,
        lang,
        ("course", learner.name, c.title),
    )


def _progress(api: ApiState, c: Course, learner: Learner, lang: str) -> Progress:
    runs = _runs(api, c, learner)
    steps = []
    for i, s in enumerate(c.plan.steps):
        if isinstance(s, Material):
            steps.append(
                StepProgress(kind="material", title=s.title, text=s.text, done=i in learner.read)
            )
        else:
            got = runs.get(i)
            steps.append(
                StepProgress(
                    kind="scenario",
                    title=c.title_of(s, lang),
                    roles=s.roles,
                    done=got is not None and got.phase == "ended",
                    run=got,
                )
            )
    rules = c.plan.test
    taken = api.quizzes.courses.of(learner.id)
    return Progress(
        **_result(api, c, learner).model_dump(),
        title=c.title,
        name=learner.name,
        closes=c.closes,
        open=c.open_at(datetime.now(UTC)),
        steps=steps,
        test=QuizRules(**rules.model_dump(exclude={"banks"})),
        test_open=_test_open(api, c, learner),
        tries=[seen_attempt(x, rules) for x in taken],
        left=max(0, rules.attempts - len(taken)),
    )
