"""A benchmark run: scenarios played live over MQTT to a company's analytics, then scored.

The lab runs each (scenario, seed) as its own home, `<scenario>-<seed>`, all at once at the
chosen speed, publishing through the contract as any home does. The company's analytics
subscribes to those homes and publishes what it detects as events of its own device
(`<root>/<company home>/<device>/event`): an `Event` whose `event_type` says what it found
(`fall_detected`) and whose `data.home` names the home it concerns. A detection counts from
when it reached the lab, in its home's time (its own `ts` is kept as what it claims). The
ground truth stays in the lab's memory until the run is over; then every home is written as a
run folder (the files of `mewet run`), the detections beside them, and the report scored as
`mewet score` scores.

Same scenarios and seeds, same stimuli: two versions of an algorithm meet the same falls;
held-out homes (`heldout.py`) are drawn anew from a secret seed, for a score to show.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mewet.benchmark.heldout import draw
from mewet.benchmark.score import Detection, ScoreError, html, read_run, report
from mewet.config import MqttUrl
from mewet.contract import DEFAULT_ROOT, Event, Kind, Message, Topic, check_id, format_ts
from mewet.scenarios.homesim import run_live, will_device
from mewet.scenarios.run import ScenarioSim, write_run
from mewet.scenarios.scenario import Scenario, load_scenario
from mewet.sim.clock import SimClock
from mewet.sim.sink import MemorySink
from mewet.transport.client import MqttLink, Received
from mewet.transport.sink import MqttSink

MAX_HOMES = 200
MAX_DETECTIONS = 100_000
"""Messages taken on the detector's topic in one run; later ones are counted, not kept."""
MAX_PAYLOAD = 4096


@dataclass(frozen=True, slots=True)
class Broker:
    """Where a benchmark plays: the broker, the topic root, how much may await its acks."""

    url: MqttUrl
    root: str = DEFAULT_ROOT
    backlog: int = 1000


class _Tee:
    """Publishes to the broker and keeps every message, for the truth files afterwards."""

    def __init__(self, mqtt: MqttSink) -> None:
        self.mqtt = mqtt
        self.memory = MemorySink()

    def publish(self, message: Message) -> None:
        self.memory.publish(message)
        self.mqtt.publish(message)


@dataclass(frozen=True, slots=True)
class Refused:
    """A message on the detector's topic that could not be taken as a detection, and why."""

    payload: str
    reason: str


