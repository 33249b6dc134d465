"""A test drawn from banks: N questions at random (each with its answers shuffled), scored
question by question (a question with several right answers is right only when exactly
those are chosen), a pass mark in percent."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from mewet.knowledge.bank import Question


class QuizRules(BaseModel):
    """How a test goes: how many questions, the pass mark, attempts, and a time limit."""

    questions: int = Field(10, ge=1, le=40, description="Questions drawn for each attempt.")
    pass_percent: int = Field(70, ge=1, le=100, description="Share right to pass, in percent.")
    attempts: int = Field(2, ge=1, le=10, description="Attempts a learner has.")
    minutes: int = Field(0, ge=0, le=180, description="Time for an attempt (0: no limit).")


@dataclass(frozen=True, slots=True)
class Drawn:
    """A question as an attempt asks it: its id and the order its answers are shown in."""

    id: str
    order: list[int]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "order": self.order}


def draw(pool: list[Question], n: int, seed: int) -> list[Drawn]:
    """`n` questions of the pool (all of them, if fewer), answers shuffled."""
    rng = random.Random(seed)
    chosen = rng.sample(pool, min(n, len(pool)))
    out = []
    for q in chosen:
        order = list(range(len(q.choices)))
        rng.shuffle(order)
        out.append(Drawn(q.id, order))
    return out


@dataclass(frozen=True, slots=True)
class Marked:
    """One question of an attempt, marked: what was chosen, what was right."""

    question: Question
    order: list[int]
    chosen: set[int]
    """Positions as shown (0 = the first answer shown)."""

    @property
    def right_positions(self) -> set[int]:
        return {pos for pos, i in enumerate(self.order) if self.question.choices[i].right}

    @property
    def right(self) -> bool:
        return self.chosen == self.right_positions


def mark(
    asked: list[Drawn], pool: dict[str, Question], answers: dict[str, list[int]]
) -> list[Marked]:
    """Each question asked, with the answers given for it (by position shown)."""
    out = []
    for d in asked:
        q = pool.get(d.id)
        if q is None:  # a school's bank changed since: the question no longer counts
            continue
        given = {p for p in answers.get(d.id, []) if 0 <= p < len(d.order)}
        out.append(Marked(q, d.order, given))
    return out


def percent(marked: list[Marked]) -> int:
    """The share right, rounded down (69.9 % does not pass a 70 % mark)."""
    if not marked:
        return 0
    return sum(m.right for m in marked) * 100 // len(marked)
