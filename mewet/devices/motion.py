"""Passive-infrared motion sensor: fires when someone moves in its room, clears after a while."""

from __future__ import annotations

import math

import simpy
from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Channel
from mewet.devices.base import Device, DeviceSpec, Faults, StateDict
from mewet.sim.world import Process


class Options(BaseModel):
    """PIR timing: how long motion stays on, and how often it re-triggers while someone moves."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    hold_s: float = Field(60.0, ge=1, le=3600)
    retrigger_s: float = Field(10.0, ge=1, le=600)


class Motion(Device):
    """A PIR sensor. Someone lying still (asleep, or on the floor after a fall) is not seen."""

    def present(self) -> bool:
        """Whether someone moves in the room: the resident, or a visiting care worker."""
        w = self.world
        resident = w.location == self.room and not w.fallen and w.activity != "sleep"
        return resident or w.visitor == self.room

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), "motion": False}

    def behave(self) -> Process:
        """Sample every `retrigger_s` while someone moves: the first sample seen switches motion
        on, the last one seen starts the hold. Samples are drawn, not waited for: the sensor
        wakes when someone comes, is first seen, or the scene changes, not every few seconds.
        """
        r = self.options.retrigger_s
        last_seen = -1e18
        while True:
            if self.present():
                began = float(self.env.now)
                first = began + self._misses() * r
                if first == math.inf:  # a sensor that sees nothing waits for the next scene
                    yield self._changes()
                    continue
                if first > began:
                    sighting = self.env.timeout(first - began)
                    yield self._changes(sighting)
                    if not sighting.processed:
                        continue  # the scene changed before the sensor saw anyone
                last_seen = first
                if not self.state["motion"]:
                    self.update_state(motion=True)
                    self.event("motion_detected")
                yield self._changes()
                samples = math.ceil((float(self.env.now) - began) / r)
                last_seen = began + max(first - began, (samples - 1 - self._misses()) * r)
            elif self.state["motion"]:
                clear_at = last_seen + self.options.hold_s
                if self.env.now >= clear_at:
                    self.update_state(motion=False)
                    self.event("motion_cleared")
                else:
                    yield self._changes(self.env.timeout(clear_at - self.env.now))
            else:
                yield self._changes()

    def _changes(self, *also: simpy.Event) -> simpy.Event:
        """The next change of anything `present` looks at, or the first of `also`: a new
        condition each time, as SimPy unhooks the conditions nested in one that fired.
        """
        w = self.world
        watched = [w.on("location"), w.on("fallen"), w.on("activity"), w.on("visitor")]
        return self.env.any_of([*also, *watched])

    def _misses(self) -> float:
        """How many samples in a row the sensor misses before it sees one (its sensitivity)."""
        seen = self.faults.sensitivity
        if seen >= 1.0:
            return 0.0
        if seen <= 0.0:
            return math.inf
        return float(math.floor(math.log(1.0 - self.draw.random()) / math.log(1.0 - seen)))

    def false_alarm(self) -> None:
        if not self.state["motion"]:
            self.update_state(motion=True)
            self.event("motion_detected")
            self.spawn(self._clear_later())

    def _clear_later(self) -> Process:
        yield self.env.timeout(self.options.hold_s)
        if not self.present():
            self.update_state(motion=False)
            self.event("motion_cleared")


SPEC = DeviceSpec(
    type="motion",
    title="Motion sensor (PIR)",
    factory=Motion,
    channels=(Channel(name="battery", unit="%", rate_s=3600),),
    events=("motion_detected", "motion_cleared"),
    options=Options,
    faults=Faults(battery_days=730, sensitivity=0.95, false_alarms_per_h=0.002),
    model="PIR-1",
    sources="Battery: two years on a CR2450 cell, typical of Zigbee PIR sensors.",
)
