"""What a student is told on joining: the exercise, its goals, the resident, their role."""

from __future__ import annotations

from mewet.api.models import ActionBrief, Briefing
from mewet.api.routes.action_words import action_words
from mewet.exercises.manager import Hosted
from mewet.scenarios.care import ACTIONS

RESIDENT = {
    "en": (
        "lives alone",
        {"walker": ", walks with a walker", "wheelchair": ", uses a wheelchair"},
        {"mild_impairment": ", mild memory problems", "dementia": ", dementia"},
    ),
    "fi": (
        "asuu yksin",
        {"walker": ", liikkuu rollaattorilla", "wheelchair": ", käyttää pyörätuolia"},
        {"mild_impairment": ", lieviä muistiongelmia", "dementia": ", muistisairaus"},
    ),
}


def briefing(hosted: Hosted, role: str, lang: str = "en") -> Briefing:
    """What a student in `role` is told: the exercise, the goals, the role and its actions,
    in Finnish or English (the scenario's own words where it gives them)."""
    scenario = hosted.live.setup.scenario
    p = scenario.resident.persona
    title, description, goals, _ = scenario.text(lang)
    alone, mobility, memory = RESIDENT["fi" if lang == "fi" else "en"]
    custom = hosted.row.title != scenario.title  # the teacher named it
    return Briefing(
        title=hosted.row.title if custom else title,
        description=description,
        learning_goals=goals,
        resident=f"{p.name}, {p.age}, {alone}"
        + mobility.get(p.mobility, "")
        + memory.get(p.cognition, ""),
        role=role,
        brief=scenario.brief(role, lang),
        sensors=scenario.sees_sensors(role),
        actions=[_action(role, n, d, lang) for n, d in ACTIONS.get(role, {}).items()],
    )


def _action(role: str, name: str, description: str, lang: str) -> ActionBrief:
    label, said = action_words(role, name, description, lang)
    return ActionBrief(name=name, label=label, description=said)
