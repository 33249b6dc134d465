"""The relative (omainen): answers the alarm centre's call, and may come over."""

from __future__ import annotations

from mewet.contract import Scalar
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.records import Visit
from mewet.scenarios.care.roles import visits
from mewet.scenarios.care.team import Action, CareTeam
from mewet.sim.home import OUTSIDE
from mewet.sim.world import Process

ROLE = "relative"


def answer_phone(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Answer the alarm centre's call."""
    if not team.phone_ringing:
        raise ActionError("the phone is not ringing")
    team.phone_ringing = False
    team.log(role, "answered_phone")
    return "you are told what happened"


ACTIONS = {
    a.name: a
    for a in (
        Action("answer_phone", "Answer the alarm centre's call.", answer_phone),
        Action("set_off", "Go over to the resident.", visits.set_off),
        Action("arrive", "Reach the front door.", visits.arrive),
        Action("unlock", "Go in with your own key.", visits.unlock),
        Action("leave", "Go home again.", visits.leave),
    )
}


def phone(team: CareTeam) -> Process:
    """The relative answers the phone (or not), and comes over when it is serious."""
    rng = team.policy_rng(ROLE)
    yield team.env.timeout(float(rng.uniform(20, 90)))
    if not team.phone_ringing:
        return
    if rng.random() >= team.settings.relative.answers:
        team.phone_ringing = False
        team.policy_log(ROLE, "missed_call")
        return
    yield from team.policy_do(ROLE, "answer_phone")
    w = team.world
    serious = w.fallen or w.unwell() or w.location == OUTSIDE
    if serious and team.visit(ROLE) is None:
        yield from team.policy_do(ROLE, "set_off")


def job(team: CareTeam, visit: Visit) -> Process:
    """Stay a while with the resident."""
    yield team.env.timeout(team.settings.relative.stays_min * 60)
