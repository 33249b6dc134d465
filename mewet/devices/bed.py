"""Bed occupancy mat: knows whether someone lies in the bed."""

from __future__ import annotations

from mewet.contract import Channel
from mewet.devices.base import DeviceSpec, Faults
from mewet.devices.binary import BinarySensor


class Bed(BinarySensor):
    """A pressure mat under the mattress; now and then it misses someone lying down."""

    subject = "in_bed"
    state_key = "occupied"
    on_event = "bed_entered"
    off_event = "bed_exited"


SPEC = DeviceSpec(
    type="bed",
    title="Bed occupancy sensor",
    factory=Bed,
    channels=(Channel(name="battery", unit="%", rate_s=3600),),
    events=("bed_entered", "bed_exited"),
    faults=Faults(battery_days=365, sensitivity=0.98),
    model="BED-1",
)
