"""One simulated home: the world, its devices and its occupant in one SimPy environment."""

from __future__ import annotations

import asyncio
import math
import queue
from collections.abc import Callable
from datetime import datetime

import simpy

from mewet.contract import DEFAULT_ROOT, Command, Topic
from mewet.devices.base import Device
from mewet.devices.catalogue import CATALOGUE
from mewet.errors import HomeFileError
from mewet.scenarios.body import body, temperature_and_glucose
from mewet.scenarios.occupant import Occupant, Persona
from mewet.scenarios.truth import TruthLog
from mewet.sim.clock import SimClock
from mewet.sim.home import Home
from mewet.sim.readings import SimEnvironment
from mewet.sim.seeds import rng_for
from mewet.sim.sink import Sink
from mewet.sim.world import Process, World


def will_device(home: Home) -> str:
    """The device whose status a home's Last Will marks offline: its gateway, as in a real home."""
    gateways = [d.id for d in home.devices if d.type == "gateway"]
    if gateways:
        return gateways[0]
    if not home.devices:
        raise HomeFileError(f"home {home.id!r} has no devices to simulate")
    return home.devices[0].id


class HomeSim:
    """A home with its devices and a simple occupant, ready to run."""

    def __init__(
        self,
        home: Home,
        sink: Sink,
        seed: int,
        start: datetime,
        root: str = DEFAULT_ROOT,
        persona: Persona | None = None,
    ) -> None:
        self.home = home
        self.seed = seed
        self.env = SimEnvironment()
        self.world = World(self.env, home, start)
        self.occupant = Occupant(self.env, self.world, rng_for(seed, "occupant"), persona)
        self.truth = TruthLog(self.world)
        self.devices: dict[str, Device] = {}
        for placement in home.devices:
            spec = CATALOGUE[placement.type]
            self.devices[placement.id] = spec.factory(
                self.env,
                self.world,
                sink,
                spec,
                placement,
                rng_for(seed, f"device:{placement.id}"),
                root,
            )
        self._started = False

    def start(self) -> None:
        """Switch every device on and let the occupant live."""
        if not self._started:
            self._started = True
            self.truth.start()
            for device in self.devices.values():
                device.start()
            self.occupant.start()
            self.env.process(body(self.world, self.truth))
            self.env.process(temperature_and_glucose(self.world, self.truth))

    def run(self, until_s: float) -> None:
        """Advance the simulation to `until_s` sim seconds."""
        self.start()
        if until_s > self.env.now:
            self.env.run(until=until_s)

    def advance(self, until_s: float) -> None:
        """`run`, the cheap way for a fleet's many small steps (`SimEnvironment.advance`)."""
        self.start()
        self.env.advance(until_s)

    def at(self, sim_s: float, do: Callable[[], object]) -> simpy.Process:
        """Schedule `do` at sim time `sim_s` (now, if that has passed): timed actions, replays."""

        def later() -> Process:
            yield self.env.timeout(max(0.0, sim_s - float(self.env.now)))
            do()

        return self.env.process(later())

    def command(self, topic: Topic, command: Command) -> bool:
        """Deliver a command to a device at the current sim time; False for unknown devices."""
        device = self.devices.get(topic.device)
        if device is None or topic.command is None:
            return False
        device.command(topic.command, dict(command.args), command.id)
        return True

    def shutdown(self) -> None:
        """Every device says `offline`, as it would when the home is switched off."""
        for device in self.devices.values():
            device.die("simulation ended")


async def run_live(
    sim: HomeSim,
    clock: SimClock,
    end_s: float,
    commands: queue.SimpleQueue[tuple[Topic, Command]] | None = None,
    pump: Callable[[], None] | None = None,
    tick_s: float = 0.05,
    chunk_s: float = 60.0,
) -> None:
    """Advance `sim` with the wall clock until `end_s`, taking commands between steps.

    `pump` lets the sink's network work happen between steps (acks, keep-alive, commands).
    """
    sim.start()
    while sim.env.now < end_s:
        if pump is not None:
            pump()
        while commands is not None and not commands.empty():
            sim.command(*commands.get_nowait())
        target = clock.target()
        if math.isinf(target):  # as fast as possible, in chunks so commands get in
            sim.run(min(end_s, sim.env.now + chunk_s))
            await asyncio.sleep(0)
        else:
            sim.run(min(end_s, target))
            await asyncio.sleep(tick_s)
