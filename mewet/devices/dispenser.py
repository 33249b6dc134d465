"""Medication dispenser: releases scheduled doses, reminds, and escalates a missed dose."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mewet.contract import Scalar
from mewet.devices.base import Device, DeviceSpec, StateDict
from mewet.sim.clock import clock_time
from mewet.sim.world import Process


class Options(BaseModel):
    """Dose times (HH:MM, local to the home), the reminder and the window to take a dose."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    doses: list[str] = Field(default_factory=lambda: ["08:00", "20:00"], min_length=1)
    remind_after_min: float = Field(10.0, gt=0, le=240)
    window_min: float = Field(30.0, gt=0, le=480)

    @field_validator("doses")
    @classmethod
    def _hhmm(cls, doses: list[str]) -> list[str]:
        for d in doses:
            clock_time(d, "doses", "08:00")
        return sorted(doses)


class Dispenser(Device):
    """Opens a compartment at each dose time; the resident takes it, or the dose is missed."""

    def initial_state(self) -> StateDict:
        return {**super().initial_state(), "dose_pending": False, "silenced": False}

    def next_dose_in(self) -> float:
        """Seconds from now to the next scheduled dose."""
        now = self.world.now()
        best: float | None = None
        for hhmm in self.options.doses:
            h, m = map(int, hhmm.split(":"))
            at = now.replace(hour=h, minute=m, second=0, microsecond=0)
            if at <= now:
                at += timedelta(days=1)
            wait = (at - now).total_seconds()
            best = wait if best is None else min(best, wait)
        assert best is not None
        return best

    def behave(self) -> Process:
        while True:
            yield self.env.timeout(self.next_dose_in())
            yield from self.dose()

    def dose(self) -> Process:
        """One dose: due, reminder, taken or missed."""
        self.update_state(dose_pending=True, silenced=False)
        self.world.set("dose_waiting", True)
        self.event("dose_due")
        due = float(self.env.now)
        taken = self.world.on("take_dose")
        reminded = False
        while not taken.triggered:
            deadline = due + (
                self.options.window_min * 60 if reminded else self.options.remind_after_min * 60
            )
            yield self.env.any_of([taken, self.env.timeout(max(0.0, deadline - self.env.now))])
            if taken.triggered:
                break
            if not reminded:
                reminded = True
                if not self.state["silenced"]:
                    self.event("dose_reminder", "warning")
            else:
                self.update_state(dose_pending=False)
                self.world.set("dose_waiting", False)
                self.event("dose_missed", "alarm")
                return
        self.update_state(dose_pending=False)
        self.world.set("dose_waiting", False)
        self.event("dose_taken", delay_min=round((self.env.now - due) / 60, 1))

    def handle(self, name: str, args: dict[str, Scalar]) -> tuple[bool, str]:
        if name == "dispense":
            if self.state["dose_pending"]:
                return False, "a dose is already waiting to be taken"
            self.spawn(self.dose())
            return True, "dose released"
        if name == "silence":
            self.update_state(silenced=True)
            return True, "reminder silenced"
        return super().handle(name, args)


SPEC = DeviceSpec(
    type="dispenser",
    title="Medication dispenser",
    factory=Dispenser,
    events=("dose_due", "dose_reminder", "dose_taken", "dose_missed"),
    commands=("dispense", "silence"),
    options=Options,
    model="MD-28",
    sources="Reminder after 10 min and alarm to the alarm centre after 30 min: a common "
    "setting of automated dispensers in Nordic home care.",
)
