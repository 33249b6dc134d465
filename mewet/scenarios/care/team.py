"""The care team: who answers an alarm, who comes, what they do; and the KPIs of it all.

Roles: the alarm centre (operators in a queue), home care (staff who travel, open the smart
lock with a digital key, assess, help up), paramedics (urgency classes A-D with their
response times), the physiotherapist (a fall-risk visit after a fall), the doctor (a phone
consultation) and a relative (on the phone, and may come over).

Every decision is one action, `CareTeam.act(role, action, args)`, which checks that it makes
sense now (else `ActionError` says why) and changes the world. Each role's default policy
is a SimPy process that waits as a real person would and then calls the same actions; a role
played by a person (`players`; a person can take a role over mid-run with `take`) has no
default process, and the person's actions, taken through the API at the current sim time,
have exactly the same effect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import simpy

from mewet.contract import Event, Message, Scalar, format_ts
from mewet.devices.base import Device, Process
from mewet.devices.sink import Sink
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.policy import Policies
from mewet.scenarios.care.settings import CareSettings, Situation, Urgency
from mewet.scenarios.home import OUTSIDE
from mewet.scenarios.homesim import rng_for

if TYPE_CHECKING:
    from mewet.scenarios.homesim import HomeSim

VISITORS = ("home_care", "paramedic", "physiotherapist", "relative")
KEYS = {
    "home_care": "home-care",
    "paramedic": "paramedics",
    "physiotherapist": "physiotherapy",
    "relative": "relative",
}


@dataclass(frozen=True, slots=True)
class CareAction:
    """One thing a role did, when."""

    ts: datetime
    role: str
    action: str
    detail: str = ""
    by: str = "policy"

    def as_json(self) -> dict[str, str]:
        """The record as written to care.jsonl."""
        return {
            "ts": format_ts(self.ts),
            "role": self.role,
            "action": self.action,
            "detail": self.detail,
            "by": self.by,
        }


@dataclass
class Case:
    """One alarm at the alarm centre, from raised to closed."""

    id: int
    device: str
    event_type: str
    raised: float
    answered: float | None = None
    situation: Situation | None = None
    closed: bool = False

    def public(self) -> dict[str, Any]:
        """What an operator sees of the case."""
        return {
            "id": self.id,
            "device": self.device,
            "event_type": self.event_type,
            "raised_s": self.raised,
            "answered": self.answered is not None,
            "situation": self.situation,
            "closed": self.closed,
        }


@dataclass
class Visit:
    """One trip of a visiting role to the home."""

    role: str
    reason: str
    dispatched: float
    eta: float
    case: Case | None = None
    urgency: Urgency | None = None
    arrived: float | None = None
    inside: bool = False
    done: bool = False


ActionFn = Callable[["CareTeam", dict[str, Scalar]], str]
ACTIONS: dict[str, dict[str, str]] = {
    "alarm_centre": {
        "answer": "Pick up an alarm (args: case).",
        "talk": "Talk to the resident through the alarm unit (args: case).",
        "dispatch_home_care": "Send home care (args: case).",
        "dispatch_paramedics": "Call an ambulance (args: case, urgency A-D).",
        "call_relative": "Phone the resident's relative (args: case).",
        "call_doctor": "Ask the doctor for a consultation (args: case).",
        "call_fire_service": "Alert the fire service (args: case).",
        "remind": "Remind the resident of a missed dose (args: case).",
        "close": "Close the case (args: case, false_alarm true/false).",
    },
    "home_care": {
        "arrive": "Reach the front door once the journey is over.",
        "unlock": "Open the smart lock with the digital key and go in.",
        "assess": "Look at the resident: what is wrong?",
        "help_up": "Help the resident up from the floor (not when injured).",
        "give_fluids": "Give the resident something to drink.",
        "bring_home": "Search nearby and bring a wandering resident home.",
        "call_paramedics": "Call an ambulance from the home (args: urgency A-D).",
        "leave": "Lock up and leave.",
    },
    "paramedic": {
        "arrive": "Reach the front door once the journey is over.",
        "unlock": "Go in (home care or the key safe opens).",
        "assess": "Examine the resident.",
        "treat": "Treat at home: help up, fluids, first treatment.",
        "convey": "Take the resident to hospital.",
        "leave": "Leave the home.",
    },
    "physiotherapist": {
        "set_off": "Go to the home for a fall-risk visit.",
        "arrive": "Reach the front door once the journey is over.",
        "unlock": "Go in with the digital key.",
        "assess": "Assess fall risk: balance, walking aids, the home.",
        "leave": "Leave the home.",
    },
    "doctor": {
        "consult": "A phone consultation about the resident (treats an illness).",
    },
    "relative": {
        "answer_phone": "Answer the alarm centre's call.",
        "set_off": "Go over to the resident.",
        "arrive": "Reach the front door.",
        "unlock": "Go in with your own key.",
        "leave": "Go home again.",
    },
}


class AlarmTap:
    """A sink in front of the real one: passes everything on, and hands alarms to the team."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.team: CareTeam | None = None

    def publish(self, message: Message) -> None:
        """Pass the message on; an alarm also goes to the alarm centre."""
        self.sink.publish(message)
        p = message.payload
        if self.team is not None and isinstance(p, Event) and p.severity == "alarm":
            self.team.alarm(message.topic.device, p)


