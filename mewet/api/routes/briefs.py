"""What a student is told on joining: the exercise, its goals, the resident, their role."""

from __future__ import annotations

from mewet.api.models import ActionBrief, Briefing
from mewet.api.routes.action_words import action_words
from mewet.exercises.manager import Hosted
from mewet.scenarios.care import ACTIONS
from mewet.texts import catalogue


def briefing(hosted: Hosted, role: str, lang: str = "en") -> Briefing:
    """What a student in `role` is told: the exercise, the goals, the role and its actions,
    in Finnish or English (the scenario's own words where it gives them)."""
    scenario = hosted.live.setup.scenario
    p = scenario.resident.persona
    _, description, goals, _ = scenario.text(lang)
    words = catalogue(lang)["resident_words"]
    return Briefing(
        title=hosted.title(lang),
        description=description,
        learning_goals=goals,
        resident=f"{p.name}, {p.age}, {words['alone']}"
        + words["mobility"].get(p.mobility, "")
        + words["cognition"].get(p.cognition, ""),
        role=role,
        brief=scenario.brief(role, lang),
        sensors=scenario.sees_sensors(role),
        actions=[_action(role, n, lang) for n in ACTIONS.get(role, {})],
    )


def _action(role: str, name: str, lang: str) -> ActionBrief:
    label, said = action_words(role, name, lang)
    return ActionBrief(name=name, label=label, description=said)
