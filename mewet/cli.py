"""The `mewet` command: run the lab, simulate a home, ingest, and inspect the contract."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from mewet.config import load_settings, parse_duration
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
def _quiet_ctrl_c() -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        err.print("stopped")
        raise typer.Exit(130) from None


def _check_speed(speed: float) -> None:
    if not math.isfinite(speed) or speed < 0:
        raise ConfigError(f"--speed {speed}: use 0 (as fast as possible) or a positive number")


def _start_date(start: str | None) -> datetime:
    if start is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        date = datetime.fromisoformat(start)
    except ValueError:
        raise ConfigError(
            f"start {start!r}: use an ISO date and time, e.g. 2026-11-22T06:00:00+01:00"
        ) from None
    return date if date.tzinfo else date.replace(tzinfo=UTC)


# -- simulate -----------------------------------------------------------------------


@app.command()
def simulate(
    home: Annotated[str, typer.Option(help="Built-in home name or a home YAML file.")] = "default",
    mqtt: MqttOpt = None,
    speed: Annotated[
        float, typer.Option(help="Sim seconds per wall second; 0 = as fast as the broker accepts.")
    ] = 1.0,
    duration: Annotated[str, typer.Option(help="How much sim time: 90m, 6h, 7d.")] = "1h",
    seed: Annotated[
        int | None,
        typer.Option(
            min=0, help="Random seed (default 1, or the scenario's): same seed, same run."
        ),
    ] = None,
    start: Annotated[str | None, typer.Option(help="Sim start date (ISO); default now.")] = None,
    scenario: Annotated[
        str | None, typer.Option(help="Run a scenario live (its home, incidents, care team).")
    ] = None,
    ha_discovery: Annotated[
        bool,
        typer.Option(help="Also publish Home Assistant discovery (retained) for every device."),
    ] = False,
) -> None:
    """Publish one virtual home live over MQTT, then print the messages sent per device."""
    from mewet.scenarios.clock import SimClock
    from mewet.scenarios.home import load_home
    from mewet.scenarios.homesim import HomeSim, run_live, will_device
    from mewet.scenarios.run import prepare
    from mewet.scenarios.scenario import load_scenario
    from mewet.transport.sink import MqttSink

    settings = load_settings(mqtt_url=mqtt)
    _check_speed(speed)
    length = parse_duration(duration).total_seconds()
    the_scenario = load_scenario(scenario) if scenario is not None else None
    the_home = the_scenario.build_home() if the_scenario is not None else load_home(home)
    sink = MqttSink(
        settings.mqtt(),
        the_home.id,
        will_device(the_home),
        root=settings.topic_root,
        backlog=settings.publish_backlog,
    )
    if the_scenario is not None:
        begin = _start_date(start) if start is not None else the_scenario.start
        sim = prepare(the_scenario, sink, seed, begin, settings.topic_root)
    else:
        sim = HomeSim(
            the_home, sink, 1 if seed is None else seed, _start_date(start), settings.topic_root
        )
    sink.connect()
    if ha_discovery or settings.ha_discovery:
        from mewet.transport.homeassistant import messages

        for topic, payload in messages(list(sim.devices.values()), settings.topic_root):
            sink.link.publish(topic, payload, retain=True)
    err.print(
        f"simulating home [bold]{the_home.id}[/] ({len(sim.devices)} devices) for {duration} "
        f"at speed {speed:g} into {settings.mqtt()}"
    )
    clock = SimClock(sim.world.start, speed)
    try:
        with _quiet_ctrl_c():
            asyncio.run(run_live(sim, clock, length, sink.commands, sink.pump))
    finally:
        sim.shutdown()
        complete = sink.close()
    table = Table("device", "messages", title=f"sent by home {the_home.id}")
    for device in sorted(sink.sent):
        table.add_row(device, str(sink.sent[device]))
    table.add_row("[bold]total", f"[bold]{sum(sink.sent.values())}")
    console.print(table)
    if not complete:
        raise MewetError("the broker did not acknowledge every message before the timeout")


# -- ingest -------------------------------------------------------------------------


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
    _run_until_signal(service.start, service.stop)
    the_store.close()


def _print_stats(s: Any) -> None:
    err.print(
        f"received {s.received}  written {s.written}  duplicates {s.duplicates}  "
        f"rejected {s.rejected}  gaps {s.gaps}  lag {s.lag_s:.3f}s"
    )


def _run_until_signal(start: Any, stop: Any) -> None:
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


# -- contract, devices, homes ----------------------------------------------------------


@contract_app.command("schema")
def contract_schema(
    out: Annotated[Path, typer.Option(help="Folder for the JSON Schema files.")],
) -> None:
    """Write one JSON Schema file per payload kind."""
    from mewet.contract import schemas

    out.mkdir(parents=True, exist_ok=True)
    for kind, schema in schemas().items():
        (out / f"{kind}.json").write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        console.print(f"wrote {out / (kind + '.json')}")


@contract_app.command("docs")
def contract_docs(
    out: Annotated[Path, typer.Option(help="Where to write the contract.")] = Path(
        "docs/contract.md"
    ),
) -> None:
    """Write docs/contract.md from the code (topics, envelopes, one example per device type)."""
    from mewet.contract_docs import render

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render())
    console.print(f"wrote {out}")


@app.command("dashboards")
def dashboards_write(
    out: Annotated[Path, typer.Option(help="Folder Grafana provisions from.")] = Path("dashboards"),
) -> None:
    """Write the Grafana dashboards (JSON) from the code's measurement and channel names."""
    from mewet.store.dashboards import dashboards, render

    out.mkdir(parents=True, exist_ok=True)
    for name, board in dashboards().items():
        (out / f"{name}.json").write_text(render(board))
        console.print(f"wrote {out / name}.json")


