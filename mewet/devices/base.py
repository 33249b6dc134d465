"""What every simulated device shares: its spec, its fault model, and how it speaks the contract.

A device type is one module (`mewet/devices/<type>.py`) with an `Options` model, a `Device`
subclass whose `behave()` reacts to the `World` (a SimPy process waiting on the world's
changes, and/or `periodic` readings, which the home's `Readings` takes), and a `SPEC`. Faults
are applied here, once, so every type drains its battery, drops messages, sticks and skews the
same way.

A type with periodic readings may also give `periodic` a `many(times)`, the same readings at
several times in one loop, and say in `steady()` when that is allowed: most of a run's
messages are taken that way (`mewet/sim/readings.py`). `tests/sim/test_readings.py` holds
every library scenario to the readings taken one by one, message for message.
"""

from __future__ import annotations

import builtins
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import (
    DEFAULT_ROOT,
    Channel,
    Event,
    Kind,
    Message,
    Meta,
    Scalar,
    Severity,
    State,
    Telemetry,
    Topic,
)
from mewet.devices.draws import Draws
from mewet.sim.home import DevicePlacement
from mewet.sim.readings import Many, Measure, Reading, Rows, Stream, Times
from mewet.sim.sink import Sink
from mewet.sim.world import Process, World

StateDict = dict[str, Scalar | None]
LOW_BATTERY = 10.0
_message = tuple.__new__  # a `Message` without the named tuple's own `__new__`, a Python call


class Faults(BaseModel):
    """The fault model of a device; every type has defaults, a home or scenario overrides them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    battery_days: float | None = Field(
        None, gt=0, description="Days from full to empty; None for mains-powered devices."
    )
    battery_start: float = Field(100.0, ge=0, le=100, description="Battery level at start, %.")
    rechargeable: bool = Field(
        False, description="Charged to 100% when the resident puts it on charge (a wearable)."
    )
    dropout: float = Field(0.0, ge=0, le=1, description="Probability that a message is lost.")
    stuck_after_h: float | None = Field(
        None, ge=0, description="Hours after which measured values freeze; None: never."
    )
    false_alarms_per_h: float = Field(0.0, ge=0, le=60, description="False alarms per hour.")
    sensitivity: float = Field(1.0, ge=0, le=1, description="Probability a real event is detected.")
    clock_skew_s: float = Field(0.0, ge=-86400, le=86400, description="Device clock offset, s.")


class NoOptions(BaseModel):
    """For device types without options."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class DeviceSpec:
    """One entry of the device catalogue."""

    type: str
    title: str
    factory: builtins.type[Device]
    channels: tuple[Channel, ...] = ()
    events: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    arguments: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """The arguments each command takes ((command, (argument, ...)), ...); none if not named."""
    faults: Faults = field(default_factory=Faults)
    options: builtins.type[BaseModel] = NoOptions
    manufacturer: str = "MeWeT virtual devices"  # one of the contract's LAB_DEVICES
    model: str = ""
    sources: str = ""
    worn: bool = False
    """Worn by the resident (a wristband): it is where she is, not in a room of its own."""

    @property
    def all_events(self) -> tuple[str, ...]:
        """The type's events plus those every device of its kind sends (battery, commands)."""
        return self.events_for(self.faults)

    def events_for(self, faults: Faults) -> tuple[str, ...]:
        """The events a device of this type sends with these faults: its type's, the battery's
        if it runs on one (a scenario may give one to a mains-powered type), command results."""
        extra: tuple[str, ...] = ("battery_low",) if faults.battery_days is not None else ()
        extra += ("command_result",) if self.commands else ()
        return self.events + extra

    def channels_for(self, faults: Faults) -> tuple[Channel, ...]:
        """The channels a device of this type sends with these faults: its type's, and the
        battery whenever it runs on one."""
        if faults.battery_days is None or "battery" in {c.name for c in self.channels}:
            return self.channels
        return (*self.channels, Channel(name="battery", unit="%", rate_s=self.factory.heartbeat_s))


