"""Room climate: temperature, relative humidity and CO2."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Channel
from mewet.devices.base import Device, DeviceSpec, Faults

OUTDOOR_CO2 = 420.0


class Options(BaseModel):
    """Set point of the heating and the reporting period."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    setpoint_c: float = Field(21.5, ge=5, le=35)
    period_s: float = Field(300.0, ge=10, le=3600)


class Environment(Device):
    """CO2 builds up while someone is in the room; showers raise humidity, cooking warms."""

    heartbeat_s = None

    def behave(self) -> None:
        self.co2 = 500.0
        self.humidity = 35.0
        self.temp = self.options.setpoint_c
        self.k = 1 - math.exp(-self.options.period_s / 1800)
        self.periodic(self.options.period_s, self._measure)

    def _measure(self) -> dict[str, float]:
        w = self.world
        here = w.location == self.room
        k = self.k
        self.co2 += ((1100.0 if here else OUTDOOR_CO2 + 60) - self.co2) * k
        showering = here and w.activity == "personal_hygiene" and self.room == "bathroom"
        self.humidity += ((85.0 if showering else 35.0) - self.humidity) * k * 2
        now = w.now()
        hour = now.hour + now.minute / 60
        target = self.options.setpoint_c + 0.6 * math.sin((hour - 9) / 24 * 2 * math.pi)
        target += w.indoor_heat_c
        if w.stove_on and w.stove_power and self.room == "kitchen":
            target += 2.5
        self.temp += (target - self.temp) * k
        return {
            "temperature": round(self.temp + self.draw.normal(0, 0.1), 1),
            "humidity": round(min(100.0, self.humidity + self.draw.normal(0, 0.5)), 1),
            "co2": round(self.co2 + self.draw.normal(0, 10), 0),
        }


SPEC = DeviceSpec(
    type="environment",
    title="Environment sensor",
    factory=Environment,
    channels=(
        Channel(name="temperature", unit="°C", rate_s=300),
        Channel(name="humidity", unit="%RH", rate_s=300),
        Channel(name="co2", unit="ppm", rate_s=300),
        Channel(name="battery", unit="%", rate_s=300),
    ),
    options=Options,
    faults=Faults(battery_days=730),
    model="ENV-3",
)
