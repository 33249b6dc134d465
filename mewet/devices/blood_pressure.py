"""Blood-pressure monitor: systolic, diastolic and pulse each time the resident measures."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Channel
from mewet.devices.base import Device, DeviceSpec, Faults
from mewet.sim.world import Process


class Options(BaseModel):
    """The resident's usual blood pressure and pulse."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    systolic: float = Field(135.0, ge=70, le=250)
    diastolic: float = Field(82.0, ge=40, le=150)
    pulse: float = Field(70.0, ge=30, le=150)


class BloodPressure(Device):
    """An upper-arm cuff with Bluetooth, read through the home's gateway."""

    def behave(self) -> Process:
        while True:
            yield self.world.on("measure_bp")
            if self.world.location == self.room:
                o = self.options
                self.telemetry(
                    {
                        "systolic": round(o.systolic + self.draw.normal(0, 7), 0),
                        "diastolic": round(o.diastolic + self.draw.normal(0, 5), 0),
                        "pulse": round(o.pulse + self.draw.normal(0, 4), 0),
                    }
                )


SPEC = DeviceSpec(
    type="blood_pressure",
    title="Blood-pressure monitor",
    factory=BloodPressure,
    channels=(
        Channel(name="systolic", unit="mmHg"),
        Channel(name="diastolic", unit="mmHg"),
        Channel(name="pulse", unit="bpm"),
        Channel(name="battery", unit="%", rate_s=3600),
    ),
    options=Options,
    faults=Faults(battery_days=180),
    model="BP-ARM",
)
