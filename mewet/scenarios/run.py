"""Batch runs: a scenario, run to its end as fast as possible, written to files.

The same scenario and seed give byte-identical files: every random draw comes from the run's
seeded generators and every timestamp from the simulation clock.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from mewet.contract import DEFAULT_ROOT, Event, Kind, Message
from mewet.scenarios.care import REGISTRY, AlarmTap, CareAction, CareTeam, Policies, kpis
from mewet.scenarios.casas import Line, label, sensor_line
from mewet.scenarios.happening import happen
from mewet.scenarios.homesim import HomeSim
from mewet.scenarios.jsonl import CHUNK_DAYS, MessagesFile
from mewet.scenarios.scenario import Scenario
from mewet.scenarios.tables import Tables
from mewet.scenarios.truth import Truth
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
) -> tuple[ScenarioSim, MemorySink]:
    """Run a scenario to its end into a memory sink that keeps every message; `progress`
    hears the days done. `home_id` renames the home (a campaign numbers its homes by seed)."""
    sink = MemorySink()
    sim = ScenarioSim(scenario, sink, seed, home_id=home_id)
    _advance(sim, scenario.days if days is None else days, progress)
    return sim, sink


def run_to_folder(
    out: Path,
    scenario: Scenario,
    seed: int | None = None,
    days: float | None = None,
    progress: Callable[[float], None] | None = None,
    *,
    home_id: str | None = None,
    parquet: bool = False,
    chunk_days: int = CHUNK_DAYS,
) -> dict[str, Any]:
    """Run a scenario to its end and write its files as it goes (`RunFiles`); the summary.

    Every `chunk_days` the messages of the stretch go to the files and this process lets them
    go: a resident-year peaks at a few hundred MB instead of keeping all 2.7 million
    messages (2.2 GB), and its messages.jsonl is written on the other core meanwhile.
    """
    sink = MemorySink()
    sim = ScenarioSim(scenario, sink, seed, home_id=home_id)
    files = RunFiles(out, sim, parquet=parquet)

    def hand_over() -> None:
        files.add(sink.messages)
        sink.messages = []

    def each_day(done: float) -> None:
        if round(done) % chunk_days == 0:
            hand_over()
        if progress is not None:
            progress(done)

    _advance(sim, scenario.days if days is None else days, each_day)
    hand_over()
    return files.finish()


def _advance(sim: ScenarioSim, days: float, each_day: Callable[[float], None] | None) -> None:
    """Run the simulation `days` a day at a time, then switch the home off."""
    end = days * DAY_S
    try:
        while sim.env.now < end:
            sim.run(min(end, sim.env.now + DAY_S))
            # the messages kept reach millions: without this, every full collection of the
            # garbage collector walks all of them again (a year took a third longer)
            gc.freeze()
            if each_day is not None:
                each_day(float(sim.env.now) / DAY_S)
    finally:
        gc.unfreeze()
    sim.shutdown()
    sim.truth.close()


def write_run(
    out: Path, sim: ScenarioSim, sink: MemorySink, *, parquet: bool = False
) -> dict[str, Any]:
    """Write the files of a run whose messages are all in `sink` (see `RunFiles`); the
    summary."""
    files = RunFiles(out, sim, parquet=parquet)
    files.add(sink.messages)
    return files.finish()


class RunFiles:
    """A run's files: messages.jsonl, truth.jsonl, care.jsonl, casas.txt, kpis.json and
    summary.json (and with `parquet`, telemetry, events and truth as Parquet tables).

    Messages come in stretches (`add`), in order: each is counted into the summary and added to
    the Parquet tables here, then handed to a child process that adds it to messages.jsonl, so
    the caller may let it go. `finish` writes the rest once the run has ended.
    """

    def __init__(self, out: Path, sim: ScenarioSim, *, parquet: bool = False) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.sim = sim
        self.messages = MessagesFile(out / "messages.jsonl")
        self.tables = Tables(out) if parquet else None  # refused now if pyarrow is missing
        self.tally = _Tally(sim)

    def add(self, stretch: Sequence[Message]) -> None:
        """The next messages of the run, in order."""
        # counted before the writer is forked: this process touching the messages while a
        # child shares their memory would copy every page of them (a year took 3 s longer)
        self.tally.add(stretch)
        if self.tables is not None:
            self.tables.add(stretch)
        self.messages.add(stretch)

    def finish(self) -> dict[str, Any]:
        """Write the files that need the whole run, wait for messages.jsonl; the summary."""
        sim, out = self.sim, self.out
        zone = sim.scenario.start.tzinfo
        # people read truth.jsonl and care.jsonl (the scenario's local time, with its offset);
        # messages.jsonl is what the devices sent (the contract's UTC `ts`)
        _write_local(out / "truth.jsonl", sim.truth.records, zone)
        _write_local(out / "care.jsonl", sim.team.timeline, zone)
        tally = self.tally
        tally.lines.sort(key=lambda line: line.ts)
        lines, labelled = label(tally.lines, sim.truth.records)
        (out / "casas.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        summary = summarise(sim, tally, labelled)
        (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
        (out / "kpis.json").write_text(json.dumps(summary["kpis"], indent=2, sort_keys=True) + "\n")
        if self.tables is not None:
            self.tables.close(sim.truth.records)
        self.messages.close()
        return summary


def _write_local(path: Path, records: Iterable[Truth | CareAction], zone: tzinfo | None) -> None:
    """JSON lines of records, each stamped in the scenario's local time."""
    with path.open("w", encoding="utf-8") as f:
        f.writelines(
            json.dumps({**r.as_json(), "ts": local_time(r.ts, zone)}, separators=(",", ":")) + "\n"
            for r in records
        )


