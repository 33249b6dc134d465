"""Knowledge checks: the question banks (the lab's and a school's, out and in as Moodle's
GIFT), and a learner's test on her self-study run: drawn, answered, marked with feedback per
answer, against the assignment's pass mark and attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from mewet.api.deps import ApiState, Current, KnownQuery, Language, State, Teacher, Visible, person
from mewet.api.models import ERRORS, Line, RequestBody
from mewet.api.refusals import Refusal, refused, within
from mewet.api.routes.debriefs import replayed
from mewet.api.security import Principal
from mewet.exercises.certificates import Kind
from mewet.exercises.hosted import Hosted
from mewet.exercises.quizzes import Attempt, Attempts
from mewet.exercises.study import StudyRun
from mewet.knowledge.bank import BANK_ID, Bank, Question, Words, in_other_language, lab_banks
from mewet.knowledge.gift import MAX_GIFT_BYTES, export, parse
from mewet.knowledge.quiz import Marked, QuizRules, run_questions
from mewet.texts import said, say

router = APIRouter(prefix="/api", tags=["knowledge"], responses=ERRORS, dependencies=[KnownQuery])
GRACE = timedelta(seconds=30)
"""Answers sent this long after an attempt's time is up still count (a slow connection)."""


class BankSeen(BaseModel):
    """A question bank: whose, what it is about, the scenarios it goes with."""

    id: str
    title: str
    source: Literal["lab", "school"]
    scenarios: Literal["all"] | list[str]
    questions: int


class BankImport(RequestBody):
    """A school's bank from GIFT text (Moodle's export, or written by hand), in one language."""

    id: str = Field(pattern=BANK_ID)
    title: Line = Field(min_length=1, max_length=120)
    scenarios: Literal["all"] | list[str] = Field("all", max_length=50)
    lang: Literal["fi", "en"]
    gift: str = Field(min_length=1, max_length=MAX_GIFT_BYTES)


class GiftProblem(BaseModel):
    line: int
    problem: str


class BankImported(BaseModel):
    """What the GIFT gave: the questions kept, and what could not be read, line by line."""

    id: str
    questions: int
    translated: int = Field(
        0,
        description="Questions of your bank that got this language (the same bank given in "
        "its other language: the same titles, the same answers right).",
    )
    problems: list[GiftProblem]


@router.get("/knowledge/banks")
async def banks(api: State, who: Teacher, lang: Language) -> list[BankSeen]:
    """The lab's banks and your school's."""
    return [
        BankSeen(
            id=b.id,
            title=b.title.in_(lang),
            source=source,
            scenarios=b.scenarios,
            questions=len(b.questions),
        )
        for source, found in (("lab", lab_banks().values()), ("school", _school(api, who.org)))
        for b in found
    ]


def _school(api: ApiState, org: str) -> list[Bank]:
    return api.quizzes.school_banks(org)


@router.get(
    "/knowledge/banks/{bank}/gift",
    responses={200: {"description": "The bank in GIFT.", "content": {"text/plain": {}}}},
)
async def gift(api: State, who: Teacher, bank: str, lang: Literal["fi", "en"] = "fi") -> Response:
    """A bank as Moodle's GIFT, in one language: import it in Moodle's question bank."""
    found = lab_banks().get(bank) or next((b for b in _school(api, who.org) if b.id == bank), None)
    if found is None:
        raise refused(404, "no_bank", bank=bank[:63])
    return Response(
        export(found, lang),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{found.id}-{lang}.gift.txt"'},
    )


