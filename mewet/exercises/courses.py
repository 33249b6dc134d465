"""Courses: a teacher puts material pages, scenarios and a final test together and opens
the course for a period; a learner enrols with its code and her name, reads, runs each
scenario alone (a self-study run: every scenario step is an assignment of the course's own),
takes the final test, and gets the course's certificate when she passes.

A course keeps its plan as it was made (the scenarios' texts in their assignments), so a
later edit of a scenario does not change a course that has learners. A learner's key to come
back is kept as a hash only, as a self-study run's is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mewet.exercises.db import AppDb, Row
from mewet.exercises.study import key_hash, new_code
from mewet.knowledge.quiz import QuizRules


class Material(BaseModel):
    """A page to read: a title and its text (paragraphs split by an empty line)."""

    kind: Literal["material"] = "material"
    title: str
    text: str


class ScenarioStep(BaseModel):
    """A scenario to run alone, in one of its roles (the course's assignment for it)."""

    kind: Literal["scenario"] = "scenario"
    title: str
    title_fi: str
    """The scenario's title in Finnish (its English one where it has none)."""
    scenario: str
    roles: list[str]
    assignment: int


Step = Annotated[Material | ScenarioStep, Field(discriminator="kind")]


class FinalTest(QuizRules):
    """The course's final test: drawn from the banks named."""

    banks: list[str]


class Plan(BaseModel):
    """What a course holds, in order, and its final test."""

    steps: list[Step]
    test: FinalTest


@dataclass(frozen=True, slots=True)
class Course:
    id: int
    teacher: int
    org: str
    title: str
    code: str
    opens: datetime
    closes: datetime
    created: datetime
    plan: Plan

    def open_at(self, now: datetime) -> bool:
        """Whether learners may enrol or go on now."""
        return self.opens <= now < self.closes

    def title_of(self, step: Material | ScenarioStep, lang: str) -> str:
        """A step's title as a page in `lang` shows it (a page: as its teacher wrote it)."""
        if isinstance(step, ScenarioStep) and lang == "fi":
            return step.title_fi
        return step.title

    @property
    def scenario_steps(self) -> list[tuple[int, ScenarioStep]]:
        return [(i, s) for i, s in enumerate(self.plan.steps) if isinstance(s, ScenarioStep)]


@dataclass(frozen=True, slots=True)
class Learner:
    """One learner enrolled on a course."""

    id: int
    course: int
    name: str
    id_number: str
    created: datetime
    read: frozenset[int]
    """The material steps she has marked read."""


class Courses:
    """The courses and their learners, in the lab's database."""

    def __init__(self, db: AppDb) -> None:
        self.db = db

    def make(
        self,
        teacher: int,
        org: str,
        title: str,
        opens: datetime,
        closes: datetime,
        plan: Plan,
    ) -> Course:
        """A new course with a fresh code."""
        n = self.db.write(
            "INSERT INTO courses (teacher, org, title, code, opens, closes, created, plan) "
            "VALUES (?,?,?,?,?,?,?,?) RETURNING id",
            (
                teacher,
                org,
                title,
                new_code(),
                opens.isoformat(),
                closes.isoformat(),
                datetime.now(UTC).isoformat(),
                plan.model_dump_json(),
            ),
        )
        made = self.course(n)
        assert made is not None
        return made

    def set_plan(self, course: int, plan: Plan) -> None:
        """The course's steps, once its scenario steps' assignments are made."""
        self.db.write("UPDATE courses SET plan = ? WHERE id = ?", (plan.model_dump_json(), course))

    def course(self, number: int) -> Course | None:
        row = self.db.one("SELECT * FROM courses WHERE id = ?", (number,))
        return _course(row) if row is not None else None

    def by_code(self, code: str) -> Course | None:
        row = self.db.one("SELECT * FROM courses WHERE code = ?", (code.strip().upper(),))
        return _course(row) if row is not None else None

    def of_teacher(self, teacher: int | None) -> list[Course]:
        """A teacher's courses (every one, for None: an admin), newest first."""
        if teacher is None:
            rows = self.db.rows("SELECT * FROM courses ORDER BY id DESC")
        else:
            rows = self.db.rows(
                "SELECT * FROM courses WHERE teacher = ? ORDER BY id DESC", (teacher,)
            )
        return [_course(r) for r in rows]

    def enrol(self, course: int, name: str, id_number: str) -> tuple[Learner, str]:
        """A new learner on the course, and the key she comes back with."""
        key = new_code(12)
        n = self.db.write(
            "INSERT INTO course_learners (course, name, id_number, key_hash, created) "
            "VALUES (?,?,?,?,?) RETURNING id",
            (course, name, id_number, key_hash(key), datetime.now(UTC).isoformat()),
        )
        found = self.learner(n)
        assert found is not None
        return found, key

    def learner(self, number: int) -> Learner | None:
        row = self.db.one("SELECT * FROM course_learners WHERE id = ?", (number,))
        return _learner(row) if row is not None else None

    def by_key(self, course: int, key: str) -> Learner | None:
        row = self.db.one(
            "SELECT * FROM course_learners WHERE course = ? AND key_hash = ?",
            (course, key_hash(key)),
        )
        return _learner(row) if row is not None else None

    def learners(self, course: int) -> list[Learner]:
        rows = self.db.rows("SELECT * FROM course_learners WHERE course = ? ORDER BY id", (course,))
        return [_learner(r) for r in rows]

    def mark_read(self, learner: Learner, step: int) -> None:
        self.db.write(
            "UPDATE course_learners SET read = ? WHERE id = ?",
            (json.dumps(sorted(learner.read | {step})), learner.id),
        )


def _course(r: Row) -> Course:
    return Course(
        r["id"],
        r["teacher"],
        r["org"],
        r["title"],
        r["code"],
        datetime.fromisoformat(r["opens"]),
        datetime.fromisoformat(r["closes"]),
        datetime.fromisoformat(r["created"]),
        Plan.model_validate_json(r["plan"]),
    )


def _learner(r: Row) -> Learner:
    return Learner(
        r["id"],
        r["course"],
        r["name"],
        r["id_number"],
        datetime.fromisoformat(r["created"]),
        frozenset(json.loads(r["read"])),
    )
