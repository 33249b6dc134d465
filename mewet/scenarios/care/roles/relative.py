"""The relative (omainen): answers the alarm centre's call, and may come over."""

from __future__ import annotations

from mewet.contract import Scalar
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.records import Visit
from mewet.scenarios.care.roles import resident, visits
from mewet.scenarios.care.team import Action, CareTeam
from mewet.sim.home import OUTSIDE
from mewet.sim.world import Process
from mewet.texts import Said, said

ROLE = "relative"
NO_ANSWER = said("resident_no_answer")


def answer_phone(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Answer the alarm centre's call."""
    if not team.phone_ringing:
        raise ActionError(said("phone_not_ringing"))
    team.phone_ringing = False
    team.log(role, "answered_phone")
    return said("told_what_happened")


def answers(team: CareTeam) -> bool:
    """Whether the resident can come to the phone now."""
    w = team.world
    able = not w.fallen and w.location != OUTSIDE and w.activity not in ("hospital", "wandering")
    return able and (team.resident_answers or not team.played(resident.ROLE))


def call_resident(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Phone the resident, as the relative does at the agreed time."""
    answered = answers(team)
    team.log(role, "called_resident", answered=answered)
    return said("resident_answered" if answered else "resident_no_answer")


def alert_alarm_centre(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Tell the alarm centre that the resident does not answer: a case for it."""
    case = team.raise_case("relative", "no_answer_relative")
    team.log(role, "alerted_alarm_centre", case=case.id)
    return said("alarm_centre_has_it", case=case.id)


ACTIONS = {
    a.name: a
    for a in (
        Action("answer_phone", "Answer the alarm centre's call.", answer_phone),
        Action("call_resident", "Phone the resident.", call_resident),
        Action(
            "alert_alarm_centre",
            "Tell the alarm centre she does not answer.",
            alert_alarm_centre,
        ),
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


def scheduled_calls(team: CareTeam, at: str) -> Process:
    """The relative's call at the agreed time, on the agreed days; no answer twice, ten
    minutes apart, and they alert the alarm centre."""
    while True:
        yield from team.next_time(at, team.settings.relative.call_days)
        if team.played(ROLE):
            continue
        if (yield from team.policy_do(ROLE, "call_resident")) != NO_ANSWER:
            continue
        yield team.env.timeout(600)
        if (yield from team.policy_do(ROLE, "call_resident")) == NO_ANSWER:
            yield from team.policy_do(ROLE, "alert_alarm_centre")
