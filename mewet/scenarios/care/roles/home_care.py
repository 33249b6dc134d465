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
from mewet.texts import Said, said

ROLE = "home_care"


def help_up(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Help the resident up from the floor (not when injured)."""
    team.visiting(role, inside=True)
    if not team.world.fallen:
        raise ActionError(said("not_on_floor"))
    if team.world.injured:
        raise ActionError(said("do_not_lift"))
    team.get_up(role, "helped_up")
    return said("back_on_feet")


def give_fluids(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Give the resident something to drink."""
    team.visiting(role, inside=True)
    if team.in_hospital:
        raise ActionError(said("in_hospital"))
    team.world.hydration = min(1.0, team.world.hydration + 0.35)
    team.log(role, "gave_fluids")
    return said("resident_drank")


def give_meal(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Make the resident something to eat (and a drink with it)."""
    team.visiting(role, inside=True)
    if team.in_hospital:
        raise ActionError(said("in_hospital"))
    if team.world.fallen:
        raise ActionError(said("help_up_first"))
    team.world.meals_missed = 0
    team.world.hydration = min(1.0, team.world.hydration + 0.1)
    team.log(role, "gave_meal")
    return said("resident_ate")


def call_paramedics(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Call an ambulance from the home."""
    team.visiting(role, inside=True)
    return dispatch_paramedics(team, role, args)


def document(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Write the visit's record (kotihoidon kirjaus): what was found and done; only of a
    visit that was made (under way now, or earlier)."""
    if not any(v.role == role and v.arrived is not None for v in team.visits):
        raise ActionError(said("document_no_visit"))
    notes = [n for n in str(args.get("notes", "")).split(",") if n]
    if notes:  # the default policy's record: its findings by id, said in the reader's words
        unknown = sorted(set(notes) - NOTES)
        if unknown:
            raise ActionError(said("document_notes", notes=", ".join(sorted(NOTES))))
        team.log(role, "documented", notes=tuple(said(n) for n in notes))
        return said("documented_ok")
    text = str(args.get("text", "")).strip()[:1000]
    if not text:
        raise ActionError(said("document_what"))
    team.log(role, "documented", text=text)
    return said("documented_ok")


NOTES = {
    "note_in_hospital",
    "note_found_outside",
    "note_hip_fracture",
    "note_helped_up",
    "note_fluids_after_lie",
    "note_acutely_ill",
    "note_unwell",
    "note_meal_made",
    "note_well",
}
"""What the default policy writes in its record, by id (a person writes their own words)."""


ACTIONS = {
    a.name: a
    for a in (
        Action("arrive", "Reach the front door once the journey is over.", visits.arrive),
        Action("unlock", "Open the smart lock with the digital key and go in.", visits.unlock),
        Action("assess", "Look at the resident: what is wrong?", visits.assess),
        Action("help_up", "Help the resident up from the floor (not when injured).", help_up),
        Action("give_fluids", "Give the resident something to drink.", give_fluids),
        Action("give_meal", "Make the resident something to eat.", give_meal),
        Action("search", "Search nearby for a resident who wandered off.", visits.search),
        Action("bring_home", "Walk the found resident home.", visits.bring_home),
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
    notes: list[str] = []
    if team.in_hospital:  # the paramedics were faster: the flat is empty
        notes.append("note_in_hospital")
    elif w.location == OUTSIDE and w.activity == "wandering":
        if w.missing() and ROLE not in team.searchers:
            yield from team.policy_do(ROLE, "search")
        while w.missing():
            yield team.env.timeout(60)
        if w.found and not w.escorted:
            yield from team.policy_do(ROLE, "bring_home")
        while w.location == OUTSIDE:
            yield team.env.timeout(60)
        notes.append("note_found_outside")
    else:
        found = yield from team.policy_do(ROLE, "assess")
        dry = w.dehydrated()  # what the assessment found decides the fluids, not later signs
        if w.fallen and w.injured:
            yield from team.policy_do(ROLE, "call_paramedics", {"urgency": "B"})
            paramedics = team.visit("paramedic")
            while paramedics is not None and not paramedics.done:
                yield team.env.timeout(60)
            notes.append("note_hip_fracture")
        elif w.fallen:
            yield from team.policy_do(ROLE, "help_up")
            notes.append("note_helped_up")
            if dry:  # hours on the floor, or the heat: she needs to drink
                yield from team.policy_do(ROLE, "give_fluids")
                notes.append("note_fluids_after_lie")
        elif w.unwell():
            yield from team.policy_do(ROLE, "give_fluids")
            if w.acutely_ill():
                yield from team.policy_do(ROLE, "call_paramedics", {"urgency": "B"})
                notes.append("note_acutely_ill")
            else:
                notes.append("note_unwell")
                if not team.consult_asked:
                    team.ask_doctor(ROLE)
        hungry = w.meals_missed
        if hungry and not w.fallen and w.location != OUTSIDE:
            yield from team.policy_do(ROLE, "give_meal")
            notes.append("note_meal_made")
        if not notes and found is not None:
            notes.append("note_well")
    if visit.inside:
        yield from team.policy_do(ROLE, "document", {"notes": ",".join(notes)})


def routine_visits(team: CareTeam, visit: RoutineVisit) -> Process:
    """Home care's routine visit at its time, on its days."""
    while True:
        yield from team.next_time(visit.at, visit.days)
        if team.visit(ROLE) is None and not team.played(ROLE):
            team.log(ROLE, "routine_visit", at=visit.at)
            team.begin_visit(ROLE, "routine_visit", 0.0, None)
