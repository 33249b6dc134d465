"""One exercise running live: its clock, its home, its people's inputs and its live feed.

The exercise advances its simulation from an asyncio task as the clock allows (speed, pause,
step); devices publish through the exercise's sink (the broker in the lab) and into its
`HomeView`. Inputs (actions, controls, injections, notes) are applied at the current sim time
and handed to `on_input` to be kept, so that a replay of them gives the same run.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any, Literal

from mewet.exercises.errors import InvalidInputError, RefusedError
from mewet.exercises.feed import Feed, LocalFeed
from mewet.exercises.frames import (
    ActionFrame,
    AlarmFrame,
    CaseFrame,
    ClockFrame,
    ControlFrame,
    Frame,
    JoinedFrame,
    NoteFrame,
    SnapshotFrame,
)
from mewet.exercises.inputs import Input, InputKind, Setup, apply, build, incident_of, replay
from mewet.exercises.view import HomeThen, HomeView, Relay, Stamps
from mewet.scenarios.care import ActionError, CareAction, Case, kpis
from mewet.scenarios.run import ScenarioSim
from mewet.sim.clock import SimClock, local_time
from mewet.sim.sink import Sink
from mewet.texts import Said, said

Phase = Literal["created", "running", "paused", "ended"]
CONTROLS = ("start", "pause", "resume", "speed", "step", "inject", "end")
MAX_SPEED = 3600.0
CHUNK_S = 120.0  # sim seconds run between two looks at the wall clock
NEXT_LOOK_S = 30.0  # sim seconds run between two looks for what happens next
SNAPSHOT_NOTES = 200
"""Notes a (re)connecting participant gets at once, the newest; every note is in the debrief."""


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
        feed: Feed | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = exercise_id
        self.setup = setup
        self.feed = feed or Feed()
        self.inputs: list[Input] = list(inputs or [])
        self.zone = setup.zone
        self.view = HomeView(self.zone)
        self.stamps = Stamps()
        self.relay = Relay(self.view, self.stamps)
        if local_feed:
            self.feed_locally()
        self.sim: ScenarioSim = (
            replay(setup, self.inputs, at_s, self.relay)
            if self.inputs
            else build(setup, self.relay)
        )
        self.sim.start()
        self.phase: Phase = phase
        self.clock = SimClock(setup.start, speed, monotonic)
        self.clock.pause(float(self.sim.env.now))
        self.on_input = on_input
        self._pump: Callable[[], None] | None = None
        self._clocked = 0.0
        if phase == "ended":  # restored after it ended: the home is switched off
            self.sim.shutdown()
        self.sim.team.acted.connect(self._acted)
        self.sim.team.case_raised.connect(self._alarm)
        self.sim.team.case_changed.connect(self._case)

    # -- where the home's messages go --------------------------------------------------

    def connect(self, sink: Sink, pump: Callable[[], None] | None = None) -> None:
        """Publish the home's messages into `sink` from now on (the broker's connection);
        `pump` lets its network work happen while the exercise runs."""
        self.relay.attach(sink)
        self._pump = pump

    def disconnect(self, sink: Sink) -> None:
        """Stop publishing into `sink`."""
        self.relay.detach(sink)
        self._pump = None

    def feed_locally(self) -> None:
        """Send the home's messages straight to the participants (no broker in between)."""
        self.relay.attach(LocalFeed(self.feed))

    # -- what everyone sees ------------------------------------------------------------

    @property
    def now_s(self) -> float:
        """The exercise's sim time, in seconds from the start."""
        return float(self.sim.env.now)

    def home_now(self) -> HomeThen:
        """Every device's state now."""
        return HomeThen(round(self.now_s, 3), self.time(), self.view.devices())

    def devices(self) -> list[str]:
        """The ids of the home's devices."""
        return sorted(self.sim.devices)

    def time(self, sim_s: float | None = None) -> str:
        """The date and time of a sim time (default: now), as the API and frames give it: the
        home's local time with its offset."""
        return local_time(self.sim.world.date(self.now_s if sim_s is None else sim_s), self.zone)

    def clock_frame(self) -> ClockFrame:
        """Where the clock stands."""
        return ClockFrame(
            sim_s=round(self.now_s, 3),
            time=self.time(),
            speed=self.clock.speed,
            phase=self.phase,
            end_s=self.setup.end_s,
        )

    def snapshot(self) -> SnapshotFrame:
        """Everything a participant needs on (re)connecting, before the live frames."""
        team = self.sim.team
        return SnapshotFrame(
            clock=self.clock_frame(),
            home=self.view.devices(),
            cases=[c.public() for c in team.cases],
            actions=[ActionFrame.of(a, self.zone) for a in team.timeline],
            # the newest notes: the rest are in the debrief (a flood makes no snapshot huge)
            notes=[_note_frame(self, i) for i in self.inputs if i.kind == "note"][-SNAPSHOT_NOTES:],
        )

    def broadcast(self, item: Frame) -> None:
        """Send a frame to every connected participant (through the feed)."""
        self.feed.post(item)

    def subscribe(self, size: int = 5000) -> asyncio.Queue[Frame]:
        """A queue that gets the snapshot now and every live frame after it."""
        queue: asyncio.Queue[Frame] = asyncio.Queue(size)
        self.feed.join(queue, self.snapshot())
        return queue

    def _acted(self, action: CareAction) -> None:
        self.broadcast(ActionFrame.of(action, self.zone))

    def _alarm(self, case: Case) -> None:
        self.broadcast(AlarmFrame.of(case, self.time()))

    def _case(self, case: Case) -> None:
        self.broadcast(CaseFrame.of(case))

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
            raise RefusedError(said("not_started"))
        if self.phase == "ended":
            raise RefusedError(said("exercise_ended"))

    def act(self, role: str, action: str, args: dict[str, Any], by: str) -> Said:
        """A person's action in a role, now; Refused says why it cannot be done."""
        self.check_running()
        entry = self._record("action", action, role, args, by)
        try:
            result = apply(self.sim, self.setup, entry)
        except ActionError as exc:
            raise RefusedError(exc.said) from None
        self._keep(entry)
        return result

    def join(self, role: str, by: str) -> Said:
        """A person takes a role: from now on its default policy stands aside."""
        if self.phase == "ended":
            raise RefusedError(said("exercise_ended"))
        if role not in self.setup.roles:
            open_ = ", ".join(sorted(self.setup.roles)) or "-"
            raise RefusedError(said("role_not_open", role=role[:40], open=open_))
        if self.sim.team.played(role):
            return said("role_joined", role=role)
        entry = self._record("join", role, role, {}, by)
        result = apply(self.sim, self.setup, entry)
        self._keep(entry)
        self.broadcast(JoinedFrame(role=role, by=by))
        return result

    def plays(self, role: str) -> bool:
        """Whether a person plays the role now."""
        return self.sim.team.played(role)

    def note(self, text: str, role: str | None, by: str) -> Input:
        """A timestamped, attributed note (documentation)."""
        if self.phase == "ended":
            raise RefusedError(said("exercise_ended"))
        entry = self._record("note", "note", role, {"text": text}, by)
        self._keep(entry)
        self.broadcast(_note_frame(self, entry))
        return entry

    def control(self, name: str, args: dict[str, Any], by: str) -> Said:
        """The teacher steers: start, pause, resume, speed, step, inject, end."""
        if name not in CONTROLS:
            raise RefusedError(
                said("unknown_control", control=name[:40], controls=", ".join(CONTROLS))
            )
        if self.phase == "ended":
            raise RefusedError(said("exercise_ended"))
        pressed = self.now_s  # a step is kept at the moment it was asked for
        steer: dict[str, Callable[[dict[str, Any]], Said]] = {
            "start": self._start,
            "pause": self._pause,
            "resume": self._resume,
            "speed": self._speed,
            "step": self._step,
            "inject": self._inject,
            "end": self._end,
        }
        result = steer[name](args)
        if name == "inject":
            entry = self._record("inject", str(args["type"]), None, args, by)
            apply(self.sim, self.setup, entry)
        else:
            entry = self._record("control", name, None, args, by, pressed)
        self._keep(entry)
        self.broadcast(ControlFrame(name=name, args=args, by=by))
        self.broadcast(self.clock_frame())
        return result

    def _start(self, args: dict[str, Any]) -> Said:
        if self.phase != "created":
            raise RefusedError(said("already_in_phase", phase=self.phase))
        self.phase = "running"
        self.clock.resume(self.now_s)
        return said("control_start")

    def go_on(self) -> None:
        """Run on from where it was restored, with no input of its own: another server ran
        it until it stopped, and its class is still there."""
        if self.phase == "running":
            self.clock.resume(self.now_s)

    def _pause(self, args: dict[str, Any]) -> Said:
        if self.phase != "running":
            raise RefusedError(said("pause_not_running", phase=self.phase))
        self.phase = "paused"
        self.clock.pause(self.now_s)
        return said("control_pause")

    def _resume(self, args: dict[str, Any]) -> Said:
        if self.phase != "paused":
            raise RefusedError(said("resume_not_paused", phase=self.phase))
        self.phase = "running"
        self.clock.resume(self.now_s)
        return said("control_resume")

    def _speed(self, args: dict[str, Any]) -> Said:
        speed = args.get("speed")
        if not isinstance(speed, int | float) or not 0 < speed <= MAX_SPEED:
            raise InvalidInputError([("args.speed", said("speed_range", most=MAX_SPEED))])
        self.clock.set_speed(float(speed), self.now_s)
        return said("control_speed", speed=speed)

    def _step(self, args: dict[str, Any]) -> Said:
        if args.get("to") == "next":
            return self._step_to_next(args)
        minutes = args.get("minutes")
        if not isinstance(minutes, int | float) or not 0 < minutes <= 24 * 60:
            raise InvalidInputError([("args.minutes", said("step_range", most=24 * 60))])
        if self.phase == "created":
            raise RefusedError(said("start_first"))
        self.phase = "paused"
        self.clock.step(float(minutes), self.now_s)
        self.advance()
        return said("control_step", min=minutes)

    def _step_to_next(self, args: dict[str, Any]) -> Said:
        """Run on to the next thing that happens (an alarm, what someone of the team does),
        at most a day, and stand still there; kept as the minutes it took."""
        if self.phase == "created":
            raise RefusedError(said("start_first"))
        team = self.sim.team
        seen = (len(team.cases), len(team.timeline))
        start = self.now_s
        horizon = min(self.setup.end_s, start + 24 * 3600)
        if horizon <= start:
            raise RefusedError(said("nothing_after_the_end"))
        at = start
        while at < horizon and (len(team.cases), len(team.timeline)) == seen:
            at = min(horizon, at + NEXT_LOOK_S)
            self.sim.run(at)
        minutes = round((at - start) / 60, 1)
        self.phase = "paused"
        self.clock.pause(at)
        args.clear()
        args.update({"to": "next", "minutes": minutes})
        if (len(team.cases), len(team.timeline)) == seen:
            return said("control_step_quiet", min=minutes)
        return said("control_step_next", min=minutes)

    def _inject(self, args: dict[str, Any]) -> Said:
        if self.phase == "created":
            raise RefusedError(said("start_first"))
        index = args.pop("incident", None)
        if index is not None:
            incidents = self.setup.scenario.incidents
            if not isinstance(index, int) or not 0 <= index < len(incidents):
                raise InvalidInputError(
                    [("args.incident", said("incident_index", count=len(incidents)))]
                )
            spec = incidents[index].settings()
            args.clear()
            args.update(spec)
        incident = incident_of(args)
        problems = self.setup.scenario.model_copy(update={"incidents": [incident]}).problems()
        if problems:
            raise InvalidInputError([(f"args.{loc[-1]}", message) for loc, message in problems])
        args.clear()
        args.update(incident.settings())
        return said("control_inject", incident=incident.type)

    def _end(self, args: dict[str, Any]) -> Said:
        self.finish()
        return said("control_end")

    # -- running -----------------------------------------------------------------------

    def advance(self, budget_s: float | None = None) -> bool:
        """Run the home up to where the clock allows, for at most `budget_s` of wall time
        (None: all the way); whether it is still behind the clock."""
        target = min(self.setup.end_s, self.clock.target())
        if not math.isfinite(target) or target <= self.now_s:
            return False
        if budget_s is None:
            self.sim.run(target)
            return False
        deadline = time.monotonic() + budget_s
        while self.now_s < target:
            # a run cut into stretches is the same run (tests/sim/test_readings.py)
            self.sim.run(min(target, self.now_s + CHUNK_S))
            if time.monotonic() >= deadline:
                break
        return self.now_s < target

    def turn(self, budget_s: float) -> bool:
        """One turn on the runner: the broker's network work, the home run towards its
        clock for at most `budget_s`, a clock frame every second, the end at the end.
        Returns whether the home is still behind its clock."""
        if self.phase == "ended":
            return False
        now = time.monotonic()
        behind = self.advance(budget_s)
        if self._pump is not None:
            # what the turn (or a call between turns) published leaves now, many messages to
            # a system call; acks come in and keep-alives go out
            self._pump()
        if self.now_s >= self.setup.end_s:
            self.finish()
            self.broadcast(self.clock_frame())
            return False
        if now - self._clocked >= 1.0 and self.phase == "running":
            self._clocked = now
            self.broadcast(self.clock_frame())
        return behind

    def finish(self) -> None:
        """End: devices say offline, the clock stops, participants are told."""
        if self.phase == "ended":
            return
        self.phase = "ended"
        self.clock.pause(self.now_s)
        self.sim.shutdown()

    def release(self) -> None:
        """After the end: let go of what only a live run needs (each device's recent
        messages, the send times); the debrief is replayed from the inputs anyway."""
        self.view.history.clear()
        self.stamps.clear()

    def kpis(self) -> dict[str, Any]:
        """The KPIs so far, against the scenario's targets."""
        team = self.sim.team
        missed = sum(1 for c in team.cases if c.event_type == "dose_missed")
        return kpis(team, self.sim.truth.records, missed)


def _note_frame(exercise: Exercise, entry: Input) -> NoteFrame:
    return NoteFrame(
        n=entry.n,
        ts=exercise.time(entry.sim_s),
        role=entry.role,
        by=entry.by if entry.role else "",  # the teacher is named by role, not by address
        text=str(entry.args.get("text", "")),
    )