@router.post("/knowledge/banks", status_code=status.HTTP_201_CREATED, responses={429: ERRORS[429]})
async def import_bank(api: State, who: Teacher, lang: Language, body: BankImport) -> BankImported:
    """Your school's bank from GIFT: its multiple-choice questions are kept (again with the
    same id: in place of the earlier); what is not multiple choice is said, with its line."""
    within(api.uploads, person(who), said("too_many_bank_imports"))
    if body.id in lab_banks():
        raise refused(409, "bank_is_the_labs", bank=body.id)
    found = parse(body.gift, body.lang, body.id)
    problems = [GiftProblem(line=n, problem=say(p, lang)) for n, p in found.problems]
    if not found.questions:
        raise refused(
            422, "gift_nothing", problems="; ".join(f"{p.line}: {p.problem}" for p in problems[:5])
        )
    bank = Bank(
        id=body.id,
        title=Words(**{body.lang: body.title}),
        scenarios=body.scenarios,
        questions=found.questions,
    )
    translated = 0
    kept = next((b for b in _school(api, who.org) if b.id == body.id), None)
    both = in_other_language(kept, bank, body.lang) if kept is not None else None
    if both is not None:
        merged, translated = both
        bank = merged.model_copy(update={"scenarios": body.scenarios})
    api.quizzes.keep_bank(who.org, bank)
    return BankImported(
        id=bank.id, questions=len(bank.questions), translated=translated, problems=problems
    )


# -- a learner's test ---------------------------------------------------------------------


class AskedChoice(BaseModel):
    text: str


class Asked(BaseModel):
    """A question as the learner sees it: no answer marked."""

    id: str
    text: str
    several: bool = Field(description="More than one answer is right: choose all that apply.")
    choices: list[AskedChoice]


class AttemptSeen(BaseModel):
    n: int
    started: datetime
    deadline: datetime | None
    finished: bool
    percent: float | None = Field(description="The share right, in percent, to a tenth.")
    passed: bool | None


class QuizSeen(BaseModel):
    """The run's test: its rules and the attempts so far."""

    rules: QuizRules
    attempts: list[AttemptSeen]
    left: int = Field(description="Attempts still to take.")


class AttemptAsked(AttemptSeen):
    questions: list[Asked]


class AnswerSheet(RequestBody):
    """Per question id, the positions of the answers chosen (0: the first shown)."""

    answers: dict[str, list[int]] = Field(max_length=40)


class MarkedQuestion(BaseModel):
    id: str
    text: str
    right: bool
    chosen: list[int]
    right_answers: list[int]
    feedback: list[str] = Field(description="What each answer chosen tells, in order.")


class AttemptMarked(AttemptSeen):
    right: int
    of: int
    questions: list[MarkedQuestion]
    certificate: str | None = Field(
        None, description="Passed: the code of your certificate (its page: /certificate/CODE)."
    )


def _run(api: ApiState, hosted: Hosted, who: Principal) -> tuple[StudyRun, QuizRules]:
    run = api.study.run(hosted.row.id)
    a = api.study.assignment(run.assignment) if run is not None else None
    if run is None or a is None or a.quiz is None:
        raise refused(404, "no_quiz")
    if who.kind != "participant":
        raise refused(403, "quiz_is_the_learners")
    return run, a.quiz


def seen_attempt(a: Attempt, rules: QuizRules) -> AttemptSeen:
    """An attempt as its learner sees it: passed or not against the rules."""
    return AttemptSeen(
        n=a.n,
        started=a.started,
        deadline=a.deadline,
        finished=a.finished,
        percent=a.percent,
        passed=a.percent >= rules.pass_percent if a.percent is not None else None,
    )


@router.get("/exercises/{exercise_id}/quiz")
async def quiz(api: State, who: Current, hosted: Visible) -> QuizSeen:
    """Your run's knowledge check: its rules and your attempts."""
    run, rules = _run(api, hosted, who)
    done = api.quizzes.runs.of(run.exercise)
    return QuizSeen(
        rules=rules,
        attempts=[seen_attempt(a, rules) for a in done],
        left=max(0, rules.attempts - len(done)),
    )


@router.post("/exercises/{exercise_id}/quiz", status_code=status.HTTP_201_CREATED)
async def begin(api: State, who: Current, hosted: Visible, lang: Language) -> AttemptAsked:
    """Begin an attempt (or go on with the one begun): its questions, answers shuffled."""
    run, rules = _run(api, hosted, who)
    a = api.study.assignment(run.assignment)
    assert a is not None
    pool = api.quizzes.pool(a.org, a.scenario)
    own = await _own(api, who, hosted)
    return going_on(api.quizzes.runs, run.exercise, rules, pool, lang, own)


