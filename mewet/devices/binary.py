"""Devices that report one yes/no condition of the world: smoke, a leak, someone in bed."""

from __future__ import annotations

from typing import ClassVar

from mewet.contract import Severity
from mewet.devices.base import Device, StateDict
from mewet.sim.world import Process


class BinarySensor(Device):
    """A device reporting one yes/no condition of the world: smoke, a leak, someone in bed.

    The condition is the World attribute `subject`; it is seen when it appears (with the
    device's sensitivity) and reported cleared when it goes away.
    """

    subject: ClassVar[str]
    state_key: ClassVar[str]
    on_event: ClassVar[str]
    off_event: ClassVar[str]
    severity: ClassVar[Severity] = "info"

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), self.state_key: bool(getattr(self.world, self.subject))}

    def behave(self) -> Process:
        while True:
            present = yield self.world.on(self.subject)
            if present and not self.state[self.state_key] and self.detects():
                self.detected()
            elif not present and self.state[self.state_key]:
                self.update_state(**{self.state_key: False})
                self.event(self.off_event)

    def detected(self) -> None:
        """The condition was seen: set the state and send the event."""
        self.update_state(**{self.state_key: True})
        self.event(self.on_event, self.severity)
