"""Message catalogues: every text of the pages, in Finnish and English."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

LANGUAGES = ("fi", "en")
DEFAULT = "fi"  # the lab's schools are Finnish


@functools.cache
def catalogue(lang: str) -> dict[str, Any]:
    """The messages of one language."""
    text = (resources.files("mewet.pages") / "messages" / f"{lang}.json").read_text("utf-8")
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
