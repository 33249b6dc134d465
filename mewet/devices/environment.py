"""Room climate: temperature, relative humidity and CO2."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Channel
from mewet.devices.base import Device, DeviceSpec, Faults
from mewet.scenarios.readings import Rows, Times

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
        start = self.world.start
        self.day_s = start.hour * 3600 + start.minute * 60 + start.second + start.microsecond / 1e6
        self.periodic(self.options.period_s, self._measure, self._many)

    def _targets(self) -> tuple[float, float, float]:
        """CO2 and humidity the room tends to now, and the heat on top of the heating's."""
        w = self.world
        here = w.location == self.room
        showering = here and w.activity == "personal_hygiene" and self.room == "bathroom"
        extra = 2.5 if w.stove_on and w.stove_power and self.room == "kitchen" else 0.0
        return (1100.0 if here else OUTDOOR_CO2 + 60), (85.0 if showering else 35.0), extra

    def _settle(self, t: float, co2: float, humidity: float, extra: float) -> None:
        """One period's drift towards the targets, at sim time `t`."""
        k = self.k
        self.co2 += (co2 - self.co2) * k
        self.humidity += (humidity - self.humidity) * k * 2
        hour = ((self.day_s + t) % 86400.0) / 3600.0  # the heating's day curve
        target = self.options.setpoint_c + 0.6 * math.sin((hour - 9) / 24 * 2 * math.pi)
        target += self.world.indoor_heat_c + extra
        self.temp += (target - self.temp) * k

    def _measure(self) -> dict[str, float]:
        self._settle(self.env.now, *self._targets())
        return {
            "temperature": round((self.temp + self.draw.normal(0, 0.1)) * 10) / 10,
            "humidity": round(min(100.0, self.humidity + self.draw.normal(0, 0.5)) * 10) / 10,
            "co2": float(round(self.co2 + self.draw.normal(0, 10))),
        }

    def _many(self, times: Times) -> Rows:
        """`_measure` at each of `times`, its draws in the same order."""
        targets = self._targets()
        z = self.draw.normals(3 * len(times), 0, 1.0)  # three a reading
        rows = []
        for i, t in enumerate(times):
            self._settle(t, *targets)
            temperature = round((self.temp + 0.1 * z[3 * i]) * 10) / 10
            humidity = round(min(100.0, self.humidity + 0.5 * z[3 * i + 1]) * 10) / 10
            co2 = float(round(self.co2 + 10 * z[3 * i + 2]))
            rows.append({"temperature": temperature, "humidity": humidity, "co2": co2})
        return rows


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
