"""The alarm centre (turvapuhelinkeskus): operators answer alarms, talk to the resident and
follow the protocol: send home care, call an ambulance, the relative, the doctor or the fire
service, remind, close. Its default policy is an operator taking each case in turn."""

from __future__ import annotations

from mewet.contract import Scalar
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.records import Case
from mewet.scenarios.care.settings import Situation, Urgency
from mewet.scenarios.care.team import Action, CareTeam
from mewet.sim.home import OUTSIDE
from mewet.sim.world import Process

ROLE = "alarm_centre"
NOT_FALSE = ("dose_missed", "door_opened_at_night", "door_left_open", "power_cut")
"""Alarms that are never false when nothing else is wrong: they report what happened."""


def answer(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Pick up an alarm."""
    case = team.case(args)
    if case.answered is not None:
        raise ActionError(f"alarm case {case.id} is already answered")
    case.answered = float(team.env.now)
    case.answered_by = team.actor(role)
    team.log(role, "answered", f"case {case.id}: {case.event_type} from {case.device}")
    return f"case {case.id}: {case.event_type} from {case.device}"


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


def talk(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Talk to the resident through the alarm unit: what is the situation?"""
    case = team.answered_case(args)
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
    elif case.event_type == "door_left_open" and case.situation == "well":
        heard = "the resident had left the door open and goes to close it"
        team.env.process(_close_the_door(team, case.device))
    team.log(role, "talked", f"case {case.id}: {heard}")
    return heard


NO_ANSWER = "no answer from the home"


def _close_the_door(team: CareTeam, device: str) -> Process:
    """Asked on the phone, a resident who is well closes the door she left open."""
    door = team.sim.devices[device].door
    yield team.env.timeout(90)
    if door is not None and not team.world.fallen:
        team.world.set_door(door, False)


def _heard(team: CareTeam, found: Situation) -> str:
    if not team.world.wristband_worn and found in ("fallen", "injured"):
        return NO_ANSWER
    return {
        "fallen": "the resident has fallen and cannot get up",
        "injured": "the resident has fallen and is in pain, cannot move a leg",
        "gone_out": "no answer: nobody is at home",
        "no_answer": NO_ANSWER,
        "smoke": "the resident says there is smoke in the flat",
        "unwell": "the resident sounds weak and confused, feels unwell",
        "dose_missed": "the resident forgot the medicine",
        "well": "the resident is fine",
    }[found]


def dispatched(team: CareTeam, case: Case | None, role: str) -> None:
    """Note on the case when help was first sent, and by whom."""
    if case is not None and case.dispatched is None:
        case.dispatched = float(team.env.now)
        case.dispatched_by = team.actor(role)


def dispatch_home_care(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Send home care to the home."""
    case = team.answered_case(args) if role == ROLE else None
    if team.visit("home_care") is not None:
        raise ActionError("home care is already on its way or in the home")
    travel = team.travel_s(team.settings.travel())
    dispatched(team, case, role)
    team.begin_visit("home_care", "alarm", travel, case)
    team.log(role, "dispatched", f"home care, about {round(travel / 60)} min away")
    return f"home care on its way, about {round(travel / 60)} min"


def dispatch_paramedics(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Call an ambulance (ensihoito) with an urgency class A-D: from the alarm centre for a
    case, or from the home by a visitor."""
    case = team.answered_case(args) if role == ROLE else team.case_of("home_care")
    urgency = str(args.get("urgency", "B"))
    if urgency not in ("A", "B", "C", "D"):
        raise ActionError(f"urgency {urgency!r}: use A (acute) to D (can wait)")
    if team.visit("paramedic") is not None:
        raise ActionError("the paramedics are already on their way or in the home")
    klass: Urgency = urgency  # type: ignore[assignment]
    travel = team.travel_s(team.settings.response(klass), 0.6, 1.3)
    dispatched(team, case, role)
    visit = team.begin_visit("paramedic", "ambulance", travel, case)
    visit.urgency = klass
    team.log(role, "called_paramedics", f"urgency {urgency}, about {round(travel / 60)} min")
    return f"ambulance (urgency {urgency}) on its way, about {round(travel / 60)} min"


def call_relative(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Phone the resident's relative (omainen)."""
    team.answered_case(args)
    team.phone_ringing = True
    team.log(role, "called_relative", team.settings.relative.who)
    team.summoned.emit("relative")
    return f"calling the {team.settings.relative.who}"


def call_doctor(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Ask the doctor for a consultation."""
    team.answered_case(args)
    return team.ask_doctor(role)


def call_fire_service(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Alert the fire service (through the emergency centre, 112)."""
    team.answered_case(args)
    team.log(role, "called_fire_service")
    team.summoned.emit("fire_service")
    return "fire service alerted"


def remind(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Remind the resident of a missed dose."""
    case = team.answered_case(args)
    team.log(role, "reminded", f"case {case.id}: called the resident about the dose")
    return "the resident was reminded"


def close(team: CareTeam, role: str, args: dict[str, Scalar]) -> str:
    """Close the case, as a false alarm or not; the device's alarm is silenced."""
    case = team.answered_case(args)
    false_alarm = bool(args.get("false_alarm", False))
    case.closed = True
    case.closed_at = float(team.env.now)
    case.closed_by = team.actor(role)
    case.false_alarm = false_alarm
    if false_alarm:
        team.false_alarms += 1
    team.log(role, "closed", f"case {case.id}" + (": false alarm" if false_alarm else ""))
    team.silence(case.device)
    return f"case {case.id} closed"


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
        Action("remind", "Remind the resident of a missed dose (args: case).", remind),
        Action("close", "Close the case (args: case, false_alarm true/false).", close),
    )
}


# -- the default policy ---------------------------------------------------------------


def operator(team: CareTeam, case: Case) -> Process:
    """An operator: waits for a free line, picks up, talks, follows the protocol."""
    rng = team.policy_rng(ROLE)
    with team.operators.request() as free:
        yield free
        pickup = float(rng.gamma(4.0, team.settings.answer_s / 4.0))
        yield team.env.timeout(pickup)
        yield from team.policy_do(ROLE, "answer", {"case": case.id})
        yield team.env.timeout(float(rng.uniform(20, 60)))  # reaching the resident, or not
        yield from team.policy_do(ROLE, "talk", {"case": case.id})
        yield from respond(team, case)


def respond(team: CareTeam, case: Case) -> Process:
    """The protocol's responses to the situation the operator found, in the order written."""
    found = case.situation or "well"
    on_case: dict[str, Scalar] = {"case": case.id}
    helping = [v for v in team.visits if not v.done and v.case is not None]
    if helping and (found != "well" or case.event_type == "door_opened_at_night"):
        # the same fall seen by a second device, or the door opened by the visitors
        team.policy_log(ROLE, "linked", f"case {case.id}: help is already under way")
        yield from team.policy_do(ROLE, "close", on_case)
        return
    for response in getattr(team.settings.protocol, found):
        args: dict[str, Scalar] = dict(on_case)
        if response == "close":
            false_alarm = case.event_type not in NOT_FALSE
            yield from team.policy_do(ROLE, "close", {**args, "false_alarm": false_alarm})
            return
        action: str = response
        if response.startswith("dispatch_paramedics_"):
            if team.visit("paramedic") is not None:
                continue
            args["urgency"] = response[-1]
            action = "dispatch_paramedics"
        yield from team.policy_do(ROLE, action, args)
    yield from team.policy_do(ROLE, "close", on_case)


def fire_service(team: CareTeam) -> Process:
    """The fire service comes and clears the smoke."""
    yield team.env.timeout(float(team.policy_rng("fire_service").uniform(8, 15)) * 60)
    team.log(ROLE, "fire_service_on_site")
    team.world.set("smoke", False)
