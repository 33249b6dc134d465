"""Fleets and campaigns: how many homes one process keeps on schedule, and how fast a campaign
makes labelled data.

Starts its own Mosquitto, then runs fleets of growing size live at speed 1 into it for a
while each (all homes on one connection, as `mewet simulate --homes N` does), and prints per
size the memory per home and how late messages left: a fleet is *on schedule* when no
telemetry or event left more than 1 s after its simulated moment once the start-up burst
(every device's status, meta and state, and first readings) is out. Then a campaign of seeds
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
from mewet.benchmark.fleet import Fleet
from mewet.config import load_settings
from mewet.devices.homes import load_home
from mewet.servers import mosquitto


def rss_mib() -> float:
    """This process's resident memory."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def fleet_run(url: str, homes: int, seconds: float, warmup_s: float) -> None:
    """One fleet at speed 1: memory per home, then lateness after the start-up burst."""
    gc.collect()
    before = rss_mib()
    settings = load_settings(mqtt_url=url, publish_backlog=10_000)
    home = load_home("default")
    t0 = time.perf_counter()
    fleet = Fleet(settings, home, homes, datetime.now(UTC).replace(microsecond=0)).connect()
    built = time.perf_counter() - t0

    async def go() -> tuple[int, int, float]:
        run = asyncio.create_task(fleet.run(1.0, seconds))
        await asyncio.sleep(warmup_s)
        burst, late_burst = fleet.sink.messages, fleet.sink.late
        fleet.sink.late, fleet.sink.worst_s = 0, 0.0
        await run
        return burst, late_burst, fleet.sink.worst_s

    burst, late_burst, worst = asyncio.run(go())
    steady = fleet.sink.messages - burst
    late = fleet.sink.late
    per_home_kib = (rss_mib() - before) * 1024 / homes  # running: draws and readings in hand
    fleet.close()
    verdict = "on schedule" if late == 0 else f"BEHIND: {late} of {steady} late"
    print(
        f"  {homes:>6,} homes: {per_home_kib:,.0f} KiB per home ({rss_mib():,.0f} MiB in all), "
        f"built in {built:.1f} s; start-up burst {burst:,} messages ({late_burst:,} late); then "
        f"{steady:,} messages in {seconds - warmup_s:.0f} s, worst {worst:.2f} s late: {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2000,4000,6000,8000")
    parser.add_argument("--seconds", type=float, default=240)
    parser.add_argument("--warmup", type=float, default=120)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one fleet, in a child
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        fleet_run(args.url, args.one, args.seconds, args.warmup)
        return
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        broker = mosquitto(Path(tmp) / "mosquitto").start()
        try:
            url = f"mqtt://127.0.0.1:{broker.port}"
            print(f"fleets of the default home at speed 1 for {args.seconds:g} s, one process:")
            for size in args.sizes.split(","):
                # each fleet in a fresh process: its memory is its own
                subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        *("--one", size, "--url", url),
                        *("--seconds", str(args.seconds), "--warmup", str(args.warmup)),
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
