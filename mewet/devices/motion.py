"""Passive-infrared motion sensor: fires when someone moves in its room, clears after a while."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Channel
from mewet.devices.base import Device, DeviceSpec, Faults, Process, StateDict


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
        last_seen = -1e18
        while True:
            if self.present():
                if self.detects():
                    last_seen = float(self.env.now)
                    if not self.state["motion"]:
                        self.update_state(motion=True)
                        self.event("motion_detected")
                yield self.env.any_of(
                    [
                        self.env.timeout(self.options.retrigger_s),
                        self.world.on("location"),
                        self.world.on("fallen"),
                        self.world.on("activity"),
                        self.world.on("visitor"),
                    ]
                )
            elif self.state["motion"]:
                clear_at = last_seen + self.options.hold_s
                if self.env.now >= clear_at:
                    self.update_state(motion=False)
                    self.event("motion_cleared")
                else:
                    yield self.env.any_of(
                        [
                            self.env.timeout(clear_at - self.env.now),
                            self.world.on("location"),
                            self.world.on("visitor"),
                        ]
                    )
            else:
                yield self.env.any_of(
                    [
                        self.world.on("location"),
                        self.world.on("fallen"),
                        self.world.on("activity"),
                        self.world.on("visitor"),
                    ]
                )

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
