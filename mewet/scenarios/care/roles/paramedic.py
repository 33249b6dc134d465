"""The paramedics (ensihoito): come by urgency class A-D, examine, treat at home or take
the resident to hospital."""

from __future__ import annotations

from mewet.contract import Scalar
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.records import Visit
from mewet.scenarios.care.roles import visits
from mewet.scenarios.care.team import Action, CareTeam
from mewet.sim.home import OUTSIDE
from mewet.sim.world import Process
from mewet.texts import Said, said

ROLE = "paramedic"
CONVEY_NEWS2 = 7  # a high NEWS2: to hospital (RCP 2017: an emergency response)


def treat(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Treat at home: help up, fluids, first treatment."""
    team.visiting(role, inside=True)
    w = team.world
    if team.in_hospital:
        raise ActionError(said("in_hospital"))
    if w.location == OUTSIDE:
        raise ActionError(said("found_not_home"))
    if w.injured:
        raise ActionError(said("needs_hospital"))
    w.hydration = 1.0
    w.illness = 0.0
    w.warmth()
    t = float(team.env.now)
    if w.glucose(t) < 4.0:
        w.body.sugar(t)  # glucose, by mouth or into a vein
    if w.body.core_c(t) < 35.5:
        w.body.rewarming = True
        w.warmth()
    if w.fallen:
        team.get_up(role, "treated")
    else:
        team.log(role, "treated")
    return said("treated_at_home")


def convey(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Take the resident to hospital."""
    visit = team.visiting(role, inside=True)
    if team.in_hospital:
        raise ActionError(said("in_hospital"))
    team.sim.occupant.stop()
    team.world.set("fallen", False)
    team.world.injured = False
    team.in_hospital = True
    team.log(role, "conveyed")
    team.env.process(_hospital_stay(team))
    visit.inside = False
    visit.done = True
    visits.step_out_if_last(team, role)
    return said("to_hospital")


def _hospital_stay(team: CareTeam) -> Process:
    world = team.world
    yield team.env.timeout(30)
    world.set("location", OUTSIDE)
    world.set("activity", "hospital")
    world.illness = 0.0
    world.hydration = 1.0
    world.warmth()
    yield team.env.timeout(team.settings.paramedics.hospital_hours * 3600)
    world.set("location", "hall")
    team.in_hospital = False
    team.sim.occupant.resume()


ACTIONS = {
    a.name: a
    for a in (
        Action("arrive", "Reach the front door once the journey is over.", visits.arrive),
        Action("unlock", "Go in (home care or the key safe opens).", visits.unlock),
        Action("assess", "Examine the resident.", visits.assess),
        Action("measure", "Measure the resident (args: what, default all).", visits.measure),
        Action("treat", "Treat at home: help up, fluids, first treatment.", treat),
        Action("convey", "Take the resident to hospital.", convey),
        Action("leave", "Leave the home.", visits.leave),
    )
}


def job(team: CareTeam, visit: Visit) -> Process:
    """Examine; take an injured or acutely ill resident to hospital, else treat at home. A
    resident who is out (wandered off) is examined once the search has brought her home."""
    w = team.world
    while w.location == OUTSIDE and w.activity == "wandering":
        yield team.env.timeout(60)
    yield from team.policy_do(ROLE, "assess")
    yield from team.policy_do(ROLE, "measure")
    measured = team.measurements[-1].values if team.measurements else {}
    score = float(measured.get("news2", 0))
    if w.injured or w.acutely_ill() or score >= CONVEY_NEWS2:
        yield from team.policy_do(ROLE, "convey")
    elif needs_treatment(team, measured):
        yield from team.policy_do(ROLE, "treat")
    else:  # someone was here before them and it is over: they say so and leave her at home
        team.log(ROLE, "no_treatment")


def needs_treatment(team: CareTeam, measured: dict[str, float | str]) -> bool:
    """Whether anything is left to treat at home: on the floor, ill, dry, or a measured low
    glucose, a cold core or an alarming NEWS2 (5 or more)."""
    w = team.world
    if w.fallen or w.ill() or w.dehydrated():
        return True
    low = float(measured.get("glucose", 5.0)) < 4.0
    cold = float(measured.get("temperature", 36.8)) < 35.5
    return low or cold or float(measured.get("news2", 0)) >= 5
