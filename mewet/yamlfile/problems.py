"""What is wrong with a file: each problem at its line and field, said by id, so the page, the
API and the command line tell it in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

from mewet.errors import MewetError
from mewet.texts import Said, said, say

Loc = tuple[int | str, ...]
Found = list[tuple[Loc, Said]]
"""Problems a model or a layer above finds once the fields are valid: where, and what."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing to fix: the line (None: the whole file), the field as the file writes it
    (`incidents[0].at`, empty for the file itself) and what to do."""

    line: int | None
    field: str
    said: Said

    def as_json(self) -> dict[str, Any]:
        """The problem as the API answers it."""
        return {"line": self.line, "field": self.field, "message": self.said.as_json()}

    def say(self, name: str, lang: str) -> str:
        """`night.yaml, line 19: incidents[0].at: put the time in quotes: "02:40"`."""
        where = (
            name if self.line is None else say(said("file_line", name=name, line=self.line), lang)
        )
        field = f"{self.field}: " if self.field else ""
        return f"{where}: {field}{say(self.said, lang)}"


class FileError(MewetError):
    """A file that cannot be used, with every problem found in it (in reading order)."""

    def __init__(self, name: str, problems: Sequence[Problem]) -> None:
        self.name = name
        self.problems = tuple(problems)
        super().__init__(self.say("en"))

    @classmethod
    def of(cls, name: str, message: Said, line: int | None = None) -> Self:
        """The error of one problem with the whole file (or one line of it)."""
        return cls(name, [Problem(line, "", message)])

    def say(self, lang: str) -> str:
        """Every problem, one per line, in `lang`."""
        return "\n".join(p.say(self.name, lang) for p in self.problems)

    def __str__(self) -> str:
        return self.say("en")
