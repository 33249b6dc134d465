"""Water leak sensor on the floor: alarms when it gets wet."""

from __future__ import annotations

from mewet.contract import Channel
from mewet.devices.base import Device, DeviceSpec, Faults, Process, StateDict


class WaterLeak(Device):
    """A probe on the floor under the sink or washing machine."""

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), "leak": False}

    def behave(self) -> Process:
        while True:
            leak = yield self.world.on("leak")
            if leak and self.detects():
                self.update_state(leak=True)
                self.event("leak_detected", "alarm")
            elif not leak and self.state["leak"]:
                self.update_state(leak=False)
                self.event("leak_cleared")


SPEC = DeviceSpec(
    type="water_leak",
    title="Water leak sensor",
    factory=WaterLeak,
    channels=(Channel(name="battery", unit="%", rate_s=3600),),
    events=("leak_detected", "leak_cleared"),
    faults=Faults(battery_days=1095, sensitivity=0.99),
    model="WL-1",
)