class Device:
    """A simulated device: a SimPy process that observes the world and publishes messages."""

    needs_door: ClassVar[bool] = False
    heartbeat_s: ClassVar[float | None] = 3600.0
    """Battery-powered devices report their battery this often, unless their telemetry does."""

    def __init__(
        self,
        env: simpy.Environment,
        world: World,
        sink: Sink,
        spec: DeviceSpec,
        placement: DevicePlacement,
        rng: np.random.Generator,
        root: str = DEFAULT_ROOT,
    ) -> None:
        self.env = env
        self.world = world
        self.sink = sink
        self.spec = spec
        self.id = placement.id
        self.room = placement.room
        self.door = placement.door
        self.model = placement.model or spec.model
        self.options: Any = spec.options.model_validate(placement.options)
        self.faults = Faults.model_validate({**spec.faults.model_dump(), **placement.faults})
        self.draw = Draws(rng)
        self.radio = Draws(rng)  # whether a message is lost, apart from what readings draw
        self.seq = 0
        self.alive = False
        self._charged_at = 0.0
        self._charged_level = self.faults.battery_start
        self.state: StateDict = {}
        self._frozen: dict[str, float] = {}
        self._topics: dict[Kind, Topic] = {
            kind: Topic(world.home.id, self.id, kind, root=root)
            for kind in Kind
            if kind is not Kind.CMD
        }
        self._processes: list[simpy.Process] = []
        # what a reading needs, looked up once: `telemetry` runs millions of times a year
        stuck_h = self.faults.stuck_after_h
        self._stuck_at = math.inf if stuck_h is None else stuck_h * 3600.0
        self._start = world.start
        self._readings_topic = self._topics[Kind.TELEMETRY]  # an enum key hashes in Python

    # -- life cycle -----------------------------------------------------------------

    def start(self) -> None:
        """Switch the device on: announce it, then run its behaviour and its faults."""
        self.alive = True
        self._publish(Kind.STATUS, "online")
        self._publish(Kind.META, self.meta())
        self.state = self.initial_state()
        self._publish_state()
        behaviour = self.behave()
        if behaviour is not None:
            self.spawn(behaviour)
        if self.faults.battery_days is not None:
            self.spawn(self._battery())
            if self.heartbeat_s is not None:
                self.periodic(self.heartbeat_s, dict, _no_channels)
        if self.faults.false_alarms_per_h > 0:
            self.spawn(self._false_alarms())

    def announce(self) -> None:
        """Say again what the device is and how it stands (after its connection came up)."""
        if not self.alive:
            self.sink.publish(Message(self._topics[Kind.STATUS], "offline"))
            return
        self._publish(Kind.STATUS, "online")
        self._publish(Kind.META, self.meta())
        self._publish_state()

    def spawn(self, process: Process) -> simpy.Process:
        """Run a process that ends quietly when the device dies."""
        proc = self.env.process(self._guarded(process))
        self._processes = [p for p in self._processes if p.is_alive]
        self._processes.append(proc)
        return proc

    def _guarded(self, process: Process) -> Process:
        try:
            yield from process
        except simpy.Interrupt:
            process.close()

    def die(self, reason: str) -> None:
        """The device stops: it says `offline` (as its Last Will would) and falls silent."""
        if not self.alive:
            return
        self.update_state(online=False, reason=reason)
        self._publish(Kind.STATUS, "offline")
        self.alive = False
        for proc in self._processes:
            if proc.is_alive and proc is not self.env.active_process:
                proc.interrupt(reason)

    def meta(self) -> Meta:
        """The retained description of this device."""
        return Meta(
            type=self.spec.type,
            model=self.model,
            manufacturer=self.spec.manufacturer,
            room=self.world.home.room(self.room).name,
            firmware="1.0.0",
            channels=list(self.spec.channels_for(self.faults)),
            events=list(self.spec.events_for(self.faults)),
            commands=list(self.spec.commands),
        )

    def initial_state(self) -> StateDict:
        """The state published when the device comes online."""
        state: StateDict = {"online": True}
        if self.faults.battery_days is not None:
            state["battery"] = round(self.battery() * 10) / 10
        return state

    # -- hooks for device types ------------------------------------------------------

    def behave(self) -> Process | None:
        """The device's behaviour: override in each type.

        A generator (a SimPy process of the device's own), or a plain method that only sets
        up periodic readings (`periodic`) and returns None.
        """
        return None

    def false_alarm(self) -> None:
        """Raise one false alarm (types that can have them override this)."""

    def handle(self, name: str, args: dict[str, Scalar]) -> tuple[bool, str]:
        """Carry out a command; return whether it worked and a word on the result."""
        return False, f"{self.spec.type} devices do not accept {name!r}"

    # -- helpers for device types ------------------------------------------------------

    def detects(self) -> bool:
        """Whether a real event is detected this time (sensitivity)."""
        return bool(self.draw.random() < self.faults.sensitivity)

    def battery(self) -> float:
        """Battery level now, % (100 for mains-powered devices)."""
        return self.battery_levels([float(self.env.now)])[0]

    def battery_levels(self, times: Times) -> list[float]:
        """Battery levels at sim times `times`, from the last charge on, %."""
        days = self.faults.battery_days
        if days is None:
            return [100.0] * len(times)
        at, level, span = self._charged_at, self._charged_level, days * 86400.0
        return [max(0.0, level - 100.0 * (t - at) / span) for t in times]

    def periodic(
        self, period_s: float, measure: Measure | None = None, many: Many | None = None
    ) -> None:
        """Send `measure()` as telemetry every `period_s` seconds (give or take 2%).

        The home's `Readings` takes these readings between the world's changes, without a
        SimPy event each: most of a resident-year's messages come from here. `many(times)`
        computes the readings at several times at once, as `measure` would at each of them
        while `steady` holds; it should update the device as they would. Without `measure`,
        a single reading is `many` of one (`one`).
        """
        if measure is None:
            assert many is not None, "periodic readings need a measure, a many, or both"
            measure = partial(self.one, many)
        self.world.readings.add(self, period_s, measure, many)

    def one(self, many: Many) -> dict[str, float]:
        """The reading `many` gives for now: a single reading of a type that computes many."""
        return many([float(self.env.now)])[0]

    def steady(self, until: float) -> bool:
        """Whether the readings due before `until` change nothing but this device's own model
        (no event, no state, no world), so that `many` may take them at once.

        Types with a `many` add their own conditions (a plug about to switch is not steady).
        """
        return until <= self._stuck_at

    def readings(self, stream: Stream, times: Times, rows: Rows, out: list[Reading]) -> None:
        """The telemetry of the stream's next readings, taken in bulk at `times`: what
        `telemetry` sends for each of them.

        `rows` are the readings' data, one per time (taken over). Adds `(time, order, message,
        publish)` to `out` for the readings not lost on the radio (`publish`: this device's
        sink's); the caller sends them on in time order. Only for a live device (`steady` says
        so).
        """
        faults = self.faults
        if faults.battery_days is not None:
            for data, level in zip(rows, self.battery_levels(times), strict=True):
                data["battery"] = round(level * 10) / 10
        seq = self.seq
        self.seq = seq + len(times)
        kept: list[bool] | None = None
        if faults.dropout > 0:
            p_lost = faults.dropout
            kept = [u >= p_lost for u in self.radio.uniforms(len(times))]
        topic, name, order, trusted = self._readings_topic, self.id, stream.order, Telemetry.trusted
        publish = self.sink.publish
        stamp, tick = stream.stamp_of(stream.index), stream.tick
        for i, t in enumerate(times):
            if kept is None or kept[i]:
                reading = trusted(f"{name}-{seq + i}", stamp, seq + i, rows[i])
                out.append((t, order, _message(Message, (topic, reading)), publish))
            stamp += tick

    def stamp(self, t: float) -> datetime:
        """The device's time stamp at sim time `t` (its clock may be off)."""
        return self._start + timedelta(0, t + self.faults.clock_skew_s)

    def telemetry(self, data: dict[str, float], stamp: datetime | None = None) -> None:
        """Send a measurement (frozen values once the device is stuck); takes over `data`.

        `stamp` is the device's time stamp of a periodic reading (its `Stream` has it), else
        the stamp of now. Periodic readings taken one by one come through here, with
        `_envelope` and `_publish` written out in it (the same draws in the same order);
        readings taken in bulk go through `readings`, which sends the same.
        """
        now = self.env.now
        faults = self.faults
        if now >= self._stuck_at:
            for key, value in data.items():
                self._frozen.setdefault(key, value)
            data = {k: self._frozen[k] for k in data}
        if faults.battery_days is not None:
            data["battery"] = round(self.battery() * 10) / 10
        seq = self.seq
        self.seq = seq + 1
        if not self.alive or (faults.dropout > 0 and self.radio.random() < faults.dropout):
            return  # switched off, or lost on the radio: ingest sees the gap in seq
        ts = self.stamp(now) if stamp is None else stamp
        reading = Telemetry.trusted(f"{self.id}-{seq}", ts, seq, data)
        self.sink.publish(Message(self._readings_topic, reading))

    def event(self, event_type: str, severity: Severity = "info", **data: Scalar) -> None:
        """Send an event."""
        id_, ts, seq = self._envelope()
        self._publish(
            Kind.EVENT,
            Event(id=id_, ts=ts, seq=seq, event_type=event_type, severity=severity, data=data),
        )

    def update_state(self, **changes: Scalar | None) -> None:
        """Change the retained state; published only when something really changed."""
        new = {**self.state, **changes}
        if new != self.state:
            self.state = new
            self._publish_state()

    def command(self, name: str, args: dict[str, Scalar], ref: str) -> None:
        """A command arrived: carry it out and report the result as an event."""
        if not self.alive:
            return
        takes = dict(self.spec.arguments).get(name, ())
        unknown = sorted(a for a in args if a not in takes)
        if unknown and name in self.spec.commands:  # an undeclared command says so itself
            ok = False
            detail = f"{name} takes no argument {unknown[0]!r}" + (
                f" (it takes: {', '.join(takes)})" if takes else ""
            )
        else:
            ok, detail = self.handle(name, args)
        self.event("command_result", "info", command=name, ok=ok, ref=ref[:64], detail=detail)

    # -- internals ------------------------------------------------------------------

    def _envelope(self) -> tuple[str, datetime, int]:
        """The next message's id, time stamp and sequence number."""
        seq = self.seq
        self.seq += 1
        return f"{self.id}-{seq}", self.world.date(self.env.now + self.faults.clock_skew_s), seq

    def _publish_state(self) -> None:
        if self.faults.battery_days is not None and self.alive:
            self.state["battery"] = round(self.battery() * 10) / 10
        self._publish(Kind.STATE, State(dict(self.state)))

    def _publish(self, kind: Kind, payload: Any) -> None:
        if not self.alive:
            return
        lossy = self.faults.dropout > 0 and kind in (Kind.TELEMETRY, Kind.EVENT)
        if lossy and self.radio.random() < self.faults.dropout:
            return  # lost on the radio: the seq number was used, ingest sees the gap
        self.sink.publish(Message(self._topics[kind], payload))

    def _battery(self) -> Process:
        """Warn at 10%, die at 0%; a rechargeable device is topped up when put on charge."""
        days = self.faults.battery_days
        assert days is not None
        per_pct = days * 86400.0 / 100.0
        warned = False
        while True:
            level = self.battery()
            if level <= 0:
                self.die("battery empty")
                return
            if level <= LOW_BATTERY and not warned:
                warned = True
                self.event("battery_low", "warning", battery=round(level, 1))
            next_mark = level - LOW_BATTERY if level > LOW_BATTERY else level
            timer = self.env.timeout(next_mark * per_pct)
            charge = self.world.on("charge") if self.faults.rechargeable else self.env.event()
            yield self.env.any_of([timer, charge])
            if charge.triggered:
                self._charged_at = float(self.env.now)
                self._charged_level = 100.0
                warned = False
                self.update_state(battery=100.0)

    def _false_alarms(self) -> Process:
        rate = self.faults.false_alarms_per_h / 3600.0
        while True:
            yield self.env.timeout(self.draw.exponential(1.0 / rate))
            self.false_alarm()


def _no_channels(times: Times) -> Rows:
    """A heartbeat's readings: no channels of its own (the battery is added to every reading)."""
    return [{} for _ in times]
