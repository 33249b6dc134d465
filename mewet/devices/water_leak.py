"""Water leak sensor on the floor: alarms when it gets wet."""

from __future__ import annotations

from mewet.contract import Channel
from mewet.devices.base import DeviceSpec, Faults
from mewet.devices.binary import BinarySensor
from mewet.sim.world import Process


class WaterLeak(BinarySensor):
    """A probe on the floor under the sink or washing machine."""

    subject = "leak"
    state_key = "leak"
    on_event = "leak_detected"
    off_event = "leak_cleared"
    severity = "alarm"

    def behave(self) -> Process:
        """Wet when the water is in its room (or everywhere), dry when it is gone."""
        while True:
            where = yield self.world.on(self.subject)
            wet = where is True or where == self.room
            if wet and not self.state[self.state_key] and self.detects():
                self.detected()
            elif not wet and self.state[self.state_key]:
                self.update_state(**{self.state_key: False})
                self.event(self.off_event)


SPEC = DeviceSpec(
    type="water_leak",
    title="Water leak sensor",
    factory=WaterLeak,
    channels=(Channel(name="battery", unit="%", rate_s=3600),),
    events=("leak_detected", "leak_cleared"),
    faults=Faults(battery_days=1095, sensitivity=0.99),
    model="WL-1",
)