@devices_app.command("list")
def devices_list() -> None:
    """Print the device catalogue with channels, units, rates, events and commands."""
    from mewet.devices.catalogue import CATALOGUE

    table = Table("type", "device", "channels (unit, every)", "events", "commands", "battery")
    for spec in CATALOGUE.values():
        channels = "\n".join(
            f"{c.name} ({c.unit or '-'}, {_every(c.rate_s)})" for c in spec.channels
        )
        battery = f"{spec.faults.battery_days:g} d" if spec.faults.battery_days else "mains"
        table.add_row(
            spec.type,
            spec.title,
            channels or "-",
            "\n".join(spec.all_events) or "-",
            "\n".join(spec.commands) or "-",
            battery,
        )
    console.print(table)


def _every(rate_s: float | None) -> str:
    if rate_s is None:
        return "on use"
    return f"{rate_s / 60:g} min" if rate_s >= 60 else f"{rate_s:g} s"


@home_app.command("validate")
def home_validate(file: Path) -> None:
    """Check a home file; errors name the line and what is allowed."""
    from mewet.scenarios.home import load_home

    home = load_home(file)
    console.print(
        f"{file}: home {home.id!r} is valid: {len(home.rooms)} rooms, "
        f"{len(home.doors)} doors, {len(home.devices)} devices"
    )


@home_app.command("show")
def home_show(
    name: Annotated[str, typer.Argument(help="Built-in home name or file.")] = "default",
) -> None:
    """Print a home's rooms and devices."""
    from mewet.scenarios.home import load_home

    home = load_home(name)
    console.print(f"[bold]{home.name}[/] ({home.id}): {home.description.strip()}")
    table = Table("device", "type", "room")
    for d in home.devices:
        table.add_row(d.id, d.type, home.room(d.room).name)
    console.print(table)


# -- scenarios and batch runs --------------------------------------------------------


@scenario_app.command("list")
def scenario_list() -> None:
    """The scenarios in the library."""
    from mewet.scenarios.scenario import library, load_scenario

    table = Table("scenario", "title", "home", "days")
    for name in sorted(library()):
        s = load_scenario(name)
        table.add_row(s.id, s.title, s.home, f"{s.days:g}")
    console.print(table)


@scenario_app.command("show")
def scenario_show(name: Annotated[str, typer.Argument(help="Library id or file.")]) -> None:
    """A scenario's description, learning goals and set-up."""
    from mewet.scenarios.scenario import load_scenario

    s = load_scenario(name)
    console.print(f"[bold]{s.title}[/] ({s.id})\n{s.description.strip()}")
    for goal in s.learning_goals:
        console.print(f"  • {goal}")
    console.print(f"home {s.home}, from {s.start.isoformat()} for {s.days:g} days, seed {s.seed}")
    p = s.resident.persona
    worn = "worn" if s.resident.wristband_worn else "NOT worn"
    console.print(
        f"resident {p.name}, {p.age}, mobility {p.mobility}, cognition {p.cognition}; "
        f"wristband {worn}"
    )
    for device, override in s.devices.items():
        console.print(f"device {device}: {override.model_dump(exclude_defaults=True)}")
    for incident in s.incidents:
        console.print(f"incident {incident.model_dump(exclude_defaults=True)}")
    for role, brief in s.roles.items():
        sees = "" if brief.sensors else " (no sensor feed)"
        console.print(f"role {role}{sees}" + (f": {brief.brief}" if brief.brief else ""))
    if s.teacher_guide:
        console.print(f"[bold]teacher's guide[/] {s.teacher_guide.strip()}")


