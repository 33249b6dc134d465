"""The one registry of care actions: for each role, what it may do, what that means, and the
function that does it. The API lists it, `CareTeam.act` dispatches through it."""

from __future__ import annotations

from mewet.scenarios.care.roles import (
    alarm_centre,
    doctor,
    home_care,
    paramedic,
    physiotherapist,
    police,
    relative,
    resident,
)
from mewet.scenarios.care.team import Action, Registry

REGISTRY: Registry = {
    m.ROLE: m.ACTIONS
    for m in (
        alarm_centre,
        home_care,
        paramedic,
        physiotherapist,
        doctor,
        relative,
        police,
        resident,
    )
}

ACTIONS: dict[str, dict[str, str]] = {
    role: {name: a.description for name, a in actions.items()} for role, actions in REGISTRY.items()
}
"""Role → action → its one-line description (what the API and the docs show)."""

__all__ = ["ACTIONS", "REGISTRY", "Action"]
