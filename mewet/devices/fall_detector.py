"""Room fall detector (radar on the wall): raises an alarm when someone falls in its room."""

from __future__ import annotations

from mewet.contract import Scalar
from mewet.devices.base import Device, DeviceSpec, Faults, StateDict
from mewet.sim.world import Process

CONFIRM_S = (60.0, 90.0, 150.0)
"""Seconds from a fall to the radar's call (least, most often, most): about 50 s to detect
and 30 s to confirm, 90 s as a rule and at most 150 s (Vayyar Home sensor's detection phases,
as its integrator documents them); the newer sensors call after about 60 s."""


class FallDetector(Device):
    """A mains-powered radar fall detector watching one room."""

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), "alarm": False}

    def behave(self) -> Process:
        while True:
            fallen = yield self.world.on("fallen")
            if fallen and self.world.location == self.room and self.detects():
                self.spawn(self._confirm(self.world.fallen_since))
            elif not fallen and self.state["alarm"]:
                self.update_state(alarm=False)

    def _confirm(self, since: float | None) -> Process:
        """The radar detects, then confirms that she stays down, before it calls."""
        yield self.env.timeout(self.draw.triangular(*CONFIRM_S))
        if self.world.fallen and self.world.fallen_since == since:
            confidence = round(self.draw.uniform(0.75, 0.99), 2)
            self.update_state(alarm=True)
            self.event("fall_detected", "alarm", confidence=confidence)

    def false_alarm(self) -> None:
        self.event("fall_detected", "alarm", confidence=round(self.draw.uniform(0.5, 0.8), 2))

    def handle(self, name: str, args: dict[str, Scalar]) -> tuple[bool, str]:
        if name == "silence":
            self.update_state(alarm=False)
            return True, "alarm silenced"
        return super().handle(name, args)


SPEC = DeviceSpec(
    type="fall_detector",
    title="Fall detector (room radar)",
    factory=FallDetector,
    events=("fall_detected",),
    commands=("silence",),
    faults=Faults(sensitivity=0.9, false_alarms_per_h=0.01),
    model="FD-RADAR-1",
    sources="Room radar fall detectors report about 90% sensitivity in trials; false alarms are "
    "rarer than on the wrist.",
)
