"""Wearable vitals: heart rate, SpO2, skin temperature and steps, following activity."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Channel
from mewet.devices.base import Device, DeviceSpec, Faults
from mewet.sim.readings import Rows, Times

HEART_RATE = {"sleep": 58.0, "relax": 68.0, "eat": 72.0, "walk": 88.0, "leave_home": 92.0}
STEPS_PER_MIN = {"walk": 90.0, "leave_home": 80.0, "housekeeping": 40.0, "meal_preparation": 20.0}


class Options(BaseModel):
    """The wearer's resting values and the reporting period."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    resting_hr: float = Field(68.0, ge=30, le=120)
    spo2: float = Field(96.0, ge=80, le=100)
    period_s: float = Field(60.0, ge=5, le=3600)
    alert_hr_above: float | None = Field(
        None, ge=60, le=220, description="`vitals_alert` after two readings in a row above."
    )
    alert_spo2_below: float | None = Field(
        None, ge=70, le=99, description="`vitals_alert` after two readings in a row below."
    )


class Vitals(Device):
    """A watch or patch; while fallen, heart rate rises and skin cools over the hours.

    Dehydration raises the heart rate and the skin temperature; an acute illness raises both
    and lowers SpO2. With alert thresholds set (post-discharge monitoring), two readings in a
    row beyond them raise a `vitals_alert`, at most one an hour.
    """

    heartbeat_s = None

    def behave(self) -> None:
        self.fallen_since: float | None = None
        self.beyond = 0
        self.alerted_at = -3600.0
        self.periodic(self.options.period_s, self._measure, self._many)

    def _measure(self) -> dict[str, float]:
        values = self.one(self._many)
        self._check(values)
        return values

    def _check(self, values: dict[str, float]) -> None:
        hr_limit, spo2_limit = self.options.alert_hr_above, self.options.alert_spo2_below
        high = hr_limit is not None and values["heart_rate"] > hr_limit
        low = spo2_limit is not None and values["spo2"] < spo2_limit
        self.beyond = self.beyond + 1 if high or low else 0
        if self.beyond >= 2 and self.env.now - self.alerted_at >= 3600:
            self.alerted_at = float(self.env.now)
            reading = {"heart_rate": values["heart_rate"], "spo2": values["spo2"]}
            self.event("vitals_alert", "alarm", **reading)

    def steady(self, until: float) -> bool:
        """Without alert thresholds, readings raise nothing."""
        o = self.options
        return super().steady(until) and o.alert_hr_above is None and o.alert_spo2_below is None

    def _at_rest(self) -> tuple[float, float, float, float]:
        """Heart rate, skin temperature, SpO2 and steps by the world, before a fall's effects."""
        w = self.world
        base = HEART_RATE.get(w.activity, 72.0) - 68.0 + self.options.resting_hr
        skin = 34.5 if w.activity == "sleep" else 33.5
        dry = 1.0 - w.hydration
        base += 35.0 * dry + 35.0 * w.illness
        skin += 0.12 * w.indoor_heat_c + 0.8 * dry + 1.5 * w.illness
        spo2 = self.options.spo2 - 9.0 * w.illness
        if w.location == "outside":
            skin -= min(4.0, max(0.0, (15.0 - w.outdoor_temp_c) / 5))
        steps = 0.0 if w.fallen else STEPS_PER_MIN.get(w.activity, 5.0) * self.options.period_s / 60
        return base, skin, spo2, steps

    def _many(self, times: Times) -> Rows:
        """Readings at each of `times`: the world's heart rate, SpO2, skin temperature and
        steps, with a fall's effects growing over the hours on the floor; three normal draws
        and a uniform a reading."""
        base, skin, spo2, steps = self._at_rest()
        n = len(times)
        hr, temp = [base] * n, [skin] * n
        if self.world.fallen:
            if self.fallen_since is None:
                self.fallen_since = times[0]
            since = self.fallen_since
            for i, t in enumerate(times):
                hours = (t - since) / 3600
                hr[i] = base + (15.0 + 8.0 * min(hours, 3.0))
                temp[i] = skin - min(3.0, 0.8 * hours)
        else:
            self.fallen_since = None
        z = self.draw.normals(3 * n, 0, 1.0)  # three a reading: heart rate, SpO2, skin
        return [
            {
                "heart_rate": float(round(h + 2.0 * z_hr)),
                "spo2": float(round(min(100.0, spo2 + 0.8 * z_spo2))),
                "skin_temp": round((s + 0.2 * z_skin) * 10) / 10,
                "steps": float(round(max(0.0, steps * (0.7 + (1.3 - 0.7) * u)))),
            }
            for h, s, z_hr, z_spo2, z_skin, u in zip(
                hr, temp, z[0::3], z[1::3], z[2::3], self.draw.uniforms(n), strict=True
            )
        ]


SPEC = DeviceSpec(
    type="vitals",
    title="Wearable vitals monitor",
    factory=Vitals,
    channels=(
        Channel(name="heart_rate", unit="bpm", rate_s=60),
        Channel(name="spo2", unit="%", rate_s=60),
        Channel(name="skin_temp", unit="°C", rate_s=60),
        Channel(name="steps", unit="steps", rate_s=60),
        Channel(name="battery", unit="%", rate_s=60),
    ),
    options=Options,
    events=("vitals_alert",),
    faults=Faults(battery_days=5, rechargeable=True, dropout=0.01),
    model="VW-1",
    sources="Battery about five days with 1-minute sampling, as consumer smartwatches; "
    "charged at night.",
    worn=True,
)
