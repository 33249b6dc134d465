"""The run as a CASAS smart-home dataset: `date time sensor value [activity begin|end]`.

The format of the public CASAS datasets (Aruba and its siblings): one line per sensor event,
activity labels on the first and last sensor event of each activity. Binary sensors report
ON/OFF or OPEN/CLOSE, temperature sensors their reading, as in those datasets, so a
recogniser trained on them reads a MeWeT run as it is.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from mewet.contract import Event, Message, Telemetry
from mewet.scenarios.truth import Truth

# our activity names (from the world) → the CASAS class names
ACTIVITIES = {
    "sleep": "Sleeping",
    "bed_to_toilet": "Bed_to_Toilet",
    "meal_preparation": "Meal_Preparation",
    "eat": "Eating",
    "relax": "Relax",
    "leave_home": "Leave_Home",
    "housekeeping": "Housekeeping",
    "wash_dishes": "Wash_Dishes",
    "personal_hygiene": "Personal_Hygiene",
    "medication": "Medication",
    "fall": "Fall",  # incidents are labelled as activities, so analytics can find them
    "near_fall": "Near_Fall",
    "rest_on_floor": "Lying_On_Floor",
    "wandering": "Wandering",
    "skipped_meal": "Skipped_Meal",
}
VALUES = {
    "motion_detected": "ON",
    "motion_cleared": "OFF",
    "bed_entered": "ON",
    "bed_exited": "OFF",
    "opened": "OPEN",
    "closed": "CLOSE",
}


@dataclass(frozen=True, slots=True)
class Line:
    """One sensor event, perhaps carrying an activity label."""

    ts: datetime
    sensor: str
    value: str
    label: str = ""

    def __str__(self) -> str:
        stamp = self.ts.strftime("%Y-%m-%d %H:%M:%S.%f")
        return f"{stamp} {self.sensor} {self.value}" + (f" {self.label}" if self.label else "")


def sensor_line(m: Message) -> Line | None:
    """The line a message makes, if it makes one: a binary event, another event by name, a
    room temperature."""
    p = m.payload
    if isinstance(p, Event) and p.event_type != "command_result":
        return Line(p.ts, m.topic.device, VALUES.get(p.event_type, p.event_type.upper()))
    if isinstance(p, Telemetry) and "temperature" in p.data:
        return Line(p.ts, m.topic.device, f"{p.data['temperature']:g}")
    return None


def sensor_lines(messages: Iterable[Message]) -> list[Line]:
    """Sensor events in time order."""
    lines = [line for m in messages if (line := sensor_line(m)) is not None]
    lines.sort(key=lambda line: line.ts)
    return lines


def activities(truth: Sequence[Truth]) -> list[tuple[str, datetime, datetime]]:
    """CASAS-named activities with their begin and end (walking between them is not one)."""
    begun: dict[str, datetime] = {}
    out = []
    for t in truth:
        if t.kind != "activity" or t.value not in ACTIVITIES:
            continue
        if t.phase == "begin":
            begun[t.value] = t.ts
        elif t.value in begun:
            out.append((ACTIVITIES[t.value], begun.pop(t.value), t.ts))
    return sorted(out, key=lambda a: a[1])


def dataset(messages: Iterable[Message], truth: Sequence[Truth]) -> tuple[list[Line], int]:
    """The labelled lines, and how many activities could be labelled (two sensor events or more)."""
    return label(sensor_lines(messages), truth)


def label(lines: list[Line], truth: Sequence[Truth]) -> tuple[list[Line], int]:
    """Activity labels put on sensor lines in time order (in place); how many activities."""
    times = [line.ts for line in lines]
    labelled = 0
    for name, begin, end in activities(truth):
        first = bisect.bisect_left(times, begin)
        last = bisect.bisect_right(times, end) - 1
        if last - first < 1 or lines[first].label or lines[last].label:
            continue  # fewer than two events inside, or a neighbour's label is there already
        lines[first] = Line(
            lines[first].ts, lines[first].sensor, lines[first].value, f"{name} begin"
        )
        lines[last] = Line(lines[last].ts, lines[last].sensor, lines[last].value, f"{name} end")
        labelled += 1
    return lines, labelled
