"""The message catalogues and how a message is said in a language.

One catalogue per language (`fi.json`, `en.json`), the same keys in both (a test holds them
so). Its `said` section has a template per message id: `{name}` puts in a value,
`{name:kind}` says it as a `kind` (see `KINDS`), and a template may choose by a value, as
ICU's `select` does: `{"by": "false_alarm", "true": "...", "other": "..."}`. The pages' script
(`pages/static/api.js`, `say`) reads the same catalogue by the same rules; a test runs both
on every message and compares.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from mewet.texts.said import Arg, Said

LANGUAGES = ("fi", "en")
DEFAULT = "fi"  # the lab's schools are Finnish
PLACE = re.compile(r"\{(\w+)(?::(\w+))?\}")
KINDS = ("said", "list", "dur", "num", "device")
"""Kinds of a value besides a catalogue section's name (`{event_type:events}` looks the value
up in the `events` section): `said` another message, `list` several joined with "; ", `dur`
seconds as "90 s" or "3 min", `num` a number with one decimal, `device` a device's name in
this home."""


@functools.cache
def catalogue(lang: str) -> dict[str, Any]:
    """The messages of one language."""
    text = (resources.files("mewet.texts") / f"{lang}.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The language: the one chosen on the page (a cookie), else the browser's first of ours."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


def number(value: float, lang: str, digits: int | None = None) -> str:
    """A number as the language writes it: Finnish with a decimal comma and a real minus
    sign. `digits`: decimals to show (default: none for whole numbers, else one)."""
    if digits is None:
        digits = 0 if float(value).is_integer() else 1
    text = f"{value:.{digits}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    if lang == "fi":
        text = text.replace(".", ",").replace("-", "\u2212")
    return text


def say(message: Said, lang: str, devices: Mapping[str, str] | None = None) -> str:
    """The message in `lang`; `devices` names this home's devices (id → name)."""
    words = catalogue(lang)
    template = words["said"].get(message.id)
    if template is None:  # a test keeps every id the lab says in both catalogues
        return message.id
    if isinstance(template, dict):
        key = _key(message.args.get(template["by"]))
        template = template.get(key, template["other"])

    def put(found: re.Match[str]) -> str:
        return _value(message.args.get(found[1]), found[2], lang, words, devices)

    return PLACE.sub(put, template)


def _key(value: Arg) -> str:
    """The branch of a choosing template a value takes (`none` for no value; otherwise as
    JavaScript's `String()` says it)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _value(
    value: Arg,
    kind: str | None,
    lang: str,
    words: dict[str, Any],
    devices: Mapping[str, str] | None,
) -> str:
    if value is None:
        return ""
    if isinstance(value, Said):
        return say(value, lang, devices)
    if isinstance(value, tuple):
        return "; ".join(say(v, lang, devices) for v in value)
    if isinstance(value, bool):
        return str(words["yes" if value else "no"])
    if kind == "dur" and isinstance(value, int | float):
        if value >= 120:
            return f"{number(round(value / 60), lang)} min"
        return f"{number(round(value), lang)} s"
    if isinstance(value, int | float):
        return number(value, lang, 1 if kind == "num" else None)
    if kind == "device":
        return (devices or {}).get(value, value)
    if kind is not None and kind not in KINDS:
        return str(words.get(kind, {}).get(value, value))
    return value
