"""A test drawn from banks: N questions at random (each with its answers shuffled), scored
question by question (a question with several right answers is right only when exactly
those are chosen), a pass mark in percent."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from mewet.knowledge.bank import Choice, Question, Words


class QuizRules(BaseModel):
    """How a test goes: how many questions, the pass mark, attempts, and a time limit."""

    questions: int = Field(10, ge=1, le=40, description="Questions drawn for each attempt.")
    pass_percent: int = Field(70, ge=1, le=100, description="Share right to pass, in percent.")
    attempts: int = Field(2, ge=1, le=10, description="Attempts a learner has.")
    minutes: int = Field(0, ge=0, le=180, description="Time for an attempt (0: no limit).")


@dataclass(frozen=True, slots=True)
class Drawn:
    """A question as an attempt asks it: its id and the order its answers are shown in (and
    the question itself when it was made for this learner's run, not taken from a bank)."""

    id: str
    order: list[int]
    question: Question | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "order": self.order}
        if self.question is not None:
            out["question"] = self.question.model_dump()
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Drawn:
        made = raw.get("question")
        return cls(raw["id"], raw["order"], Question.model_validate(made) if made else None)


def draw(pool: list[Question], n: int, seed: int, own: tuple[Question, ...] = ()) -> list[Drawn]:
    """`n` questions: those about her own run (`own`) and the rest from the pool (all of it,
    if fewer), in a random order, answers shuffled."""
    rng = random.Random(seed)
    chosen = [*own, *rng.sample(pool, max(0, min(n - len(own), len(pool))))]
    rng.shuffle(chosen)
    out = []
    for q in chosen:
        order = list(range(len(q.choices)))
        rng.shuffle(order)
        out.append(Drawn(q.id, order, q if q in own else None))
    return out


MINUTE_BINS = ((0, 15), (15, 30), (30, 60), (60, None))
_BIN_WORDS = (
    ("under 15 min", "alle 15 min"),
    ("15-30 min", "15-30 min"),
    ("30-60 min", "30-60 min"),
    ("over an hour", "yli tunnin"),
)


def _minutes_question(qid: str, text: Words, minutes: float, told: Words) -> Question:
    """A question about her own run whose answer is a span of minutes: the bin of what her
    run measured is right, and every answer's feedback tells the minutes."""
    right = next(i for i, (_, high) in enumerate(MINUTE_BINS) if high is None or minutes < high)
    return Question(
        id=qid,
        text=text,
        choices=[
            Choice(en=en, fi=fi, right=i == right, feedback=told)
            for i, (en, fi) in enumerate(_BIN_WORDS)
        ],
    )


def help_question(minutes: float) -> Question:
    """How long help took to come in her run, from the first alarm."""
    shown = f"{minutes:.0f}"
    return _minutes_question(
        "your-run-help",
        Words(
            en="In your run, how long did it take from the first alarm until help reached "
            "the resident?",
            fi="Kuinka kauan harjoituksessasi kului ensimmäisestä hälytyksestä siihen, että "
            "apu oli asukkaan luona?",
        ),
        minutes,
        Words(
            en=f"In your run help reached her {shown} min after the first alarm: the debrief "
            "shows each step on the way.",
            fi=f"Harjoituksessasi apu oli asukkaan luona {shown} min ensimmäisen hälytyksen "
            "jälkeen: jälkipuinti näyttää jokaisen vaiheen.",
        ),
    )


def lie_question(minutes: float) -> Question:
    """How long the resident lay on the floor in her run, from the fall until she was up."""
    shown = f"{minutes:.0f}"
    return _minutes_question(
        "your-run-lie",
        Words(
            en="In your run, how long did the resident lie on the floor before she was helped up?",
            fi="Kuinka kauan asukas makasi harjoituksessasi lattialla ennen kuin hänet "
            "autettiin ylös?",
        ),
        minutes,
        Words(
            en=f"In your run she lay on the floor for {shown} min. Over an hour is a long "
            "lie: it harms even without a fracture.",
            fi=f"Harjoituksessasi asukas makasi lattialla {shown} min. Yli tunnin makaaminen "
            "on pitkä lattialla olo: se vahingoittaa, vaikka luita ei murtuisi.",
        ),
    )


def run_questions(kpis: dict[str, Any]) -> tuple[Question, ...]:
    """The questions about her own ended run, from its debrief's KPIs: how long help took
    to come (its first case help reached), how long she lay on the floor (its first fall
    she was helped up from)."""
    helped = [c["help_min"] for c in kpis["cases"] if c.get("help_min") is not None]
    lay = [f["lie_min"] for f in kpis["falls"] if f["ended"] is not None]
    out = []
    if helped:
        out.append(help_question(float(helped[0])))
    if lay:
        out.append(lie_question(float(lay[0])))
    return tuple(out)


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
        q = d.question or pool.get(d.id)
        if q is None:  # a school's bank changed since: the question no longer counts
            continue
        given = {p for p in answers.get(d.id, []) if 0 <= p < len(d.order)}
        out.append(Marked(q, d.order, given))
    return out


def percent(marked: list[Marked]) -> float:
    """The share right in percent, to a tenth, rounded down (27 of 40 is 67.5; 69.95 is
    69.9, which does not pass a 70 % mark)."""
    if not marked:
        return 0.0
    return sum(m.right for m in marked) * 1000 // len(marked) / 10
