"""Replay a CASAS dataset through the contract, so analytics meet real data as well as simulated.

A CASAS file (the public datasets, Aruba and its siblings, or the lab's own `casas.txt`) has
one sensor event per line: `date time sensor value [activity begin|end]`. Each sensor becomes
a device of the replayed home (its name in lower case: `M003` → `m003`): yes/no values as
events (`ON`/`OFF` → `motion_detected`/`motion_cleared`, `OPEN`/`CLOSE` → `opened`/`closed`,
any other word as itself in lower case), numbers as `temperature` telemetry. Every device says
`online` and its `meta` first, retained, as a device does; then the lines follow at the chosen
speed, each with its own timestamp from the file; at the end every device says `offline`.

Activity labels are the truth of the dataset, not something a sensor says: they are not
published (`--truth FILE` writes them as truth.jsonl records instead).

Real files are not always clean (a value `ONc`, a missing field, a line cut short): a line
that cannot be read is skipped and counted, with its number and the reason for the first few,
never a crash.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from mewet.contract import (
    NAME_PATTERN,
    Channel,
    Event,
    Kind,
    Message,
    Meta,
    Telemetry,
    Topic,
    check_id,
    format_ts,
)
from mewet.errors import ConfigError
from mewet.sim.sink import Sink

EVENTS = {
    "ON": "motion_detected",
    "OFF": "motion_cleared",
    "OPEN": "opened",
    "CLOSE": "closed",
}
GATEWAY = "gateway"
_NAME_RE = re.compile(rf"^{NAME_PATTERN}$")
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
_ID_SAFE = re.compile(r"[^a-z0-9-]+")
MAX_PROBLEMS_SHOWN = 10


@dataclass(frozen=True, slots=True)
class CasasLine:
    """One sensor line of a CASAS file."""

    number: int
    ts: datetime
    sensor: str
    value: str
    label: str = ""


@dataclass(slots=True)
class ReadReport:
    """What reading the file found: lines taken, lines skipped and why (the first few)."""

    lines: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)

    def skip(self, number: int, reason: str) -> None:
        """Count a line that cannot be read."""
        self.skipped += 1
        if len(self.problems) < MAX_PROBLEMS_SHOWN:
            self.problems.append(f"line {number}: {reason}")


def read_casas(path: Path, zone: tzinfo, report: ReadReport) -> Iterator[CasasLine]:
    """The readable lines of a CASAS file, in file order, with their local times in `zone`."""
    with path.open(encoding="utf-8", errors="replace") as f:
        for number, raw in enumerate(f, 1):
            parts = raw.split()
            if not parts:
                continue
            if len(parts) < 4:
                report.skip(number, "fewer than four fields (date time sensor value)")
                continue
            try:
                ts = datetime.fromisoformat(f"{parts[0]}T{parts[1]}")
            except ValueError:
                report.skip(number, f"{parts[0]} {parts[1]} is not a date and time")
                continue
            if ts.tzinfo is None:
                ts = ts.replace(tzinfo=zone)
            report.lines += 1
            yield CasasLine(number, ts, parts[2], parts[3], " ".join(parts[4:6]))


def device_id(sensor: str) -> str | None:
    """A sensor's device id in the contract, or None when its name cannot make one."""
    ident = _ID_SAFE.sub("-", sensor.lower()).strip("-")[:63]
    return ident if ident and ident[0].isalnum() else None


def event_type(value: str) -> str | None:
    """The event a yes/no value means, or None when the word cannot be an event name."""
    name = EVENTS.get(value.upper(), value.lower())
    return name if _NAME_RE.match(name) else None


@dataclass(slots=True)
class _Device:
    id: str
    type: str
    events: set[str] = field(default_factory=set)
    numeric: bool = False
    seq: int = 0


