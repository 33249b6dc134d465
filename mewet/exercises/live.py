"""One exercise running live: its clock, its home, its people's inputs and its live feed.

The exercise advances its simulation from an asyncio task as the clock allows (speed, pause,
step); devices publish through the exercise's sink (the broker in the lab) and into its
`HomeView`. Inputs (actions, controls, injections, notes) are applied at the current sim time
and handed to `on_input` to be kept, so that a replay of them gives the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from typing import Any, Literal

from mewet.contract import Message, format_ts
from mewet.devices.sink import Sink
from mewet.exercises.inputs import Input, InputKind, Setup, apply, build, incident_of, replay
from mewet.exercises.view import HomeView, frame
from mewet.scenarios.care import ActionError, CareAction, Case, kpis
from mewet.scenarios.clock import SimClock
from mewet.scenarios.homesim import HomeSim

Phase = Literal["created", "running", "paused", "ended"]
Frame = dict[str, Any]
CONTROLS = ("start", "pause", "resume", "speed", "step", "inject", "end")
MAX_SPEED = 3600.0
PUMP_S = 0.25  # acks and keep-alive: messages themselves go out as they are published


class Refused(Exception):  # noqa: N818 - the API answers it with 409 and its reason
    """An input that makes no sense now; the message says why."""


class Relay:
    """A sink whose target can be set later (replayed first, then connected to the broker)."""

    def __init__(self, *targets: Sink) -> None:
        self.targets = list(targets)

    def publish(self, message: Message) -> None:
        """Pass the message to every target."""
        for target in self.targets:
            target.publish(message)


class Stamps:
    """When each telemetry and event message went out (wall clock, Unix seconds), by message
    id: the live feed adds it to the frame, so a client can tell how late it is."""

    def __init__(self, keep: int = 20_000) -> None:
        self.sent: dict[str, float] = {}
        self.keep = keep

    def publish(self, message: Message) -> None:
        """Note when the message went out."""
        msg_id = getattr(message.payload, "id", None)
        if msg_id is not None:
            self.sent[msg_id] = time.time()
            if len(self.sent) > self.keep:
                self.sent.pop(next(iter(self.sent)))


class Exercise:
    """A live exercise: advance, steer, act, note, and tell every participant."""

    def __init__(
        self,
        exercise_id: int,
        setup: Setup,
        *,
        speed: float = 60.0,
        inputs: list[Input] | None = None,
        at_s: float = 0.0,
        phase: Phase = "created",
        on_input: Callable[[Exercise, Input], None] | None = None,
        local_feed: bool = True,
        tick_s: float = 0.05,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = exercise_id
        self.setup = setup
        self.subscribers: set[asyncio.Queue[Frame]] = set()
        self.inputs: list[Input] = list(inputs or [])
        self.view = HomeView()
        self.stamps = Stamps()
        self.relay = Relay(self.view, self.stamps)
        if local_feed:
            self.relay.targets.append(LocalFeed(self))
        self.sim: HomeSim = (
            replay(setup, self.inputs, at_s, self.relay)
            if self.inputs
            else build(setup, self.relay)
        )
        self.sim.start()
        self.phase: Phase = phase
        self.clock = SimClock(setup.start, speed, monotonic)
        self.clock.pause(float(self.sim.env.now))
        self.on_input = on_input
        self.tick_s = tick_s
        self.pump: Callable[[], None] | None = None
        self._ended = asyncio.Event()
        if phase == "ended":  # restored after it ended: the home is switched off
            self.sim.shutdown()
            self._ended.set()
        team = self.sim.care
        if team is not None:
            team.listeners.append(self._acted)
            team.case_listeners.append(self._alarm)

    # -- what everyone sees ------------------------------------------------------------

    @property
    def now_s(self) -> float:
        """The exercise's sim time, in seconds from the start."""
        return float(self.sim.env.now)

    def clock_frame(self) -> Frame:
        """Where the clock stands."""
        return {
            "type": "clock",
            "sim_s": round(self.now_s, 3),
            "time": format_ts(self.sim.world.now()),
            "speed": self.clock.speed,
            "phase": self.phase,
            "end_s": self.setup.end_s,
        }

    def snapshot(self) -> Frame:
        """Everything a participant needs on (re)connecting, before the live frames."""
        team = self.sim.care
        return {
            "type": "snapshot",
            "clock": self.clock_frame(),
            "home": self.view.devices(),
            "cases": [c.public() for c in team.cases] if team else [],
            "actions": [_action_frame(a) for a in team.timeline] if team else [],
            "notes": [_note_frame(self, i) for i in self.inputs if i.kind == "note"],
        }

    def broadcast(self, item: Frame) -> None:
        """Send a frame to every connected participant; a participant who cannot keep up
        (a full queue) is dropped and gets a fresh snapshot on reconnecting."""
        for queue in list(self.subscribers):
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:
                self.subscribers.discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait({"type": "lagging"})

    def subscribe(self, size: int = 5000) -> asyncio.Queue[Frame]:
        """A queue that gets the snapshot now and every live frame after it."""
        queue: asyncio.Queue[Frame] = asyncio.Queue(size)
        queue.put_nowait(self.snapshot())
        self.subscribers.add(queue)
        return queue

    def _acted(self, action: CareAction) -> None:
        self.broadcast(_action_frame(action))

    def _alarm(self, case: Case) -> None:
        self.broadcast({"type": "alarm", **case.public(), "time": format_ts(self.sim.world.now())})

    # -- inputs ----------------------------------------------------------------------

    def _record(
        self,
        kind: InputKind,
        name: str,
        role: str | None,
        args: dict[str, Any],
        by: str,
        at_s: float | None = None,
    ) -> Input:
        when = self.now_s if at_s is None else at_s
        return Input(len(self.inputs) + 1, when, kind, name, role, args, by)

    def _keep(self, entry: Input) -> None:
        self.inputs.append(entry)
        if self.on_input is not None:
            self.on_input(self, entry)

    def check_running(self) -> None:
        """Refused unless the exercise has started and not ended."""
        if self.phase == "created":
            raise Refused("the exercise has not started yet")
        if self.phase == "ended":
            raise Refused("the exercise has ended")

    def act(self, role: str, action: str, args: dict[str, Any], by: str) -> str:
        """A person's action in a role, now; Refused says why it cannot be done."""
        self.check_running()
        entry = self._record("action", action, role, args, by)
        try:
            result = apply(self.sim, self.setup, entry)
        except (ActionError, ValueError) as exc:
            raise Refused(str(exc)) from None
        self._keep(entry)
        return result

    def join(self, role: str, by: str) -> str:
        """A person takes a role: from now on its default policy stands aside."""
        if self.phase == "ended":
            raise Refused("the exercise has ended")
        if role not in self.setup.roles:
            open_ = ", ".join(sorted(self.setup.roles)) or "none"
            raise Refused(f"role {role!r} is not open to students (open: {open_})")
        if self.sim.care is not None and self.sim.care.played(role):
            return f"{role} is already played by a person"
        entry = self._record("join", role, role, {}, by)
        result = apply(self.sim, self.setup, entry)
        self._keep(entry)
        self.broadcast({"type": "joined", "role": role, "by": by})
        return result

    def plays(self, role: str) -> bool:
        """Whether a person plays the role now."""
        return self.sim.care is not None and self.sim.care.played(role)

    def note(self, text: str, role: str | None, by: str) -> Input:
        """A timestamped, attributed note (documentation)."""
        if self.phase == "ended":
            raise Refused("the exercise has ended")
        entry = self._record("note", "note", role, {"text": text}, by)
        self._keep(entry)
        self.broadcast(_note_frame(self, entry))
        return entry

    def control(self, name: str, args: dict[str, Any], by: str) -> str:
        """The teacher steers: start, pause, resume, speed, step, inject, end."""
        if name not in CONTROLS:
            raise Refused(f"unknown control {name!r} (controls: {', '.join(CONTROLS)})")
        if self.phase == "ended":
            raise Refused("the exercise has ended")
        pressed = self.now_s  # a step is kept at the moment it was asked for
        result = getattr(self, f"_{name}")(args)
        if name == "inject":
            entry = self._record("inject", str(args["type"]), None, args, by)
            apply(self.sim, self.setup, entry)
        else:
            entry = self._record("control", name, None, args, by, pressed)
        self._keep(entry)
        self.broadcast({"type": "control", "name": name, "args": args, "by": by})
        self.broadcast(self.clock_frame())
        return str(result)

    def _start(self, args: dict[str, Any]) -> str:
        if self.phase != "created":
            raise Refused(f"the exercise is already {self.phase}")
        self.phase = "running"
        self.clock.resume(self.now_s)
        return "started"

    def _pause(self, args: dict[str, Any]) -> str:
        if self.phase != "running":
            raise Refused(f"only a running exercise can be paused (it is {self.phase})")
        self.phase = "paused"
        self.clock.pause(self.now_s)
        return "paused"

    def _resume(self, args: dict[str, Any]) -> str:
        if self.phase != "paused":
            raise Refused(f"only a paused exercise can be resumed (it is {self.phase})")
        self.phase = "running"
        self.clock.resume(self.now_s)
        return "resumed"

    def _speed(self, args: dict[str, Any]) -> str:
        speed = args.get("speed")
        if not isinstance(speed, int | float) or not 0 < speed <= MAX_SPEED:
            raise Refused(f"speed must be a number above 0 and at most {MAX_SPEED:g}")
        self.clock.set_speed(float(speed), self.now_s)
        return f"speed {speed:g}"

    def _step(self, args: dict[str, Any]) -> str:
        minutes = args.get("minutes")
        if not isinstance(minutes, int | float) or not 0 < minutes <= 24 * 60:
            raise Refused("step takes minutes: a number above 0 and at most 1440")
        if self.phase == "created":
            raise Refused("start the exercise first")
        self.phase = "paused"
        self.clock.step(float(minutes), self.now_s)
        self.advance()
        return f"stepped {minutes:g} min"

    def _inject(self, args: dict[str, Any]) -> str:
        if self.phase == "created":
            raise Refused("start the exercise first")
        index = args.pop("incident", None)
        if index is not None:
            incidents = self.setup.scenario.incidents
            if not isinstance(index, int) or not 0 <= index < len(incidents):
                raise Refused(
                    f"incident {index!r}: the scenario has incidents 0 to {len(incidents) - 1}"
                )
            spec = incidents[index].settings()
            args.clear()
            args.update(spec)
        try:
            incident = incident_of(args)
        except ValueError as exc:
            raise Refused(str(exc)) from None
        problems = self.setup.scenario.model_copy(update={"incidents": [incident]}).problems()
        if problems:
            raise Refused("; ".join(msg for _, msg in problems))
        args.clear()
        args.update(incident.settings())
        return f"{incident.type} injected"

    def _end(self, args: dict[str, Any]) -> str:
        self.finish()
        return "ended"

    # -- running -----------------------------------------------------------------------

    def advance(self) -> None:
        """Run the home up to where the clock allows."""
        target = min(self.setup.end_s, self.clock.target())
        if math.isfinite(target) and target > self.now_s:
            self.sim.run(target)

    def finish(self) -> None:
        """End: devices say offline, the clock stops, participants are told."""
        if self.phase == "ended":
            return
        self.phase = "ended"
        self.clock.pause(self.now_s)
        self.sim.shutdown()
        self._ended.set()

    async def run(self) -> None:
        """Advance with the clock until the exercise ends; a clock frame every second."""
        last = pumped = 0.0
        while self.phase != "ended":
            now = time.monotonic()
            if self.pump is not None and now - pumped >= PUMP_S:
                pumped = now
                self.pump()
            self.advance()
            if self.now_s >= self.setup.end_s:
                self.finish()
                self.broadcast(self.clock_frame())
                break
            if now - last >= 1.0 and self.phase == "running":
                last = now
                self.broadcast(self.clock_frame())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ended.wait(), self.tick_s)

    def kpis(self) -> dict[str, Any]:
        """The KPIs so far, against the scenario's targets."""
        team = self.sim.care
        if team is None:
            return {}
        missed = sum(1 for c in team.cases if c.event_type == "dose_missed")
        return kpis(team, self.sim.truth.records, missed)


class LocalFeed:
    """The local live feed: device messages straight to the participants (no broker)."""

    def __init__(self, exercise: Exercise) -> None:
        self.exercise = exercise

    def publish(self, message: Message) -> None:
        """Send the message to the exercise's participants."""
        self.exercise.broadcast(frame(message))


def _action_frame(a: CareAction) -> Frame:
    return {"type": "action", **a.as_json()}


def _note_frame(exercise: Exercise, entry: Input) -> Frame:
    return {
        "type": "note",
        "n": entry.n,
        "ts": format_ts(exercise.sim.world.date(entry.sim_s)),
        "role": entry.role,
        "by": entry.by,
        "text": entry.args.get("text", ""),
    }
