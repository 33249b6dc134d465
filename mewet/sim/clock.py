"""The simulation clock: maps sim seconds to dates and to wall time (speed, pause, resume).

Wall time is read only here, through an injectable `monotonic` function, so tests drive the
clock by hand and simulation code never sleeps.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo

from mewet.texts import wrong

HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
"""A local clock time as scenarios write it: 03:10, 22:00."""


def clock_time(value: str, what: str, example: str) -> str:
    """`value` when it is a clock time HH:MM, else a validation error in the writer's words
    (`what`: the field, for pydantic's own text)."""
    if not HHMM.fullmatch(value):
        raise wrong("clock_time", value=value, example=example, field=what)
    return value


def local_time(ts: datetime, zone: tzinfo | None) -> str:
    """A time as people read it: in the home's zone, with its offset
    (2026-11-23T03:10:00.000+01:00). Device messages keep UTC (the contract's `ts`)."""
    return ts.astimezone(zone or UTC).isoformat(timespec="milliseconds")


def zone_label(zone: tzinfo | None) -> str:
    """A zone as a label for people: UTC+01:00."""
    offset = datetime(2026, 1, 1, tzinfo=zone or UTC).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}" if offset not in ("", "+0000") else "UTC"


def minutes_of_day(hhmm: str) -> int:
    """Minutes after midnight of a clock time HH:MM."""
    h, m = map(int, hhmm.split(":"))
    return h * 60 + m


def seconds_until(now: datetime, hhmm: str) -> float:
    """Seconds from `now` until the clock next shows `hhmm` (a whole day when it shows it
    now): a daily schedule's wait."""
    of_day = now.hour * 3600 + now.minute * 60 + now.second
    return (minutes_of_day(hhmm) * 60 - of_day) % 86400 or 86400.0


class SimClock:
    """Sim time advances at `speed` × wall time; speed 0 means as fast as possible."""

    def __init__(
        self,
        start: datetime,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed < 0 or not math.isfinite(speed):
            raise ValueError("speed must be 0 (as fast as possible) or a positive number")
        self.start = start
        self._monotonic = monotonic
        self._speed = speed
        self._paused = False
        self._anchor_wall = monotonic()
        self._anchor_sim = 0.0

    @property
    def speed(self) -> float:
        """Current speed factor."""
        return self._speed

    @property
    def paused(self) -> bool:
        """Whether the clock stands still."""
        return self._paused

    def target(self) -> float:
        """How far the simulation may run now, in sim seconds (inf when as fast as possible)."""
        if self._paused:
            return self._anchor_sim
        if self._speed == 0:
            return math.inf
        return self._anchor_sim + (self._monotonic() - self._anchor_wall) * self._speed

    def date(self, sim_s: float) -> datetime:
        """The date of a sim time."""
        return self.start + timedelta(seconds=sim_s)

    def _rebase(self, sim_now: float) -> None:
        self._anchor_sim = sim_now
        self._anchor_wall = self._monotonic()

    def pause(self, sim_now: float) -> None:
        """Stop at `sim_now` (the engine's current time)."""
        self._rebase(sim_now)
        self._paused = True

    def resume(self, sim_now: float) -> None:
        """Go on from `sim_now`."""
        self._rebase(sim_now)
        self._paused = False

    def step(self, minutes: float, sim_now: float) -> None:
        """Advance `minutes` of sim time from `sim_now` and stand still there (a paused step)."""
        if minutes <= 0 or not math.isfinite(minutes):
            raise ValueError("a step is a positive number of minutes")
        self._rebase(sim_now + minutes * 60)
        self._paused = True

    def set_speed(self, speed: float, sim_now: float) -> None:
        """Change speed mid-run without a jump in sim time."""
        if speed < 0 or not math.isfinite(speed):
            raise ValueError("speed must be 0 (as fast as possible) or a positive number")
        self._rebase(sim_now)
        self._speed = speed