@scenario_app.command("validate")
def scenario_validate(file: Path) -> None:
    """Check a scenario file; errors name the line and what is allowed."""
    from mewet.scenarios.scenario import load_scenario

    s = load_scenario(file)
    console.print(f"{file}: scenario {s.id!r} is valid")


@scenario_app.command("schema")
def scenario_schema(out: Annotated[Path, typer.Option(help="File for the JSON Schema.")]) -> None:
    """Write the JSON Schema of scenario files (for editors that check YAML against it)."""
    from mewet.scenarios.scenario import Scenario

    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    console.print(f"wrote {out}")


@app.command("run")
def run_command(
    scenario: Annotated[str, typer.Argument(help="Library id or scenario file.")],
    seed: Annotated[int | None, typer.Option(min=0, help="Seed (default: the scenario's).")] = None,
    days: Annotated[
        float | None, typer.Option(min=0.001, help="Days to run (default: the scenario's).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder for the files (default runs/<id>-<seed>).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run a scenario as fast as possible; write messages, ground truth and a CASAS dataset."""
    from rich.progress import Progress

    from mewet.scenarios.run import run_scenario, write_run
    from mewet.scenarios.scenario import load_scenario

    s = load_scenario(scenario)
    total = s.days if days is None else days
    folder = out or Path("runs") / f"{s.id}-{s.seed if seed is None else seed}"
    with Progress(console=err, transient=True, disable=as_json) as bar:
        task = bar.add_task(f"running {s.id}", total=total)
        sim, sink = run_scenario(s, seed, days, lambda done: bar.update(task, completed=done))
    summary = write_run(folder, s, sim, sink)
    if as_json:
        print(json.dumps(summary, sort_keys=True))
        return
    console.print(
        f"wrote {folder}/messages.jsonl, truth.jsonl, care.jsonl, casas.txt, kpis.json, "
        "summary.json"
    )
    table = Table("", "value", title=f"{s.title}, seed {summary['seed']}, {summary['days']:g} days")
    for key in ("messages", "sensor_events_per_day", "labelled_activities_per_day"):
        table.add_row(key.replace("_", " "), str(summary[key]))
    table.add_row("alarms", ", ".join(f"{k} {v}" for k, v in summary["alarms"].items()) or "none")
    console.print(table)
    k = summary["kpis"]
    kpi = Table("KPI", "value", "target", "met", title="care KPIs")
    for label, key, target, met in (
        ("time to answer (max)", "time_to_answer_max_min", k["targets"]["answer_min"], "answer"),
        ("time to help on site (max)", "time_to_help_max_min", k["targets"]["help_min"], "help"),
        ("long lie (max)", "long_lie_max_min", k["targets"]["long_lie_min"], "long_lie"),
    ):
        value = "-" if k[key] is None else f"{k[key]:g} min"
        kpi.add_row(label, value, f"{target:g} min", "yes" if k["met"][met] else "[red]no[/]")
    kpi.add_row("missed doses", str(k["missed_doses"]), "", "")
    kpi.add_row("false alarms handled", str(k["false_alarms_handled"]), "", "")
    console.print(kpi)


# -- up -----------------------------------------------------------------------------


@app.command()
def up(
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the lab keeps its data (default ./mewet-data).")
    ] = None,
    mqtt_port: Annotated[
        int | None, typer.Option(help="Port of the embedded broker (default 1883).")
    ] = None,
    home: Annotated[str, typer.Option(help="Home to simulate live.")] = "default",
    speed: Annotated[float, typer.Option(help="Sim speed of the live home.")] = 1.0,
    seed: Annotated[int, typer.Option(min=0, help="Random seed of the live home.")] = 1,
    api_port: Annotated[
        int | None, typer.Option(help="Port of the exercise API on 127.0.0.1 (default 8000).")
    ] = None,
    secure_broker: Annotated[
        bool,
        typer.Option(
            help="Embedded broker with accounts only: students and companies' devices get "
            "their own, limited to their topics."
        ),
    ] = False,
) -> None:
    """Run the lab: broker, store, ingest, the exercise API and a home live, until Ctrl-C."""
    from mewet.lab import Lab

    _check_speed(speed)
    settings = load_settings(data_dir=data_dir, mqtt_port=mqtt_port, api_port=api_port)
    if secure_broker and settings.mqtt_url is not None:
        raise MewetError("--secure-broker secures the embedded broker; MEWET_MQTT_URL is set")
    lab = Lab(settings, home=home, speed=speed, seed=seed, secure=secure_broker, say=err.print)
    lab.run()


@app.command("api")
def api_serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the app database is (default ./mewet-data).")
    ] = None,
) -> None:
    """Serve the exercise API alone, on the broker of MEWET_MQTT_URL (a deployment's API).

    With MEWET_BROKER_ACCESS_DIR (and MEWET_BROKER_PID_FILE to reload it), students and
    companies' devices get their own broker accounts."""
    import uvicorn

    from mewet.api.app import create_app
    from mewet.transport.access import BrokerAccess, signal_reload

    settings = load_settings(data_dir=data_dir, api_port=port)
    if settings.mqtt_url is None:
        raise MewetError("set MEWET_MQTT_URL: the API publishes its exercises on that broker")
    access = None
    if settings.broker_access_dir is not None:
        pid = settings.broker_pid_file
        access = BrokerAccess(
            settings.broker_access_dir,
            settings.topic_root,
            signal_reload(pid) if pid is not None else None,
        )
    api = create_app(
        settings.data_dir,
        settings.mqtt(),
        root=settings.topic_root,
        secret=settings.secret_key,
        access=access,
        broker_host=settings.broker_host,
    )
    uvicorn.run(api, host=host, port=settings.api_port, log_level="info", ws="websockets-sansio")


