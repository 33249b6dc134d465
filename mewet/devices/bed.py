"""Bed occupancy mat: knows whether someone lies in the bed."""

from __future__ import annotations

from mewet.contract import Channel
from mewet.devices.base import Device, DeviceSpec, Faults, Process, StateDict


class Bed(Device):
    """A pressure mat under the mattress."""

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), "occupied": self.world.in_bed}

    def behave(self) -> Process:
        while True:
            in_bed = yield self.world.on("in_bed")
            if self.detects():
                self.update_state(occupied=bool(in_bed))
                self.event("bed_entered" if in_bed else "bed_exited")


SPEC = DeviceSpec(
    type="bed",
    title="Bed occupancy sensor",
    factory=Bed,
    channels=(Channel(name="battery", unit="%", rate_s=3600),),
    events=("bed_entered", "bed_exited"),
    faults=Faults(battery_days=365, sensitivity=0.98),
    model="BED-1",
)
