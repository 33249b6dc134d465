"""The alarm centre (turvapuhelinkeskus): operators answer alarms, talk to the resident and
follow the protocol: send home care, call an ambulance, the relative, the doctor or the fire
service, remind, close. Its default policy is an operator taking each case in turn."""

from __future__ import annotations

from mewet.contract import Scalar
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.records import Case
from mewet.scenarios.care.roles import resident
from mewet.scenarios.care.settings import Situation, TimedStep, Urgency
from mewet.scenarios.care.team import Action, CareTeam
from mewet.sim.home import OUTSIDE
from mewet.sim.world import Process
from mewet.texts import Said, said

ROLE = "alarm_centre"
NOT_FALSE = ("dose_missed", "door_opened_at_night", "door_left_open", "power_cut")
"""Alarms that are never false when nothing else is wrong: they report what happened."""


def answer(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Pick up an alarm."""
    case = team.case(args)
    if case.answered is not None:
        raise ActionError(said("case_answered_already", case=case.id))
    case.answered = float(team.env.now)
    case.answered_by = team.actor(role)
    team.changed(case)
    team.log(role, "answered", case=case.id, event_type=case.event_type, device=case.device)
    return said("case_on_line", case=case.id, event_type=case.event_type, device=case.device)


def situation(team: CareTeam) -> Situation:
    """What the operator learns from the call (or from the silence)."""
    w = team.world
    if w.fallen:
        return "injured" if w.injured else "fallen"
    if w.location == OUTSIDE and w.activity == "wandering":
        return "gone_out"
    if w.smoke:
        return "smoke"
    if w.unwell():
        return "unwell"
    return "well"


def talk(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Talk to the resident through the alarm unit: what is the situation?"""
    case = team.answered_case(args)
    if team.played(resident.ROLE):  # a student is her voice: the operator hears her
        told = resident.heard(team, situation(team))
        case.situation = told or "no_answer"
        heard = said(f"heard_{told}") if told else NO_ANSWER
        team.changed(case)
        team.log(role, "talked", case=case.id, heard=heard)
        return heard
    case.situation = situation(team)
    w = team.world
    early = w.illness > 0.1 or w.hydration < 0.8  # early signs, which the call brings out
    if case.situation == "well" and case.event_type == "vitals_alert" and early:
        case.situation = "unwell"
    if case.event_type == "dose_missed" and case.situation == "well":
        case.situation = "dose_missed"
    heard = _heard(team, case.situation)
    if heard == NO_ANSWER:  # the operator learns only that nobody answers
        case.situation = "no_answer"
    elif case.event_type in DOOR_ALARMS and case.situation == "well" and _still_open(team, case):
        heard = said("heard_door_left_open")  # asked to close it, she does
        team.env.process(_close_the_door(team, case.device))
    team.changed(case)
    team.log(role, "talked", case=case.id, heard=heard)
    return heard


NO_ANSWER = said("heard_no_answer")
DOOR_ALARMS = ("door_opened_at_night", "door_left_open")


def _still_open(team: CareTeam, case: Case) -> bool:
    """Whether the door the alarm came from is open now."""
    device = team.sim.devices.get(case.device)
    door = device.door if device is not None else None
    return door is not None and team.world.doors_open.get(door, False)


def _close_the_door(team: CareTeam, device: str) -> Process:
    """Asked on the phone, a resident who is well closes the door she left open."""
    door = team.sim.devices[device].door
    yield team.env.timeout(90)
    if door is not None and not team.world.fallen:
        team.world.set_door(door, False)


def _heard(team: CareTeam, found: Situation) -> Said:
    if not team.world.wristband_worn and found in ("fallen", "injured"):
        return NO_ANSWER
    return said(f"heard_{found}")


def dispatched(team: CareTeam, case: Case | None, role: str, sent: str) -> None:
    """Note on the case who was sent (`sent`), and when and by whom help was first sent."""
    if case is None:
        return
    if case.dispatched is None:
        case.dispatched = float(team.env.now)
        case.dispatched_by = team.actor(role)
    case.sent.append(sent)
    team.changed(case)


def dispatch_home_care(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Send home care to the home."""
    case = team.answered_case(args) if role == ROLE else None
    if team.visit("home_care") is not None:
        raise ActionError(said("already_coming", role="home_care"))
    travel = team.travel_s(team.settings.travel())
    dispatched(team, case, role, "home_care")
    team.begin_visit("home_care", "alarm", travel, case)
    minutes = round(travel / 60)
    team.log(role, "dispatched", case=case.id if case else None, min=minutes)
    return said("home_care_coming", min=minutes)


def dispatch_paramedics(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Call an ambulance (ensihoito) with an urgency class A-D: from the alarm centre for a
    case, or from the home by a visitor."""
    case = team.answered_case(args) if role == ROLE else team.case_of("home_care")
    urgency = str(args.get("urgency", "B"))
    if urgency not in ("A", "B", "C", "D"):
        raise ActionError(said("urgency_unknown", urgency=urgency[:8]))
    if team.visit("paramedic") is not None:
        raise ActionError(said("already_coming", role="paramedic"))
    if team.in_hospital:
        raise ActionError(said("in_hospital"))
    klass: Urgency = urgency  # type: ignore[assignment]
    travel = team.travel_s(team.settings.response(klass), 0.6, 1.3)
    dispatched(team, case, role, "paramedic")
    visit = team.begin_visit("paramedic", "ambulance", travel, case)
    visit.urgency = klass
    minutes = round(travel / 60)
    team.log(
        role, "called_paramedics", case=case.id if case else None, urgency=urgency, min=minutes
    )
    return said("ambulance_coming", urgency=urgency, min=minutes)


def call_relative(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Phone the resident's relative (omainen)."""
    case = team.answered_case(args)
    team.phone_ringing = True
    who = team.settings.relative.who
    team.log(role, "called_relative", case=case.id, who=who)
    team.summoned.emit("relative")
    return said("calling_relative", who=who)


def call_doctor(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Ask the doctor for a consultation."""
    case = team.answered_case(args)
    return team.ask_doctor(role, case.id)


def call_fire_service(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Alert the fire service (through the emergency centre, 112)."""
    case = team.answered_case(args)
    if "fire_service" in case.sent:
        raise ActionError(said("already_coming", role="fire_service"))
    dispatched(team, case, role, "fire_service")
    team.log(role, "called_fire_service", case=case.id)
    team.summoned.emit("fire_service")
    return said("fire_service_alerted")


def call_police(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Alert the police through the emergency centre (112) to search for a missing
    resident."""
    case = team.answered_case(args)
    if team.visit("police") is not None:
        raise ActionError(said("already_coming", role="police"))
    travel = team.travel_s(team.settings.police(), 0.6, 1.4)
    dispatched(team, case, role, "police")
    team.begin_visit("police", "search", travel, case)
    minutes = round(travel / 60)
    team.log(role, "called_police", case=case.id, min=minutes)
    return said("police_coming", min=minutes)


def remind(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Remind the resident of a missed dose."""
    case = team.answered_case(args)
    team.log(role, "reminded", case=case.id)
    return said("resident_reminded")


def close(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Close the case, as a false alarm or not; the device's alarm is silenced. Closing
    before its situation is resolved (she is still out, on the floor, the help sent still at
    work) is allowed, and said: the case is marked closed early, and the debrief shows it.
    The default policy never does."""
    case = team.answered_case(args)
    false_alarm = bool(args.get("false_alarm", False))
    case.closed_early = not team.resolved(case)
    case.closed = True
    case.closed_at = float(team.env.now)
    case.closed_by = team.actor(role)
    case.false_alarm = false_alarm
    if false_alarm:
        team.false_alarms += 1
    team.changed(case)
    team.log(
        role,
        "closed_early" if case.closed_early else "closed",
        case=case.id,
        false_alarm=false_alarm,
    )
    team.silence(case.device)
    return said("case_closed_early" if case.closed_early else "case_closed", case=case.id)


def link(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Link an alarm to the open case of the same incident: it joins that case instead of
    being a case of its own (a second detector of the same fire, the button pressed while
    help is coming)."""
    if args.get("case") is None or args.get("to") is None:
        raise ActionError(said("link_which"))
    case = team.case(args)
    to = team.case(args, "to")
    if case is to:
        raise ActionError(said("link_itself", case=case.id))
    if case.sent or case.linked:
        raise ActionError(said("link_has_own", case=case.id))
    return team.link(case, to)


ACTIONS = {
    a.name: a
    for a in (
        Action("answer", "Pick up an alarm (args: case).", answer),
        Action("talk", "Talk to the resident through the alarm unit (args: case).", talk),
        Action("dispatch_home_care", "Send home care (args: case).", dispatch_home_care),
        Action(
            "dispatch_paramedics",
            "Call an ambulance (args: case, urgency A-D).",
            dispatch_paramedics,
        ),
        Action("call_relative", "Phone the resident's relative (args: case).", call_relative),
        Action("call_doctor", "Ask the doctor for a consultation (args: case).", call_doctor),
        Action("call_fire_service", "Alert the fire service (args: case).", call_fire_service),
        Action("call_police", "Alert the police to search (args: case).", call_police),
        Action("remind", "Remind the resident of a missed dose (args: case).", remind),
        Action(
            "link",
            "Link an alarm to the open case of the same incident (args: case, to).",
            link,
        ),
        Action(
            "close",
            "Close the case (args: case, false_alarm); closed before its situation is "
            "resolved, it is marked closed early.",
            close,
        ),
    )
}


# -- the default policy ---------------------------------------------------------------


def operator(team: CareTeam, case: Case) -> Process:
    """An operator: waits for a free line, picks up, talks, follows the protocol; the line
    is then free for the next alarm, and the case stays open until its situation is
    resolved."""
    rng = team.policy_rng(ROLE)
    with team.operators.request() as free:
        yield free
        if case.closed:  # it joined the case of its incident meanwhile
            return
        pickup = float(rng.gamma(4.0, team.settings.answer_s / 4.0))
        yield team.env.timeout(pickup)
        yield from team.policy_do(ROLE, "answer", {"case": case.id})
        yield team.env.timeout(float(rng.uniform(20, 60)))  # reaching the resident, or not
        yield from team.policy_do(ROLE, "talk", {"case": case.id})
        yield from respond(team, case)
    while not case.closed and not team.resolved(case):
        yield team.env.timeout(60)
    if not case.closed:
        yield from team.policy_do(ROLE, "close", {"case": case.id})


def respond(team: CareTeam, case: Case) -> Process:
    """The protocol's responses to the situation the operator found, in the order written
    (the case closes at once only where the protocol says so: nothing was wrong)."""
    found = case.situation or "well"
    known = float(team.env.now)  # timed steps count from when the situation was known
    on_case: dict[str, Scalar] = {"case": case.id}
    helping = [c for c in team.open_cases() if c is not case and c.sent]
    if helping and (found != "well" or case.event_type == "door_opened_at_night"):
        # the same incident seen by another device, or the door opened by the visitors
        if not team.played(ROLE):
            team.link(case, helping[-1])
        return
    for step in getattr(team.settings.protocol, found):
        if isinstance(step, TimedStep):
            team.env.process(_later(team, case, step, known))
            continue
        if step == "close":
            false_alarm = case.event_type not in NOT_FALSE
            yield from team.policy_do(ROLE, "close", {**on_case, "false_alarm": false_alarm})
            return
        yield from _respond(team, case, step)


def _respond(team: CareTeam, case: Case, response: str) -> Process:
    """One response of the protocol, as the action it is."""
    args: dict[str, Scalar] = {"case": case.id}
    action = response
    if response.startswith("dispatch_paramedics_"):
        if team.visit("paramedic") is not None:
            return
        args["urgency"] = response[-1]
        action = "dispatch_paramedics"
    yield from team.policy_do(ROLE, action, args)


def _later(team: CareTeam, case: Case, step: TimedStep, known: float) -> Process:
    """A timed step: `after_min` after the call that told the situation (`known`), unless
    its condition holds by then (or the case is over), the responses it lists."""
    yield team.env.timeout(max(0.0, known + step.after_min * 60 - float(team.env.now)))
    if case.closed or (step.unless is not None and team.unless(case, step.unless)):
        team.policy_log(ROLE, "step_not_needed", case=case.id, unless=step.unless)
        return
    for response in step.do:
        if response == "close":
            yield from team.policy_do(ROLE, "close", {"case": case.id})
            return
        yield from _respond(team, case, response)


def fire_service(team: CareTeam) -> Process:
    """The fire service comes and clears the smoke: help on site for the case it came for."""
    yield team.env.timeout(float(team.policy_rng("fire_service").uniform(8, 15)) * 60)
    for case in team.open_cases():
        if "fire_service" in case.sent and case.on_site is None:
            case.on_site = float(team.env.now)
            case.on_site_role = "fire_service"
            team.changed(case)
    team.log(ROLE, "fire_service_on_site")
    team.world.set("smoke", False)
