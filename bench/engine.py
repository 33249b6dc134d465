"""Engine speed and realism: one resident-year as fast as possible, and a 30-day realism table.

Prints the machine, the raw SimPy timeout rate measured in the same run (the ceiling for any
SimPy model here), the messages per second and wall time of a resident-year of the default
home into a counting sink, and a 30-day run's daily figures next to the published CASAS Aruba
ones. Run: `make bench-engine` (or python bench/engine.py [--days 365]).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import simpy
from ingest import machine  # bench/ is the script's folder: the same machine line as there

from mewet.contract import Message, Telemetry
from mewet.devices.draws import Draws
from mewet.scenarios.casas import activities, dataset
from mewet.scenarios.run import run_scenario
from mewet.scenarios.scenario import load_scenario
from mewet.transport.topics import Kind, Topic

# CASAS Aruba: one older woman living alone, about 220 days, 11 activity classes; about 6,400
# labelled activity instances in all, i.e. about 29 a day (Cook 2012, the Aruba README).
ARUBA = {"days": 220, "labelled_activities_per_day": 29}


class CountingSink:
    """Counts messages and keeps none: a year does not fit comfortably in memory."""

    def __init__(self) -> None:
        self.count = 0

    def publish(self, message: Message) -> None:
        """Count one message."""
        self.count += 1


def raw_simpy_rate(n: int = 1_000_000) -> float:
    """Timeouts per second of a bare SimPy loop: the engine's own ceiling on this machine."""
    env = simpy.Environment()

    def tick() -> simpy.events.ProcessGenerator:
        for _ in range(n):
            yield env.timeout(1)

    env.process(tick())
    t0 = time.perf_counter()
    env.run()
    return n / (time.perf_counter() - t0)


def bare_reading_rate(days: float = 10, devices: int = 6) -> float:
    """Messages per second of SimPy processes that only build readings, one per timeout.

    Each does what a device must do for a reading and nothing more: two rounded values, a
    time stamp, the payload and the message, into a counting sink. No engine built this way
    (a SimPy process per device, a contract object per message) gets past this rate here.
    """
    env = simpy.Environment()
    sink = CountingSink()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    draw = Draws(np.random.default_rng(1))

    def device(topic: Topic) -> simpy.events.ProcessGenerator:
        seq, energy = 0, 0.0
        while True:
            watts = 90.0 * draw.normal(1.0, 0.02)
            energy += watts / 60_000
            data = {"power": round(watts, 1), "energy": round(energy, 4)}
            ts = start + timedelta(0, env.now)
            sink.publish(Message(topic, Telemetry.trusted(f"plug-{seq}", ts, seq, data)))
            seq += 1
            yield env.timeout(60 * (0.98 + 0.04 * draw.random()))

    for i in range(devices):
        env.process(device(Topic("home", f"plug-{i}", Kind.TELEMETRY)))
    t0 = time.perf_counter()
    env.run(days * 86400)
    return sink.count / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--realism-days", type=float, default=30)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    raw = raw_simpy_rate()
    print(f"raw SimPy: {raw:,.0f} timeouts/s")
    bare = bare_reading_rate()
    print(f"bare reading loop: {bare:,.0f} msg/s (SimPy processes building only readings)")

    from mewet.scenarios.homesim import HomeSim

    scenario = load_scenario("quiet-day")
    sink = CountingSink()
    sim = HomeSim(scenario.build_home(), sink, 1, scenario.start)
    t0 = time.perf_counter()
    sim.run(args.days * 86400)
    wall = time.perf_counter() - t0
    rate = sink.count / wall
    print(
        f"resident-{args.days:g}-days, default home ({len(sim.devices)} devices): "
        f"{sink.count:,} messages in {wall:.1f} s = {rate:,.0f} msg/s "
        f"(target for 365 days: 20 s)"
    )
    # this shared machine's speed varies from hour to hour; the ratio to the raw rate of the
    # same run evens out some of that (not all: the raw loop runs one second, the year a minute)
    print(
        f"  = {rate / raw:.3f} messages per raw SimPy timeout, {rate / bare:.2f} of the bare loop's"
        f" rate; the bare loop alone would need {sink.count / bare:.1f} s for these messages"
    )

    sim2, memory = run_scenario(scenario, days=args.realism_days)
    lines, labelled = dataset(memory.messages, sim2.truth.records)
    days = args.realism_days
    truth = sim2.truth.records
    toilet = sum(1 for t in truth if t.value == "bed_to_toilet" and t.phase == "begin")
    asleep = sum(
        (end - begin).total_seconds()
        for name, begin, end in activities(truth)
        if name == "Sleeping"
    )
    print(f"realism, {days:g} days of the default home next to CASAS Aruba:")
    print(f"  sensor events per day: {len(lines) / days:,.0f}")
    print(
        f"  labelled activities per day: {labelled / days:.1f} "
        f"(Aruba: about {ARUBA['labelled_activities_per_day']})"
    )
    print(f"  night toilet visits per night: {toilet / days:.1f}")
    print(f"  hours asleep per day: {asleep / 3600 / days:.1f}")


if __name__ == "__main__":
    main()
