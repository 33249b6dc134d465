"""Home care (kotihoito): travels to the home, goes in with the digital key, assesses, helps
the resident up, gives fluids and meals, brings a wandering resident home, calls an ambulance, and
documents the visit. Its default policy also makes the scenario's routine visits."""

from __future__ import annotations

import typing
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from mewet.contract import Scalar
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.records import Record, Visit
from mewet.scenarios.care.roles import visits
from mewet.scenarios.care.roles.alarm_centre import dispatch_paramedics
from mewet.scenarios.care.settings import Item, RoutineVisit
from mewet.scenarios.care.team import Action, CareTeam
from mewet.scenarios.occupant import Insulin
from mewet.sim.clock import minutes_of_day
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
    """Make the resident something to eat (and a drink with it): her glucose rises with it
    as with a meal of her own (after sugar for a low, the meal keeps it up)."""
    team.visiting(role, inside=True)
    if team.in_hospital:
        raise ActionError(said("in_hospital"))
    if team.world.fallen:
        raise ActionError(said("help_up_first"))
    team.world.body.eat(float(team.env.now))
    team.world.meals_missed = 0
    team.world.hydration = min(1.0, team.world.hydration + 0.1)
    team.log(role, "gave_meal")
    return said("resident_ate")


def call_paramedics(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Call an ambulance from the home."""
    team.visiting(role, inside=True)
    return dispatch_paramedics(team, role, args)


def give_insulin(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Give the resident's insulin due now (the dose home care gives nearest this hour): only
    after measuring her glucose on this visit, and not when it is low."""
    visit = team.visiting(role, inside=True)
    w = team.world
    dose = due_insulin(team)
    if dose is None:
        raise ActionError(said("no_insulin_due"))
    glucose = last_measured(team, visit, "glucose")
    if glucose is None:
        raise ActionError(said("measure_glucose_first"))
    if float(glucose) < LOW_FOR_INSULIN:
        raise ActionError(said("glucose_too_low", glucose=float(glucose)))
    w.body.insulin(float(team.env.now), dose.units, dose.kind)
    return team.log(role, "gave_insulin", units=dose.units, kind=dose.kind)


LOW_FOR_INSULIN = 5.0  # mmol/l: below it the evening insulin waits, a snack first


def due_insulin(team: CareTeam) -> Insulin | None:
    """The insulin dose home care gives nearest to this hour (within three hours)."""
    now = team.world.now()
    minute = now.hour * 60 + now.minute
    best: tuple[float, Insulin] | None = None
    for dose in team.sim.occupant.persona.insulin:
        if dose.given_by != "home_care":
            continue
        apart = abs(minute - minutes_of_day(dose.at))
        apart = min(apart, 24 * 60 - apart)
        if apart <= 180 and (best is None or apart < best[0]):
            best = (apart, dose)
    return None if best is None else best[1]


def last_measured(team: CareTeam, visit: Visit, name: str) -> float | str | None:
    """The latest value of `name` the role measured on this visit, if any."""
    since = visit.arrived or visit.dispatched
    for m in reversed(team.measurements):
        if m.t >= since and m.role == visit.role and name in m.values:
            return m.values[name]
    return None


def give_snack(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Make the resident her evening snack (bread, milk): slow to raise her glucose."""
    team.visiting(role, inside=True)
    if team.world.fallen:
        raise ActionError(said("help_up_first"))
    team.world.body.eat(float(team.env.now), snack=True)
    return team.log(role, "gave_snack")


def give_medication(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Give the medicines of the visit from the dose packet."""
    team.visiting(role, inside=True)
    return team.log(role, "gave_medication")


def help_wash(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Help the resident wash and dress."""
    team.visiting(role, inside=True)
    if team.world.fallen:
        raise ActionError(said("help_up_first"))
    return team.log(role, "helped_wash")


ITEMS: tuple[str, ...] = typing.get_args(Item)
"""What a record (kirjaus) can carry besides the ISBAR texts, each from the visit itself."""
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
    "note_cold",
    "note_hypo",
    "note_news2_high",
    "note_insulin_given",
    "note_insulin_held",
    "note_routine_done",
}
"""What the default policy writes in its record, by id (a person writes their own words)."""
ISBAR = ("identify", "situation", "background", "assessment", "recommendation")


def document(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Write the visit's record (kotihoidon kirjaus): free text (`text`), or ISBAR (identify,
    situation, background, assessment, recommendation) with the items the lab fills in from
    the visit (`include`: door, time_found, temperature, glucose, ...: only what was seen or
    measured); only of a visit that was made (under way now, or earlier)."""
    made = [v for v in team.visits if v.role == role and v.arrived is not None]
    if not made:
        raise ActionError(said("document_no_visit"))
    visit = made[-1]
    notes = [n for n in str(args.get("notes", "")).split(",") if n]
    if notes:  # the default policy's findings by id, said in the reader's words
        unknown = sorted(set(notes) - NOTES)
        if unknown:
            raise ActionError(said("document_notes", notes=", ".join(sorted(NOTES))))
    include = [i.strip() for i in str(args.get("include", "")).split(",") if i.strip()]
    unknown = sorted(set(include) - set(ITEMS))
    if unknown:
        raise ActionError(said("document_items", items=", ".join(ITEMS)))
    items = []
    for item in include:
        value = record_item(team, visit, item)
        if value is None:
            raise ActionError(said("document_unknown", item=item))
        items.append(value)
    texts = {  # at most 1000 characters each (the API's limit for an action's value)
        k: str(args[k]).strip()[:1000] for k in ("text", *ISBAR) if str(args.get(k, "")).strip()
    }
    if not notes and not texts:
        raise ActionError(said("document_what"))
    team.records.append(Record(float(team.env.now), role, visit, tuple(include)))
    parts = [said(n) for n in notes]
    parts += [said(f"isbar_{k}" if k != "text" else "as_written", text=v) for k, v in texts.items()]
    return team.log(role, "documented", parts=tuple(parts + items))


def record_item(team: CareTeam, visit: Visit, item: str) -> Said | None:
    """An item of a record as the visit knows it: how the door was found, when she was found,
    the latest measurement of the visit; None when the visit does not know it."""
    if item == "door":
        return None if visit.door_found is None else said("i_door", state=visit.door_found)
    if item == "time_found":
        found = [t for t in team.found_at if t >= visit.dispatched]
        if not found:
            return None
        return said("i_time_found", time=team.world.date(found[0]).strftime("%H:%M"))
    if item == "blood_pressure":
        systolic = last_measured(team, visit, "systolic")
        diastolic = last_measured(team, visit, "diastolic")
        if systolic is None or diastolic is None:
            return None
        return said("m_blood_pressure", systolic=systolic, diastolic=diastolic)
    value = last_measured(team, visit, item)
    return None if value is None else said(f"m_{item}", value=value)


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
        Action("measure", "Measure the resident (args: what, default all).", visits.measure),
        Action("warm", "Warm the resident: blankets, a warm drink.", visits.warm),
        Action("give_sugar", "Give glucose gel or sweet juice.", visits.give_sugar),
        Action("give_insulin", "Give the insulin due now (measure glucose first).", give_insulin),
        Action("give_snack", "Make the resident her evening snack.", give_snack),
        Action("give_medication", "Give the visit's medicines.", give_medication),
        Action("help_wash", "Help the resident wash and dress.", help_wash),
        Action("document", "Write the visit's record (args: text or ISBAR).", document),
        Action("leave", "Lock up and leave.", visits.leave),
    )
}


# -- the default policy ---------------------------------------------------------------


def job(team: CareTeam, visit: Visit) -> Process:
    """Once there: find the resident (search, if she has wandered off), find out what is
    wrong, measure what it calls for and treat by the measurements (warmth, sugar, the
    paramedics by NEWS2), do the visit's tasks, and document it (ISBAR, with what was seen
    and measured)."""
    w = team.world
    notes: list[str] = []
    if team.in_hospital:  # the paramedics were faster: the flat is empty
        notes.append("note_in_hospital")
    else:
        if w.location == OUTSIDE and w.activity == "wandering":
            yield from _find_and_bring_home(team)
            notes.append("note_found_outside")
        found = yield from team.policy_do(ROLE, "assess")
        dry = w.dehydrated()  # what the assessment found decides the fluids, not later signs
        alarm = visit.case is not None
        if alarm or w.fallen or w.unwell() or _diabetic(team) or "insulin" in visit.tasks:
            yield from team.policy_do(ROLE, "measure")
        notes += yield from _treat(team, visit)
        if w.fallen and w.injured:
            yield from team.policy_do(ROLE, "call_paramedics", {"urgency": "B"})
            yield from _paramedics_done(team)
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
        if hungry and not w.fallen and w.location != OUTSIDE and not team.in_hospital:
            yield from team.policy_do(ROLE, "give_meal")
            notes.append("note_meal_made")
        notes += yield from _tasks(team, visit)
        if not notes and found is not None:
            notes.append("note_well")
    if visit.inside:
        include = [i for i in ITEMS if record_item(team, visit, i) is not None]
        yield from team.policy_do(
            ROLE, "document", {"notes": ",".join(notes), "include": ",".join(include)}
        )


def _diabetic(team: CareTeam) -> bool:
    return team.world.body.diabetes != "none"


def _find_and_bring_home(team: CareTeam) -> Process:
    """Search for her until she is found (by anyone), and bring her home unless someone
    else does; back inside."""
    w = team.world
    if w.missing() and ROLE not in team.searchers:
        yield from team.policy_do(ROLE, "search")
    while w.missing():
        yield team.env.timeout(60)
    if w.found and not w.escorted:
        yield from team.policy_do(ROLE, "bring_home")
    while w.location == OUTSIDE:
        yield team.env.timeout(60)


def _paramedics_done(team: CareTeam) -> Process:
    paramedics = team.visit("paramedic")
    while paramedics is not None and not paramedics.done:
        yield team.env.timeout(60)


def _treat(team: CareTeam, visit: Visit) -> Generator[simpy.Event, Any, list[str]]:
    """What the measurements call for: warmth for a cold body, sugar for a low glucose (an
    ambulance if she cannot swallow), the paramedics for a high NEWS2."""
    notes: list[str] = []
    core = last_measured(team, visit, "temperature")
    glucose = last_measured(team, visit, "glucose")
    score = last_measured(team, visit, "news2")
    if core is not None and float(core) < COLD_C:
        yield from team.policy_do(ROLE, "warm")
        notes.append("note_cold")
    if glucose is not None and float(glucose) < LOW_GLUCOSE:
        given = yield from team.policy_do(ROLE, "give_sugar")
        if given is None and team.visit("paramedic") is None:
            yield from team.policy_do(ROLE, "call_paramedics", {"urgency": "A"})
        notes.append("note_hypo")
    if score is not None and float(score) >= NEWS2_CALL and team.visit("paramedic") is None:
        urgency = "A" if float(score) >= NEWS2_URGENT else "B"
        yield from team.policy_do(ROLE, "call_paramedics", {"urgency": urgency})
        notes.append("note_news2_high")
    return notes


COLD_C = 36.0  # °C measured: warm her (after the cold, before hypothermia sets in)
LOW_GLUCOSE = 4.0  # mmol/l measured: sugar ("four is the floor")
NEWS2_CALL = 5  # NEWS2 at or above: an urgent assessment, the paramedics (RCP 2017)
NEWS2_URGENT = 7  # an emergency response


def _tasks(team: CareTeam, visit: Visit) -> Generator[simpy.Event, Any, list[str]]:
    """The visit's tasks, in order (insulin only after a glucose measured on the visit, and
    held back when it is low: a snack first)."""
    notes: list[str] = []
    w = team.world
    if w.fallen or team.in_hospital or w.location == OUTSIDE:
        return notes
    for task in visit.tasks:
        if task == "insulin" and due_insulin(team) is not None:
            if last_measured(team, visit, "glucose") is None:
                yield from team.policy_do(ROLE, "measure", {"what": "glucose"})
            glucose = last_measured(team, visit, "glucose")
            if glucose is not None and float(glucose) < LOW_FOR_INSULIN:
                yield from team.policy_do(ROLE, "give_snack")
                notes.append("note_insulin_held")
            else:
                yield from team.policy_do(ROLE, "give_insulin")
                notes.append("note_insulin_given")
        elif task == "meal":
            yield from team.policy_do(ROLE, "give_meal")
        elif task == "snack":
            yield from team.policy_do(ROLE, "give_snack")
        elif task == "medication":
            yield from team.policy_do(ROLE, "give_medication")
        elif task == "wash":
            yield from team.policy_do(ROLE, "help_wash")
    if visit.tasks and not notes:
        notes.append("note_routine_done")
    return notes


def routine_visits(team: CareTeam, visit: RoutineVisit, rng: np.random.Generator) -> Process:
    """Home care's routine visit as planned: at its time, on its days, for its tasks; it
    comes as late as the scenario says (the lateness drawn every time, the same draws
    whatever happens, so a run stays the same for a seed)."""
    while True:
        yield from team.next_time(visit.at, visit.days)
        late = visit.late_min
        late_s = (float(rng.uniform(*late)) if isinstance(late, tuple) else float(late)) * 60
        if team.visit(ROLE) is not None or team.played(ROLE):
            continue  # on an alarm visit that goes on; a person plans her own round
        team.log(ROLE, "routine_visit", at=visit.at)
        begun = team.begin_visit(ROLE, "routine_visit", late_s, None)
        begun.planned = float(team.env.now)
        begun.tasks = tuple(visit.tasks)
