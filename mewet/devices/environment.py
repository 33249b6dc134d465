"""Room climate: temperature, relative humidity and CO2."""

from __future__ import annotations

import math
from math import sin

from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Channel
from mewet.devices.base import Device, DeviceSpec, Faults
from mewet.sim.readings import Rows, Times

OUTDOOR_CO2 = 420.0
TAU = 2 * math.pi


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
        self.periodic(self.options.period_s, many=self._many)

    def _many(self, times: Times) -> Rows:
        """A reading at each of `times`: each period the room drifts towards what it tends to
        now (CO2 while someone is in, steam from a shower, the heating's day curve, a hot hob
        in the kitchen); three normal draws a reading."""
        w = self.world
        here = w.location == self.room
        showering = here and w.activity == "personal_hygiene" and self.room == "bathroom"
        co2_to = 1100.0 if here else OUTDOOR_CO2 + 60
        humidity_to = 85.0 if showering else 35.0
        cooking = 2.5 if w.stove_on and w.stove_power and self.room == "kitchen" else 0.0
        heat, setpoint = w.indoor_heat_c + cooking, self.options.setpoint_c
        day_s, k = self.day_s, self.k
        co2, humidity, temp = self.co2, self.humidity, self.temp
        z = iter(self.draw.normals(3 * len(times), 0, 1.0))
        rows = []
        for t in times:
            co2 += (co2_to - co2) * k
            humidity += (humidity_to - humidity) * k * 2
            hour = ((day_s + t) % 86400.0) / 3600.0
            target = setpoint + 0.6 * sin((hour - 9) / 24 * TAU) + heat  # the heating's day curve
            temp += (target - temp) * k
            rows.append(
                {
                    "temperature": round((temp + 0.1 * next(z)) * 10) / 10,
                    "humidity": round(min(100.0, humidity + 0.5 * next(z)) * 10) / 10,
                    "co2": float(round(co2 + 10 * next(z))),
                }
            )
        self.co2, self.humidity, self.temp = co2, humidity, temp
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
