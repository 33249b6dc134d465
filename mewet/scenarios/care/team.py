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
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import simpy

from mewet.contract import Event, Message, Scalar
from mewet.devices.base import Device
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.records import CareAction, Case, Visit
from mewet.scenarios.care.settings import WEEKDAYS, CareSettings, Weekday
from mewet.scenarios.homesim import HomeSim
from mewet.sim.seeds import rng_for
from mewet.sim.sink import Sink

T = TypeVar("T")


class Signal(Generic[T]):
    """Something the team announces; listeners are called in the order they connected."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[T], None]] = []

    def connect(self, listener: Callable[[T], None]) -> None:
        """Call `listener` with every value emitted from now on."""
        self._listeners.append(listener)

    def emit(self, value: T) -> None:
        """Tell every listener."""
        for listen in self._listeners:
            listen(value)


class AlarmTap:
    """A sink in front of the real one: passes everything on, and announces alarm events."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.alarms: Signal[tuple[str, Event]] = Signal()

    def publish(self, message: Message) -> None:
        """Pass the message on; an alarm is also announced (to the alarm centre)."""
        self.sink.publish(message)
        p = message.payload
        if isinstance(p, Event) and p.severity == "alarm":
            self.alarms.emit((message.topic.device, p))


ActionFn = Callable[["CareTeam", str, dict[str, Scalar]], str]


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
        self.consult_asked = False
        self.acted: Signal[CareAction] = Signal()
        """Every entry of the timeline, as it is written."""
        self.case_raised: Signal[Case] = Signal()
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
    ) -> str:
        """Take one action now, as `role` (by the person named `by`, else the role's policy);
        says what came of it, or raises ActionError with the reason."""
        if role not in self.actions:
            raise ActionError(f"unknown role {role!r} (roles: {', '.join(self.actions)})")
        found = self.actions[role].get(action)
        if found is None:
            known = ", ".join(self.actions[role])
            raise ActionError(f"a {role} cannot {action!r} (can: {known})")
        given = dict(args or {})
        who = self._worker(role, given)
        until, doing = self._busy.get(who, (0.0, ""))
        left = until - float(self.env.now)
        if left > 0:
            minutes = f"{left / 60:.0f} min" if left >= 120 else f"{left:.0f} s"
            raise ActionError(
                f"the {role.replace('_', ' ')} is still busy ({doing.replace('_', ' ')}) "
                f"for about {minutes}"
            )
        self._actor = by
        try:
            result = found.do(self, role, given)
        finally:
            self._actor = ""
        busy = self.settings.duration_s(role, action)
        if busy > 0:
            self._busy[who] = (float(self.env.now) + busy, action)
        return result

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
            raise ActionError(f"unknown role {role!r} (roles: {', '.join(self.actions)})")
        self.players.add(role)

    def played(self, role: str) -> bool:
        """Whether a person plays this role (so its default policy stands aside)."""
        return role in self.players

    def actor(self, role: str) -> str:
        """Who is acting in `role` now: the person's name, "person", or "policy"."""
        return self._actor or ("person" if self.played(role) else "policy")

    def log(self, role: str, action: str, detail: str = "") -> None:
        """Write one action to the care timeline."""
        by = self.actor(role)
        entry = CareAction(self.world.now(), role, action, detail, by)
        self.timeline.append(entry)
        self.acted.emit(entry)

    # -- acting as a default policy ------------------------------------------------------

    def policy_act(self, role: str, action: str, args: dict[str, Scalar] | None = None) -> str:
        """Act as the role's default policy; an action that a person's earlier action made
        pointless (the paramedics already called) is noted on the timeline, not fatal. Once a
        person has taken the role over, the policy does nothing more."""
        if self.played(role):
            return ""
        try:
            return self.act(role, action, args)
        except ActionError as exc:
            self.log(role, "skipped", f"{action}: {exc}")
            return ""

    def policy_do(
        self, role: str, action: str, args: dict[str, Scalar] | None = None
    ) -> Generator[simpy.Event, Any, str]:
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
        h, m = map(int, at.split(":"))
        while True:
            now = self.world.now()
            wait = (h * 3600 + m * 60 - (now.hour * 3600 + now.minute * 60 + now.second)) % 86400
            yield self.env.timeout(wait or 86400)
            if WEEKDAYS[self.world.now().weekday()] in days:
                return

    def policy_rng(self, role: str) -> np.random.Generator:
        """The generator of one role's default policy (its delays and choices)."""
        return self._policy_rngs[role]

    def policy_log(self, role: str, action: str, detail: str = "") -> None:
        """A step of the policy's own on the timeline, unless a person has the role now."""
        if not self.played(role):
            self.log(role, action, detail)

    # -- alarms and cases ----------------------------------------------------------------

    def _alarmed(self, alarm: tuple[str, Event]) -> None:
        device, event = alarm
        self.alarm(device, event)

    def alarm(self, device: str, event: Event) -> Case:
        """An alarm reaches the alarm centre: a new case, answered by policy or by a person."""
        return self.raise_case(device, event.event_type)

    def raise_case(self, source: str, event_type: str) -> Case:
        """A new case at the alarm centre, from a device or by phone (the relative found no
        answer)."""
        case = Case(len(self.cases) + 1, source, event_type, float(self.env.now))
        self.cases.append(case)
        self.case_raised.emit(case)
        return case

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

    def answered_case(self, args: dict[str, Scalar]) -> Case:
        """The case an action names, which must have been answered."""
        case = self.case(args)
        if case.answered is None:
            raise ActionError(f"answer alarm case {case.id} first")
        return case

    # -- visits ----------------------------------------------------------------------

    def visit(self, role: str) -> Visit | None:
        """The role's visit in progress, if any."""
        return next((v for v in self.visits if v.role == role and not v.done), None)

    def visiting(self, role: str, inside: bool | None = None) -> Visit:
        """The role's visit in progress; `inside` True: must be in the home, False: not yet."""
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

    def get_up(self, role: str, action: str) -> None:
        """The resident is off the floor and back to the day; a fall-risk visit follows.
        Whoever helped resets the alarms still on at the devices (the wristband's)."""
        self.world.set("fallen", False)
        self.world.injured = False
        self.log(role, action)
        for device in self.sim.devices.values():
            if device.state.get("alarm") is True:
                self.silence(device.id)
        self.sim.occupant.resume()
        if self.settings.physio_after_fall_days is not None:
            self.summoned.emit("physiotherapist")

    def ask_doctor(self, role: str) -> str:
        """Ask the doctor for a consultation (the alarm centre, or home care from the home)."""
        self.consult_asked = True
        self.log(role, "called_doctor")
        self.summoned.emit("doctor")
        return "the doctor will call back"

    def travel_s(self, mean_min: float, low: float = 0.75, high: float = 1.25) -> float:
        """A journey's length: the mean, drawn a little longer or shorter, in seconds."""
        return mean_min * 60 * float(self.rng.uniform(low, high))
