"""The course routes' bodies and answers: a course as the teacher makes and follows it, and as
a learner enrols, reads, runs and takes its test (routes/courses.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from mewet.api.models import Line, RequestBody, Text
from mewet.api.routes.knowledge import AnswerSheet, AttemptSeen
from mewet.api.routes.study import window
from mewet.exercises.courses import FinalTest
from mewet.knowledge.bank import BANK_ID
from mewet.knowledge.quiz import QuizRules
from mewet.scenarios.scenario import RoleName


class MaterialIn(BaseModel):
    """A page to read: its title and text (an empty line starts a new paragraph)."""

    kind: Literal["material"]
    title: Line = Field(min_length=1, max_length=120)
    text: Text = Field(min_length=1, max_length=20_000)


class ScenarioIn(BaseModel):
    """A scenario to run alone, in one of the roles given."""

    kind: Literal["scenario"]
    scenario: str = Field(min_length=1, max_length=64)
    roles: list[RoleName] = Field(min_length=1, max_length=8)


class TestIn(QuizRules):
    """The final test: the rules, and the banks it draws from (unless said: the banks that go
    with the course's scenarios)."""

    questions: int = Field(40, ge=1, le=40, description="Questions drawn for each attempt.")
    banks: list[Annotated[str, Field(pattern=BANK_ID)]] | None = Field(None, max_length=50)


class CourseCreate(RequestBody):
    """A course: its steps in order (material pages and scenarios), its final test, and when
    it is open (from now, for 30 days, unless said)."""

    title: Line = Field(min_length=1, max_length=120)
    steps: list[Annotated[MaterialIn | ScenarioIn, Field(discriminator="kind")]] = Field(
        min_length=1, max_length=20
    )
    test: TestIn = Field(default_factory=TestIn)
    opens: AwareDatetime | None = None
    closes: AwareDatetime | None = None

    @model_validator(mode="after")
    def _dates(self) -> CourseCreate:
        self.opens, self.closes = window(self.opens, self.closes)
        return self


class StepRun(BaseModel):
    """A learner's run of a scenario step."""

    step: int
    exercise: int
    role: str
    phase: str
    debrief: str = Field(description="The run's debrief page (her KPIs).")


class TestResult(BaseModel):
    attempts: int
    best_percent: float | None
    passed: bool | None = Field(description="None: not taken yet.")
    certificate: str | None


class LearnerSeen(TestResult):
    """A learner's progress, as her teacher sees it."""

    name: str
    id_number: str
    enrolled: datetime
    read: int = Field(description="Material pages she has marked read.")
    runs: list[StepRun]
    runs_done: int = Field(description="Scenario steps whose run has ended.")


class StepSeen(BaseModel):
    kind: Literal["material", "scenario"]
    title: str
    roles: list[str] = Field(default_factory=list)


class CoursePublic(BaseModel):
    """A course, its link for learners and every learner's progress."""

    id: int
    code: str
    title: str
    opens: datetime
    closes: datetime
    link: str = Field(description="The page a learner opens (the code filled in).")
    steps: list[StepSeen]
    test: FinalTest
    scenarios: int = Field(description="Scenario steps, each to be run to its end.")
    learners: list[LearnerSeen]


class CoursePreview(BaseModel):
    """What a course's code leads to, before enrolling."""

    title: str
    opens: datetime
    closes: datetime
    open: bool
    steps: list[StepSeen]
    test: QuizRules


class Enrol(RequestBody):
    """Enrol on a course: your name and (if your school asks) your student number."""

    name: Line = Field(min_length=1, max_length=60)
    id_number: Line = Field("", max_length=40)


class LearnerKey(RequestBody):
    """Your key to the course (given when you enrolled)."""

    key: str = Field(min_length=1, max_length=32)


class StepStart(LearnerKey):
    role: RoleName


class TestAnswers(LearnerKey, AnswerSheet):
    pass


class StepProgress(StepSeen):
    """A step as its learner sees it: a page's text and whether she read it, a scenario's
    run."""

    text: str = ""
    done: bool
    run: StepRun | None = None


class Progress(TestResult):
    """Where a learner is on her course."""

    title: str
    name: str
    closes: datetime
    open: bool
    steps: list[StepProgress]
    test: QuizRules
    test_open: bool = Field(description="Every scenario's run has ended: the test may begin.")
    tries: list[AttemptSeen]
    left: int = Field(description="Attempts still to take.")


class Enrolled(Progress):
    key: str = Field(description="Keep it: with the code it brings you back to the course.")
