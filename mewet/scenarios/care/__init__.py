"""The care team: settings from the scenario, the roles' actions, default policies, KPIs."""

from mewet.scenarios.care.actions import ACTIONS, REGISTRY
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.kpis import kpis
from mewet.scenarios.care.policy import Policies
from mewet.scenarios.care.records import CareAction, Case, Visit
from mewet.scenarios.care.settings import CareSettings, Responses, Targets
from mewet.scenarios.care.signals import AlarmTap
from mewet.scenarios.care.team import CareTeam

__all__ = [
    "ACTIONS",
    "REGISTRY",
    "ActionError",
    "AlarmTap",
    "CareAction",
    "CareSettings",
    "CareTeam",
    "Case",
    "Policies",
    "Responses",
    "Targets",
    "Visit",
    "kpis",
]
