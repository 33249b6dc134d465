"""Commands of the simulated home and its scenarios: simulate, run, scenario, home, devices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mewet.cli.common import (
    MqttOpt,
    app,
    check_acknowledged,
    check_speed,
    console,
    devices_app,
    err,
    home_app,
    publish_live,
    scenario_app,
    sent_table,
    start_date,
)
from mewet.config import load_settings, parse_duration
from mewet.errors import ConfigError

if TYPE_CHECKING:
    from mewet.sim.home import Home


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
    homes: Annotated[
        int | None,
        typer.Option(help="A fleet: this many copies of the home, numbered, seeded 1..N."),
    ] = None,
    shard: Annotated[
        str | None, typer.Option(help="With --homes: run part i of n of the fleet (i/n).")
    ] = None,
    starts_per_s: Annotated[
        float | None,
        typer.Option(
            help="With --homes: homes switched on per second (default 50; 0: all at once)."
        ),
    ] = None,
) -> None:
    """Publish one virtual home (or a fleet of them) live over MQTT, then print the messages
    sent."""
    from mewet.devices.homes import load_home

    if homes is not None or shard is not None or starts_per_s is not None:
        if scenario is not None or seed is not None or ha_discovery:
            raise ConfigError(
                "--homes runs copies of a home, seeded 1..N: no --scenario, --seed or "
                "--ha-discovery with it (mewet benchmark plays scenarios)"
            )
        _fleet(
            load_home(home),
            1 if homes is None else homes,
            shard,
            mqtt,
            speed,
            duration,
            start,
            starts_per_s,
        )
        return
    from mewet.lab.livehome import LiveHome
    from mewet.scenarios.scenario import load_scenario

    settings = load_settings(mqtt_url=mqtt)
    check_speed(speed)
    length = parse_duration(duration).total_seconds()
    the_scenario = load_scenario(scenario) if scenario is not None else None
    if the_scenario is not None:
        the_home = the_scenario.build_home()
        begin = start_date(start) if start is not None else the_scenario.start
    else:
        the_home = load_home(home)
        begin = start_date(start)
    live = LiveHome(
        settings,
        the_home,
        seed,
        begin,
        scenario=the_scenario,
        ha_discovery=ha_discovery,
    )
    live.connect()
    err.print(
        f"simulating home [bold]{the_home.id}[/] ({len(live.sim.devices)} devices) for {duration} "
        f"at speed {speed:g} into {settings.mqtt()}"
    )
    complete = publish_live(live.run(speed, length), live.close)
    console.print(sent_table(live.sink.sent, f"sent by home {the_home.id}"))
    check_acknowledged(complete)


def _fleet(
    the_home: Home,
    homes: int,
    shard: str | None,
    mqtt: str | None,
    speed: float,
    duration: str,
    start: str | None,
    starts_per_s: float | None,
) -> None:
    from mewet.benchmark.fleet import STARTS_PER_S, Fleet, Shard

    settings = load_settings(mqtt_url=mqtt)
    check_speed(speed)
    length = parse_duration(duration).total_seconds()
    part = Shard.parse(shard) if shard is not None else Shard()
    ramp = STARTS_PER_S if starts_per_s is None else starts_per_s
    fleet = Fleet(
        settings, the_home, homes, start_date(start), part, speed=speed, starts_per_s=ramp
    ).connect()
    err.print(
        f"simulating {len(fleet.sims)} homes ({the_home.id}-…, shard {part.index}/{part.count} "
        f"of {homes}) for {duration} at speed {speed:g} into {settings.mqtt()}"
    )
    complete = publish_live(fleet.run(length), fleet.close)
    sink = fleet.sink
    late = f", {sink.late} more than 1 s late (worst {sink.worst_s:.2f} s)" if speed else ""
    console.print(f"sent {sink.messages} messages from {fleet.switched_on} homes{late}")
    check_acknowledged(complete)


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
    from mewet.devices.homes import load_home

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
    from mewet.devices.homes import load_home

    home = load_home(name)
    console.print(f"[bold]{escape(home.name)}[/] ({home.id}): {escape(home.description.strip())}")
    rooms = Table("room id (what scenarios name)", "name", "area m²")
    for r in home.rooms:
        rooms.add_row(r.id, r.name + (f" / {r.name_fi}" if r.name_fi else ""), f"{r.area_m2:g}")
    console.print(rooms)
    doors = Table("door id (what scenarios name)", "between", "kind")
    for door in home.doors:
        doors.add_row(door.id, " – ".join(door.between), door.kind)
    console.print(doors)
    table = Table("device id (what scenarios name)", "type", "room id", "door id")
    for d in home.devices:
        table.add_row(d.id, d.type, d.room, d.door or "")
    console.print(table)


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
    """A scenario's file, description, learning goals, set-up and care settings."""
    from mewet.scenarios.scenario import library, load_scenario

    s = load_scenario(name)
    console.print(f"file {escape(str(library().get(name, Path(name)).resolve()))}")
    console.print(f"[bold]{escape(s.title)}[/] ({s.id})\n{escape(s.description.strip())}")
    for goal in s.learning_goals:
        console.print(f"  • {escape(goal)}")
    console.print(f"home {s.home}, from {s.start.isoformat()} for {s.days:g} days, seed {s.seed}")
    p = s.resident.persona
    worn = "worn" if s.resident.wristband_worn else "NOT worn"
    console.print(
        f"resident {p.name}, {p.age}, mobility {p.mobility}, cognition {p.cognition}; "
        f"wristband {worn}"
    )
    for device, override in s.devices.items():
        console.print(escape(f"device {device}: {override.model_dump(exclude_defaults=True)}"))
    for incident in s.incidents:
        console.print(escape(f"incident {incident.model_dump(exclude_defaults=True)}"))
    # the care settings as the run uses them, the scenario's own and the lab's defaults alike
    for key, value in s.care.model_dump(mode="json").items():
        console.print(escape(f"care.{key}: {json.dumps(value, ensure_ascii=False)}"))
    for role, brief in s.roles.items():
        sees = "" if brief.sensors else " (no sensor feed)"
        console.print(escape(f"role {role}{sees}" + (f": {brief.brief}" if brief.brief else "")))
    if s.teacher_guide:
        console.print(f"[bold]teacher's guide[/] {escape(s.teacher_guide.strip())}")