def going_on(
    attempts: Attempts,
    holder: int,
    rules: QuizRules,
    pool: list[Question],
    lang: str,
    own: tuple[Question, ...] = (),
) -> AttemptAsked:
    """The attempt going on, or a new one while attempts are left: its questions."""
    done = attempts.of(holder)
    for over in (x for x in done if not x.finished and late(x)):
        attempts.finish(over, pool, {})  # time ran out with nothing sent: it counts, as 0 %
    going = next((x for x in done if not x.finished and not late(x)), None)
    if going is None:
        if len(done) >= rules.attempts:
            raise refused(409, "no_attempts_left", attempts=rules.attempts)
        going = attempts.begin(holder, rules, pool, own)
    pool_by = {q.id: q for q in pool}
    questions = [
        Asked(
            id=d.id,
            text=q.text.in_(lang),
            several=q.several,
            choices=[AskedChoice(text=q.choices[i].words.in_(lang)) for i in d.order],
        )
        for d in going.asked
        if (q := d.question or pool_by.get(d.id)) is not None
    ]
    return AttemptAsked(**seen_attempt(going, rules).model_dump(), questions=questions)


async def _own(api: ApiState, who: Principal, hosted: Hosted) -> tuple[Question, ...]:
    """Questions about her own run, once it has ended, marked from its debrief: how long
    help took to come, how long she lay on the floor."""
    if hosted.live.phase != "ended":
        return ()
    found = await replayed(api, who, api.exercises.replayed.debrief(hosted, None))
    return run_questions(found["kpis"])


def late(a: Attempt) -> bool:
    return a.deadline is not None and datetime.now(UTC) > a.deadline + GRACE


@router.post("/exercises/{exercise_id}/quiz/{n}")
async def answer(
    api: State, who: Current, hosted: Visible, lang: Language, n: int, body: AnswerSheet
) -> AttemptMarked:
    """Send your answers: each question marked, with what your answers tell."""
    run, rules = _run(api, hosted, who)
    a = api.study.assignment(run.assignment)
    assert a is not None
    pool = api.quizzes.pool(a.org, a.scenario)
    return answered(
        api, api.quizzes.runs, run.exercise, n, rules, pool, body, lang, ("run", run.name, a.title)
    )


def answered(
    api: ApiState,
    attempts: Attempts,
    holder: int,
    n: int,
    rules: QuizRules,
    pool: list[Question],
    body: AnswerSheet,
    lang: str,
    certified: tuple[Kind, str, str],
) -> AttemptMarked:
    """Attempt `n` marked with the answers sent; a pass issues the certificate (`certified`:
    its kind, the learner's name, what it is for)."""
    attempt = next((x for x in attempts.of(holder) if x.n == n), None)
    if attempt is None:
        raise refused(404, "no_attempt", n=n)
    if attempt.finished:
        raise refused(409, "attempt_answered", n=n)
    if late(attempt):
        raise Refusal(409, said("attempt_late", n=n))
    answers = {k[:63]: v[:10] for k, v in body.answers.items()}
    marked = attempts.finish(attempt, pool, answers)
    done = next(x for x in attempts.of(holder) if x.n == n)
    seen = seen_attempt(done, rules)
    certificate = None
    if seen.passed and done.percent is not None:
        kind, name, title = certified
        certificate = api.certificates.issue(kind, holder, name, title, done.percent).code
    return AttemptMarked(
        **seen.model_dump(),
        right=sum(m.right for m in marked),
        of=len(marked),
        questions=[marked_question(m, lang) for m in marked],
        certificate=certificate,
    )


def marked_question(m: Marked, lang: str) -> MarkedQuestion:
    said_back = []
    for pos in sorted(m.chosen):
        told = m.question.choices[m.order[pos]].feedback
        if told is not None:
            said_back.append(told.in_(lang))
    return MarkedQuestion(
        id=m.question.id,
        text=m.question.text.in_(lang),
        right=m.right,
        chosen=sorted(m.chosen),
        right_answers=sorted(m.right_positions),
        feedback=said_back,
    )
