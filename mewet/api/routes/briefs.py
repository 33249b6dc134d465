"""What a student is told on joining: the exercise, its goals, the resident, their role."""

from __future__ import annotations

from mewet.api.models import ActionBrief, Briefing
from mewet.exercises.manager import Hosted
from mewet.scenarios.care import ACTIONS


def briefing(hosted: Hosted, role: str) -> Briefing:
    """What a student in `role` is told: the exercise, the goals, the role and its actions."""
    scenario = hosted.live.setup.scenario
    p = scenario.resident.persona
    mobility = {"walker": ", walks with a walker", "wheelchair": ", uses a wheelchair"}
    memory = {"mild_impairment": ", mild memory problems", "dementia": ", dementia"}
    return Briefing(
        title=hosted.row.title,
        description=scenario.description.strip(),
        learning_goals=scenario.learning_goals,
        resident=f"{p.name}, {p.age}, lives alone"
        + mobility.get(p.mobility, "")
        + memory.get(p.cognition, ""),
        role=role,
        brief=scenario.brief(role),
        sensors=scenario.sees_sensors(role),
        actions=[ActionBrief(name=n, description=d) for n, d in ACTIONS.get(role, {}).items()],
    )
