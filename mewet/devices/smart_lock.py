"""Smart lock on the front door: home care opens it with a digital key; every use is logged."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mewet.contract import Channel, Scalar
from mewet.devices.base import Device, DeviceSpec, Faults, StateDict
from mewet.sim.world import Process


class Options(BaseModel):
    """Auto-lock after the door closes (0 = off)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    autolock_s: float = Field(30.0, ge=0, le=3600)


class SmartLock(Device):
    """The resident locks by hand; visitors with a digital key unlock by command."""

    needs_door = True

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), "locked": True}

    def behave(self) -> Process:
        self.spawn(self._autolock())
        while True:
            locked = yield self.world.on("lock_by_hand")
            self._set(bool(locked), "manual", "resident")

    def _autolock(self) -> Process:
        while True:
            is_open = yield self.world.on(f"door:{self.door}")
            if is_open or self.options.autolock_s <= 0:
                continue
            timer = self.env.timeout(self.options.autolock_s)
            yield self.env.any_of([timer, self.world.on(f"door:{self.door}")])
            if timer.processed and not self.world.doors_open.get(str(self.door), False):
                self._set(True, "auto", "")

    def _set(self, locked: bool, method: str, key: str) -> None:
        if self.state["locked"] == locked:
            return
        self.update_state(locked=locked)
        self.event("locked" if locked else "unlocked", method=method, key=key)

    def handle(self, name: str, args: dict[str, Scalar]) -> tuple[bool, str]:
        key = str(args.get("key", "lab"))
        if name in ("lock", "unlock"):
            want = name == "lock"
            if self.state["locked"] == want:
                return True, f"already {name}ed"
            if want and self.world.doors_open.get(str(self.door), False):
                return False, "the door is open"
            self._set(want, "digital_key", key)
            return True, f"{name}ed"
        return super().handle(name, args)


SPEC = DeviceSpec(
    type="smart_lock",
    title="Smart lock (digital key for home care)",
    factory=SmartLock,
    channels=(Channel(name="battery", unit="%", rate_s=3600),),
    events=("locked", "unlocked"),
    commands=("lock", "unlock"),
    arguments=(("lock", ("key",)), ("unlock", ("key",))),
    options=Options,
    faults=Faults(battery_days=365),
    model="LOCK-HC",
    sources="Battery about a year on AA cells, typical of home-care smart locks.",
)
