"""What every visiting role does: set off, arrive, go in through the smart lock, look at the
resident, leave; and the default policy of a visit (travel, go in, do the job, leave)."""

from __future__ import annotations

from collections.abc import Callable

from mewet.contract import Scalar
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.records import Measurement, Visit
from mewet.scenarios.care.team import CareTeam
from mewet.sim.body import news2
from mewet.sim.home import OUTSIDE
from mewet.sim.world import Process
from mewet.texts import Said, said

KEYS = {
    "home_care": "home-care",
    "paramedic": "paramedics",
    "physiotherapist": "physiotherapy",
    "relative": "relative",
}


def set_off(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Go to the home (a relative, or the physiotherapist for a fall-risk visit)."""
    if team.visit(role) is not None:
        raise ActionError(said("already_coming", role=role))
    mean = team.settings.relative.travel_min if role == "relative" else team.settings.travel()
    travel = team.travel_s(mean)
    team.begin_visit(role, "visit", travel, None)
    minutes = round(travel / 60)
    team.log(role, "set_off", min=minutes)
    return said("on_the_way", min=minutes)


def arrive(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Reach the front door once the journey is over."""
    visit = team.visiting(role)
    if visit.arrived is not None:
        raise ActionError(said("already_arrived"))
    left = visit.eta - float(team.env.now)
    if left > 0:
        raise ActionError(said("still_on_the_way", min=max(1, round(left / 60))))
    visit.arrived = float(team.env.now)
    visit.door_found = door_state(team)
    if visit.planned is not None:  # a routine visit: how late it came
        late = max(0.0, visit.arrived - visit.planned) / 60
        team.sim.truth.level("visit", f"{late:.0f}")
    case = visit.case
    # help is on site when it is with the resident: not at the door of a flat she has left
    if case is not None and case.on_site is None and not team.world.missing():
        case.on_site = visit.arrived
        case.on_site_role = role
        team.changed(case)
    team.log(role, "arrived", reason=visit.reason)
    return said("at_the_door")


MEASURES = ("temperature", "glucose", "blood_pressure", "spo2", "pulse", "resp_rate")
"""What a visitor can measure (and `consciousness`, ACVPU, and `all` of them with NEWS2)."""
ERROR_SD = {
    "temperature": 0.15,
    "systolic": 4.0,
    "diastolic": 3.0,
    "spo2": 1.0,
    "pulse": 2.0,
    "resp_rate": 1.0,
}
"""Each instrument's error (a standard deviation; glucose: 6 % of the value, as a meter
within ±15 % for 95 % of readings, ISO 15197:2013)."""


def measure(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Measure the resident: `what` is temperature, glucose, blood_pressure, spo2, pulse,
    resp_rate, consciousness, or all (the default), which gives NEWS2 too. The values are her
    body's now, with each instrument's error."""
    team.visiting(role, inside=True)
    w = team.world
    if team.in_hospital:
        raise ActionError(said("in_hospital"))
    if w.location == OUTSIDE and not w.found:
        raise ActionError(said("found_not_home"))
    what = str(args.get("what", "all"))
    if what not in (*MEASURES, "consciousness", "all"):
        raise ActionError(said("measure_what", known=", ".join((*MEASURES, "consciousness"))))
    true = w.vital_signs(float(team.env.now))
    rng = team.measure_rng
    z = rng.standard_normal(7)
    read: dict[str, float | str] = {
        "temperature": round(float(true["temperature"]) + ERROR_SD["temperature"] * z[0], 1),
        "glucose": round(float(true["glucose"]) * (1 + 0.06 * z[1]), 1),
        "systolic": float(round(float(true["systolic"]) + ERROR_SD["systolic"] * z[2])),
        "diastolic": float(round(float(true["diastolic"]) + ERROR_SD["diastolic"] * z[3])),
        "spo2": float(min(100, round(float(true["spo2"]) + ERROR_SD["spo2"] * z[4]))),
        "pulse": float(round(float(true["pulse"]) + ERROR_SD["pulse"] * z[5])),
        "resp_rate": float(round(float(true["resp_rate"]) + ERROR_SD["resp_rate"] * z[6])),
        "consciousness": str(true["consciousness"]),
    }
    if what == "all":
        values = dict(read)
        values["news2"] = float(news2(read))
    elif what == "blood_pressure":
        values = {"systolic": read["systolic"], "diastolic": read["diastolic"]}
    else:
        values = {what: read[what]}
    team.measurements.append(Measurement(float(team.env.now), role, values))
    return team.log(role, "measured", values=readings_said(values))


def readings_said(values: dict[str, float | str]) -> tuple[Said, ...]:
    """Measurements as messages, one each (blood pressure as one)."""
    out = []
    for name, value in values.items():
        if name == "diastolic":
            continue
        if name == "systolic":
            out.append(said("m_blood_pressure", systolic=value, diastolic=values["diastolic"]))
        else:
            out.append(said(f"m_{name}", value=value))
    return tuple(out)


def warm(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Warm the resident: dry clothes, blankets, a warm drink, a warm room (about 2 °C an
    hour instead of 1 on her own)."""
    team.visiting(role, inside=True)
    w = team.world
    if w.location == OUTSIDE:
        raise ActionError(said("found_not_home"))
    w.body.rewarming = True
    w.warmth()
    return team.log(role, "warmed")


def give_sugar(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Give glucose gel or sweet juice: only to a resident awake enough to swallow."""
    team.visiting(role, inside=True)
    w = team.world
    t = float(team.env.now)
    if w.location == OUTSIDE and not w.found:
        raise ActionError(said("found_not_home"))
    if w.vital_signs(t)["consciousness"] in ("V", "P", "U"):
        raise ActionError(said("cannot_swallow"))
    w.body.sugar(t)
    return team.log(role, "gave_sugar")


WALK_BACK_MIN = {"stairwell": 1.0, "yard": 4.0, "street": 10.0, "far": 20.0}
"""Minutes it takes to walk a resident found outside back home, by where they were."""


def search(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Search nearby for a resident who wandered off. However many search, the resident is
    found the scenario's search time (`found_after_min`) after the first began."""
    visit = team.visiting(role)
    if visit.arrived is None:
        raise ActionError(said("not_arrived", role=role))
    if not team.world.missing():
        raise ActionError(said("not_missing"))
    if role in team.searchers:
        raise ActionError(said("searching_already", role=role))
    team.searchers.append(role)
    if len(team.searchers) == 1:
        team.env.process(_found(team))
    team.log(role, "searching")
    return said("searching_now")


def _found(team: CareTeam) -> Process:
    """The search finds the resident (unless they came home alone first): the first
    searcher is with them, and help is on site for every open case help was sent for."""
    w = team.world
    yield team.env.timeout(w.find_after_s)
    if not w.missing():
        return
    w.found = True
    now = float(team.env.now)
    team.found_at.append(now)
    who = team.searchers[0]
    away = round((now - (w.missing_since or now)) / 60)
    team.sim.truth.level("found", w.whereabouts or "outside")
    for case in team.open_cases():
        if case.sent and case.on_site is None:
            case.on_site = now
            case.on_site_role = who
            team.changed(case)
    team.log(who, "found_outside", where=w.whereabouts, min=away)


def bring_home(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Walk the found resident home (it takes as long as the way back is long) and in."""
    visit = team.visiting(role)
    if visit.arrived is None:
        raise ActionError(said("not_arrived", role=role))
    w = team.world
    if not (w.location == OUTSIDE and w.activity == "wandering"):
        raise ActionError(said("not_wandering"))
    if not w.found:
        raise ActionError(said("not_found_yet"))
    if w.escorted:
        raise ActionError(said("being_brought_home"))
    w.escorted = True
    walk_s = WALK_BACK_MIN.get(w.whereabouts or "", 5.0) * 60
    team.hold(role, walk_s, "bring_home")
    team.env.process(_walk_home(team, walk_s))
    return team.log(role, "bringing_home", where=w.whereabouts, min=round(walk_s / 60))


def _walk_home(team: CareTeam, walk_s: float) -> Process:
    """Back home: outside all the way, then in through the front door with the visitor."""
    yield team.env.timeout(walk_s)
    w = team.world
    w.found = False
    w.escorted = False
    w.whereabouts = None
    w.missing_since = None
    team.searchers.clear()
    team.sim.occupant.resume(escorted=True)


def door_state(team: CareTeam) -> str:
    """How the front door is now: open, locked (by its smart lock), or unlocked."""
    entrance = next((d for d in team.world.home.doors if d.kind == "entrance"), None)
    if entrance is not None and team.world.doors_open.get(entrance.id, False):
        return "open"
    lock = team.lock()
    return "locked" if lock is None or lock.state.get("locked") else "unlocked"


def unlock(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Open the smart lock with the role's digital key and go in."""
    visit = team.visiting(role, inside=False)
    lock = team.lock()
    if lock is not None:
        lock.command("unlock", {"key": KEYS[role]}, f"care-{len(team.timeline)}")
    team.log(role, "unlocked", key=KEYS[role])
    visit.inside = True
    team.env.process(_step_in(team))
    return said("inside")


def leave(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Lock up and leave."""
    visit = team.visiting(role, inside=True)
    visit.inside = False
    visit.done = True
    team.log(role, "left")
    step_out_if_last(team, role)
    return said("left_home")


def step_out_if_last(team: CareTeam, role: str) -> None:
    """The last visitor out goes through the front door and locks it behind them."""
    if not any(v.inside for v in team.visits):
        team.env.process(_step_out(team, role))


def assess(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Look at the resident (the physiotherapist: at the fall risk)."""
    team.visiting(role, inside=True)
    w = team.world
    found: list[Said] = []
    if team.in_hospital:
        raise ActionError(said("in_hospital"))
    if role == "physiotherapist":
        found.append(said("found_fall_risk"))
    elif w.location == OUTSIDE and w.activity == "wandering":
        found.append(said("found_not_home"))
    elif w.fallen:
        found.append(said("found_on_floor_injured" if w.injured else "found_on_floor"))
        if w.dehydrated():
            found.append(said("found_no_drink_for_hours"))
    elif w.ill():
        found.append(said("found_ill"))
    elif w.dehydrated():
        found.append(said("found_dehydrated", heat=bool(w.indoor_heat_c)))
    if role != "physiotherapist" and not (w.location == OUTSIDE and not w.found):
        t = float(team.env.now)
        core = w.body.core_c(t)
        if core < 32.0:
            found.append(said("found_very_cold"))
        elif core < 35.5:
            found.append(said("found_cold"))
        if w.body.diabetes != "none" and w.glucose(t) < 3.5:
            found.append(said("found_hypo_signs"))  # what a low glucose looks like
    if not found:
        found.append(said("found_well"))
    if role != "physiotherapist" and w.location != OUTSIDE and w.meals_missed:
        found.append(said("found_hungry", meals=w.meals_missed))
    return team.log(role, "assessed", found=tuple(found))


def _step_in(team: CareTeam) -> Process:
    """Through the front door; the visitor is then where the resident is."""
    yield from _through_front_door(team, going_in=True)
    yield team.env.timeout(15)
    team.world.set("visitor", team.world.location)


def _step_out(team: CareTeam, role: str) -> Process:
    yield from _through_front_door(team, going_in=False)
    lock = team.lock()
    if lock is not None:
        yield team.env.timeout(5)
        lock.command("lock", {"key": KEYS[role]}, f"care-{len(team.timeline)}")


def _through_front_door(team: CareTeam, going_in: bool) -> Process:
    """Open the entrance, step through (the visitor is then inside, or gone), close it. The
    visitor's way through is a key entry: the door's night alarm knows it, as the lock and
    the door alarm of a real safety system do."""
    world = team.world
    entrance = next((d for d in world.home.doors if d.kind == "entrance"), None)
    if entrance is None:
        world.set("visitor", world.location if going_in else None)
        return
    inside = next(room for room in entrance.between if room != OUTSIDE)
    if not going_in:
        world.set("visitor", inside)
        yield team.env.timeout(15)
    world.key_entry = True
    world.set_door(entrance.id, True)
    yield team.env.timeout(5)
    world.set("visitor", inside if going_in else None)
    world.set_door(entrance.id, False)
    world.key_entry = False


Job = Callable[[CareTeam, Visit], Process]
"""What a visiting role does once inside, by its default policy."""


def trip(team: CareTeam, visit: Visit, job: Job) -> Process:
    """A visiting role's default policy: travel, arrive, go in, do the job, leave."""
    role = visit.role
    staff = team.staff.request() if role == "home_care" else None
    try:
        if staff is not None:
            yield staff
            visit.eta += float(team.env.now) - visit.dispatched
        yield team.env.timeout(max(0.0, visit.eta - float(team.env.now)))
        yield from team.policy_do(role, "arrive")
        yield from team.policy_do(role, "unlock")
        yield from job(team, visit)
        if team.visit(role) is visit and visit.inside:
            yield from team.policy_do(role, "leave")
    finally:
        if staff is not None:
            team.staff.release(staff)