class Inbox:
    """The company's detections, as they arrive on its device's event topic."""

    def __init__(
        self, url: MqttUrl, root: str, home: str, device: str, homes: frozenset[str]
    ) -> None:
        self.topic = str(Topic(home, device, Kind.EVENT, root=root))
        self.homes = homes
        self.detections: list[Detection] = []
        self.refused: list[Refused] = []
        self.overflow = 0
        self._lock = threading.Lock()
        self.timebase: tuple[float, float, dict[str, datetime]] | None = None
        """(wall clock at the start, speed, each home's start): when a detection arrived, in
        its home's time; set when the homes start playing."""
        self.link = MqttLink(
            url,
            f"mewet-benchmark-{home}-{device}-{time.monotonic_ns() % 10**9}",
            on_message=self._take,
            subscriptions=(self.topic,),
            threaded=True,
        )

    def _take(self, msg: Received) -> None:
        with self._lock:
            if len(self.detections) + len(self.refused) >= MAX_DETECTIONS:
                self.overflow += 1
                return
            text = msg.payload[:200].decode("utf-8", "replace")
            if len(msg.payload) > MAX_PAYLOAD:
                self.refused.append(Refused(text, f"larger than {MAX_PAYLOAD} bytes"))
                return
            try:
                event = Event.model_validate_json(msg.payload)
            except ValidationError as exc:
                problem = exc.errors()[0]
                where = ".".join(str(p) for p in problem["loc"]) or "the payload"
                self.refused.append(Refused(text, f"not an event: {where}: {problem['msg']}"))
                return
            home = event.data.get("home")
            if not isinstance(home, str) or home not in self.homes:
                self.refused.append(
                    Refused(text, f"data.home {home!r} is not one of this benchmark's homes")
                )
                return
            self.detections.append(
                Detection(home, self.arrived(home, event.ts), event.event_type, claimed=event.ts)
            )

    def arrived(self, home: str, claimed: datetime) -> datetime:
        """The home's time when a detection reached the lab: what delays are measured from
        (a detector's own `ts` could say anything)."""
        if self.timebase is None:
            return claimed
        wall0, speed, starts = self.timebase
        at = starts[home] + timedelta(seconds=(time.monotonic() - wall0) * speed)
        return at.replace(microsecond=at.microsecond // 1000 * 1000)  # as detections.jsonl has it


@dataclass(frozen=True, slots=True)
class Stimulus:
    """One scenario with one seed, played as its own home."""

    scenario: Scenario
    seed: int
    prefix: str = ""
    name: str = ""
    """A held-out home's name, which says nothing of its scenario or seed."""

    @property
    def home(self) -> str:
        """The home's id, as a campaign names it (after the prefix of a benchmark run through
        the API, so two companies' runs never share a home), or its held-out name."""
        return f"{self.prefix}{self.name or f'{self.scenario.id}-{self.seed}'}"


def stimuli(scenarios: Sequence[str], seeds: Sequence[int], prefix: str = "") -> list[Stimulus]:
    """Every scenario with every seed (a bad scenario fails here, before anything starts)."""
    if len(scenarios) * len(seeds) > MAX_HOMES:
        raise ScoreError(
            f"{len(scenarios)} scenarios x {len(seeds)} seeds: a benchmark plays at most "
            f"{MAX_HOMES} homes at once"
        )
    return [Stimulus(load_scenario(name), seed, prefix) for name in scenarios for seed in seeds]


def held_out_stimuli(count: int, prefix: str = "", seed: int | None = None) -> list[Stimulus]:
    """`count` held-out homes, drawn from a secret seed (`seed` only for the lab's tests)."""
    if count > MAX_HOMES:
        raise ScoreError(f"{count} held-out homes: a benchmark plays at most {MAX_HOMES}")
    return [Stimulus(h.scenario, h.seed, prefix, h.name) for h in draw(count, seed)]


def run_benchmark(
    link: Broker,
    plays: Sequence[Stimulus],
    detector: str,
    out: Path,
    *,
    speed: float,
    window_s: float = 300.0,
    event_types: frozenset[str] = frozenset({"fall_detected"}),
    grace_s: float | None = None,
) -> dict[str, Any]:
    """Play every stimulus live, collect the detector's detections, write the runs and the
    report (report.json, report.html, detections.jsonl, refused.jsonl) into `out`."""
    home, _, device = detector.partition("/")
    check_id(home, "detector home")
    check_id(device, "detector device")
    homes = frozenset(p.home for p in plays)
    if home in homes:
        raise ScoreError(f"the detector's home {home!r} is one of the benchmark's homes")
    inbox = Inbox(link.url, link.root, home, device, homes)
    inbox.link.connect()
    sims: list[tuple[Stimulus, ScenarioSim, _Tee]] = []
    try:
        for play in plays:
            mqtt = MqttSink(
                link.url,
                play.home,
                will_device(play.scenario.build_home()),
                root=link.root,
                backlog=link.backlog,
            ).connect()
            tee = _Tee(mqtt)
            sim = ScenarioSim(play.scenario, tee, play.seed, root=link.root, home_id=play.home)
            sims.append((play, sim, tee))
        starts = {play.home: sim.world.start for play, sim, _ in sims}
        inbox.timebase = (time.monotonic(), speed, starts)
        asyncio.run(_play(sims, speed))
    finally:
        for _, sim, tee in sims:
            sim.shutdown()
            tee.mqtt.close()
    # detections of the last moments are still on their way
    time.sleep(grace_s if grace_s is not None else min(30.0, 2.0 + window_s / max(speed, 1.0)))
    inbox.link.close()
    out.mkdir(parents=True, exist_ok=True)
    runs = []
    for play, sim, tee in sims:
        sim.truth.close()
        write_run(out / play.home, sim, tee.memory)
        runs.append(read_run(out / play.home))
    with inbox._lock:
        detections, refused = list(inbox.detections), list(inbox.refused)
    with (out / "detections.jsonl").open("w", encoding="utf-8") as f:
        for d in detections:
            line = {"home": d.home, "ts": format_ts(d.ts), "event_type": d.event_type}
            if d.claimed is not None:
                line["claimed_ts"] = format_ts(d.claimed)  # the detector's own ts, kept
            f.write(json.dumps(line) + "\n")
    with (out / "refused.jsonl").open("w", encoding="utf-8") as f:
        for r in refused:
            f.write(json.dumps({"payload": r.payload, "reason": r.reason}) + "\n")
    result = report(runs, detections, window_s=window_s, event_types=event_types)
    result["detector"] = detector
    result["speed"] = speed
    result["delays_from"] = "arrival"  # at the lab, in the home's time at the run's speed
    result["held_out"] = any(p.name for p in plays)
    result["refused"] = len(refused)
    result["not_taken"] = inbox.overflow  # beyond MAX_DETECTIONS
    (out / "report.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    (out / "report.html").write_text(html(result, detector), encoding="utf-8")
    return result


async def _play(sims: Sequence[tuple[Stimulus, ScenarioSim, _Tee]], speed: float) -> None:
    await asyncio.gather(
        *(
            run_live(
                sim,
                SimClock(sim.world.start, speed),
                play.scenario.days * 86400,
                tee.mqtt.commands,
                tee.mqtt.pump,
            )
            for play, sim, tee in sims
        )
    )
