"""Batch runs: a scenario, run to its end as fast as possible, written to files.

The same scenario and seed give byte-identical files: every random draw comes from the run's
seeded generators and every timestamp from the simulation clock.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mewet.contract import DEFAULT_ROOT, Event, Kind, Message
from mewet.scenarios.care import REGISTRY, AlarmTap, CareTeam, Policies, kpis
from mewet.scenarios.casas import Line, label, sensor_line
from mewet.scenarios.homesim import HomeSim
from mewet.scenarios.incidents import happen
from mewet.scenarios.jsonl import CHUNK_DAYS, MessagesFile
from mewet.scenarios.scenario import Scenario
from mewet.scenarios.tables import write_tables
from mewet.sim.clock import local_time, zone_label
from mewet.sim.seeds import rng_for
from mewet.sim.sink import MemorySink, Sink

DAY_S = 86400.0


class ScenarioSim(HomeSim):
    """A scenario's home: its resident, its incidents, and its care team with their policies.

    `players` are the roles people play; the others follow their default policy. `home_id`
    renames the home (its topics), so many exercises of one scenario run side by side.
    """

    def __init__(
        self,
        scenario: Scenario,
        sink: Sink,
        seed: int | None = None,
        start: datetime | None = None,
        root: str = DEFAULT_ROOT,
        players: frozenset[str] = frozenset(),
        home_id: str | None = None,
    ) -> None:
        alarms = AlarmTap(sink)
        home = scenario.build_home()
        if home_id is not None:
            home = home.model_copy(update={"id": home_id})
        super().__init__(
            home,
            alarms,
            scenario.seed if seed is None else seed,
            scenario.start if start is None else start,
            root,
            scenario.resident.persona,
        )
        self.scenario = scenario
        self.team = CareTeam(self, scenario.care, REGISTRY, alarms, players)
        self.policies = Policies(self.team)
        self.policies.start()
        self.world.wristband_worn = scenario.resident.wristband_worn
        self.world.outdoor_temp_c = scenario.weather.outdoor_c
        for i, incident in enumerate(scenario.incidents):
            rng = rng_for(self.seed, f"incident:{i}")
            self.env.process(happen(incident, self, rng))


def run_scenario(
    scenario: Scenario,
    seed: int | None = None,
    days: float | None = None,
    progress: Callable[[float], None] | None = None,
    home_id: str | None = None,
    messages: MessagesFile | None = None,
) -> tuple[ScenarioSim, MemorySink]:
    """Run a scenario to its end into a memory sink; `progress` hears the days done.
    `home_id` renames the home (a campaign numbers its homes by seed); `messages` is the
    messages.jsonl to be written beside the run, a stretch at a time."""
    sink = MemorySink()
    sim = ScenarioSim(scenario, sink, seed, home_id=home_id)
    end = (scenario.days if days is None else days) * DAY_S
    try:
        while sim.env.now < end:
            sim.run(min(end, sim.env.now + DAY_S))
            # the sink keeps millions of messages: without this, every full collection of the
            # garbage collector walks all of them again (a year took a third longer)
            gc.freeze()
            if messages is not None and round(float(sim.env.now) / DAY_S) % CHUNK_DAYS == 0:
                messages.hand_over(sink.messages)
            if progress is not None:
                progress(float(sim.env.now) / DAY_S)
    finally:
        gc.unfreeze()
    sim.shutdown()
    sim.truth.close()
    return sim, sink


def write_run(
    out: Path,
    scenario: Scenario,
    sim: ScenarioSim,
    sink: MemorySink,
    *,
    parquet: bool = False,
    messages: MessagesFile | None = None,
) -> dict[str, Any]:
    """Write messages.jsonl, truth.jsonl, care.jsonl, casas.txt, kpis.json and summary.json
    (and with `parquet`, telemetry, events and truth as Parquet tables). messages.jsonl is
    written by a child process meanwhile (`messages`, when the run has begun it already: its
    last stretch is added at the end)."""
    out.mkdir(parents=True, exist_ok=True)
    jsonl = messages
    if jsonl is None:  # all of it, in a child, while this process writes the rest
        jsonl = MessagesFile(out / "messages.jsonl")
        jsonl.hand_over(sink.messages)
    zone = scenario.start.tzinfo
    # people read truth.jsonl and care.jsonl (the scenario's local time, with its offset);
    # messages.jsonl is what the devices sent (the contract's UTC `ts`)
    with (out / "truth.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(
            json.dumps({**t.as_json(), "ts": local_time(t.ts, zone)}, separators=(",", ":")) + "\n"
            for t in sim.truth.records
        )
    with (out / "care.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(
            json.dumps({**a.as_json(), "ts": local_time(a.ts, zone)}, separators=(",", ":")) + "\n"
            for a in sim.team.timeline
        )
    tally = _tally(sim, sink.messages)
    tally.lines.sort(key=lambda line: line.ts)
    lines, labelled = label(tally.lines, sim.truth.records)
    (out / "casas.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    summary = summarise(scenario, sim, sink, tally, labelled)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    (out / "kpis.json").write_text(json.dumps(summary["kpis"], indent=2, sort_keys=True) + "\n")
    if parquet:
        write_tables(out, sink.messages, sim.truth.records)
    jsonl.close(sink.messages)
    return summary


@dataclass(slots=True)
class _Tally:
    """What the messages of a run add up to, counted in one pass over them (a year is 2.7
    million: every pass costs a second)."""

    kinds: Counter[str] = field(default_factory=Counter)
    alarms: Counter[str] = field(default_factory=Counter)
    telemetry_values: int = 0
    warmest: dict[str, float] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    """The CASAS dataset's sensor lines, in the order of the messages."""
    stove_min: float = 0.0
    cuts: list[dict[str, Any]] = field(default_factory=list)


