"""The care team: settings from the scenario, the roles' actions, default policies, KPIs."""

from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.kpis import kpis
from mewet.scenarios.care.settings import CareSettings, Protocol, Targets
from mewet.scenarios.care.team import ACTIONS, AlarmTap, CareAction, CareTeam, Case

__all__ = [
    "ACTIONS",
    "ActionError",
    "AlarmTap",
    "CareAction",
    "CareSettings",
    "CareTeam",
    "Case",
    "Protocol",
    "Targets",
    "kpis",
]
