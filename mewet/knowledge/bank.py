"""Question banks: multiple choice with one or several right answers and feedback per answer,
per topic, each bank naming the scenarios it goes with.

The lab's own banks are YAML files in `banks/`, written for Finnish care education in both
languages. A school's banks come from GIFT (`gift.py`) and may be in one language only: a
question is then shown in the language it has.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

BANK_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"


class Words(BaseModel):
    """A text in Finnish and English (a school's bank may have one of them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    en: str = Field("", max_length=2000)
    fi: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _some(self) -> Words:
        if not (self.en.strip() or self.fi.strip()):
            raise ValueError("a text needs words in Finnish or English")
        return self

    def in_(self, lang: str) -> str:
        """The text in `lang`, else in the language it has."""
        wanted = self.fi if lang == "fi" else self.en
        return wanted or self.en or self.fi


class Choice(BaseModel):
    """One answer to choose, whether it is right, and what choosing it tells the learner."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    en: str = Field("", max_length=1000)
    fi: str = Field("", max_length=1000)
    right: bool = False
    feedback: Words | None = None

    @property
    def words(self) -> Words:
        return Words(en=self.en, fi=self.fi)


class Question(BaseModel):
    """A multiple-choice question: one right answer, or several (choose all that apply)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=BANK_ID)
    text: Words
    choices: list[Choice] = Field(min_length=2, max_length=10)

    @model_validator(mode="after")
    def _a_right_one(self) -> Question:
        if not any(c.right for c in self.choices):
            raise ValueError(f"question {self.id}: no answer is marked right")
        if all(c.right for c in self.choices):
            raise ValueError(f"question {self.id}: every answer is right")
        return self

    @property
    def several(self) -> bool:
        """Whether more than one answer is right (the learner chooses all that apply)."""
        return sum(c.right for c in self.choices) > 1


class Bank(BaseModel):
    """A topic's questions and the scenarios they go with (`all`: every scenario)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=BANK_ID)
    title: Words
    scenarios: Literal["all"] | list[str] = "all"
    questions: list[Question] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _ids_once(self) -> Bank:
        ids = [q.id for q in self.questions]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"question ids used twice: {', '.join(twice)}")
        return self

    def goes_with(self, scenario: str) -> bool:
        return self.scenarios == "all" or scenario in self.scenarios


def _also(words: Words, other: Words, lang: str) -> Words:
    """`words` with `other`'s text in `lang` added."""
    return words.model_copy(update={lang: getattr(other, lang)})


def _translated(kept: Question, given: Question, lang: str) -> Question | None:
    """`kept` with `given`'s texts in `lang`, when `given` is the same question (the same
    answers, right in the same places); None when it is not."""
    if [c.right for c in kept.choices] != [c.right for c in given.choices]:
        return None
    choices = [
        old.model_copy(
            update={
                lang: getattr(new, lang),
                "feedback": (
                    new.feedback
                    if old.feedback is None
                    else old.feedback
                    if new.feedback is None
                    else _also(old.feedback, new.feedback, lang)
                ),
            }
        )
        for old, new in zip(kept.choices, given.choices, strict=True)
    ]
    return kept.model_copy(update={"text": _also(kept.text, given.text, lang), "choices": choices})


def in_other_language(kept: Bank, given: Bank, lang: str) -> tuple[Bank, int] | None:
    """A school's bank given again in its other language (`lang`: none of `kept`'s questions
    has it yet): each question of the same id and the same answers gets the new texts, the
    others are added as they came; with how many were translated. None when `kept` already
    has `lang` (then the new one replaces it)."""
    if any(getattr(q.text, lang) for q in kept.questions):
        return None
    by_id = {q.id: q for q in given.questions}
    merged, translated = [], 0
    for q in kept.questions:
        match = by_id.pop(q.id, None)
        both = _translated(q, match, lang) if match is not None else None
        if both is None:
            merged.append(q)
            if match is not None:  # the same id, other answers: kept apart
                apart = f"{q.id[:60]}-{lang}"
                by_id[apart] = match.model_copy(update={"id": apart})
        else:
            merged.append(both)
            translated += 1
    merged += [q for q in by_id.values() if q.id not in {m.id for m in merged}]
    bank = kept.model_copy(
        update={"title": _also(kept.title, given.title, lang), "questions": merged}
    )
    return Bank.model_validate(bank.model_dump()), translated


@cache
def lab_banks() -> dict[str, Bank]:
    """The lab's own banks, by id."""
    folder = resources.files("mewet.knowledge") / "banks"
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            bank = Bank.model_validate(yaml.safe_load(entry.read_text(encoding="utf-8")))
            found[bank.id] = bank
    return found


def questions_for(scenario: str, banks: list[Bank]) -> list[Question]:
    """Every question of the banks that go with a scenario."""
    return [q for b in banks if b.goes_with(scenario) for q in b.questions]
