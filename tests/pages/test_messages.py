"""The pages' words: every message in both languages, every step on a timeline in words."""

from __future__ import annotations

import re
from typing import Any

from mewet.pages.i18n import LANGUAGES, catalogue
from tests.support.helpers import REPO


def keys(messages: dict[str, Any], at: str = "") -> set[str]:
    out = set()
    for key, value in messages.items():
        out.add(at + key)
        if isinstance(value, dict):
            out |= keys(value, f"{at}{key}.")
    return out


def test_every_message_is_in_every_language() -> None:
    """A page never shows a Finnish student a key, or an English one a blank."""
    found = {lang: keys(catalogue(lang)) for lang in LANGUAGES}
    english = found["en"]
    for lang, words in found.items():
        assert words == english, (lang, sorted(words ^ english))


def test_every_step_the_care_team_logs_has_its_words() -> None:
    """Each action the care team writes on the timeline ("helped_up") has its words in the
    catalogues, so a new one cannot reach a Finnish class untranslated."""
    code = "\n".join(p.read_text() for p in (REPO / "mewet/scenarios/care").rglob("*.py"))
    logged = set(re.findall(r"(?:log|get_up)\(\s*\w+,\s*\"([a-z_]+)\"", code))
    assert {"answered", "helped_up", "called_resident"} <= logged
    for lang in LANGUAGES:
        assert not logged - catalogue(lang)["done_actions"].keys(), lang
