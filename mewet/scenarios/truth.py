"""Ground truth: what the resident really did and where, as begin/end records.

Sensors see a part of it (and sometimes miss it); this is the rest, written from the world
itself, so a company's analytics and a student's reading can be checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from mewet.contract import format_ts
from mewet.sim.world import World

TruthKind = Literal[
    "activity",
    "location",
    "hydration",
    "dizziness",
    "whereabouts",
    "found",
    "core_temp",
    "glucose",
    "visit",
]
TRACKED: tuple[TruthKind, ...] = ("activity", "location")


@dataclass(frozen=True, slots=True)
class Truth:
    """One activity or location beginning or ending."""

    ts: datetime
    kind: TruthKind
    value: str
    phase: Literal["begin", "end", "level"]
    """`begin` and `end` of an activity or a location; `level` of a measure (hydration,
    dizziness), or where outside a resident who wandered off is (`whereabouts`) and where
    they were found (`found`)."""

    def as_json(self) -> dict[str, str]:
        """The record as written to truth.jsonl."""
        ts = format_ts(self.ts)
        return {"ts": ts, "kind": self.kind, "value": self.value, "phase": self.phase}


class TruthLog:
    """Watches the world and keeps every begin and end of activities and locations."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.records: list[Truth] = []
        self._open: dict[TruthKind, str] = {kind: str(getattr(world, kind)) for kind in TRACKED}
        self._started = False
        world.watchers.append(self._changed)

    def start(self) -> None:
        """Open the activity and location the run starts in."""
        if not self._started:
            self._started = True
            for kind, value in self._open.items():
                self.records.append(Truth(self.world.now(), kind, value, "begin"))

    def _changed(self, subject: str, value: Any) -> None:
        kind: TruthKind
        if subject == "activity":
            kind = "activity"
        elif subject == "location":
            kind = "location"
        else:
            return
        self.start()
        now = self.world.now()
        self.records.append(Truth(now, kind, self._open[kind], "end"))
        self._open[kind] = str(value)
        self.records.append(Truth(now, kind, str(value), "begin"))

    def level(self, kind: TruthKind, value: str) -> None:
        """A measure of the resident's body as it stands now (hydration: 1 well, 0 very dry;
        dizziness: 0 steady, 1 barely standing)."""
        self.records.append(Truth(self.world.now(), kind, value, "level"))

    def close(self) -> None:
        """End whatever is still going on (at the end of a run)."""
        now = self.world.now()
        for kind, value in self._open.items():
            self.records.append(Truth(now, kind, value, "end"))
