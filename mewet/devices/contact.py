"""Door or window contact: reports every opening and closing of the door it is fitted to."""

from __future__ import annotations

from mewet.contract import Channel
from mewet.devices.base import Device, DeviceSpec, Faults, Process, StateDict


class Contact(Device):
    """A reed contact on a door or window."""

    needs_door = True

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), "open": self.world.doors_open.get(str(self.door), False)}

    def behave(self) -> Process:
        while True:
            is_open = yield self.world.on(f"door:{self.door}")
            if self.detects():
                self.update_state(open=bool(is_open))
                self.event("opened" if is_open else "closed", door=str(self.door))


SPEC = DeviceSpec(
    type="contact",
    title="Door/window contact",
    factory=Contact,
    channels=(Channel(name="battery", unit="%", rate_s=3600),),
    events=("opened", "closed"),
    faults=Faults(battery_days=730, sensitivity=0.999),
    model="DW-1",
    sources="Battery: two years, typical of Zigbee door contacts.",
)