class _Tally:
    """What the messages of a run add up to, counted a stretch at a time in one pass (a year
    is 2.7 million: every pass costs seconds)."""

    def __init__(self, sim: ScenarioSim) -> None:
        self.zone = sim.scenario.start.tzinfo
        self.room_of = {ident: sim.home.room(d.room).id for ident, d in sim.devices.items()}
        self.kinds: Counter[str] = Counter()
        """Messages by kind."""
        self.telemetry_values = 0
        self.warmest: dict[str, float] = {}
        self.lines: list[Line] = []
        """The CASAS dataset's sensor lines, in the order of the messages."""
        self.alarms: Counter[str] = Counter()
        self.stove_min = 0.0
        self.cuts: list[dict[str, Any]] = []
        self._hob_on: datetime | None = None

    def add(self, messages: Sequence[Message]) -> None:
        """Count the next messages of the run."""
        telemetry, event = Kind.TELEMETRY, Kind.EVENT
        kinds: Counter[Kind] = Counter()
        values = 0
        for m in messages:
            kind = m.topic.kind
            kinds[kind] += 1
            if kind is telemetry:
                data: dict[str, float] = m.payload.data  # type: ignore[union-attr,assignment]
                values += len(data)
                if "temperature" in data:
                    room = self.room_of[m.topic.device]
                    self.warmest[room] = max(self.warmest.get(room, -99.0), data["temperature"])
                    self.lines.append(sensor_line(m))  # type: ignore[arg-type]  # it makes one
            elif kind is event:
                self._event(m)
        self.telemetry_values += values
        self.kinds.update({k.value: n for k, n in kinds.items()})

    def _event(self, m: Message) -> None:
        p = m.payload
        assert isinstance(p, Event)
        if p.event_type != "command_result":
            self.lines.append(sensor_line(m))  # type: ignore[arg-type]  # it makes one
        if p.severity == "alarm":
            self.alarms[p.event_type] += 1
        if p.event_type == "stove_on":
            self._hob_on = self._hob_on or p.ts
        elif p.event_type in ("stove_off", "power_cut"):
            if self._hob_on is not None:
                self.stove_min += (p.ts - self._hob_on).total_seconds() / 60
                self._hob_on = None
            if p.event_type == "power_cut":
                self.cuts.append(
                    {"at": local_time(p.ts, self.zone), "reason": p.data.get("reason")}
                )


def summarise(sim: ScenarioSim, tally: _Tally, labelled: int) -> dict[str, Any]:
    """What a run produced, per day where that is what one compares."""
    days = float(sim.env.now) / DAY_S
    activities = Counter(
        t.value for t in sim.truth.records if t.kind == "activity" and t.phase == "begin"
    )
    return {
        "scenario": sim.scenario.id,
        "seed": sim.seed,
        "home": sim.home.id,
        "days": round(days, 3),
        "messages": sum(tally.kinds.values()),
        "messages_by_kind": dict(sorted(tally.kinds.items())),
        "telemetry_values": tally.telemetry_values,
        "alarms": dict(sorted(tally.alarms.items())),
        "sensor_events_per_day": round(len(tally.lines) / days, 1),
        "labelled_activities_per_day": round(labelled / days, 1),
        "activities": dict(sorted(activities.items())),
        "time_zone": zone_label(sim.scenario.start.tzinfo),
        "what_happened": what_happened(sim, tally),
        "kpis": kpis(
            sim.team,
            sim.truth.records,
            tally.alarms["dose_missed"],
            lambda ts: local_time(ts, sim.scenario.start.tzinfo),
            final=True,
        ),
    }


def what_happened(sim: ScenarioSim, tally: _Tally) -> dict[str, Any]:
    """What the incidents did, in figures a teacher checks a scenario by: the warmest each
    room got, the lowest hydration and the most dizzy (0 steady, 1 barely standing), the
    meals skipped, how long the hob was on and when its power was cut, every call (the
    alarm centre's to the resident through the safety phone, to the relative, the doctor,
    112; the relative's), the time she spent outside, her lowest core temperature and, with
    diabetes, her lowest glucose (local times)."""
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
        if a.action.startswith("called_") or a.action in CALLS
    ]
    cores = [float(t.value) for t in sim.truth.records if t.kind == "core_temp"]
    glucose = [float(t.value) for t in sim.truth.records if t.kind == "glucose"]
    return {
        "warmest_by_room_c": dict(sorted(tally.warmest.items())),
        "lowest_hydration": min(levels, default=None),
        "most_dizzy": max(dizzy, default=None),
        "meals_skipped": skipped,
        "stove_on_min": round(tally.stove_min, 1),
        "stove_power_cuts": tally.cuts,
        "calls": calls,
        "outside": outside(sim),
        "lowest_core_c": min(cores, default=None),
        "lowest_glucose": min(glucose, default=None),
    }


CALLS = ("dispatched", "talked", "alerted_alarm_centre", "answered_phone", "missed_call")
"""Entries of the timeline that are calls besides those named `called_...`."""


def outside(sim: ScenarioSim) -> dict[str, Any]:
    """Each time she was outside (local times, minutes) and the minutes in all."""
    zone = sim.scenario.start.tzinfo
    spells, since = [], None
    for t in sim.truth.records:
        if t.kind != "location" or t.value != "outside":
            continue
        if t.phase == "begin":
            since = t.ts
        elif since is not None:
            spells.append((since, t.ts))
            since = None
    return {
        "spells": [
            {
                "from": local_time(a, zone),
                "to": local_time(b, zone),
                "min": round((b - a).total_seconds() / 60, 1),
            }
            for a, b in spells
        ],
        "total_min": round(sum((b - a).total_seconds() for a, b in spells) / 60, 1),
    }
