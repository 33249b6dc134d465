"""Bathroom scale: one weight reading each time the resident steps on it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Channel
from mewet.devices.base import Device, DeviceSpec, Faults
from mewet.sim.world import Process


class Options(BaseModel):
    """The resident's weight and its day-to-day spread."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    weight_kg: float = Field(68.0, gt=20, le=300)
    spread_kg: float = Field(0.4, ge=0, le=5)


class Scale(Device):
    """A connected scale; reports on use only (no periodic telemetry besides battery)."""

    def behave(self) -> Process:
        while True:
            yield self.world.on("weigh")
            if self.world.location == self.room:
                weight = self.options.weight_kg + self.draw.normal(0, self.options.spread_kg)
                self.telemetry({"weight": round(weight, 1)})


SPEC = DeviceSpec(
    type="scale",
    title="Connected scale",
    factory=Scale,
    channels=(Channel(name="weight", unit="kg"), Channel(name="battery", unit="%", rate_s=3600)),
    options=Options,
    faults=Faults(battery_days=365),
    model="SC-1",
)
