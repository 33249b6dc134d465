"""The care team: who answers an alarm, who comes, what they do.

Roles: the alarm centre (operators in a queue), home care (staff who travel, open the smart
lock with a digital key, assess, help up), paramedics (urgency classes A-D with their
response times), the physiotherapist (a fall-risk visit after a fall), the doctor (a phone
consultation) and a relative (on the phone, and may come over). Each role is one module in
`roles/` with its actions and its default policy; `actions.py` is the one registry of what
each role may do.

Every decision is one action, `CareTeam.act(role, action, args)`, which checks that it makes
sense now (else `ActionError` says why) and changes the world. The team says what happens
through its signals (a case raised, a visit begun, someone summoned); the default policies
(`policy.py`) hear them and start a role's process unless a person plays the role. A person's
actions, taken through the API at the current sim time, have exactly the same effect.

A case is an incident, not an alarm: an alarm of an incident whose case is open joins that
case (`same_incident`, `link`), and a case closes when its situation is resolved
(`resolved`), never when help is merely sent. What the team says (an action's result, a
refusal, a line of the timeline) is a message (`Said`), put in words where it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from mewet.contract import Event, Scalar
from mewet.devices.base import Device
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.records import CareAction, Case, Measurement, Record, Visit
from mewet.scenarios.care.settings import WEEKDAYS, CareSettings, Situation, Weekday
from mewet.scenarios.care.signals import AlarmTap, Signal
from mewet.scenarios.homesim import HomeSim
from mewet.sim.clock import seconds_until
from mewet.sim.home import OUTSIDE
from mewet.sim.seeds import rng_for
from mewet.texts import Arg, Said, said

INCIDENT = {
    "fall_detected": "fall",
    "button_pressed": "help",
    "no_answer_relative": "help",
    "vitals_alert": "unwell",
    "smoke_detected": "fire",
    "power_cut": "fire",
    "leak_detected": "leak",
    "dose_missed": "dose",
    "door_opened_at_night": "door",
    "door_left_open": "door",
}
"""The incident an alarm tells of: alarms of one incident while its case is open join it."""
URGENT = {"fall", "help", "unwell", "fire", "door"}
"""Incidents a call for help belongs to when one is open (not a missed dose, not a leak)."""


ActionFn = Callable[["CareTeam", str, dict[str, Scalar]], Said]
"""An action: the team, the role acting, its arguments → what came of it, as a message."""


@dataclass(frozen=True, slots=True)
class Action:
    """One thing a role may do: its name, what it means, and what it does to the run."""

    name: str
    description: str
    do: ActionFn


Registry = Mapping[str, Mapping[str, Action]]
"""Every role's actions: role → action name → Action."""