@broker_app.command("init")
def broker_init(
    access_dir: Annotated[Path, typer.Option(help="Where the passwd and acl files go.")],
) -> None:
    """Write the broker's passwd and acl files with the lab's own accounts, before the broker
    starts (a deployment's first step): `mewet-ingest` and `mewet-lab`, with the passwords in
    MEWET_INGEST_PASSWORD and MEWET_LAB_PASSWORD. Accounts already there are kept."""
    import os

    from mewet.transport.access import BrokerAccess

    passwords = {}
    for user, var in (
        ("mewet-ingest", "MEWET_INGEST_PASSWORD"),
        ("mewet-lab", "MEWET_LAB_PASSWORD"),
    ):
        value = os.environ.get(var, "")
        if len(value) < 12:
            raise MewetError(f"set {var} to a password of at least 12 characters")
        passwords[user] = value
    settings = load_settings()
    access = BrokerAccess(access_dir, settings.topic_root)
    access.grant("mewet-ingest", "ingest", password=passwords["mewet-ingest"], apply=False)
    access.grant("mewet-lab", "lab", password=passwords["mewet-lab"], apply=False)
    access.apply()
    console.print(f"wrote {access.password_file} and {access.acl_file}")


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Option(help="The person's email: their sign-in name.")],
    role: Annotated[str, typer.Option(help="admin, teacher, student or company.")],
    org: Annotated[str, typer.Option(help="School or company.")],
    password: Annotated[
        str | None, typer.Option(help="Asked for (twice, hidden) when not given.")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the lab keeps its data (default ./mewet-data).")
    ] = None,
) -> None:
    """Create an account for the exercise API."""
    from mewet.api.security import hash_password
    from mewet.exercises.db import AppDb

    if "@" not in email or len(email) > 200:
        raise MewetError(f"{email!r} does not look like an email address")
    if not org.strip():
        raise MewetError("--org: give the school or company")
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise MewetError("the password needs at least 8 characters")
    settings = load_settings(data_dir=data_dir)
    db = AppDb(settings.data_dir / "app.db")
    try:
        user = db.add_user(email, role, org.strip(), hash_password(password))
    finally:
        db.close()
    console.print(f"account {user.email} ({user.role}, {user.org}) created")


def main() -> None:
    """Entry point: plain-language errors instead of tracebacks."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except MewetError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(2)
    except ValidationError as exc:
        err.print(f"[red]error in the settings:[/] {exc}")
        sys.exit(2)
    except OSError as exc:  # a folder that cannot be made, a file that cannot be written
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"[red]error:[/] {exc.strerror or exc}{where}")
        sys.exit(2)
