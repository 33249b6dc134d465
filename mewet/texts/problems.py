"""A validation problem (pydantic's, by its error type) as a message of the catalogues."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mewet.texts.said import Arg, Said
from mewet.texts.words import catalogue


def problem(error: Mapping[str, Any]) -> Said:
    """What is wrong with a value, by the validator's error type (`string_too_long`) and its
    context (`max_length`); a type without words of its own keeps the validator's text."""
    wanted = f"problem_{error.get('type', '')}"
    if wanted not in catalogue("en")["said"]:
        return Said("as_written", {"text": str(error.get("msg", ""))})
    args: dict[str, Arg] = {}
    for key, value in (error.get("ctx") or {}).items():
        args[key] = value if isinstance(value, str | int | float | bool) else str(value)
    return Said(wanted, args)