class CareTeam:
    """The care team's state; its roles act through `act`, by policy or by a person."""

    def __init__(
        self,
        sim: HomeSim,
        settings: CareSettings,
        actions: Registry,
        alarms: AlarmTap,
        players: frozenset[str] = frozenset(),
    ) -> None:
        self.sim = sim
        self.env = sim.env
        self.world = sim.world
        self.settings = settings
        self.actions = actions
        self.rng = rng_for(sim.seed, "care")  # what actions draw: travel times
        self.players = set(players)
        self.operators = simpy.Resource(self.env, settings.operators)
        self.staff = simpy.Resource(self.env, settings.home_care_staff)
        self.timeline: list[CareAction] = []
        self.cases: list[Case] = []
        self.visits: list[Visit] = []
        self.false_alarms = 0
        self.phone_ringing = False
        self.resident_answers = True
        """Whether the resident (played by a student) answers the safety phone."""
        self.resident_says: Situation | None = None
        """What the resident (played by a student) tells whoever calls; None: the truth."""
        self.consult_asked = False
        self.in_hospital = False
        """Conveyed to hospital and not back yet: nobody finds her at home."""
        self.searchers: list[str] = []
        """The roles searching for a resident who wandered off, in the order they began."""
        self.found_at: list[float] = []
        """When a missing resident was found, each time (sim seconds)."""
        self.measurements: list[Measurement] = []
        """Every measurement taken of the resident, in order."""
        self.records: list[Record] = []
        """Every visit's record (kirjaus), in order."""
        self.measure_rng = rng_for(sim.seed, "care-measure")  # the instruments' errors
        self.acted: Signal[CareAction] = Signal()
        """Every entry of the timeline, as it is written."""
        self.case_raised: Signal[Case] = Signal()
        self.case_changed: Signal[Case] = Signal()
        """A case was answered, linked, reached, closed: the alarm lists follow it."""
        self.visit_begun: Signal[Visit] = Signal()
        self.summoned: Signal[str] = Signal()
        """Someone is needed: 'relative' (the phone rings), 'doctor', 'fire_service', or
        'physiotherapist' (after a fall)."""
        self._actor = ""
        self._busy: dict[str, tuple[float, str]] = {}  # who → (busy until, doing what)
        # one generator per role's default policy: a person in one role changes no other's draws
        self._policy_rngs = {
            r: rng_for(sim.seed, f"care-policy:{r}") for r in [*actions, "fire_service"]
        }
        alarms.alarms.connect(self._alarmed)

    # -- the one way in --------------------------------------------------------------

    def act(
        self, role: str, action: str, args: dict[str, Scalar] | None = None, by: str = ""
    ) -> Said:
        """Take one action now, as `role` (by the person named `by`, else the role's policy);
        says what came of it, or raises ActionError with the reason."""
        if role not in self.actions:
            raise ActionError(said("unknown_role", role=role, roles=", ".join(self.actions)))
        found = self.actions[role].get(action)
        if found is None:
            known = ", ".join(self.actions[role])
            raise ActionError(said("unknown_action", role=role, action=action, can=known))
        given = dict(args or {})
        who = self._worker(role, given)
        until, doing = self._busy.get(who, (0.0, ""))
        left = until - float(self.env.now)
        if left > 0:
            raise ActionError(said("busy", role=role, action=doing, left_s=round(left)))
        self._actor = by
        try:
            result = found.do(self, role, given)
        finally:
            self._actor = ""
        busy = self.settings.duration_s(role, action)
        if busy > 0:
            self._busy[who] = (float(self.env.now) + busy, action)
        return result

    def unless(self, case: Case, condition: str) -> bool:
        """Whether a timed step's condition holds for a case: the resident `found` (or home
        again), `answered` (reachable on the safety phone), help `on_site`, or `resolved`."""
        w = self.world
        if condition == "found":
            return not w.missing()
        if condition == "answered":
            return not w.missing() and w.location != OUTSIDE and not w.fallen
        if condition == "on_site":
            return case.on_site is not None
        return self.resolved(case)

    def hold(self, role: str, seconds: float, doing: str) -> None:
        """Keep a role busy with what it is doing for `seconds` from now (an action whose
        length depends on the situation: walking a resident home from where they were)."""
        self._busy[self._worker(role, {})] = (float(self.env.now) + seconds, doing)

    def busy_s(self, role: str, args: dict[str, Scalar] | None = None) -> float:
        """How long the role (for the alarm centre: its operator on this case) is still busy
        with its last action, seconds."""
        until, _ = self._busy.get(self._worker(role, dict(args or {})), (0.0, ""))
        return max(0.0, until - float(self.env.now))

    def _worker(self, role: str, args: dict[str, Scalar]) -> str:
        # the alarm centre has an operator per case; every other role is one worker
        if role == "alarm_centre":
            case = args.get("case")
            if case is None:  # the newest open case, as the action itself takes it
                case = next((c.id for c in reversed(self.cases) if not c.closed), None)
            return f"{role}:{case}"
        return role

    def take(self, role: str) -> None:
        """A person takes the role over from now: its policy stands aside, mid-task too."""
        if role not in self.actions:
            raise ActionError(said("unknown_role", role=role, roles=", ".join(self.actions)))
        self.players.add(role)

    def played(self, role: str) -> bool:
        """Whether a person plays this role (so its default policy stands aside)."""
        return role in self.players

    def actor(self, role: str) -> str:
        """Who is acting in `role` now: the person's name, "person", or "policy"."""
        return self._actor or ("person" if self.played(role) else "policy")

    def log(self, role: str, action: str, /, **args: Arg) -> Said:
        """Write one action to the care timeline, with what it names (the case, the minutes
        away, what was found); returns it as a message."""
        by = self.actor(role)
        entry = CareAction(self.world.now(), role, action, args, by)
        self.timeline.append(entry)
        self.acted.emit(entry)
        return entry.said

    # -- acting as a default policy ------------------------------------------------------

    def policy_act(
        self, role: str, action: str, args: dict[str, Scalar] | None = None
    ) -> Said | None:
        """Act as the role's default policy; an action that a person's earlier action made
        pointless (the paramedics already called) is noted on the timeline, not fatal. Once a
        person has taken the role over, the policy does nothing more (None)."""
        if self.played(role):
            return None
        try:
            return self.act(role, action, args)
        except ActionError as exc:
            self.log(role, "skipped", action=action, reason=exc.said)
            return None

    def policy_do(
        self, role: str, action: str, args: dict[str, Scalar] | None = None
    ) -> Generator[simpy.Event, Any, Said | None]:
        """`policy_act` once the role is free: a policy waits out its own last action's
        duration, as a person must (the same durations bind both)."""
        busy = self.busy_s(role, args)
        if busy > 0:
            yield self.env.timeout(busy)
        return self.policy_act(role, action, args)

    def next_time(
        self, at: str, days: Sequence[Weekday] = WEEKDAYS
    ) -> Generator[simpy.Event, Any, None]:
        """Wait until the clock next shows `at` (HH:MM local) on one of `days`: a schedule's
        `yield from` in a loop (a routine visit, the relative's call)."""
        while True:
            yield self.env.timeout(seconds_until(self.world.now(), at))
            if WEEKDAYS[self.world.now().weekday()] in days:
                return

    def policy_rng(self, role: str) -> np.random.Generator:
        """The generator of one role's default policy (its delays and choices)."""
        return self._policy_rngs[role]

    def policy_log(self, role: str, action: str, /, **args: Arg) -> None:
        """A step of the policy's own on the timeline, unless a person has the role now."""
        if not self.played(role):
            self.log(role, action, **args)

    # -- alarms and cases ----------------------------------------------------------------

    def _alarmed(self, alarm: tuple[str, Event]) -> None:
        device, event = alarm
        self.alarm(device, event)

    def alarm(self, device: str, event: Event) -> Case:
        """An alarm reaches the alarm centre: a new case, answered by policy or by a person;
        by the default policy, an alarm of an incident that already has an open case joins
        that case at once (a person at the alarm centre links it with `link`)."""
        return self.raise_case(device, event.event_type)

    def raise_case(self, source: str, event_type: str) -> Case:
        """A new case at the alarm centre, from a device or by phone (the relative found no
        answer)."""
        case = Case(len(self.cases) + 1, source, event_type, float(self.env.now))
        self.cases.append(case)
        joins = None if self.played("alarm_centre") else self.same_incident(case)
        if joins is not None:
            self.link(case, joins)
        self.case_raised.emit(case)
        return case

    def open_cases(self) -> list[Case]:
        """The cases not closed yet, newest last (alarms that joined another are closed)."""
        return [c for c in self.cases if not c.closed]

    def same_incident(self, case: Case) -> Case | None:
        """The open case whose incident this new alarm belongs to, if any (`INCIDENT`): the
        same kind of alarm (a second smoke detector of the same fire, the fall detector and
        the wristband of one fall), a call for help while a case is open (the resident's
        button pressed while help is coming) or any alarm while one is, and the front door
        opening at night while the help sent is arriving."""
        kind = INCIDENT.get(case.event_type, case.event_type)
        for other in reversed(self.open_cases()):
            if other is case:
                continue
            was = INCIDENT.get(other.event_type, other.event_type)
            helping = "help" in (kind, was) and {kind, was} <= URGENT
            if kind == was or helping or (kind == "door" and other.sent):
                return other
        return None

    def link(self, case: Case, to: Case) -> Said:
        """`case` (an alarm) joins the open case `to`: the same incident, not a case of its
        own; it is closed with it, and the device's alarm is silenced."""
        case.linked_to = to.id
        case.closed = True
        case.closed_at = float(self.env.now)
        case.closed_by = self.actor("alarm_centre")
        to.linked.append(case.id)
        self.silence(case.device)
        self.changed(case)
        self.changed(to)
        return self.log(
            "alarm_centre",
            "linked",
            case=case.id,
            to=to.id,
            event_type=case.event_type,
            device=case.device,
        )

    def changed(self, case: Case) -> None:
        """Tell the alarm lists that a case changed."""
        self.case_changed.emit(case)

    def resolved(self, case: Case) -> bool:
        """Whether the case's situation is resolved, so it may close: everyone sent has done
        their job (or there was nobody to send), and nobody needs help any more (not on the
        floor, no smoke, not out in the night)."""
        visits = [v for v in self.visits if v.case is case]
        if any(not v.done for v in visits):
            return False
        w = self.world
        if w.fallen or w.smoke:
            return False
        return not (w.location == OUTSIDE and w.activity == "wandering")

    def case(self, args: dict[str, Scalar], key: str = "case") -> Case:
        """The open case an action names (`key`; the newest open one when none is named)."""
        wanted = args.get(key)
        open_ = self.open_cases()
        if wanted is None:
            if not open_:
                raise ActionError(said("no_open_case"))
            return open_[-1]
        found = next((c for c in self.cases if c.id == wanted), None)
        if found is None:
            known = ", ".join(str(c.id) for c in open_) or "-"
            raise ActionError(said("no_case", case=str(wanted)[:20], open=known))
        if found.linked_to is not None:
            raise ActionError(said("case_linked_already", case=found.id, to=found.linked_to))
        if found.closed:
            raise ActionError(said("case_closed_already", case=found.id))
        return found

    def answered_case(self, args: dict[str, Scalar]) -> Case:
        """The case an action names, which must have been answered."""
        case = self.case(args)
        if case.answered is None:
            raise ActionError(said("answer_first", case=case.id))
        return case

    # -- visits ----------------------------------------------------------------------

    def visit(self, role: str) -> Visit | None:
        """The role's visit in progress, if any."""
        return next((v for v in self.visits if v.role == role and not v.done), None)

    def visiting(self, role: str, inside: bool | None = None) -> Visit:
        """The role's visit in progress; `inside` True: must be in the home, False: not yet."""
        visit = self.visit(role)
        if visit is None:
            raise ActionError(said("no_visit", role=role))
        if inside is not None and visit.arrived is None:
            raise ActionError(said("not_arrived", role=role))
        if inside is True and not visit.inside:
            raise ActionError(said("go_in_first"))
        if inside is False and visit.inside:
            raise ActionError(said("already_inside"))
        return visit

    def case_of(self, role: str) -> Case | None:
        """The case the role's visit is for, if any."""
        visit = self.visit(role)
        return visit.case if visit is not None else None

    def begin_visit(self, role: str, reason: str, travel_s: float, case: Case | None) -> Visit:
        """A visiting role sets off; its policy takes it from there unless a person plays it."""
        now = float(self.env.now)
        visit = Visit(role, reason, now, now + travel_s, case)
        self.visits.append(visit)
        self.visit_begun.emit(visit)
        return visit

    # -- the home's devices and the resident ---------------------------------------------

    def lock(self) -> Device | None:
        """The home's smart lock, if it has one."""
        return next((d for d in self.sim.devices.values() if d.spec.type == "smart_lock"), None)

    def silence(self, device_id: str) -> None:
        """Silence a device's alarm (when it takes the command)."""
        device = self.sim.devices.get(device_id)
        if device is not None and "silence" in device.spec.commands:
            device.command("silence", {}, f"care-{len(self.timeline)}")

    def get_up(self, role: str, action: str) -> Said:
        """The resident is off the floor and back to the day; a fall-risk visit follows.
        Whoever helped resets the alarms still on at the devices (the wristband's)."""
        self.world.set("fallen", False)
        self.world.injured = False
        done = self.log(role, action)
        for device in self.sim.devices.values():
            if device.state.get("alarm") is True:
                self.silence(device.id)
        self.sim.occupant.resume()
        if self.settings.physio_after_fall_days is not None:
            self.summoned.emit("physiotherapist")
        return done

    def ask_doctor(self, role: str, case: int | None = None) -> Said:
        """Ask the doctor for a consultation (the alarm centre, or home care from the home)."""
        self.consult_asked = True
        self.log(role, "called_doctor", case=case)
        self.summoned.emit("doctor")
        return said("doctor_calls_back")

    def travel_s(self, mean_min: float, low: float = 0.75, high: float = 1.25) -> float:
        """A journey's length: the mean, drawn a little longer or shorter, in seconds."""
        return mean_min * 60 * float(self.rng.uniform(low, high))
