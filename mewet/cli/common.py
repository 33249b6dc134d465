"""What every command shares: the console, the typer apps, the broker and store options."""

from __future__ import annotations

import asyncio
import math
import os
import signal
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from mewet.errors import ConfigError, MewetError

app = typer.Typer(
    help="MeWeT: a virtual welfare-technology home and sensor lab.",
    no_args_is_help=True,
    add_completion=False,
)
contract_app = typer.Typer(help="The MQTT contract: JSON Schemas and docs.", no_args_is_help=True)
devices_app = typer.Typer(help="The device catalogue.", no_args_is_help=True)
home_app = typer.Typer(help="Virtual homes: floor plans with devices.", no_args_is_help=True)
ingest_app = typer.Typer(help="Ingest: broker to store, lossless.")
scenario_app = typer.Typer(help="Care scenarios: list, show, validate.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts of the exercise API.", no_args_is_help=True)
broker_app = typer.Typer(help="The broker's accounts (a secured deployment).", no_args_is_help=True)
app.add_typer(contract_app, name="contract")
app.add_typer(devices_app, name="devices")
app.add_typer(home_app, name="home")
app.add_typer(ingest_app, name="ingest")
app.add_typer(scenario_app, name="scenario")
app.add_typer(user_app, name="user")
app.add_typer(broker_app, name="broker")
console = Console()
err = Console(stderr=True)

MqttOpt = Annotated[
    str | None,
    typer.Option(
        "--mqtt",
        help="Broker: mqtt://user:pass@host:port (mqtts:// for TLS). Default: MEWET_MQTT_URL.",
    ),
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Store: sqlite:///file.db or influxdb://user:pass@host:port/db "
        "(default: MEWET_STORE_URL).",
    ),
]


@contextmanager
def quiet_ctrl_c() -> Iterator[None]:
    """Ctrl-C ends the command with 'stopped', not a traceback."""
    try:
        yield
    except KeyboardInterrupt:
        err.print("stopped")
        raise typer.Exit(130) from None


def publish_live(work: Coroutine[Any, Any, None], close: Callable[[], bool]) -> bool:
    """Run a live publisher until it ends (or Ctrl-C), then close it; whether the broker
    acknowledged every message."""
    try:
        with quiet_ctrl_c():
            asyncio.run(work)
    finally:
        complete = close()
    return complete


def check_acknowledged(complete: bool) -> None:
    """The error for messages the broker never acknowledged (after the command's report)."""
    if not complete:
        raise MewetError("the broker did not acknowledge every message before the timeout")


def sent_table(sent: Mapping[str, int], title: str) -> Table:
    """Messages sent per device, with the total."""
    table = Table("device", "messages", title=title)
    for device in sorted(sent):
        table.add_row(device, str(sent[device]))
    table.add_row("[bold]total", f"[bold]{sum(sent.values())}")
    return table


def private_files() -> None:
    """The lab's servers keep what they write to themselves: files 0600, folders 0700 (the
    store, the app database with its accounts, reports, the key that signs tokens)."""
    os.umask(0o077)


def check_speed(speed: float) -> None:
    """A speed a simulation can run at: 0 (as fast as possible) or positive."""
    if not math.isfinite(speed) or speed < 0:
        raise ConfigError(f"--speed {speed}: use 0 (as fast as possible) or a positive number")


def start_date(start: str | None) -> datetime:
    """The sim start from an ISO date (UTC when no zone is given); now when not given."""
    if start is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        date = datetime.fromisoformat(start)
    except ValueError:
        raise ConfigError(
            f"start {start!r}: use an ISO date and time, e.g. 2026-11-22T06:00:00+01:00"
        ) from None
    return date if date.tzinfo else date.replace(tzinfo=UTC)


def run_until_signal(start: Callable[[], object], stop: Callable[[], object]) -> None:
    """Start a service, run until SIGINT or SIGTERM, then stop it cleanly."""
    done = asyncio.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, done.set)
        await loop.run_in_executor(None, start)
        await done.wait()
        await loop.run_in_executor(None, stop)

    asyncio.run(main())
