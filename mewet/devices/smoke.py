"""Smoke detector: alarms on smoke, can be hushed."""

from __future__ import annotations

from mewet.contract import Channel, Scalar
from mewet.devices.base import DeviceSpec, Faults, StateDict
from mewet.devices.binary import BinarySensor


class Smoke(BinarySensor):
    """An optical smoke alarm with a radio link; its siren can be hushed."""

    subject = "smoke"
    state_key = "smoke"
    on_event = "smoke_detected"
    off_event = "smoke_cleared"
    severity = "alarm"

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), "silenced": False}

    def detected(self) -> None:
        self.update_state(silenced=False)
        super().detected()

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
