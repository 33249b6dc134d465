"""A validation problem (pydantic's, by its error type) as a message of the catalogues."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic_core import PydanticCustomError

from mewet.texts.said import Arg, Said
from mewet.texts.words import catalogue, say


def problem(error: Mapping[str, Any]) -> Said:
    """What is wrong with a value, by the validator's error type (`string_too_long`) and its
    context (`max_length`); a type without words of its own keeps the validator's text."""
    wanted = f"problem_{error.get('type', '')}"
    if wanted not in catalogue("en")["said"]:
        return Said("as_written", {"text": str(error.get("msg", ""))})
    args: dict[str, Arg] = {}
    for key, value in (error.get("ctx") or {}).items():
        args[key] = value if isinstance(value, str | int | float | bool) else str(value)
    if wanted == "problem_literal_error":  # "'a', 'b' or 'c'": the words, not English's "or"
        args["expected"] = ", ".join(re.findall(r"'([^']*)'", str(args.get("expected", ""))))
    return Said(wanted, args)


def wrong(kind: str, **args: str | int | float) -> PydanticCustomError:
    """A validator's refusal by id, for `raise`: the message `problem_<kind>` of the
    catalogues with `args` (English for whoever reads pydantic's own text)."""
    english = say(Said(f"problem_{kind}", args), "en").replace("{", "(").replace("}", ")")
    return PydanticCustomError(kind, english, args)
