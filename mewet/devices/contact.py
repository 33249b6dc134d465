"""Door or window contact: reports every opening and closing of the door it is fitted to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mewet.contract import Channel
from mewet.devices.base import Device, DeviceSpec, Faults, StateDict
from mewet.sim.clock import clock_time
from mewet.sim.world import Process


class Options(BaseModel):
    """Night alarms: opening the door at night (dementia care), or leaving it open."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    night_alarm: bool = Field(
        False, description="An alarm to the alarm centre when the door is opened at night."
    )
    left_open_min: float | None = Field(
        None,
        gt=0,
        le=24 * 60,
        description=(
            "An alarm to the alarm centre when the door has stayed open this many minutes "
            "and it is night (the balcony door left open on a winter night)."
        ),
    )
    night: tuple[str, str] = Field(("23:00", "06:00"), description="From, to (HH:MM, local).")

    @field_validator("night")
    @classmethod
    def _hhmm(cls, night: tuple[str, str]) -> tuple[str, str]:
        for t in night:
            clock_time(t, "night", "23:00")
        return night


class Contact(Device):
    """A reed contact on a door or window, with optional night alarms."""

    needs_door = True

    def at_night(self) -> bool:
        """Whether the home's clock is inside the night-alarm hours."""
        now = self.world.now().strftime("%H:%M")
        start: str = self.options.night[0]
        end: str = self.options.night[1]
        if start > end:  # the night crosses midnight
            return now >= start or now < end
        return start <= now < end

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), "open": self.world.doors_open.get(str(self.door), False)}

    def behave(self) -> Process:
        self.openings = 0
        while True:
            is_open = yield self.world.on(f"door:{self.door}")
            if self.detects():
                self.update_state(open=bool(is_open))
                self.event("opened" if is_open else "closed", door=str(self.door))
                # a visitor's entry with the digital key is known to the system: no alarm
                night = self.options.night_alarm and self.at_night()
                if is_open and night and not self.world.key_entry:
                    self.event("door_opened_at_night", "alarm", door=str(self.door))
                if is_open:
                    self.openings += 1
                    if self.options.left_open_min is not None:
                        self.env.process(self._left_open(self.openings, self.options.left_open_min))

    def _left_open(self, opening: int, minutes: float) -> Process:
        """If this opening lasts `minutes` as the contact sees it (no closing in between), an
        alarm then if it is night, or as soon as the night begins with the door still open."""
        yield self.env.timeout(minutes * 60)
        while self.state.get("open") and self.openings == opening:
            if self.at_night():
                self.event("door_left_open", "alarm", door=str(self.door), minutes=minutes)
                return
            yield self.env.timeout(60)


SPEC = DeviceSpec(
    type="contact",
    title="Door/window contact",
    factory=Contact,
    channels=(Channel(name="battery", unit="%", rate_s=3600),),
    events=("opened", "closed", "door_opened_at_night", "door_left_open"),
    options=Options,
    faults=Faults(battery_days=730, sensitivity=0.999),
    model="DW-1",
    sources="Battery: two years, typical of Zigbee door contacts.",
)
