"""The police (poliisi): alerted through the emergency centre when a resident is missing,
they come to the area, search and bring the resident home. Their default policy is a patrol:
travel, search until found, bring home, leave."""

from __future__ import annotations

from mewet.contract import Scalar
from mewet.scenarios.care.records import Visit
from mewet.scenarios.care.roles import visits
from mewet.scenarios.care.team import Action, CareTeam
from mewet.sim.world import Process
from mewet.texts import Said, said

ROLE = "police"


def leave(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Leave the area (the patrol is free again)."""
    visit = team.visiting(role)
    visit.done = True
    team.log(role, "left_area")
    return said("left_area")


ACTIONS = {
    a.name: a
    for a in (
        Action("arrive", "Reach the area once the journey is over.", visits.arrive),
        Action("search", "Search the area for the missing resident.", visits.search),
        Action("bring_home", "Bring the found resident home.", visits.bring_home),
        Action("leave", "Leave the area.", leave),
    )
}


def patrol(team: CareTeam, visit: Visit) -> Process:
    """Travel, then search until the resident is found (by anyone) and bring them home if
    nobody else is; leave once the resident is home."""
    yield team.env.timeout(max(0.0, visit.eta - float(team.env.now)))
    yield from team.policy_do(ROLE, "arrive")
    w = team.world
    if w.missing():
        yield from team.policy_do(ROLE, "search")
    while w.missing():
        yield team.env.timeout(60)
    if w.found and not w.escorted:
        yield from team.policy_do(ROLE, "bring_home")
    while w.location == "outside" and w.activity == "wandering":
        yield team.env.timeout(60)
    if team.visit(ROLE) is visit:
        yield from team.policy_do(ROLE, "leave")
