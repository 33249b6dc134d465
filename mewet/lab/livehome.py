"""One home simulated live on the broker: its simulation, its MQTT sink (the gateway's
connection, with its Last Will) and, when asked, its Home Assistant discovery. `mewet
simulate` and `mewet up` both run their home through this."""

from __future__ import annotations

from datetime import datetime

from mewet.config import Settings
from mewet.integrations.homeassistant import messages
from mewet.scenarios.homesim import HomeSim, run_live, will_device
from mewet.scenarios.run import ScenarioSim
from mewet.scenarios.scenario import Scenario
from mewet.sim.clock import SimClock
from mewet.sim.home import Home
from mewet.transport.sink import MqttSink


class LiveHome:
    """A home (or a scenario's home, with its incidents and care team) publishing live.

    `seed` None: the scenario's own, or 1 for a home without a scenario."""

    def __init__(
        self,
        settings: Settings,
        home: Home,
        seed: int | None,
        start: datetime,
        *,
        scenario: Scenario | None = None,
        ha_discovery: bool = False,
    ) -> None:
        self.settings = settings
        self.ha_discovery = ha_discovery or settings.ha_discovery
        self.sink = MqttSink(
            settings.mqtt(),
            home.id,
            will_device(home),
            root=settings.topic_root,
            backlog=settings.publish_backlog,
        )
        self.sim: HomeSim = (
            ScenarioSim(scenario, self.sink, seed, start, settings.topic_root)
            if scenario is not None
            else HomeSim(home, self.sink, 1 if seed is None else seed, start, settings.topic_root)
        )

    def connect(self) -> None:
        """Connect to the broker (TransportError when it is not there), then announce the
        devices to Home Assistant when asked."""
        self.sink.connect()
        if self.ha_discovery:
            for topic, payload in messages(
                list(self.sim.devices.values()), self.settings.topic_root
            ):
                self.sink.link.publish(topic, payload, retain=True)

    async def run(self, speed: float, length_s: float) -> None:
        """Live at `speed` for `length_s` sim seconds, taking commands between steps."""
        clock = SimClock(self.sim.world.start, speed)
        await run_live(self.sim, clock, length_s, self.sink.commands, self.sink.pump)

    def close(self, timeout_s: float = 30.0) -> bool:
        """Every device says offline; wait for the broker's acks; whether all came."""
        self.sim.shutdown()
        return self.sink.close(timeout_s)
