"""The doctor (lääkäri): a phone consultation when home care or the alarm centre asks."""

from __future__ import annotations

from mewet.contract import Scalar
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.team import Action, CareTeam
from mewet.sim.world import Process
from mewet.texts import Said, said

ROLE = "doctor"


def consult(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """A phone consultation about the resident (treats an illness)."""
    if not team.consult_asked:
        raise ActionError(said("no_consult_asked"))
    team.consult_asked = False
    w = team.world
    if w.ill():
        w.illness = 0.0
        w.warmth()  # the fever breaks
        advice = said("advice_infection")
    elif w.dehydrated():
        advice = said("advice_dehydration")
    else:
        advice = said("advice_no_change")
    team.log(role, "consulted", advice=advice)
    return advice


ACTIONS = {
    a.name: a
    for a in (
        Action("consult", "A phone consultation about the resident (treats an illness).", consult),
    )
}


def calls_back(team: CareTeam) -> Process:
    """The doctor calls back within the hour."""
    yield team.env.timeout(float(team.policy_rng(ROLE).uniform(10, 40)) * 60)
    if team.consult_asked:
        yield from team.policy_do(ROLE, "consult")
