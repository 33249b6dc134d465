"""The physiotherapist (fysioterapeutti): a fall-risk visit some days after a fall."""

from __future__ import annotations

from mewet.scenarios.care.records import Visit
from mewet.scenarios.care.roles import visits
from mewet.scenarios.care.team import Action, CareTeam
from mewet.sim.world import Process

ROLE = "physiotherapist"

ACTIONS = {
    a.name: a
    for a in (
        Action("set_off", "Go to the home for a fall-risk visit.", visits.set_off),
        Action("arrive", "Reach the front door once the journey is over.", visits.arrive),
        Action("unlock", "Go in with the digital key.", visits.unlock),
        Action("assess", "Assess fall risk: balance, walking aids, the home.", visits.assess),
        Action("leave", "Leave the home.", visits.leave),
    )
}


def after_fall(team: CareTeam) -> Process:
    """After a fall: the physiotherapist's fall-risk visit, days later at 10:00."""
    days = team.settings.physio_after_fall_days or 0.0
    now = team.world.now()
    wait = days * 86400 + ((10 - now.hour) * 3600 - now.minute * 60) % 86400
    yield team.env.timeout(wait)
    if team.visit(ROLE) is None:
        yield from team.policy_do(ROLE, "set_off")


def job(team: CareTeam, visit: Visit) -> Process:
    """The fall-risk assessment: balance, walking aids and the home (about forty minutes)."""
    yield from team.policy_do(ROLE, "assess")
