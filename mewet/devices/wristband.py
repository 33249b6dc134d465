"""Safety-alarm wristband: alarm button, automatic fall detection, worn / not worn."""

from __future__ import annotations

from mewet.contract import Channel, Scalar
from mewet.devices.base import Device, DeviceSpec, Faults, StateDict
from mewet.sim.world import Process

CONFIRM_S = (20.0, 35.0)
"""Seconds from a fall to the help call: pendants give the wearer about 20 s (ADT Health Fall
Detection Pendant manual) to 30 s (Lifeline HomeSafe AutoAlert use instructions) to get up
or cancel before the call goes out."""


class Wristband(Device):
    """The resident's safety alarm. It can only detect a fall, or be pressed, when worn."""

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), "worn": self.world.wristband_worn, "alarm": False}

    def behave(self) -> Process:
        self.spawn(self._worn())
        self.spawn(self._button())
        while True:
            fallen = yield self.world.on("fallen")
            if fallen and self.world.wristband_worn and self.detects():
                self.spawn(self._confirm(self.world.fallen_since))

    def _confirm(self, since: float | None) -> Process:
        """A fall is called in once she has not got up for the confirmation time (the
        window a wearer has to recover, or to cancel, before the help call goes out)."""
        yield self.env.timeout(self.draw.uniform(*CONFIRM_S))
        if self.world.fallen and self.world.fallen_since == since and self.world.wristband_worn:
            confidence = round(self.draw.uniform(0.7, 0.99), 2)
            self.update_state(alarm=True)
            self.event("fall_detected", "alarm", confidence=confidence)

    def _worn(self) -> Process:
        while True:
            worn = yield self.world.on("wristband_worn")
            self.update_state(worn=bool(worn))
            self.event("worn" if worn else "removed")

    def _button(self) -> Process:
        while True:
            yield self.world.on("button")
            if self.world.wristband_worn:
                self.update_state(alarm=True)
                self.event("button_pressed", "alarm")

    def false_alarm(self) -> None:
        if self.world.wristband_worn:
            confidence = round(self.draw.uniform(0.5, 0.85), 2)
            self.event("fall_detected", "alarm", confidence=confidence)

    def handle(self, name: str, args: dict[str, Scalar]) -> tuple[bool, str]:
        if name == "silence":
            self.update_state(alarm=False)
            return True, "alarm reset"
        return super().handle(name, args)


SPEC = DeviceSpec(
    type="wristband",
    title="Safety-alarm wristband",
    factory=Wristband,
    channels=(Channel(name="battery", unit="%", rate_s=3600),),
    events=("button_pressed", "fall_detected", "worn", "removed"),
    commands=("silence",),
    faults=Faults(battery_days=7, rechargeable=True, sensitivity=0.8, false_alarms_per_h=0.035),
    model="SA-WRIST-1",
    sources="Wrist-worn fall detectors in real use: about 80% sensitivity and 0.025-0.05 false "
    "alarms per hour (Bagala et al. 2012; Chaudhuri et al. 2015). Battery: a week per charge.",
    worn=True,
)
