"""Wearable vitals: heart rate, SpO2, skin temperature and steps, following activity."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Channel
from mewet.devices.base import Device, DeviceSpec, Faults
from mewet.sim.readings import Rows, Times

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
    """A watch or patch reading the resident's body (`World.vital_signs`): the pulse rises
    with a long lie, dehydration, illness, the cold and a low glucose; the skin at the wrist
    follows the body and the air. With alert thresholds set (post-discharge monitoring), two
    readings in a row beyond them raise a `vitals_alert`, at most one an hour.
    """

    heartbeat_s = None

    def behave(self) -> None:
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

    def _many(self, times: Times) -> Rows:
        """Readings at each of `times`, from the body: the pulse (what she does, drying out,
        illness, a long lie, the cold, a low glucose), SpO2, the wrist's skin temperature
        (following the body and the air, not in a step) and steps; three normal draws and a
        uniform a reading."""
        w = self.world
        body = w.body
        o = self.options
        base = w.pulse_base() + o.resting_hr - 68.0
        spo2 = o.spo2 - 9.0 * w.illness - (5.0 if "copd" in body.conditions else 0.0)
        outdoors = w.location == "outside"
        steps = 0.0 if w.fallen else STEPS_PER_MIN.get(w.activity, 5.0) * o.period_s / 60
        diabetic = body.diabetes != "none"
        n = len(times)
        z = self.draw.normals(3 * n, 0, 1.0)  # three a reading: heart rate, SpO2, skin
        if not diabetic and not w.fallen and body.steady(times[0]):
            # most of a year the body is where its surroundings hold it: the same pulse, skin
            # and saturation all stretch, computed once
            hr, sat, skin = self._at(times[0], base, spo2, outdoors, False)
            hrs, sats, skins = [hr] * n, [sat] * n, [skin] * n
        else:
            rows = [self._at(t, base, spo2, outdoors, diabetic) for t in times]
            hrs, sats, skins = [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
        return [
            {
                "heart_rate": float(round(h + 2.0 * z_hr)),
                "spo2": float(round(min(100.0, s + 0.8 * z_spo2))),
                "skin_temp": round((k + 0.2 * z_skin) * 10) / 10,
                "steps": float(round(max(0.0, steps * (0.7 + (1.3 - 0.7) * u)))),
            }
            for h, s, k, z_hr, z_spo2, z_skin, u in zip(
                hrs, sats, skins, z[0::3], z[1::3], z[2::3], self.draw.uniforms(n), strict=True
            )
        ]

    def _at(
        self, t: float, base: float, spo2: float, outdoors: bool, diabetic: bool
    ) -> tuple[float, float, float]:
        """Pulse, SpO2 and the wrist's skin temperature at `t`, before the sensor's noise."""
        w = self.world
        core = w.body.core_c(t)
        glucose = w.glucose(t) if diabetic else None
        sat = spo2 - (1.0 if outdoors or core < 35.5 else 0.0)
        return base + w.pulse_now(t, core, glucose), sat, w.body.skin_c(t)


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
