"""Batch runs: a scenario, run to its end as fast as possible, written to files.

The same scenario and seed give byte-identical files: every random draw comes from the run's
seeded generators and every timestamp from the simulation clock.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from mewet.contract import DEFAULT_ROOT, Event, Kind, Message, Telemetry, Topic
from mewet.scenarios.care import REGISTRY, AlarmTap, CareTeam, Policies, kpis
from mewet.scenarios.casas import dataset
from mewet.scenarios.homesim import HomeSim
from mewet.scenarios.incidents import happen
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
) -> tuple[ScenarioSim, MemorySink]:
    """Run a scenario to its end into a memory sink; `progress` hears the days done.
    `home_id` renames the home (a campaign numbers its homes by seed)."""
    sink = MemorySink()
    sim = ScenarioSim(scenario, sink, seed, home_id=home_id)
    end = (scenario.days if days is None else days) * DAY_S
    while sim.env.now < end:
        sim.run(min(end, sim.env.now + DAY_S))
        if progress is not None:
            progress(float(sim.env.now) / DAY_S)
    sim.shutdown()
    sim.truth.close()
    return sim, sink


def message_json(m: Message, names: dict[Topic, str] | None = None) -> str:
    """One line of messages.jsonl: topic, retain flag and the payload as sent, byte for byte
    (the encoded payload is put in as it is: no parsing it back to write it out again)."""
    name = None if names is None else names.get(m.topic)
    if name is None:
        name = str(m.topic)
        if names is not None:
            names[m.topic] = name
    raw = m.encode().decode()
    payload = json.dumps(raw, ensure_ascii=False) if m.topic.kind is Kind.STATUS else raw
    retain = "true" if m.retain else "false"
    return f'{{"topic":"{name}","retain":{retain},"payload":{payload}}}'


def write_run(
    out: Path, scenario: Scenario, sim: ScenarioSim, sink: MemorySink, *, parquet: bool = False
) -> dict[str, Any]:
    """Write messages.jsonl, truth.jsonl, care.jsonl, casas.txt, kpis.json and summary.json
    (and with `parquet`, telemetry, events and truth as Parquet tables)."""
    out.mkdir(parents=True, exist_ok=True)
    names: dict[Topic, str] = {}
    with (out / "messages.jsonl").open("w", encoding="utf-8", buffering=1 << 20) as f:
        f.writelines(message_json(m, names) + "\n" for m in sink.messages)
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
    lines, labelled = dataset(sink.messages, sim.truth.records)
    (out / "casas.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    summary = summarise(scenario, sim, sink, len(lines), labelled)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    (out / "kpis.json").write_text(json.dumps(summary["kpis"], indent=2, sort_keys=True) + "\n")
    if parquet:
        write_tables(out, sink.messages, sim.truth.records)
    return summary


def summarise(
    scenario: Scenario, sim: ScenarioSim, sink: MemorySink, sensor_events: int, labelled: int
) -> dict[str, Any]:
    """What a run produced, per day where that is what one compares."""
    days = float(sim.env.now) / DAY_S
    kinds = Counter(m.topic.kind.value for m in sink.messages)
    alarms = Counter(
        p.event_type
        for m in sink.messages
        if isinstance(p := m.payload, Event) and p.severity == "alarm"
    )
    activities = Counter(
        t.value for t in sim.truth.records if t.kind == "activity" and t.phase == "begin"
    )
    return {
        "scenario": scenario.id,
        "seed": sim.seed,
        "home": sim.home.id,
        "days": round(days, 3),
        "messages": len(sink.messages),
        "messages_by_kind": dict(sorted(kinds.items())),
        "telemetry_values": sum(
            len(p.data) for m in sink.messages if isinstance(p := m.payload, Telemetry)
        ),
        "alarms": dict(sorted(alarms.items())),
        "sensor_events_per_day": round(sensor_events / days, 1),
        "labelled_activities_per_day": round(labelled / days, 1),
        "activities": dict(sorted(activities.items())),
        "time_zone": zone_label(scenario.start.tzinfo),
        "what_happened": what_happened(sim, sink),
        "kpis": kpis(
            sim.team,
            sim.truth.records,
            alarms["dose_missed"],
            lambda ts: local_time(ts, scenario.start.tzinfo),
            final=True,
        ),
    }


def what_happened(sim: ScenarioSim, sink: MemorySink) -> dict[str, Any]:
    """What the incidents did, in figures a teacher checks a scenario by: the warmest each
    room got, the lowest hydration, how long the hob was on and when its power was cut, and
    whom the alarm centre called when (local times)."""
    zone = sim.scenario.start.tzinfo
    rooms: dict[str, float] = {}
    hob_on: datetime | None = None
    stove_min = 0.0
    cuts = []
    for m in sink.messages:
        p = m.payload
        if isinstance(p, Telemetry) and "temperature" in p.data:
            room = sim.home.room(sim.devices[m.topic.device].room).id
            rooms[room] = max(rooms.get(room, -99.0), p.data["temperature"])
        elif isinstance(p, Event) and p.event_type == "stove_on":
            hob_on = hob_on or p.ts
        elif isinstance(p, Event) and p.event_type in ("stove_off", "power_cut"):
            if hob_on is not None:
                stove_min += (p.ts - hob_on).total_seconds() / 60
                hob_on = None
            if p.event_type == "power_cut":
                cuts.append({"at": local_time(p.ts, zone), "reason": p.data.get("reason")})
    levels = [float(t.value) for t in sim.truth.records if t.kind == "hydration"]
    calls = [
        {"at": local_time(a.ts, zone), "by": a.role, "call": a.action, "detail": a.detail}
        for a in sim.team.timeline
        if a.action.startswith("called_") or a.action == "dispatched"
    ]
    return {
        "warmest_by_room_c": dict(sorted(rooms.items())),
        "lowest_hydration": min(levels, default=None),
        "stove_on_min": round(stove_min, 1),
        "stove_power_cuts": cuts,
        "calls": calls,
    }
