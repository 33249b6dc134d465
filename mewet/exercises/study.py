"""Self-study: a teacher publishes a scenario as an assignment (a code, an opening and a
closing date, the roles a learner may take); a learner runs it alone, in an exercise of her
own that she steers herself, and comes back to it later with the key she was given.

An assignment keeps the scenario's text as it was published, so a later edit of the scenario
does not change a run that has begun. A learner's run is an ordinary exercise (kept as its
inputs, restored by replay, debriefed the same way), owned by the assignment's teacher; the
key to come back is kept as a hash only.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from mewet.exercises.db import AppDb, Row
from mewet.knowledge.quiz import QuizRules

CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones


@dataclass(frozen=True, slots=True)
class Assignment:
    """A scenario published for self-study."""

    id: int
    teacher: int
    org: str
    title: str
    scenario: str
    scenario_yaml: str
    scenario_version: int
    roles: list[str]
    code: str
    opens: datetime
    closes: datetime
    created: datetime
    quiz: QuizRules | None = None
    """Its knowledge check, if it has one."""

    def open_at(self, now: datetime) -> bool:
        """Whether learners may begin or go on now."""
        return self.opens <= now < self.closes


@dataclass(frozen=True, slots=True)
class StudyRun:
    """One learner's run of an assignment."""

    exercise: int
    assignment: int
    participant: int
    name: str
    role: str
    created: datetime
    id_number: str = ""
    """Her student number, if she gave it (for the school's gradebook)."""
    learner: int = 0
    """The course learner whose run it is (0: a run of an assignment on its own)."""


def key_hash(key: str) -> str:
    """A key as the lab keeps it (its hash; typed in any case)."""
    return hashlib.sha256(key.strip().upper().encode()).hexdigest()


def new_code(length: int = 8) -> str:
    """A code no one can guess: 8 characters of 32 (40 bits)."""
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(length))


class Study:
    """The assignments and the learners' runs, in the lab's database."""

    def __init__(self, db: AppDb) -> None:
        self.db = db

    def publish(
        self,
        teacher: int,
        org: str,
        title: str,
        scenario: str,
        text: str,
        version: int,
        roles: list[str],
        opens: datetime,
        closes: datetime,
        quiz: QuizRules | None = None,
        course: int = 0,
    ) -> Assignment:
        """A new assignment with a fresh code (`course`: a scenario step of that course)."""
        code = new_code()
        now = datetime.now(UTC)
        row = (
            teacher,
            org,
            title,
            scenario,
            text,
            version,
            json.dumps(roles),
            code,
            opens.isoformat(),
            closes.isoformat(),
            now.isoformat(),
            quiz.model_dump_json() if quiz is not None else "",
            course,
        )
        n = self.db.write(
            "INSERT INTO assignments (teacher, org, title, scenario, scenario_yaml, "
            "scenario_version, roles, code, opens, closes, created, quiz, course) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
            row,
        )
        found = self.assignment(n)
        assert found is not None
        return found

    def assignment(self, number: int) -> Assignment | None:
        row = self.db.one("SELECT * FROM assignments WHERE id = ?", (number,))
        return _assignment(row) if row is not None else None

    def by_code(self, code: str) -> Assignment | None:
        row = self.db.one("SELECT * FROM assignments WHERE code = ?", (code.strip().upper(),))
        return _assignment(row) if row is not None else None

    def of_teacher(self, teacher: int | None) -> list[Assignment]:
        """A teacher's assignments (every one, for None: an admin), newest first; not those
        that are a course's scenario steps (the course shows them)."""
        if teacher is None:
            rows = self.db.rows("SELECT * FROM assignments WHERE course = 0 ORDER BY id DESC")
        else:
            rows = self.db.rows(
                "SELECT * FROM assignments WHERE teacher = ? AND course = 0 ORDER BY id DESC",
                (teacher,),
            )
        return [_assignment(r) for r in rows]

    def begin(
        self,
        exercise: int,
        assignment: int,
        participant: int,
        name: str,
        role: str,
        id_number: str = "",
        learner: int = 0,
    ) -> str:
        """Keep a learner's new run (`learner`: a course learner's); returns the key she
        comes back with (kept as a hash)."""
        key = new_code(12)
        self.db.write(
            "INSERT INTO study_runs (exercise, assignment, participant, name, role, "
            "resume_hash, created, id_number, learner) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                exercise,
                assignment,
                participant,
                name,
                role,
                key_hash(key),
                _now(),
                id_number,
                learner,
            ),
        )
        return key

    def of_learner(self, learner: int) -> list[StudyRun]:
        """A course learner's runs, oldest first."""
        rows = self.db.rows(
            "SELECT * FROM study_runs WHERE learner = ? ORDER BY exercise", (learner,)
        )
        return [_run(r) for r in rows]

    def open_phases(self) -> list[str]:
        """The phases of the runs that have not ended, on every server (as last kept)."""
        rows = self.db.rows(
            "SELECT e.phase FROM study_runs r JOIN exercises e ON e.id = r.exercise"
            " WHERE e.phase <> 'ended'"
        )
        return [str(r["phase"]) for r in rows]

    def run(self, exercise: int) -> StudyRun | None:
        """The self-study run an exercise is, if it is one."""
        row = self.db.one("SELECT * FROM study_runs WHERE exercise = ?", (exercise,))
        return _run(row) if row is not None else None

    def by_key(self, assignment: int, key: str) -> StudyRun | None:
        """A learner's run of this assignment, by the key she was given."""
        row = self.db.one(
            "SELECT * FROM study_runs WHERE assignment = ? AND resume_hash = ?",
            (assignment, key_hash(key)),
        )
        return _run(row) if row is not None else None

    def runs(self, assignment: int) -> list[StudyRun]:
        """Every learner's run of an assignment, oldest first."""
        rows = self.db.rows(
            "SELECT * FROM study_runs WHERE assignment = ? ORDER BY exercise", (assignment,)
        )
        return [_run(r) for r in rows]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _assignment(row: Row) -> Assignment:
    return Assignment(
        row["id"],
        row["teacher"],
        row["org"],
        row["title"],
        row["scenario"],
        row["scenario_yaml"],
        row["scenario_version"],
        json.loads(row["roles"]),
        row["code"],
        datetime.fromisoformat(row["opens"]),
        datetime.fromisoformat(row["closes"]),
        datetime.fromisoformat(row["created"]),
        QuizRules.model_validate_json(row["quiz"]) if row["quiz"] else None,
    )


def _run(r: Row) -> StudyRun:
    return StudyRun(
        r["exercise"],
        r["assignment"],
        r["participant"],
        r["name"],
        r["role"],
        datetime.fromisoformat(r["created"]),
        r["id_number"],
        r["learner"],
    )
