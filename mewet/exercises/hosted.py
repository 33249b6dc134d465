"""What a server holds of each exercise it runs (`Hosted`), and what is replayed of one in a
worker process: its debrief, a scenario's trial, its home at an earlier moment, its charts."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from mewet.exercises import debrief
from mewet.exercises.db import AppDb, ExerciseRow, bound
from mewet.exercises.inputs import Setup
from mewet.exercises.live import Exercise
from mewet.exercises.replays import Replays
from mewet.exercises.view import HomeThen, home_at
from mewet.scenarios.scenario import MAX_SCENARIO_BYTES, Scenario, ScenarioError
from mewet.sim.clock import local_time
from mewet.texts import said
from mewet.transport.sink import MqttSink
from mewet.yamlfile import validate_yaml


def scenario_from_text(text: str, name: str = "scenario.yaml", max_aliases: int = 0) -> Scenario:
    """A scenario from YAML text (uploaded, or kept with an exercise); ScenarioError says why."""
    if len(text.encode()) > MAX_SCENARIO_BYTES:
        raise ScenarioError.of(name, said("file_too_large", kib=MAX_SCENARIO_BYTES // 1024))
    return validate_yaml(Scenario, name, ScenarioError, text=text, max_aliases=max_aliases)


def home_id(exercise_id: int, tag: str) -> str:
    """The exercise's home id on the broker."""
    return f"ex{exercise_id}-{tag}"


@functools.lru_cache(maxsize=32)
def kept_scenario(text: str) -> Scenario:
    """The scenario kept with an exercise no server runs now, read once for the lists (a
    class's exercises share a few scenarios); ScenarioError when it no longer reads."""
    return scenario_from_text(text)


def title_of(row: ExerciseRow, scenario: Scenario, lang: str) -> str:
    """An exercise's title in a language: the teacher's own, else the scenario's."""
    own = row.title and row.title != scenario.title  # older rows kept it
    return row.title if own else scenario.text(lang)[0]


@dataclass(frozen=True, slots=True)
class Glance:
    """An exercise at a glance: its phase and the home's time."""

    phase: str
    time: str

    @classmethod
    def kept(cls, row: ExerciseRow) -> Glance:
        """As its server last kept it (5 s ago at most, or when it was put away)."""
        home = row.start + timedelta(seconds=row.sim_s)
        return cls(row.phase, local_time(home, row.start.tzinfo))


@dataclass
class Hosted:
    """One exercise this server hosts: its row, its live run and its connection."""

    row: ExerciseRow
    live: Exercise
    sink: MqttSink | None = None
    asked: float = field(default_factory=time.monotonic)
    """When someone last asked for it (monotonic seconds)."""

    def idle(self, for_s: float) -> bool:
        """Whether it rests: ended (and tidied) or paused, nobody has asked about it for
        `for_s` and nobody watches it."""
        live = self.live
        resting = (live.phase == "ended" and self.sink is None) or live.phase == "paused"
        asked_s = time.monotonic() - self.asked
        return resting and asked_s >= for_s and not live.feed.subscribers

    def title(self, lang: str) -> str:
        """The exercise's title in a language: the teacher's own, else the scenario's."""
        return title_of(self.row, self.live.setup.scenario, lang)


Clock = tuple[float, float, int]
"""An exercise's clock as kept: its sim time, its speed, its id."""


def running_clocks(hosted: Iterable[Hosted]) -> list[Clock]:
    """The clocks of the exercises that run (read on the event loop, kept off it)."""
    return [
        (h.live.now_s, h.live.clock.speed, h.row.id) for h in hosted if h.live.phase == "running"
    ]


def keep_clocks(db: AppDb, clocks: Sequence[Clock]) -> None:
    """Keep running exercises' clocks, in one transaction."""
    # the phase is kept with each input: a clock read before a pause leaves the pause be
    sql = "UPDATE exercises SET sim_s = ?, speed = ? WHERE id = ? AND phase = 'running'"
    with db.transaction() as c:
        for clock in clocks:
            c.execute(*bound(sql, clock))


class Replayed:
    """What is replayed of the exercises in worker processes, each result kept (`Replays`)."""

    def __init__(self, replays: Replays, root: str) -> None:
        self.replays = replays
        self.root = root

    async def debrief(self, hosted: Hosted, until_s: float | None = None) -> dict[str, Any]:
        """The exercise's debrief up to `until_s` (default: now), replayed in a worker process
        once per state of the exercise (BusyError when too many replays wait)."""
        live = hosted.live
        until = live.now_s if until_s is None else min(until_s, live.now_s)
        final = live.phase == "ended" and until >= live.now_s
        inputs = list(live.inputs)
        key = ("debrief", hosted.row.id, len(inputs), round(until, 3), final)
        return await self.replays.run(key, debrief.build, live.setup, inputs, until, final)

    async def trial(self, scenario: Scenario) -> dict[str, Any]:
        """A test run of a scenario before any class sees it: its first day (all of it, if
        shorter) with the lab's team in every role, replayed in a worker process like a
        debrief (BusyError when too many replays wait); the same scenario is run once."""
        days = min(scenario.days, 1.0)
        setup = Setup(scenario, scenario.seed, scenario.start, frozenset(), "trial", self.root)
        key = ("trial", scenario.model_dump_json())
        final = days >= scenario.days  # a longer scenario goes on: its open cases are open
        return await self.replays.run(key, debrief.build, setup, [], days * 86400.0, final)

    async def home_at(self, hosted: Hosted, sim_s: float) -> HomeThen:
        """The exercise's home at an earlier moment (to the second), replayed in a worker."""
        live = hosted.live
        inputs = [i for i in live.inputs if i.sim_s <= sim_s]  # later inputs change nothing
        at = float(round(sim_s))
        key = ("home", hosted.row.id, len(inputs), at)
        return await self.replays.run(key, home_at, live.setup, inputs, at)

    async def chart(self, hosted: Hosted, kind: str, fmt: str, lang: str = "en") -> bytes:
        """A chart of the debrief now (`timeline` or `vitals`, `png` or `svg`), or the HTML
        report (`report`, `html`), in a language, drawn in a worker."""
        found = debrief.in_language(await self.debrief(hosted), lang, hosted.title(lang))
        draw = {
            "timeline": debrief.timeline_plot,
            "vitals": debrief.vitals_plot,
            "report": debrief.html_report,
        }[kind]
        key = (kind, fmt, lang, hosted.row.id, len(hosted.live.inputs), found["until"])
        return await self.replays.run(key, draw, found, fmt)
