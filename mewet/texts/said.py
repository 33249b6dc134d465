"""What the lab says, as an id and its values: `Said("busy", {"role": "alarm_centre", ...})`.

The engine, the exercises and the API record *what happened*; the words are chosen where the
text is shown (a page, an export, an error answer), in the reader's language, from the
message catalogues (`mewet/texts/fi.json`, `en.json`). Nothing is written in English first
and translated afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from mewet.errors import MewetError

Arg = Union[str, int, float, bool, None, "Said", tuple["Said", ...]]
"""A value in a message: a word or number, another message, or several (a list of findings)."""


@dataclass(frozen=True, slots=True)
class Said:
    """One message: its id in the catalogues and the values it names."""

    id: str
    args: Mapping[str, Arg] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The message as the API and the live feed send it: `{"id": ..., **values}`."""
        out: dict[str, Any] = {"id": self.id}
        for key, value in self.args.items():
            if isinstance(value, Said):
                out[key] = value.as_json()
            elif isinstance(value, tuple):
                out[key] = [v.as_json() for v in value]
            else:
                out[key] = value
        return out

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Said:
        """The message back from its JSON form."""
        args: dict[str, Arg] = {}
        for key, value in data.items():
            if key == "id":
                continue
            if isinstance(value, Mapping):
                args[key] = cls.of(value)
            elif isinstance(value, list):
                args[key] = tuple(cls.of(v) for v in value)
            else:
                args[key] = value
        return cls(str(data["id"]), args)

    def __str__(self) -> str:
        from mewet.texts.words import say

        return say(self, "en")


def said(id: str, **args: Arg) -> Said:
    """A message: `said("case_closed", case=2)`."""
    return Said(id, args)


class SaidError(MewetError):
    """An error whose words are a message of the catalogues (said in the reader's language
    where it is shown; in English in logs and on the command line)."""

    def __init__(self, message: Said) -> None:
        super().__init__(message.id)
        self.said = message

    def __str__(self) -> str:
        return str(self.said)
