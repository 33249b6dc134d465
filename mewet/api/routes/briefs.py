"""What a student is told on joining: the exercise, its goals, the resident, their role."""

from __future__ import annotations

from mewet.api.models import ActionBrief, Briefing
from mewet.api.routes.action_words import action_words
from mewet.exercises.hosted import Hosted
from mewet.scenarios.care import ACTIONS
from mewet.scenarios.occupant import Persona
from mewet.texts import catalogue


def briefing(hosted: Hosted, role: str, lang: str = "en") -> Briefing:
    """What a student in `role` is told: the exercise, the goals, the role and its actions,
    in Finnish or English (the scenario's own words where it gives them)."""
    scenario = hosted.live.setup.scenario
    p = scenario.resident.persona
    _, description, goals, _ = scenario.text(lang)
    return Briefing(
        title=hosted.title(lang),
        description=description,
        learning_goals=goals,
        resident=resident_line(p, lang),
        role=role,
        brief=scenario.brief(role, lang),
        sensors=scenario.sees_sensors(role),
        actions=[_action(role, n, lang) for n in ACTIONS.get(role, {})],
    )


def resident_line(p: Persona, lang: str) -> str:
    """Who she is, in `lang`: name, age, how she lives and moves, her memory, her conditions
    and her medicines (each with its kind, where the lab models it): the background a
    student needs for an ISBAR report."""
    words = catalogue(lang)["resident_words"]
    line: str = f"{p.name}, {p.age}, {words['alone']}"
    line += words["mobility"].get(p.mobility, "") + words["cognition"].get(p.cognition, "")
    named = [c for c in p.conditions if not (c == "dementia" and p.cognition == "dementia")]
    if named:
        line += words["has"].format(conditions=", ".join(words["conditions"][c] for c in named))
    if p.medications:
        kinds = words["medicine_kinds"]
        listed = [
            f"{m.name} ({kinds[m.kind]})" if m.kind in kinds else m.name for m in p.medications
        ]
        line += words["medicines"].format(medicines=", ".join(listed))
    return line


def _action(role: str, name: str, lang: str) -> ActionBrief:
    label, said = action_words(role, name, lang)
    return ActionBrief(name=name, label=label, description=said)