class Replay:
    """Turns CASAS lines into contract messages for one home, devices announced first."""

    def __init__(self, home: str, root: str) -> None:
        self.home = check_id(home, "home")
        self.root = root
        self.devices: dict[str, _Device] = {}

    def learn(self, lines: Iterator[CasasLine], report: ReadReport) -> list[CasasLine]:
        """Read every line once, learning the devices and their events; keep what can be sent."""
        kept = []
        for line in lines:
            ident = device_id(line.sensor)
            numeric = bool(_NUMBER_RE.match(line.value))
            name = None if numeric else event_type(line.value)
            if ident is None or ident == GATEWAY:
                report.skip(line.number, f"sensor {line.sensor!r} cannot be a device id")
                continue
            if not numeric and name is None:
                report.skip(line.number, f"value {line.value!r} is neither a number nor a word")
                continue
            device = self.devices.get(ident)
            if device is None:
                device = self.devices[ident] = _Device(ident, _device_type(ident, line.value))
            if numeric:
                device.numeric = True
            else:
                device.events.add(str(name))
            kept.append(line)
        kept.sort(key=lambda line: line.ts)  # stable: a file out of order is replayed in order
        return kept

    def announce(self, sink: Sink) -> None:
        """Every device (and the gateway doing the replay) online, with its meta."""
        self._send(sink, GATEWAY, Kind.STATUS, "online")
        self._send(sink, GATEWAY, Kind.META, _meta("gateway", [], []))
        for device in self.devices.values():
            channels = [Channel(name="temperature", unit="°C")] if device.numeric else []
            self._send(sink, device.id, Kind.STATUS, "online")
            self._send(sink, device.id, Kind.META, _meta(device.type, channels, device.events))

    def message(self, line: CasasLine) -> Message:
        """One line as the device would send it."""
        device = self.devices[str(device_id(line.sensor))]
        device.seq += 1
        ident = f"{device.id}-{device.seq}"
        if _NUMBER_RE.match(line.value):
            payload: Telemetry | Event = Telemetry(
                id=ident, ts=line.ts, seq=device.seq, data={"temperature": float(line.value)}
            )
            kind = Kind.TELEMETRY
        else:
            payload = Event(
                id=ident, ts=line.ts, seq=device.seq, event_type=str(event_type(line.value))
            )
            kind = Kind.EVENT
        return Message(Topic(self.home, device.id, kind, root=self.root), payload)

    def farewell(self, sink: Sink) -> None:
        """Every device offline at the end, the gateway last."""
        for device in self.devices.values():
            self._send(sink, device.id, Kind.STATUS, "offline")
        self._send(sink, GATEWAY, Kind.STATUS, "offline")

    def _send(self, sink: Sink, device: str, kind: Kind, payload: Any) -> None:
        sink.publish(Message(Topic(self.home, device, kind, root=self.root), payload))


def _device_type(ident: str, value: str) -> str:
    if _NUMBER_RE.match(value):
        return "temperature"
    if value.upper() in ("OPEN", "CLOSE"):
        return "contact"
    return "motion" if ident.startswith("m") and value.upper() in ("ON", "OFF") else "binary"


def _meta(kind: str, channels: list[Channel], events: set[str] | list[str]) -> Meta:
    return Meta(
        type=kind,
        model="CASAS replay",
        manufacturer="dataset",
        room="home",
        firmware="replay",
        channels=channels,
        events=sorted(events),
    )


async def play(
    replay: Replay,
    lines: list[CasasLine],
    sink: Sink,
    speed: float,
    pump: Any = None,
) -> None:
    """Publish the lines at `speed` dataset seconds per wall second (0: as fast as possible)."""
    replay.announce(sink)
    if lines:
        began_wall = time.monotonic()
        began = lines[0].ts
        for i, line in enumerate(lines):
            if speed > 0:
                due = (line.ts - began).total_seconds() / speed
                wait = due - (time.monotonic() - began_wall)
                if wait > 0:
                    await asyncio.sleep(wait)
            elif i % 500 == 0:
                await asyncio.sleep(0)
            if pump is not None and i % 100 == 0:
                pump()
            sink.publish(replay.message(line))
    replay.farewell(sink)


def truth_records(lines: list[CasasLine]) -> list[dict[str, str]]:
    """The dataset's activity labels as truth.jsonl records (`activity`, begin or end)."""
    out = []
    for line in lines:
        name, _, phase = line.label.partition(" ")
        if name and phase in ("begin", "end"):
            out.append(
                {"ts": format_ts(line.ts), "kind": "activity", "value": name, "phase": phase}
            )
    return out


def write_truth(path: Path, lines: list[CasasLine]) -> int:
    """Write the labels; how many."""
    records = truth_records(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    return len(records)


def home_from_file(path: Path) -> str:
    """A home id from the file's name (`Aruba data.txt` → `aruba-data`)."""
    ident = device_id(path.stem)
    if ident is None:
        raise ConfigError(f"{path.name}: give the home's id with --home")
    return ident
