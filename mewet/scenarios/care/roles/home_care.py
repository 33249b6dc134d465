"""Home care (kotihoito): travels to the home, goes in with the digital key, assesses, helps
the resident up, gives fluids and meals, brings a wandering resident home, calls an ambulance, and
documents the visit. Its default policy also makes the scenario's routine visits."""

from __future__ import annotations

from mewet.contract import Scalar
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.records import Visit
from mewet.scenarios.care.roles import visits
from mewet.scenarios.care.roles.alarm_centre import dispatch_paramedics
from mewet.scenarios.care.settings import RoutineVisit
from mewet.scenarios.care.team import Action, CareTeam
from mewet.sim.home import OUTSIDE
from mewet.sim.world import Process

ROLE = "home_care"


def help_up(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Help the resident up from the floor (not when injured)."""
    team.visiting(role, inside=True)
    if not team.world.fallen:
        raise ActionError("the resident is not on the floor")
    if team.world.injured:
        raise ActionError("the resident may have broken a hip: do not lift, call paramedics")
    team.get_up(role, "helped_up")
    return "the resident is back on their feet"


def give_fluids(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Give the resident something to drink."""
    team.visiting(role, inside=True)
    team.world.hydration = min(1.0, team.world.hydration + 0.35)
    team.log(role, "gave_fluids")
    return "the resident drank"


def give_meal(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Make the resident something to eat (and a drink with it)."""
    team.visiting(role, inside=True)
    if team.world.fallen:
        raise ActionError("the resident is on the floor: help her up first")
    team.world.meals_missed = 0
    team.world.hydration = min(1.0, team.world.hydration + 0.1)
    team.log(role, "gave_meal")
    return "the resident ate"


def bring_home(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Search nearby and bring a wandering resident home."""
    visit = team.visiting(role)
    if visit.arrived is None:
        raise ActionError(f"the {role.replace('_', ' ')} has not arrived yet")
    if not (team.world.location == OUTSIDE and team.world.activity == "wandering"):
        raise ActionError("the resident is not out wandering")
    team.log(role, "found_outside", "brought home and to bed")
    team.sim.occupant.resume()
    return "found nearby and brought home"


def call_paramedics(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Call an ambulance from the home."""
    team.visiting(role, inside=True)
    return dispatch_paramedics(team, role, args)


def document(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Write the visit's record (kotihoidon kirjaus): what was found and done."""
    text = str(args.get("text", "")).strip()[:1000]
    if not text:
        raise ActionError("write what you found and did (args: text)")
    team.log(role, "documented", text)
    return "documented"


ACTIONS = {
    a.name: a
    for a in (
        Action("arrive", "Reach the front door once the journey is over.", visits.arrive),
        Action("unlock", "Open the smart lock with the digital key and go in.", visits.unlock),
        Action("assess", "Look at the resident: what is wrong?", visits.assess),
        Action("help_up", "Help the resident up from the floor (not when injured).", help_up),
        Action("give_fluids", "Give the resident something to drink.", give_fluids),
        Action("give_meal", "Make the resident something to eat.", give_meal),
        Action("bring_home", "Search nearby and bring a wandering resident home.", bring_home),
        Action(
            "call_paramedics",
            "Call an ambulance from the home (args: urgency A-D).",
            call_paramedics,
        ),
        Action("document", "Write the visit's record (args: text).", document),
        Action("leave", "Lock up and leave.", visits.leave),
    )
}


# -- the default policy ---------------------------------------------------------------


def job(team: CareTeam, visit: Visit) -> Process:
    """Once inside: find out what is wrong, do what it needs, document."""
    w = team.world
    if w.location == OUTSIDE and w.activity == "wandering":
        yield from team.policy_do(ROLE, "bring_home")  # searching nearby, then home
        note = "found outside at night, cold; dementia follow-up advised"
    else:
        found = yield from team.policy_do(ROLE, "assess")
        dry = w.dehydrated()  # what the assessment found decides the fluids, not later signs
        note = found
        if w.fallen and w.injured:
            yield from team.policy_do(ROLE, "call_paramedics", {"urgency": "B"})
            paramedics = team.visit("paramedic")
            while paramedics is not None and not paramedics.done:
                yield team.env.timeout(60)
            note = "fall with a suspected hip fracture; conveyed by ambulance"
        elif w.fallen:
            yield from team.policy_do(ROLE, "help_up")
            note = "fall at home, helped up, fall-risk follow-up advised"
            if dry:  # hours on the floor, or the heat: she needs to drink
                yield from team.policy_do(ROLE, "give_fluids")
                note += "; dehydrated after the long lie, fluids given"
        elif w.unwell():
            yield from team.policy_do(ROLE, "give_fluids")
            if w.acutely_ill():
                yield from team.policy_do(ROLE, "call_paramedics", {"urgency": "B"})
                note = "acutely ill, sent to hospital"
            else:
                note = "unwell, fluids given; doctor informed"
                if not team.consult_asked:
                    team.ask_doctor(ROLE)
        hungry = w.meals_missed
        if hungry and not w.fallen and w.location != OUTSIDE:
            yield from team.policy_do(ROLE, "give_meal")
            note += f"; had skipped {hungry} meal(s), a meal made"
    if visit.inside:
        yield from team.policy_do(ROLE, "document", {"text": note})


def routine_visits(team: CareTeam, visit: RoutineVisit) -> Process:
    """Home care's routine visit at its time, on its days."""
    while True:
        yield from team.next_time(visit.at, visit.days)
        if team.visit(ROLE) is None and not team.played(ROLE):
            team.log(ROLE, "routine_visit", visit.at)
            team.begin_visit(ROLE, "routine visit", 0.0, None)
