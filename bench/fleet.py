"""Fleets and campaigns: how many homes one process keeps on schedule, and how fast a campaign
makes labelled data.

Starts its own Mosquitto, then runs fleets of growing size live at speed 1 into it (all homes
on one connection, switched on 50 a second, as `mewet simulate --homes N` does), and prints
per size the memory per home and how late messages left: a fleet is *on schedule* when no
telemetry or event left more than 1 s after its simulated moment, from the first home
switched on to the end. Then a campaign of seeds
on all cores (`mewet run quiet-day --seeds ... --days 30`, files and all): resident-years per
minute. Run: `make bench-fleet` (or python bench/fleet.py [--sizes 2000,4000]).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ingest import machine  # bench/ is the script's folder: the same machine line as there

from mewet.benchmark.campaign import run_campaign
from mewet.benchmark.fleet import STARTS_PER_S, Fleet
from mewet.config import load_settings
from mewet.devices.homes import load_home
from mewet.servers import mosquitto


def rss_mib() -> float:
    """This process's resident memory."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def fleet_run(url: str, homes: int, steady_s: float) -> None:
    """One fleet at speed 1: lateness while the homes switch on and after, memory per home."""
    gc.collect()
    before = rss_mib()
    settings = load_settings(mqtt_url=url, publish_backlog=10_000)
    t0 = time.perf_counter()
    fleet = Fleet(settings, load_home("default"), homes, datetime.now(UTC).replace(microsecond=0))
    built = time.perf_counter() - t0
    fleet.connect()
    ramp_s = homes / STARTS_PER_S

    async def go() -> tuple[int, int, float]:
        run = asyncio.create_task(fleet.run(ramp_s + steady_s))
        await asyncio.sleep(ramp_s)
        ramp, late_ramp, worst_ramp = fleet.sink.messages, fleet.sink.late, fleet.sink.worst_s
        fleet.sink.late, fleet.sink.worst_s = 0, 0.0
        await run
        return ramp, late_ramp, worst_ramp

    ramp, late_ramp, worst_ramp = asyncio.run(go())
    steady = fleet.sink.messages - ramp
    late, worst = fleet.sink.late, fleet.sink.worst_s
    per_home_kib = (rss_mib() - before) * 1024 / homes  # running: draws and readings in hand
    fleet.close()
    verdict = "on schedule" if late + late_ramp == 0 else f"BEHIND: {late_ramp + late:,} late"
    print(
        f"  {homes:>6,} homes: {per_home_kib:,.0f} KiB per home ({rss_mib():,.0f} MiB in all), "
        f"built in {built:.0f} s; "
        f"switching on over {ramp_s:.0f} s: {ramp:,} messages, worst {worst_ramp:.2f} s late; "
        f"then {steady:,} messages in {steady_s:.0f} s, worst {worst:.2f} s late: {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2500,5000,10000")
    parser.add_argument("--steady", type=float, default=120, help="seconds once all are on")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one fleet, in a child
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        fleet_run(args.url, args.one, args.steady)
        return
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        broker = mosquitto(Path(tmp) / "mosquitto").start()
        try:
            url = f"mqtt://127.0.0.1:{broker.port}"
            print(
                f"fleets of the default home at speed 1, one process, {STARTS_PER_S:g} homes "
                f"switched on a second, then {args.steady:g} s with all of them on:"
            )
            for size in args.sizes.split(","):
                # each fleet in a fresh process: its memory is its own
                subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        *("--one", size, "--url", url, "--steady", str(args.steady)),
                    ],
                    check=True,
                )
        finally:
            broker.stop()
        out = Path(tmp) / "campaign"
        result = run_campaign("quiet-day", list(range(1, args.seeds + 1)), args.days, out)
        print(
            f"campaign: quiet-day, {args.seeds} seeds x {args.days:g} days on "
            f"{result['workers']} workers, files written: {result['elapsed_s']:g} s = "
            f"{result['resident_years_per_min']:g} resident-years per minute"
        )


if __name__ == "__main__":
    main()
