"""What every visiting role does: set off, arrive, go in through the smart lock, look at the
resident, leave; and the default policy of a visit (travel, go in, do the job, leave)."""

from __future__ import annotations

from collections.abc import Callable

from mewet.contract import Scalar
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.records import Visit
from mewet.scenarios.care.team import CareTeam
from mewet.sim.home import OUTSIDE
from mewet.sim.world import Process

KEYS = {
    "home_care": "home-care",
    "paramedic": "paramedics",
    "physiotherapist": "physiotherapy",
    "relative": "relative",
}


def set_off(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Go to the home (a relative, or the physiotherapist for a fall-risk visit)."""
    if team.visit(role) is not None:
        raise ActionError(f"the {role} is already on the way or in the home")
    mean = team.settings.relative.travel_min if role == "relative" else team.settings.travel()
    travel = team.travel_s(mean)
    team.begin_visit(role, "visit", travel, None)
    team.log(role, "set_off", f"about {round(travel / 60)} min away")
    return f"on the way, about {round(travel / 60)} min"


def arrive(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Reach the front door once the journey is over."""
    visit = team.visiting(role)
    if visit.arrived is not None:
        raise ActionError("already arrived")
    left = visit.eta - float(team.env.now)
    if left > 0:
        raise ActionError(f"still on the way: about {max(1, round(left / 60))} min to go")
    visit.arrived = float(team.env.now)
    case = visit.case
    if case is not None and case.on_site is None:
        case.on_site = visit.arrived
        case.on_site_role = role
    team.log(role, "arrived", visit.reason)
    return "at the front door"


def unlock(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Open the smart lock with the role's digital key and go in."""
    visit = team.visiting(role, inside=False)
    lock = team.lock()
    if lock is not None:
        lock.command("unlock", {"key": KEYS[role]}, f"care-{len(team.timeline)}")
    team.log(role, "unlocked", f"key {KEYS[role]}")
    visit.inside = True
    team.env.process(_step_in(team))
    return "inside the home"


def leave(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Lock up and leave."""
    visit = team.visiting(role, inside=True)
    visit.inside = False
    visit.done = True
    team.log(role, "left")
    step_out_if_last(team, role)
    return "left the home"


def step_out_if_last(team: CareTeam, role: str) -> None:
    """The last visitor out goes through the front door and locks it behind them."""
    if not any(v.inside for v in team.visits):
        team.env.process(_step_out(team, role))


def assess(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Look at the resident (the physiotherapist: at the fall risk)."""
    team.visiting(role, inside=True)
    w = team.world
    if role == "physiotherapist":
        found = "fall risk: walking aid and grab rails advised, balance training twice a week"
    elif w.location == OUTSIDE and w.activity == "wandering":
        found = "the resident is not at home"
    elif w.fallen:
        found = "on the floor, " + (
            "pain in the hip, cannot bear weight" if w.injured else "no injury found"
        )
        if w.dehydrated():
            found += "; dry mouth and confused: has had nothing to drink for hours"
    elif w.ill():
        found = "fever, fast pulse, short of breath"
    elif w.dehydrated():
        found = "dry mouth, confused, has drunk little" + (
            " in the heat" if w.indoor_heat_c else ""
        )
    else:
        found = "the resident is well"
    if role != "physiotherapist" and w.location != OUTSIDE and w.meals_missed:
        found += f"; has not eaten: {w.meals_missed} meal(s) skipped"
    team.log(role, "assessed", found)
    return found


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
    """Open the entrance, step through (the visitor is then inside, or gone), close it."""
    world = team.world
    entrance = next((d for d in world.home.doors if d.kind == "entrance"), None)
    if entrance is None:
        world.set("visitor", world.location if going_in else None)
        return
    inside = next(room for room in entrance.between if room != OUTSIDE)
    if not going_in:
        world.set("visitor", inside)
        yield team.env.timeout(15)
    world.set_door(entrance.id, True)
    yield team.env.timeout(5)
    world.set("visitor", inside if going_in else None)
    world.set_door(entrance.id, False)


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
