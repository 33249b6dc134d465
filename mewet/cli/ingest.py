"""Ingest commands: broker to store, and the totals it wrote."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from mewet.cli.common import (
    MqttOpt,
    StoreOpt,
    console,
    err,
    ingest_app,
    private_files,
    run_until_signal,
)
from mewet.config import load_settings


@ingest_app.callback(invoke_without_command=True)
def ingest(
    ctx: typer.Context,
    mqtt: MqttOpt = None,
    store: StoreOpt = None,
    share: Annotated[
        str | None,
        typer.Option(help="Shared-subscription group: several ingest processes split the load."),
    ] = None,
    client_id: Annotated[
        str | None, typer.Option(help="MQTT client id (the persistent session's name).")
    ] = None,
) -> None:
    """Write every message from the broker into the store; invalid ones become dead letters."""
    if ctx.invoked_subcommand is not None:
        return
    from mewet.ingest.service import Ingest
    from mewet.store.base import open_store

    settings = load_settings(mqtt_url=mqtt, store_url=store)
    private_files()
    the_store = open_store(settings.store())
    service = Ingest(
        settings.mqtt(),
        the_store,
        settings.ingest,
        root=settings.topic_root,
        share_group=share,
        client_id=client_id,
        report=_print_stats,
    )
    err.print(
        f"ingest {service.instance}: {settings.mqtt()} → {settings.store()}"
        + (f" (shared group {share})" if share else "")
    )
    run_until_signal(service.start, service.stop)
    the_store.close()


def _print_stats(s: Any) -> None:
    err.print(
        f"received {s.received}  written {s.written}  duplicates {s.duplicates}  "
        f"rejected {s.rejected}  gaps {s.gaps}  lag {s.lag_s:.3f}s"
    )


@ingest_app.command("stats")
def ingest_stats(store: StoreOpt = None) -> None:
    """Print the totals every ingest process wrote to the store."""
    from mewet.store.base import open_store

    the_store = open_store(load_settings(store_url=store).store())
    rows = the_store.stats()
    table = Table(
        "instance", "updated", "received", "written", "duplicates", "rejected", "gaps", "lag s"
    )
    for s in rows:
        table.add_row(
            s.instance,
            s.ts.isoformat(timespec="seconds"),
            str(s.received),
            str(s.written),
            str(s.duplicates),
            str(s.rejected),
            str(s.gaps),
            f"{s.lag_s:.3f}",
        )
    console.print(table if rows else "no ingest has written totals to this store yet")
    console.print(
        f"stored: {the_store.count('telemetry')} telemetry, {the_store.count('event')} events, "
        f"{the_store.count('deadletter')} dead letters"
    )
    the_store.close()