class CareTeam:
    """The care team, each role following its default policy unless a person plays it."""

    def __init__(
        self,
        sim: HomeSim,
        settings: CareSettings,
        players: frozenset[str] = frozenset(),
    ) -> None:
        self.sim = sim
        self.env = sim.env
        self.world = sim.world
        self.settings = settings
        self.rng = rng_for(sim.seed, "care")  # what actions draw: travel times
        self.players = set(players)
        self.operators = simpy.Resource(self.env, settings.operators)
        self.staff = simpy.Resource(self.env, settings.home_care_staff)
        self.timeline: list[CareAction] = []
        self.cases: list[Case] = []
        self.visits: list[Visit] = []
        self.false_alarms = 0
        self.phone_ringing = False
        self.consult_asked = False
        self.listeners: list[Callable[[CareAction], None]] = []
        self.case_listeners: list[Callable[[Case], None]] = []
        self._actor = ""
        roles = [*ACTIONS, "fire_service"]
        self.policy = Policies(self, {r: rng_for(sim.seed, f"care-policy:{r}") for r in roles})

    def start(self) -> None:
        """Start the scheduled parts of the default policies (routine home-care visits)."""
        for at in self.settings.visits:
            self.env.process(self.policy.routine_visits(at))

    # -- the one way in --------------------------------------------------------------

    def act(
        self, role: str, action: str, args: dict[str, Scalar] | None = None, by: str = ""
    ) -> str:
        """Take one action now, as `role` (by the person named `by`, else the role's policy);
        says what came of it, or raises ActionError with the reason."""
        if role not in ACTIONS:
            raise ActionError(f"unknown role {role!r} (roles: {', '.join(ACTIONS)})")
        if action not in ACTIONS[role]:
            known = ", ".join(ACTIONS[role])
            raise ActionError(f"a {role} cannot {action!r} (can: {known})")
        method: Callable[[str, dict[str, Scalar]], str] = getattr(self, f"_{action}")
        self._actor = by
        try:
            return method(role, dict(args or {}))
        finally:
            self._actor = ""

    def take(self, role: str) -> None:
        """A person takes the role over from now: its policy stands aside, mid-task too."""
        if role not in ACTIONS:
            raise ActionError(f"unknown role {role!r} (roles: {', '.join(ACTIONS)})")
        self.players.add(role)

    def played(self, role: str) -> bool:
        """Whether a person plays this role (so its default policy stands aside)."""
        return role in self.players

    def log(self, role: str, action: str, detail: str = "") -> None:
        """Write one action to the care timeline."""
        by = self._actor or ("person" if self.played(role) else "policy")
        entry = CareAction(self.world.now(), role, action, detail, by)
        self.timeline.append(entry)
        for listen in self.listeners:
            listen(entry)

    # -- alarms and cases ----------------------------------------------------------------

    def alarm(self, device: str, event: Event) -> None:
        """An alarm reaches the alarm centre: a new case, answered by policy or by a person."""
        case = Case(len(self.cases) + 1, device, event.event_type, float(self.env.now))
        self.cases.append(case)
        for listen in self.case_listeners:
            listen(case)
        if not self.played("alarm_centre"):
            self.env.process(self.policy.operator(case))

    def case(self, args: dict[str, Scalar]) -> Case:
        """The case an action names (the newest open one when none is named)."""
        wanted = args.get("case")
        open_ = [c for c in self.cases if not c.closed]
        if wanted is None:
            if not open_:
                raise ActionError("there is no open alarm case")
            return open_[-1]
        found = next((c for c in self.cases if c.id == wanted), None)
        if found is None:
            raise ActionError(f"no alarm case {wanted!r} (open: {[c.id for c in open_]})")
        if found.closed:
            raise ActionError(f"alarm case {found.id} is already closed")
        return found

    def situation(self) -> Situation:
        """What the operator learns from the call (or from the silence)."""
        w = self.world
        if w.fallen:
            return "injured" if w.injured else "fallen"
        if w.location == OUTSIDE and w.activity == "wandering":
            return "gone_out"
        if w.smoke:
            return "smoke"
        if w.unwell():
            return "unwell"
        return "well"

    def visit(self, role: str) -> Visit | None:
        """The role's visit in progress, if any."""
        return next((v for v in self.visits if v.role == role and not v.done), None)

    # -- alarm-centre actions ----------------------------------------------------------

    def _answer(self, role: str, args: dict[str, Scalar]) -> str:
        case = self.case(args)
        if case.answered is not None:
            raise ActionError(f"alarm case {case.id} is already answered")
        case.answered = float(self.env.now)
        self.log(role, "answered", f"case {case.id}: {case.event_type} from {case.device}")
        return f"case {case.id}: {case.event_type} from {case.device}"

    def _talk(self, role: str, args: dict[str, Scalar]) -> str:
        case = self._answered(args)
        case.situation = self.situation()
        w = self.world
        early = w.illness > 0.1 or w.hydration < 0.8  # early signs, which the call brings out
        if case.situation == "well" and case.event_type == "vitals_alert" and early:
            case.situation = "unwell"
        if case.event_type == "dose_missed" and case.situation == "well":
            case.situation = "dose_missed"
        heard = self._heard(case.situation)
        self.log(role, "talked", f"case {case.id}: {heard}")
        return heard

    def _heard(self, situation: Situation) -> str:
        if not self.world.wristband_worn and situation in ("fallen", "injured"):
            return "no answer from the home"
        return {
            "fallen": "the resident has fallen and cannot get up",
            "injured": "the resident has fallen and is in pain, cannot move a leg",
            "gone_out": "no answer: nobody is at home",
            "smoke": "the resident says there is smoke in the flat",
            "unwell": "the resident sounds weak and confused, feels unwell",
            "dose_missed": "the resident forgot the medicine",
            "well": "the resident is fine",
        }[situation]

    def _answered(self, args: dict[str, Scalar]) -> Case:
        case = self.case(args)
        if case.answered is None:
            raise ActionError(f"answer alarm case {case.id} first")
        return case

    def _dispatch_home_care(self, role: str, args: dict[str, Scalar]) -> str:
        case = self._answered(args) if role == "alarm_centre" else None
        if self.visit("home_care") is not None:
            raise ActionError("home care is already on its way or in the home")
        travel = self.settings.travel() * 60 * float(self.rng.uniform(0.75, 1.25))
        self.begin_visit("home_care", "alarm", travel, case)
        self.log(role, "dispatched", f"home care, about {round(travel / 60)} min away")
        return f"home care on its way, about {round(travel / 60)} min"

    def _dispatch_paramedics(self, role: str, args: dict[str, Scalar]) -> str:
        case = self._answered(args) if role == "alarm_centre" else self._case_of("home_care")
        urgency = str(args.get("urgency", "B"))
        if urgency not in ("A", "B", "C", "D"):
            raise ActionError(f"urgency {urgency!r}: use A (acute) to D (can wait)")
        if self.visit("paramedic") is not None:
            raise ActionError("the paramedics are already on their way or in the home")
        mean = self.settings.response(urgency)  # type: ignore[arg-type]
        travel = mean * 60 * float(self.rng.uniform(0.6, 1.3))
        visit = self.begin_visit("paramedic", "ambulance", travel, case)
        visit.urgency = urgency  # type: ignore[assignment]
        self.log(role, "called_paramedics", f"urgency {urgency}, about {round(travel / 60)} min")
        return f"ambulance (urgency {urgency}) on its way, about {round(travel / 60)} min"

    def _call_relative(self, role: str, args: dict[str, Scalar]) -> str:
        self._answered(args)
        self.phone_ringing = True
        self.log(role, "called_relative", self.settings.relative.who)
        if not self.played("relative"):
            self.env.process(self.policy.relative())
        return f"calling the {self.settings.relative.who}"

    def _call_doctor(self, role: str, args: dict[str, Scalar]) -> str:
        self._answered(args)
        return self.ask_doctor(role)

    def ask_doctor(self, role: str) -> str:
        """Ask the doctor for a consultation (the alarm centre, or home care from the home)."""
        self.consult_asked = True
        self.log(role, "called_doctor")
        if not self.played("doctor"):
            self.env.process(self.policy.doctor())
        return "the doctor will call back"

    def _call_fire_service(self, role: str, args: dict[str, Scalar]) -> str:
        self._answered(args)
        self.log(role, "called_fire_service")
        self.env.process(self.policy.fire_service())
        return "fire service alerted"

    def _remind(self, role: str, args: dict[str, Scalar]) -> str:
        case = self._answered(args)
        self.log(role, "reminded", f"case {case.id}: called the resident about the dose")
        return "the resident was reminded"

    def _close(self, role: str, args: dict[str, Scalar]) -> str:
        case = self._answered(args)
        false_alarm = bool(args.get("false_alarm", False))
        case.closed = True
        if false_alarm:
            self.false_alarms += 1
        self.log(role, "closed", f"case {case.id}" + (": false alarm" if false_alarm else ""))
        self._silence(case.device)
        return f"case {case.id} closed"

    def _silence(self, device_id: str) -> None:
        device = self.sim.devices.get(device_id)
        if device is not None and "silence" in device.spec.commands:
            device.command("silence", {}, f"care-{len(self.timeline)}")

    # -- visits: set off, arrive, go in, leave --------------------------------------------

    def begin_visit(self, role: str, reason: str, travel_s: float, case: Case | None) -> Visit:
        """A visiting role sets off; its policy takes it from there unless a person plays it."""
        now = float(self.env.now)
        visit = Visit(role, reason, now, now + travel_s, case)
        self.visits.append(visit)
        if not self.played(role):
            self.env.process(self.policy.trip(visit))
        return visit

    def _visiting(self, role: str, inside: bool | None = None) -> Visit:
        visit = self.visit(role)
        if visit is None:
            raise ActionError(f"no {role.replace('_', ' ')} visit is under way")
        if inside is not None and visit.arrived is None:
            raise ActionError(f"the {role.replace('_', ' ')} has not arrived yet")
        if inside is True and not visit.inside:
            raise ActionError("go in first (unlock)")
        if inside is False and visit.inside:
            raise ActionError("already inside")
        return visit

    def _case_of(self, role: str) -> Case | None:
        visit = self.visit(role)
        return visit.case if visit is not None else None

    def _arrive(self, role: str, args: dict[str, Scalar]) -> str:
        visit = self._visiting(role)
        if visit.arrived is not None:
            raise ActionError("already arrived")
        left = visit.eta - float(self.env.now)
        if left > 0:
            raise ActionError(f"still on the way: about {max(1, round(left / 60))} min to go")
        visit.arrived = float(self.env.now)
        self.log(role, "arrived", visit.reason)
        return "at the front door"

    def _unlock(self, role: str, args: dict[str, Scalar]) -> str:
        visit = self._visiting(role, inside=False)
        lock = self._lock()
        if lock is not None:
            lock.command("unlock", {"key": KEYS[role]}, f"care-{len(self.timeline)}")
        self.log(role, "unlocked", f"key {KEYS[role]}")
        visit.inside = True
        self.env.process(self._step_in())
        return "inside the home"

    def _leave(self, role: str, args: dict[str, Scalar]) -> str:
        visit = self._visiting(role, inside=True)
        visit.inside = False
        visit.done = True
        self.log(role, "left")
        if not any(v.inside for v in self.visits):
            self.env.process(self._step_out(role))
        return "left the home"

    def _set_off(self, role: str, args: dict[str, Scalar]) -> str:
        if self.visit(role) is not None:
            raise ActionError(f"the {role} is already on the way or in the home")
        mean = self.settings.relative.travel_min if role == "relative" else self.settings.travel()
        travel = mean * 60 * float(self.rng.uniform(0.75, 1.25))
        self.begin_visit(role, "visit", travel, None)
        self.log(role, "set_off", f"about {round(travel / 60)} min away")
        return f"on the way, about {round(travel / 60)} min"

    def _step_in(self) -> Process:
        """Through the front door; the visitor is then where the resident is."""
        yield from self._through_front_door(going_in=True)
        yield self.env.timeout(15)
        self.world.set("visitor", self.world.location)

    def _step_out(self, role: str) -> Process:
        yield from self._through_front_door(going_in=False)
        lock = self._lock()
        if lock is not None:
            yield self.env.timeout(5)
            lock.command("lock", {"key": KEYS[role]}, f"care-{len(self.timeline)}")

    def _lock(self) -> Device | None:
        return next((d for d in self.sim.devices.values() if d.spec.type == "smart_lock"), None)

    def _through_front_door(self, going_in: bool) -> Process:
        """Open the entrance, step through (the visitor is then inside, or gone), close it."""
        entrance = next((d for d in self.world.home.doors if d.kind == "entrance"), None)
        if entrance is None:
            self.world.set("visitor", self.world.location if going_in else None)
            return
        inside = next(room for room in entrance.between if room != OUTSIDE)
        if not going_in:
            self.world.set("visitor", inside)
            yield self.env.timeout(15)
        self.world.set_door(entrance.id, True)
        yield self.env.timeout(5)
        self.world.set("visitor", inside if going_in else None)
        self.world.set_door(entrance.id, False)

    # -- in the home ---------------------------------------------------------------------

    def _assess(self, role: str, args: dict[str, Scalar]) -> str:
        self._visiting(role, inside=True)
        w = self.world
        if role == "physiotherapist":
            found = "fall risk: walking aid and grab rails advised, balance training twice a week"
        elif w.location == OUTSIDE and w.activity == "wandering":
            found = "the resident is not at home"
        elif w.fallen:
            found = "on the floor, " + (
                "pain in the hip, cannot bear weight" if w.injured else "no injury found"
            )
        elif w.ill():
            found = "fever, fast pulse, short of breath"
        elif w.dehydrated():
            found = "dry mouth, confused, has drunk little in the heat"
        else:
            found = "the resident is well"
        self.log(role, "assessed", found)
        return found

    def _help_up(self, role: str, args: dict[str, Scalar]) -> str:
        self._visiting(role, inside=True)
        if not self.world.fallen:
            raise ActionError("the resident is not on the floor")
        if self.world.injured:
            raise ActionError("the resident may have broken a hip: do not lift, call paramedics")
        self._get_up(role, "helped_up")
        return "the resident is back on their feet"

    def _get_up(self, role: str, action: str) -> None:
        self.world.set("fallen", False)
        self.world.injured = False
        self.log(role, action)
        self.sim.occupant.resume()
        if self.settings.physio_after_fall_days is not None and not self.played("physiotherapist"):
            self.env.process(self.policy.physio())

    def _bring_home(self, role: str, args: dict[str, Scalar]) -> str:
        visit = self._visiting(role)
        if visit.arrived is None:
            raise ActionError(f"the {role.replace('_', ' ')} has not arrived yet")
        if not (self.world.location == OUTSIDE and self.world.activity == "wandering"):
            raise ActionError("the resident is not out wandering")
        self.log(role, "found_outside", "brought home and to bed")
        self.sim.occupant.resume()
        return "found nearby and brought home"

    def _give_fluids(self, role: str, args: dict[str, Scalar]) -> str:
        self._visiting(role, inside=True)
        self.world.hydration = min(1.0, self.world.hydration + 0.35)
        self.log(role, "gave_fluids")
        return "the resident drank"

    def _call_paramedics(self, role: str, args: dict[str, Scalar]) -> str:
        self._visiting(role, inside=True)
        return self._dispatch_paramedics(role, args)

    def _treat(self, role: str, args: dict[str, Scalar]) -> str:
        self._visiting(role, inside=True)
        w = self.world
        if w.injured:
            raise ActionError("an injury like this needs hospital: convey")
        w.hydration = 1.0
        w.illness = 0.0
        if w.fallen:
            self._get_up(role, "treated")
        else:
            self.log(role, "treated")
        return "treated at home"

    def _convey(self, role: str, args: dict[str, Scalar]) -> str:
        visit = self._visiting(role, inside=True)
        self.sim.occupant.stop()
        self.world.set("fallen", False)
        self.world.injured = False
        self.log(role, "conveyed", "to hospital")
        self.env.process(self._hospital_stay())
        visit.inside = False
        visit.done = True
        if not any(v.inside for v in self.visits):
            self.env.process(self._step_out(role))
        return "the resident goes to hospital"

    def _hospital_stay(self) -> Process:
        yield self.env.timeout(30)
        self.world.set("location", OUTSIDE)
        self.world.set("activity", "hospital")
        self.world.illness = 0.0
        self.world.hydration = 1.0
        yield self.env.timeout(self.settings.paramedics.hospital_hours * 3600)
        self.world.set("location", "hall")
        self.sim.occupant.resume()

    def _consult(self, role: str, args: dict[str, Scalar]) -> str:
        if not self.consult_asked:
            raise ActionError("nobody has asked for a consultation")
        self.consult_asked = False
        w = self.world
        if w.ill():
            w.illness = 0.0
            advice = "infection: antibiotics prescribed, vitals checked twice a day"
        elif w.dehydrated():
            advice = "dehydration: drink 1.5 l a day, home care to check fluids in the heat"
        else:
            advice = "no change of treatment"
        self.log(role, "consulted", advice)
        return advice

    def _answer_phone(self, role: str, args: dict[str, Scalar]) -> str:
        if not self.phone_ringing:
            raise ActionError("the phone is not ringing")
        self.phone_ringing = False
        self.log(role, "answered_phone")
        return "you are told what happened"
