"""Smart plug with energy metering: an appliance's power follows what the resident does."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Channel, Scalar
from mewet.devices.base import Device, DeviceSpec, StateDict
from mewet.sim.readings import Rows, Times


class Options(BaseModel):
    """Which appliance is plugged in: its power and the activity that switches it on."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    appliance: str = Field("tv", min_length=1, max_length=32)
    watts: float = Field(90.0, ge=0, le=3600)
    standby_w: float = Field(0.5, ge=0, le=50)
    activity: str = Field("relax", description="Activity (in the plug's room) that uses it.")
    period_s: float = Field(60.0, ge=5, le=3600)


class SmartPlug(Device):
    """A metering plug that can also cut the appliance's power on command."""

    heartbeat_s = None

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), "relay": True, "in_use": False}

    def behave(self) -> None:
        self.energy_kwh = 0.0
        self.periodic(self.options.period_s, self._measure, self._many)

    def steady(self, until: float) -> bool:
        return super().steady(until) and self._in_use() == self.state["in_use"]

    def _in_use(self) -> bool:
        w = self.world
        return bool(
            self.state["relay"] and w.location == self.room and w.activity == self.options.activity
        )

    def _power(self) -> float:
        """What the appliance draws now, before the meter's noise."""
        o: Options = self.options
        if self.state["in_use"]:
            return o.watts
        return o.standby_w if self.state["relay"] else 0.0

    def _measure(self) -> dict[str, float]:
        in_use = self._in_use()
        if in_use != self.state["in_use"]:
            self.update_state(in_use=in_use)
            self.event("power_on" if in_use else "power_off", appliance=self.options.appliance)
        return self.one(self._many)

    def _many(self, times: Times) -> Rows:
        """Readings at each of `times` while the plug stays as it is: what the appliance draws,
        give or take 2%, and the energy meter's running total."""
        rows = []
        kwh, nominal, period = self.energy_kwh, self._power(), self.options.period_s
        for noise in self.draw.normals(len(times), 1.0, 0.02):
            watts = max(0.0, nominal * noise)
            kwh += watts * period / 3.6e6
            rows.append({"power": round(watts * 10) / 10, "energy": round(kwh * 1e4) / 1e4})
        self.energy_kwh = kwh
        return rows

    def handle(self, name: str, args: dict[str, Scalar]) -> tuple[bool, str]:
        if name in ("switch_on", "switch_off"):
            self.update_state(relay=name == "switch_on")
            return True, name.replace("_", "ed ")
        return super().handle(name, args)


SPEC = DeviceSpec(
    type="smart_plug",
    title="Smart plug with energy meter",
    factory=SmartPlug,
    channels=(
        Channel(name="power", unit="W", rate_s=60),
        Channel(name="energy", unit="kWh", rate_s=60),
    ),
    events=("power_on", "power_off"),
    commands=("switch_on", "switch_off"),
    options=Options,
    model="PLUG-E",
)
