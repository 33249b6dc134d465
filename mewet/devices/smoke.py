"""Smoke detector: alarms on smoke, can be hushed."""

from __future__ import annotations

from mewet.contract import Channel, Scalar
from mewet.devices.base import Device, DeviceSpec, Faults, Process, StateDict


class Smoke(Device):
    """An optical smoke alarm with a radio link."""

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), "smoke": False, "silenced": False}

    def behave(self) -> Process:
        while True:
            smoke = yield self.world.on("smoke")
            if smoke and self.detects():
                self.update_state(smoke=True, silenced=False)
                self.event("smoke_detected", "alarm")
            elif not smoke and self.state["smoke"]:
                self.update_state(smoke=False)
                self.event("smoke_cleared")

    def false_alarm(self) -> None:
        self.event("smoke_detected", "alarm")

    def handle(self, name: str, args: dict[str, Scalar]) -> tuple[bool, str]:
        if name == "silence":
            self.update_state(silenced=True)
            return True, "siren hushed"
        return super().handle(name, args)


SPEC = DeviceSpec(
    type="smoke",
    title="Smoke detector",
    factory=Smoke,
    channels=(Channel(name="battery", unit="%", rate_s=3600),),
    events=("smoke_detected", "smoke_cleared"),
    commands=("silence",),
    faults=Faults(battery_days=3650, sensitivity=0.98, false_alarms_per_h=0.0002),
    model="SD-10Y",
    sources="Ten-year sealed battery, as EN 14604 alarms sold in the Nordics.",
)