@scenario_app.command("validate")
def scenario_validate(
    file: Path,
    lang: Annotated[
        str, typer.Option("--lang", help="The language of the problems: en or fi.")
    ] = "en",
) -> None:
    """Check a scenario file: every problem with its line and how to fix it."""
    from mewet.scenarios.scenario import ScenarioError, load_scenario
    from mewet.texts import LANGUAGES

    if lang not in LANGUAGES:
        raise ConfigError(f"--lang {lang}: use one of {', '.join(LANGUAGES)}")
    try:
        s = load_scenario(file)
    except ScenarioError as exc:
        err.print(escape(exc.say(lang)), highlight=False)
        raise typer.Exit(2) from None
    console.print(escape(f"{file}: scenario {s.id!r} is valid"))


@scenario_app.command("incidents")
def scenario_incidents(
    out: Annotated[Path, typer.Option(help="File for the incidents' reference (markdown).")],
) -> None:
    """Write every incident's settings, with units, defaults and allowed values."""
    from mewet.scenarios.reference import render

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(), encoding="utf-8")
    console.print(f"wrote {out}")


@scenario_app.command("reference")
def scenario_reference(
    out: Annotated[Path, typer.Option(help="File for the scenario files' reference (markdown).")],
) -> None:
    """Write every key of a scenario file, the resident's day, each device type's options and
    the ids of each home's rooms, doors and devices."""
    from mewet.scenarios.format_reference import render

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(), encoding="utf-8")
    console.print(f"wrote {out}")


@scenario_app.command("schema")
def scenario_schema(out: Annotated[Path, typer.Option(help="File for the JSON Schema.")]) -> None:
    """Write the JSON Schema of scenario files (for editors that check YAML against it)."""
    from mewet.scenarios.scenario import Scenario

    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    console.print(f"wrote {out}")


