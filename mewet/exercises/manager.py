"""Every exercise of one server: created, kept, restored after a restart, run side by side,
put away when idle.

Each exercise's home publishes through its own MQTT connection (its gateway, with its Last
Will), like any home of the lab; the live feed that participants see comes back from the
broker (`homefeed.py`), so what they see is exactly what crossed it. Without a broker
(`mqtt=None`) the feed goes straight from the home to the participants.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import time
from collections.abc import Callable, Collection, Coroutine
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from mewet.config import MqttUrl
from mewet.contract import DEFAULT_ROOT
from mewet.errors import TransportError
from mewet.exercises.db import AppDb, ExerciseRow, User
from mewet.exercises.errors import ElsewhereError
from mewet.exercises.feed import Feed
from mewet.exercises.homefeed import HomeFeed
from mewet.exercises.hosted import (
    Glance,
    Hosted,
    Replayed,
    home_id,
    keep_clocks,
    running_clocks,
    scenario_from_text,
)
from mewet.exercises.inputs import Input, Setup
from mewet.exercises.leases import RENEW_S, Taken
from mewet.exercises.live import Exercise, Phase
from mewet.exercises.placement import Placement
from mewet.exercises.replays import Replays
from mewet.exercises.runner import Runner
from mewet.scenarios.homesim import will_device
from mewet.scenarios.scenario import ScenarioError
from mewet.transport.access import BrokerAccess
from mewet.transport.sink import MqttSink

log = logging.getLogger(__name__)
T = TypeVar("T")
RESTART = "lab_restart"  # who paused an exercise at a restart: the lab itself
MAX_ID = 2**31 - 1
"""The largest exercise id the databases keep (PostgreSQL's `integer`)."""
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in class
PUT_AWAY_S = 600.0
"""An ended exercise, or a learner's paused run, that nobody has asked about or watched for
this long is put away: its memory freed, restored from its kept inputs when next asked."""


def _connected(live: Exercise, sink: MqttSink) -> None:
    """The exercise publishes on the broker from now on, first what its home says now."""
    live.connect(sink, sink.pump)
    for device in live.sim.devices.values():
        device.announce()  # status, meta, state: the first thing on its topics


class Exercises:
    """The exercises of one server."""

    def __init__(
        self,
        db: AppDb,
        mqtt: MqttUrl | None,
        root: str = DEFAULT_ROOT,
        access: BrokerAccess | None = None,
        replays: int = 1,
        server_url: str = "",
        workers: list[str] | None = None,
        put_away_s: float = PUT_AWAY_S,
    ) -> None:
        self.db = db
        self.put_away_s = put_away_s
        self.alone: Callable[[int], bool] = lambda exercise: False
        """Whether an exercise is a learner's own run (self-study): paused, it is put away too."""
        self.placement = Placement(db, server_url, workers)
        self.leases = self.placement.leases
        self._opening: dict[int, asyncio.Lock] = {}
        self.mqtt = mqtt
        self.root = root
        self.runner = Runner()
        self.replays = Replays(replays)
        self.replayed = Replayed(self.replays, root)
        self.hosted: dict[int, Hosted] = {}
        self.by_home: dict[str, int] = {}
        self._feed: HomeFeed | None = None
        self._jobs: list[asyncio.Task[None]] = []  # what the server does every little while
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.access = access  # students' broker accounts, when the broker is secured

    # -- life cycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe the live feed, and restore every exercise that had not ended, paused."""
        self._loop = asyncio.get_running_loop()
        self.runner.start()
        if self.mqtt is not None:
            feed = HomeFeed(self.mqtt, self.root, self._loop, self._running_home)
            try:
                self._feed = await asyncio.to_thread(feed.connect)
            except TransportError as exc:
                log.error("live feed without the broker (straight from each home): %s", exc)
                self.mqtt = None
        self.leases.unclaimed()
        if self.placement.front:  # a front: what it ran itself before is its workers'
            self.leases.release()
            self.leases.alive()
            await self.placement.workers_up()
        else:  # this server's exercises (as it left them) and those no server runs
            self.leases.alive()  # (not renewing: how it left them says how they come back)
            self.leases.put_away(ended=True)  # opened when someone asks for its debrief
            mine = self.leases.held() | set(self.leases.free())
            for row in self.db.exercises():
                if row.id in mine and (taken := self.leases.claim(row.id)) is not None:
                    await self._restore(row, taken)
        jobs = (self._save_clocks(), self.runner.beat(), self._keep_leases(), self._put_away_idle())
        self._jobs = [asyncio.create_task(job) for job in jobs]

    async def _restore(self, row: ExerciseRow, taken: Taken) -> Hosted | None:
        try:
            inputs = await asyncio.to_thread(self.db.inputs, row.id)
            return await self._open(row, inputs, taken.goes_on)
        except ScenarioError as exc:
            log.error("exercise %d cannot be restored: %s", row.id, exc)
            return None

    async def stop(self, paused: bool = True) -> None:
        """Stop every run, keep every clock, close every connection; free the exercises for
        the other servers (`paused=False`: they run on there)."""
        for task in self._jobs:
            task.cancel()
        await asyncio.to_thread(self.runner.stop)
        for hosted in self.hosted.values():
            self._keep_clock(hosted)
            if hosted.sink is not None:
                await asyncio.to_thread(hosted.sink.close, 5.0)
        self.leases.release(paused)  # the other servers take them over at once
        if self._feed is not None:
            self._feed.close()
        self.replays.close()

    async def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the exercises' own thread (anything that reads or changes a live
        exercise); its result, or its error."""
        return await self.runner.call(fn)

    async def _open(self, row: ExerciseRow, inputs: list[Input], go_on: bool = False) -> Hosted:
        """Host an exercise here, rebuilt from its kept inputs. A running one comes back
        paused after a restart (the lab's pause, on its timeline); taken over from a server
        that stopped (`go_on`), it runs on from where its clock was last kept."""
        scenario = scenario_from_text(row.scenario_yaml, f"exercise {row.id}")
        setup = Setup(
            scenario,
            row.seed,
            row.start,
            frozenset(row.roles),  # open to students
            home_id(row.id, row.home_tag),
            self.root,
        )
        # a restarted server brings every running exercise back paused, and says so on the
        # timeline (a pause by the lab), so that the teacher's resume follows a pause
        phase: Phase = "ended" if row.phase == "ended" else "created"
        if row.phase in ("running", "paused"):
            phase = "running" if row.phase == "running" else "paused"
        feed = Feed(self._loop)
        # rebuilding an exercise replays it: on the exercises' thread, not the event loop
        live = await self.runner.call(
            partial(
                Exercise,
                row.id,
                setup,
                speed=row.speed,
                inputs=inputs,
                at_s=row.sim_s,
                phase=phase,
                on_input=self._kept,
                local_feed=self.mqtt is None,
                feed=feed,
            )
        )
        if phase == "running" and go_on:
            await self.runner.call(live.go_on)
        elif phase == "running":
            await self.runner.call(partial(live.control, "pause", {}, RESTART))
        hosted = Hosted(row, live)
        self.hosted[row.id] = hosted
        self.by_home[setup.home_id] = row.id
        if phase != "ended":
            await self._connect(hosted)
            self.runner.add(live, self._ended)
        return hosted

    async def _connect(self, hosted: Hosted) -> None:
        if self.mqtt is None:
            return
        setup = hosted.live.setup
        if self.access is not None and self.mqtt.username:
            # the lab's account may write this home's topics from now on
            self.access.run_home(self.mqtt.username, setup.home_id)
        if self._feed is not None:
            self._feed.follow(setup.home_id)
        sink = MqttSink(
            self.mqtt,
            setup.home_id,
            will_device(hosted.live.sim.home),
            root=self.root,
            client_id=f"mewet-{setup.home_id}",
            batched=True,  # sent by the pump at the end of each turn, many to a system call
        )
        live = hosted.live
        try:
            await asyncio.to_thread(sink.connect)
        except TransportError as exc:
            # the exercise still runs for its class; its home just is not on the broker
            log.error("exercise %d runs without the broker: %s", hosted.row.id, exc)
            await self.call(live.feed_locally)
            return
        hosted.sink = sink
        await self.call(partial(_connected, live, sink))

    def _ended(self, live: Exercise) -> None:
        """An exercise has ended (said on the runner's thread): tidy up on the event loop."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(lambda: self._spawn(self._tidy(live.id)))

    async def _tidy(self, exercise_id: int) -> None:
        hosted = self.hosted[exercise_id]
        self._keep_clock(hosted)
        await self.call(hosted.live.release)
        if self.access is not None:
            self.access.revoke(group=f"exercise-{exercise_id}")  # students' accounts go
        await self._off_broker(hosted, 5.0)  # its last words (offline) have come by then

    async def _off_broker(self, hosted: Hosted, wait_s: float) -> None:
        """The exercise's home leaves the broker: its connection closed (up to `wait_s` for
        what it sent to go), its messages followed no more."""
        if hosted.sink is not None:
            sink, hosted.sink = hosted.sink, None
            await self.call(partial(hosted.live.disconnect, sink))
            await asyncio.to_thread(sink.close, wait_s)
        if self._feed is not None:
            self._feed.unfollow(hosted.live.setup.home_id)

    async def _keep_leases(self) -> None:
        """Say again that this server runs its exercises, and take over those of a server
        that has stopped."""
        while True:
            await asyncio.sleep(RENEW_S)
            try:
                held = await asyncio.to_thread(self.leases.renew)
                if self.placement.front:
                    continue  # a front runs none
                for ex in [ex for ex in self.hosted if ex not in held]:
                    await self._drop(ex)
                for ex in await asyncio.to_thread(self.placement.share):
                    await self._take(ex)
            except Exception:  # the database away for a moment: try again next time
                log.exception("the exercises' leases could not be kept")

    async def _take(self, exercise_id: int) -> Hosted | None:
        """Take over an exercise whose lease is free, once (two asking at once wait)."""
        async with self._opening.setdefault(exercise_id, asyncio.Lock()):
            if exercise_id in self.hosted:
                return self.hosted[exercise_id]
            row = await asyncio.to_thread(self.db.exercise, exercise_id)
            if row is None:
                return None
            taken = await asyncio.to_thread(self.leases.claim, exercise_id)
            if taken is None:
                return None
            log.info("exercise %d taken over from %s", exercise_id, taken.server)
            return await self._restore(row, taken)

    async def _drop(self, exercise_id: int) -> None:
        """Another server runs the exercise now (this one was cut off from the database for
        longer than its lease): stop running it here, keeping nothing."""
        log.warning("exercise %d is run by another server now", exercise_id)
        await self._unhost(exercise_id)

    async def _unhost(self, exercise_id: int) -> None:
        """Run and hold the exercise here no more."""
        hosted = self.hosted.pop(exercise_id)
        self.by_home.pop(hosted.live.setup.home_id, None)
        await self.call(partial(self.runner.remove, exercise_id))
        await self._off_broker(hosted, 1.0)

    async def _put_away_idle(self) -> None:
        """Put away, every little while, the exercises that have been idle long enough."""
        while True:
            await asyncio.sleep(min(60.0, self.put_away_s))
            put = 0
            for exercise_id in list(self.hosted):
                try:
                    put += await self.put_away(exercise_id)
                except Exception:  # the database away for a moment: the next round
                    log.exception("exercise %d could not be put away", exercise_id)
            if put:  # a home is cycles of objects: freed now, not at Python's next full look
                gc.collect()

    async def put_away(self, exercise_id: int) -> bool:
        """Free an idle exercise's memory here: its clock kept, its lease left for whichever
        server is asked for it next (which restores it by replay). Whether it was."""
        async with self._opening.setdefault(exercise_id, asyncio.Lock()):
            hosted = self.hosted.get(exercise_id)
            if hosted is None or not hosted.idle(self.put_away_s):
                return False
            paused = hosted.live.phase == "paused"  # a class's stays: its home is on the broker
            if paused and not await asyncio.to_thread(self.alone, exercise_id):
                return False
            await asyncio.to_thread(self._keep_clock, hosted)
            await self._unhost(exercise_id)
            await asyncio.to_thread(self.leases.put_away, exercise_id)
            log.info("exercise %d put away (%s)", exercise_id, hosted.live.phase)
            return True

    async def find(self, exercise_id: int) -> Hosted | None:
        """An exercise by id: run here, or taken over here if its server has stopped (None:
        no such exercise); ElsewhereError when another server runs it."""
        hosted = self.hosted.get(exercise_id)
        if hosted is not None:
            hosted.asked = time.monotonic()
            return hosted
        if not 0 < exercise_id <= MAX_ID:  # no such row: not a question for the database
            return None
        if (url := self.placement.known(exercise_id)) is not None:
            raise ElsewhereError(exercise_id, url)
        holder = await asyncio.to_thread(self.leases.holder, exercise_id)
        if holder is not None and holder.server != self.leases.server:
            self.placement.remember(exercise_id, holder.url)
        if self.placement.front:  # a front: to the worker that runs it, or will
            if holder is not None and holder.server != self.leases.server:
                raise ElsewhereError(exercise_id, holder.url)
            if await asyncio.to_thread(self.db.exercise, exercise_id) is None:
                return None
            raise ElsewhereError(exercise_id, await self.placement.place())
        if holder is None or holder.server == self.leases.server:
            hosted = await self._take(exercise_id)
            if hosted is not None:
                return hosted
            holder = await asyncio.to_thread(self.leases.holder, exercise_id)
        if holder is None or holder.server == self.leases.server:
            return None
        raise ElsewhereError(exercise_id, holder.url)

    async def _save_clocks(self) -> None:
        """Keep the running exercises' clocks every 5 s: all in one transaction, off the
        event loop (hundreds of them, and other processes writing the same database)."""
        while True:
            await asyncio.sleep(5)
            clocks = running_clocks(self.hosted.values())
            try:
                await asyncio.to_thread(keep_clocks, self.db, clocks)
            except Exception:  # the database away for a moment: the next time keeps them
                log.exception("the exercises' clocks could not be kept")

    def _keep_clock(self, hosted: Hosted) -> None:
        live = hosted.live
        self.db.set_clock(hosted.row.id, live.phase, live.now_s, live.clock.speed)

    def _kept(self, live: Exercise, entry: Input) -> None:
        self.db.add_input(live.id, entry)
        self.db.set_clock(live.id, live.phase, live.now_s, live.clock.speed)

    # -- exercises ---------------------------------------------------------------------

    async def create(
        self,
        teacher: User,
        title: str,
        scenario_yaml: str,
        seed: int,
        start: datetime,
        speed: float,
        roles: list[str],
        group: str = "",
        version: int = 0,
    ) -> Hosted:
        """A new exercise, its home switched on and its clock standing at the start; an empty
        title: the scenario's, in the reader's language."""
        if self.placement.front:  # the whole request goes to the worker that runs it
            raise ElsewhereError(0, await self.placement.place())
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        while self.db.with_code(code):  # the code alone finds the exercise
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        tag = secrets.token_hex(3)
        ex = self.db.add_exercise(
            teacher, title, scenario_yaml, seed, start, speed, roles, code, tag, group, version
        )
        self.leases.give(ex)
        row = self.db.exercise(ex)
        assert row is not None
        return await self._open(row, [])

    def _running_home(self, home: str) -> Exercise | None:
        """The exercise that runs a home here, if any."""
        ex = self.by_home.get(home)
        return None if ex is None else self.hosted[ex].live

    def kept(self, teacher: int | None, besides: Collection[int]) -> list[ExerciseRow]:
        """The exercises as kept: a teacher's (None: everyone's), but those in `besides`."""
        where, args = ("WHERE teacher = ?", (teacher,)) if teacher is not None else ("", ())
        found = self.db.rows(f"SELECT id FROM exercises {where} ORDER BY id", args)
        rows = (self.db.exercise(r["id"]) for r in found if r["id"] not in besides)
        return [r for r in rows if r is not None]

    def get(self, exercise_id: int) -> Hosted | None:
        """An exercise run here, by id."""
        return self.hosted.get(exercise_id)

    def open_of(self, teacher: int) -> int:
        """How many of a teacher's exercises have not ended, on every server."""
        row = self.db.one(
            "SELECT COUNT(*) AS n FROM exercises WHERE teacher = ? AND phase <> 'ended'",
            (teacher,),
        )
        return int(row["n"]) if row is not None else 0

    def glance(self, exercise_id: int) -> Glance | None:
        """An exercise's phase and home time, for a list: from its run here, else as its
        server last kept them (5 s ago at most)."""
        hosted = self.hosted.get(exercise_id)
        if hosted is not None:
            return Glance(hosted.live.phase, hosted.live.time())
        row = self.db.exercise(exercise_id)
        return None if row is None else Glance.kept(row)

    async def by_code(self, code: str) -> Hosted | None:
        """The exercise with this join code: the one that has not ended, else the last
        that had it (ElsewhereError when another server runs it)."""
        ids = await asyncio.to_thread(self.db.with_code, code)
        return await self.find(ids[0]) if ids else None

    def after_control(self, hosted: Hosted) -> None:
        """Keep the clock after a control."""
        self._keep_clock(hosted)

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
