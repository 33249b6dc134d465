"""Stove guard: watches the hob temperature and cuts the power when the stove is left on."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Channel, Scalar
from mewet.devices.base import Device, DeviceSpec, StateDict
from mewet.sim.readings import Rows, Times
from mewet.sim.world import Process

ROOM_C = 21.0
HOT_C = 260.0


class Options(BaseModel):
    """When to cut: unattended minutes and the hob temperature limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    unattended_min: float = Field(15.0, gt=0, le=240)
    max_temp_c: float = Field(280.0, gt=50, le=500)
    period_s: float = Field(60.0, ge=1, le=3600)
    alarm_on_cut: bool = Field(
        False, description="Report a power cut to the alarm centre as an alarm (not a warning)."
    )


class StoveGuard(Device):
    """A hob sensor with a power relay; a cut is reset by a command or at the guard itself."""

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), "power": True, "cooking": False}

    def behave(self) -> Process:
        self.temp = ROOM_C
        self.unattended_since: float | None = None
        self.periodic(self.options.period_s, self._measure, self._many)
        while True:
            on = yield self.world.on("stove_on")
            self.update_state(cooking=bool(on))
            self.event("stove_on" if on else "stove_off")

    def _measure(self) -> dict[str, float]:
        heating = self.world.stove_on and self.world.stove_power
        target = HOT_C if heating else ROOM_C
        tau = 240.0 if heating else 600.0
        self.temp += (target - self.temp) * (1 - math.exp(-self.options.period_s / tau))
        # somebody at the hob: the resident in the kitchen and on their feet (one lying on the
        # floor attends nothing), or a visitor there
        here = (self.world.location == self.room and not self.world.fallen) or (
            self.world.visitor == self.room
        )
        if heating and not here:
            self.unattended_since = self.unattended_since or float(self.env.now)
        else:
            self.unattended_since = None
        left = self.unattended_since is not None and (
            self.env.now - self.unattended_since >= self.options.unattended_min * 60
        )
        if heating and (left or self.temp >= self.options.max_temp_c):
            reason = "unattended" if left else "overheat"
            self._cut(reason)
        return {"hob_temp": round((self.temp + self.draw.normal(0, 0.5)) * 10) / 10}

    def steady(self, until: float) -> bool:
        """A cold or cooling hob: nothing to watch, no cut to make."""
        return super().steady(until) and not (self.world.stove_on and self.world.stove_power)

    def _many(self, times: Times) -> Rows:
        """`_measure` at each of `times` while the hob is off: it cools towards the room."""
        self.unattended_since = None
        k = 1 - math.exp(-self.options.period_s / 600.0)
        temp, rows = self.temp, []
        for noise in self.draw.normals(len(times), 0, 0.5):
            temp += (ROOM_C - temp) * k
            rows.append({"hob_temp": round((temp + noise) * 10) / 10})
        self.temp = temp
        return rows

    def _cut(self, reason: str) -> None:
        self.world.set("stove_power", False)
        self.update_state(power=False)
        self.event("power_cut", "alarm" if self.options.alarm_on_cut else "warning", reason=reason)

    def handle(self, name: str, args: dict[str, Scalar]) -> tuple[bool, str]:
        if name == "cut_power":
            self._cut("command")
            return True, "power cut"
        if name == "reset":
            self.world.set("stove_power", True)
            self.update_state(power=True)
            self.event("power_restored")
            return True, "power restored"
        return super().handle(name, args)


SPEC = DeviceSpec(
    type="stove_guard",
    title="Stove guard",
    factory=StoveGuard,
    channels=(Channel(name="hob_temp", unit="°C", rate_s=60),),
    events=("stove_on", "stove_off", "power_cut", "power_restored"),
    commands=("cut_power", "reset"),
    options=Options,
    model="SG-1",
    sources="Cut after 15 unattended minutes: a common factory setting of stove guards.",
)