def _campaign(
    scenario: str,
    seeds: str,
    days: float | None,
    out: Path | None,
    jobs: int | None,
    scheduler: str | None,
    as_json: bool,
    parquet: bool,
) -> None:
    from rich.progress import Progress

    from mewet.benchmark.campaign import parse_seeds, run_campaign
    from mewet.scenarios.scenario import load_scenario

    numbers = parse_seeds(seeds)
    s = load_scenario(scenario)
    folder = out or Path("runs") / f"{s.id}-campaign"
    with Progress(console=err, transient=True, disable=as_json) as bar:
        task = bar.add_task(f"{s.id}: {len(numbers)} seeds", total=len(numbers))
        result = run_campaign(
            scenario,
            numbers,
            days,
            folder,
            jobs=jobs,
            scheduler=scheduler,
            progress=lambda _run: bar.advance(task),
            parquet=parquet,
        )
    if as_json:
        print(json.dumps({k: v for k, v in result.items() if k != "runs"}, sort_keys=True))
        return
    console.print(
        f"wrote {result['seeds']} runs of {s.id} into {folder}/ (one folder per seed) and "
        f"{result['file']}: {result['resident_years']:g} resident-years, {result['falls']} falls, "
        f"{result['messages']} messages in {result['elapsed_s']:g} s on {result['workers']} "
        f"workers ({result['resident_years_per_min']:g} resident-years per minute)"
    )


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
    seeds: Annotated[
        str | None,
        typer.Option(help="A campaign: many seeds (1-100, 1,5,9), each in its own folder."),
    ] = None,
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Campaign runs at once (default: all cores).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Campaign on a Dask cluster: its scheduler, tcp://host:8786."),
    ] = None,
    parquet: Annotated[
        bool, typer.Option(help="Also write telemetry, events and truth as Parquet tables.")
    ] = False,
) -> None:
    """Run a scenario as fast as possible; write messages, ground truth and a CASAS dataset."""
    from rich.progress import Progress

    if seeds is not None:
        _campaign(scenario, seeds, days, out, jobs, scheduler, as_json, parquet)
        return
    if jobs is not None or scheduler is not None:
        raise ConfigError("--jobs and --scheduler are for a campaign: give --seeds too")

    from mewet.scenarios.care.kpis import tally_said, worst_said
    from mewet.scenarios.run import run_to_folder
    from mewet.scenarios.scenario import load_scenario
    from mewet.texts import catalogue, say

    s = load_scenario(scenario)
    total = s.days if days is None else days
    folder = out or Path("runs") / f"{s.id}-{s.seed if seed is None else seed}"
    with Progress(console=err, transient=True, disable=as_json) as bar:
        task = bar.add_task(f"running {s.id}", total=total)
        progress = lambda done: bar.update(task, completed=done)  # noqa: E731
        summary = run_to_folder(folder, s, seed, days, progress, parquet=parquet)
    if as_json:
        print(json.dumps(summary, sort_keys=True))
        return
    tables = ", telemetry.parquet, events.parquet, truth.parquet" if parquet else ""
    console.print(
        f"wrote {folder}/messages.jsonl, truth.jsonl, care.jsonl, casas.txt, kpis.json, "
        f"summary.json{tables}"
    )
    table = Table("", "value", title=f"{s.title}, seed {summary['seed']}, {summary['days']:g} days")
    for key in ("messages", "sensor_events_per_day", "labelled_activities_per_day"):
        table.add_row(key.replace("_", " "), str(summary[key]))
    table.add_row("alarms", ", ".join(f"{k} {v}" for k, v in summary["alarms"].items()) or "none")
    console.print(table)
    k = summary["kpis"]
    marks = {"met": "met", "missed": "[red]missed[/]", "not yet": "not yet", "not applicable": "-"}
    kpi = Table("KPI", "cases", "worst", "target", "status", title="care KPIs")
    words = catalogue("en")
    for target, row in k["summary"].items():
        kpi.add_row(
            str(words[f"kpi_{target}"]),
            say(tally_said(row), "en"),
            say(worst_said(row), "en"),
            "-" if row["target_min"] is None else f"{row['target_min']:g} min",
            marks[row["status"]],
        )
    kpi.add_row("missed doses", str(k["missed_doses"]), "", "")
    kpi.add_row("false alarms handled", str(k["false_alarms_handled"]), "", "")
    console.print(kpi)
    if k["cases"]:
        cases = Table("case", "alarm", "answered", "on site", "answer", "help", title="per case")
        for c in k["cases"]:
            cases.add_row(
                str(c["id"]),
                f"{c['event_type']} ({c['device']})"
                + "".join(f", joined: {j['event_type']} ({j['device']})" for j in c["joined"]),
                "-" if c["answer_min"] is None else f"{c['answer_min']:g} min",
                "-" if c["help_min"] is None else f"{c['help_min']:g} min",
                marks[c["status"]["answer"]],
                marks[c["status"]["help"]],
            )
        console.print(cases)
