"""Knowledge checks in the lab's database: a school's question banks (from GIFT), and the
test attempts (a self-study run's, a course learner's final test), with the questions asked,
the answers given and the score."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mewet.exercises.db import AppDb
from mewet.knowledge.bank import Bank, Question, lab_banks, questions_for
from mewet.knowledge.quiz import Drawn, Marked, QuizRules, draw, mark, percent


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt at a test: what was asked, and (once answered) its score."""

    holder: int
    """Whose: the run's exercise, or the course learner."""
    n: int
    asked: list[Drawn]
    started: datetime
    deadline: datetime | None
    answers: dict[str, list[int]] | None
    percent: float | None

    @property
    def finished(self) -> bool:
        return self.percent is not None


class Attempts:
    """The attempts of one kind of holder, in their table (`key`: the holder's column)."""

    def __init__(self, db: AppDb, table: str, key: str) -> None:
        self.db, self.table, self.key = db, table, key

    def of(self, holder: int) -> list[Attempt]:
        rows = self.db.rows(
            f"SELECT * FROM {self.table} WHERE {self.key} = ? ORDER BY n",
            (holder,),
        )
        return [
            Attempt(
                r[self.key],
                r["n"],
                [Drawn.from_json(d) for d in json.loads(r["asked"])],
                datetime.fromisoformat(r["started"]),
                datetime.fromisoformat(r["deadline"]) if r["deadline"] else None,
                json.loads(r["answers"]) if r["answers"] else None,
                r["percent"],
            )
            for r in rows
        ]

    def begin(
        self,
        holder: int,
        rules: QuizRules,
        pool: list[Question],
        own: tuple[Question, ...] = (),
    ) -> Attempt:
        """A new attempt, its questions drawn now (`own`: about her run, asked too)."""
        n = 1 + len(self.of(holder))
        asked = draw(pool, rules.questions, random.SystemRandom().randrange(2**32), own)
        now = datetime.now(UTC)
        deadline = now + timedelta(minutes=rules.minutes) if rules.minutes else None
        self.db.write(
            f"INSERT INTO {self.table} ({self.key}, n, asked, started, deadline) "
            "VALUES (?,?,?,?,?)",
            (
                holder,
                n,
                json.dumps([d.as_json() for d in asked]),
                now.isoformat(),
                deadline.isoformat() if deadline else None,
            ),
        )
        return self.of(holder)[-1]

    def finish(
        self, attempt: Attempt, pool: list[Question], answers: dict[str, list[int]]
    ) -> list[Marked]:
        """Mark the answers and keep the score."""
        marked = mark(attempt.asked, {q.id: q for q in pool}, answers)
        self.db.write(
            f"UPDATE {self.table} SET answers = ?, percent = ? WHERE {self.key} = ? AND n = ?",
            (json.dumps(answers), percent(marked), attempt.holder, attempt.n),
        )
        return marked


class Quizzes:
    """A school's banks, the runs' attempts and the course learners'."""

    def __init__(self, db: AppDb) -> None:
        self.db = db
        self.runs = Attempts(db, "quiz_attempts", "exercise")
        """A self-study run's knowledge check, by its exercise."""
        self.courses = Attempts(db, "course_attempts", "learner")
        """A course's final test, by the course learner."""

    def keep_bank(self, org: str, bank: Bank) -> None:
        """A school's bank, new or in place of its earlier one of the same id."""
        self.db.write(
            "INSERT INTO school_banks (org, id, body, created) VALUES (?,?,?,?)"
            " ON CONFLICT (org, id) DO UPDATE SET body = excluded.body, created = excluded.created",
            (org, bank.id, bank.model_dump_json(), datetime.now(UTC).isoformat()),
        )

    def school_banks(self, org: str) -> list[Bank]:
        rows = self.db.rows("SELECT body FROM school_banks WHERE org = ? ORDER BY id", (org,))
        return [Bank.model_validate_json(r["body"]) for r in rows]

    def banks(self, org: str) -> list[Bank]:
        """Every bank a school's tests may draw from: the lab's and its own."""
        return [*lab_banks().values(), *self.school_banks(org)]

    def pool(self, org: str, scenario: str) -> list[Question]:
        """The questions a test of this scenario draws from: the lab's banks and the
        school's that go with it."""
        return questions_for(scenario, self.banks(org))

    def pool_of(self, org: str, banks: list[str]) -> list[Question]:
        """The questions of the banks named (a course's final test), each once."""
        chosen = {b.id: b for b in self.banks(org) if b.id in banks}
        seen: dict[str, Question] = {}
        for b in chosen.values():
            for q in b.questions:
                seen.setdefault(q.id, q)
        return list(seen.values())
