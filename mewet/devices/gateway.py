"""Gateway/hub: the home's link to the lab; heartbeats, and reboots on command."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Channel, Scalar
from mewet.devices.base import Device, DeviceSpec
from mewet.sim.readings import Rows, Times


class Options(BaseModel):
    """Heartbeat period."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    period_s: float = Field(300.0, ge=10, le=3600)


class Gateway(Device):
    """A mains-powered hub; a reboot starts its sequence numbers again at 0."""

    def behave(self) -> None:
        self.booted_at = float(self.env.now)
        self.periodic(self.options.period_s, many=self._many)

    def _many(self, times: Times) -> Rows:
        """Heartbeats at each of `times`: uptime, the devices it serves, signal strength."""
        devices = len(self.world.home.devices) - 1
        return [
            {
                "uptime": float(round(t - self.booted_at)),
                "devices": devices,
                "rssi": float(round(r)),
            }
            for t, r in zip(times, self.draw.normals(len(times), -55.0, 3), strict=True)
        ]

    def handle(self, name: str, args: dict[str, Scalar]) -> tuple[bool, str]:
        if name == "reboot":
            self.seq = 0
            self.booted_at = float(self.env.now)
            return True, "rebooted"
        return super().handle(name, args)


SPEC = DeviceSpec(
    type="gateway",
    title="Gateway/hub",
    factory=Gateway,
    channels=(
        Channel(name="uptime", unit="s", rate_s=300),
        Channel(name="devices", unit="", rate_s=300),
        Channel(name="rssi", unit="dBm", rate_s=300),
    ),
    commands=("reboot",),
    options=Options,
    model="HUB-1",
)