def _tally(sim: ScenarioSim, messages: Sequence[Message]) -> _Tally:
    zone = sim.scenario.start.tzinfo
    t = _Tally()
    room_of = {ident: sim.home.room(d.room).id for ident, d in sim.devices.items()}
    hob_on: datetime | None = None
    telemetry, event = Kind.TELEMETRY, Kind.EVENT
    kinds: Counter[Kind] = Counter()
    for m in messages:
        kind = m.topic.kind
        kinds[kind] += 1
        p = m.payload
        if kind is telemetry:
            data: dict[str, float] = p.data  # type: ignore[union-attr,assignment]  # by its kind
            t.telemetry_values += len(data)
            if "temperature" in data:
                room = room_of[m.topic.device]
                t.warmest[room] = max(t.warmest.get(room, -99.0), data["temperature"])
                t.lines.append(sensor_line(m))  # type: ignore[arg-type]  # it makes one
        elif kind is event:
            assert isinstance(p, Event)
            if p.event_type != "command_result":
                t.lines.append(sensor_line(m))  # type: ignore[arg-type]
            if p.severity == "alarm":
                t.alarms[p.event_type] += 1
            if p.event_type == "stove_on":
                hob_on = hob_on or p.ts
            elif p.event_type in ("stove_off", "power_cut"):
                if hob_on is not None:
                    t.stove_min += (p.ts - hob_on).total_seconds() / 60
                    hob_on = None
                if p.event_type == "power_cut":
                    t.cuts.append({"at": local_time(p.ts, zone), "reason": p.data.get("reason")})
    t.kinds = Counter({k.value: n for k, n in kinds.items()})
    return t


def summarise(
    scenario: Scenario, sim: ScenarioSim, sink: MemorySink, tally: _Tally, labelled: int
) -> dict[str, Any]:
    """What a run produced, per day where that is what one compares."""
    days = float(sim.env.now) / DAY_S
    activities = Counter(
        t.value for t in sim.truth.records if t.kind == "activity" and t.phase == "begin"
    )
    return {
        "scenario": scenario.id,
        "seed": sim.seed,
        "home": sim.home.id,
        "days": round(days, 3),
        "messages": len(sink.messages),
        "messages_by_kind": dict(sorted(tally.kinds.items())),
        "telemetry_values": tally.telemetry_values,
        "alarms": dict(sorted(tally.alarms.items())),
        "sensor_events_per_day": round(len(tally.lines) / days, 1),
        "labelled_activities_per_day": round(labelled / days, 1),
        "activities": dict(sorted(activities.items())),
        "time_zone": zone_label(scenario.start.tzinfo),
        "what_happened": what_happened(sim, tally),
        "kpis": kpis(
            sim.team,
            sim.truth.records,
            tally.alarms["dose_missed"],
            lambda ts: local_time(ts, scenario.start.tzinfo),
            final=True,
        ),
    }


def what_happened(sim: ScenarioSim, tally: _Tally) -> dict[str, Any]:
    """What the incidents did, in figures a teacher checks a scenario by: the warmest each
    room got, the lowest hydration and the most dizzy (0 steady, 1 barely standing), the
    meals skipped, how long the hob was on and when its power was cut, and
    whom the alarm centre called when (local times)."""
    zone = sim.scenario.start.tzinfo
    levels = [float(t.value) for t in sim.truth.records if t.kind == "hydration"]
    dizzy = [float(t.value) for t in sim.truth.records if t.kind == "dizziness"]
    skipped = sum(
        t.kind == "activity" and t.phase == "begin" and t.value == "skipped_meal"
        for t in sim.truth.records
    )
    calls = [
        {"at": local_time(a.ts, zone), "by": a.role, "call": a.action, "detail": a.detail}
        for a in sim.team.timeline
        if a.action.startswith("called_") or a.action == "dispatched"
    ]
    return {
        "warmest_by_room_c": dict(sorted(tally.warmest.items())),
        "lowest_hydration": min(levels, default=None),
        "most_dizzy": max(dizzy, default=None),
        "meals_skipped": skipped,
        "stove_on_min": round(tally.stove_min, 1),
        "stove_power_cuts": tally.cuts,
        "calls": calls,
    }
