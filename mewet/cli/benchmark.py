"""Commands for companies' analytics: a live benchmark over MQTT, and scoring detections
against a run's ground truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mewet.benchmark import FALL_SCENARIOS
from mewet.cli.common import (
    MqttOpt,
    app,
    check_acknowledged,
    check_speed,
    console,
    err,
    publish_live,
    quiet_ctrl_c,
    sent_table,
)
from mewet.config import load_settings
from mewet.errors import MewetError


@app.command()
def score(
    truth: Annotated[
        Path, typer.Option(help="A run folder (mewet run) or a campaign's folder of runs.")
    ],
    detections: Annotated[
        Path,
        typer.Option(help='JSON lines: {"home": ..., "ts": ISO time, "event_type": ...}.'),
    ],
    window: Annotated[
        float,
        typer.Option(min=1, max=3600, help="Seconds after a fall's onset a detection counts."),
    ] = 300.0,
    event_type: Annotated[
        list[str] | None,
        typer.Option(help="Event types that mean 'a fall' (default fall_detected); repeatable."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    html: Annotated[
        Path | None, typer.Option(help="Also write the report as an HTML page.")
    ] = None,
) -> None:
    """Score a fall detector's detections against the truth: sensitivity, precision, F1,
    false alarms per 100 h and delays (p50 and p90: linear between the closest ranks), with
    95% intervals; the lab's own detectors as the reference row."""
    from mewet.benchmark import score as scoring

    runs = scoring.find_runs(truth)
    found = scoring.read_detections(detections)
    result = scoring.report(
        runs,
        found,
        window_s=window,
        event_types=frozenset(event_type or scoring.FALL_EVENTS),
    )
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(scoring.html(result, detections.name), encoding="utf-8")
    if as_json:
        print(json.dumps(result, sort_keys=True))
        return
    console.print(
        _table(
            f"{len(runs)} runs, {result['hours']:g} h, window {window:g} s", detections.name, result
        )
    )
    _warn_ignored(result)
    if html is not None:
        console.print(f"wrote {html}")


@app.command()
def benchmark(
    detector: Annotated[
        str,
        typer.Option(help="Your analytics' device, HOME/DEVICE: detections come as its events."),
    ],
    scenarios: Annotated[
        str,
        typer.Option(help="Scenarios to play, comma-separated (default: the library's falls)."),
    ] = ",".join(FALL_SCENARIOS),
    seeds: Annotated[str, typer.Option(help="Seeds for each scenario: 1-3, 1,5,9.")] = "1",
    held_out: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=200,
            help="Play this many held-out homes instead: drawn by the lab from a secret seed "
            "(falls at varied times and rooms, varied residents), named h1-..., not "
            "reproducible from public seeds.",
        ),
    ] = None,
    speed: Annotated[float, typer.Option(help="Sim seconds per wall second.")] = 600.0,
    window: Annotated[
        float,
        typer.Option(min=1, max=3600, help="Seconds after a fall's onset a detection counts."),
    ] = 300.0,
    out: Annotated[Path, typer.Option(help="Folder for the runs and the report.")] = Path(
        "runs/benchmark"
    ),
    mqtt: MqttOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    lab: Annotated[
        str | None,
        typer.Option(
            help="A lab that runs elsewhere (https://lab.school.fi): it plays the homes and "
            "keeps the truth; its API gives your analytics a login to read them (the way on "
            "a secured lab). Ctrl-C cancels the run."
        ),
    ] = None,
    email: Annotated[
        str | None,
        typer.Option(help="With --lab: your company account (password: MEWET_PASSWORD or asked)."),
    ] = None,
) -> None:
    """Play fall scenarios live to your analytics over MQTT, then score its detections
    against the ground truth (kept in the lab until the run is over)."""
    from mewet.benchmark.campaign import parse_seeds
    from mewet.benchmark.live import Broker, held_out_stimuli, run_benchmark, stimuli

    check_speed(speed)
    chosen = [s.strip() for s in scenarios.split(",") if s.strip()]
    if lab is not None:
        request: dict[str, Any] = {"speed": speed, "window_s": window}
        if held_out is not None:
            request["held_out"] = held_out
        else:
            request |= {"scenarios": chosen, "seeds": seeds}
        result, homes = _on_lab(lab, email, detector, request, out)
        if as_json:
            print(json.dumps(result, sort_keys=True))
            return
        _warn_ignored(result)
        console.print(_table(f"{homes} homes on {lab}, window {window:g} s", detector, result))
        console.print(f"wrote {out}/report.json and report.html")
        return
    settings = load_settings(mqtt_url=mqtt)
    if held_out is not None:
        plays = held_out_stimuli(held_out)
    else:
        plays = stimuli(chosen, parse_seeds(seeds))
    longest = max(p.scenario.days for p in plays) * 86400 / speed if speed else 0
    err.print(
        f"playing {len(plays)} homes at speed {speed:g} (about {longest / 60:.0f} min): "
        + ", ".join(p.home for p in plays)
        + f"\nsubscribe to {settings.topic_root}/<home>/#; publish detections as events of "
        f"{settings.topic_root}/{detector}/event with data.home"
    )
    with quiet_ctrl_c():
        where = Broker(settings.mqtt(), settings.topic_root, settings.publish_backlog)
        result = run_benchmark(where, plays, detector, out, speed=speed, window_s=window)
    if as_json:
        print(json.dumps(result, sort_keys=True))
        return
    console.print(
        _table(f"{len(plays)} homes, {result['hours']:g} h, window {window:g} s", detector, result)
    )
    console.print(
        f"wrote {out}/report.html, report.json, detections.jsonl "
        f"({result['refused']} refused: refused.jsonl says why) and one folder per home"
    )


def _on_lab(
    url: str, email: str | None, detector: str, request: dict[str, Any], out: Path
) -> tuple[dict[str, Any], int]:
    """The benchmark through a lab's API: started, waited for (Ctrl-C cancels), kept."""
    from mewet.cli.remote import Lab

    if email is None:
        raise MewetError("--lab needs --email: your company account on that lab")
    home, _, device = detector.partition("/")
    remote = Lab(url, email)
    try:
        run = remote.start({"home": home, "device": device, **request})
        number, access = run["id"], run["mqtt"]
        err.print(f"benchmark {number}: {len(run['homes'])} homes: " + ", ".join(run["homes"]))
        if access is not None:
            err.print(
                f"your analytics: mqtt://{access['username']}:<password>@{access['host']}:"
                f"{access['port']} (password: {access['password']}), subscribe to "
                + ", ".join(access["read"])
            )
        err.print(f"publish detections as events on {run['publish_to']} with data.home")
        try:
            ended = remote.wait(number, err.print)
        except KeyboardInterrupt:
            remote.cancel(number)
            raise MewetError(f"benchmark {number} cancelled") from None
        if ended["status"] != "done":
            raise MewetError(f"benchmark {number} {ended['status']}: {ended.get('error') or ''}")
        report: dict[str, Any] = ended["report"]
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        remote.keep(number, out)
        return report, len(run["homes"])
    finally:
        remote.close()


def _warn_ignored(result: dict[str, Any]) -> None:
    """Detections that were not scored, said where a person reads them (not only in JSON)."""
    ignored = result["ignored"]
    if ignored["unknown_homes"]:
        err.print(
            f"[yellow]warning:[/] {ignored['unknown_homes']} detections name a home that is "
            "not in these runs (data.home): not scored, and a fall they meant is missed"
        )
    if ignored["other_event_types"]:
        err.print(
            f"[yellow]note:[/] {ignored['other_event_types']} detections of other event types "
            f"were not scored (scored: {', '.join(result['event_types'])})"
        )


def _table(title: str, name: str, result: dict[str, Any]) -> Table:
    """The detector's row, its rows per scenario, then the lab's own detectors' row."""
    table = Table(
        "detector",
        "falls",
        "sensitivity (95% CI)",
        "precision (95% CI)",
        "F1",
        "false alarms / 100 h",
        "delay p50 / p90 s",
        title=title,
    )
    table.add_row(escape(name), *_cells(result))
    for scenario, figures in result["by_scenario"].items():
        table.add_row(f"  {escape(name)} in {escape(scenario)}", *_cells(figures))
    table.add_row("[italic]the lab's own detectors (reference)", *_cells(result["reference"]))
    return table


def _cells(f: dict[str, Any]) -> list[str]:
    def pct(x: float | None, ci: list[float] | None) -> str:
        if x is None or ci is None:
            return "-"
        return f"{100 * x:.0f}% ({100 * ci[0]:.0f}–{100 * ci[1]:.0f})"

    rate = f["false_alarms_per_100h"]
    delay = f["delay_s"]
    return [
        str(f["falls"]),
        pct(f["sensitivity"], f["sensitivity_ci95"]),
        pct(f["precision"], f["precision_ci95"]),
        "-" if f["f1"] is None else f"{f['f1']:.2f}",
        "-" if rate is None else f"{rate:.2f} ({f['false_alarms']})",
        "-" if delay["p50"] is None else f"{delay['p50']:g} / {delay['p90']:g}",
    ]


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(help="The dataset file.")],
    dataset_format: Annotated[
        str, typer.Option("--format", help="The dataset's format (casas).")
    ] = "casas",
    mqtt: MqttOpt = None,
    speed: Annotated[
        float, typer.Option(help="Dataset seconds per wall second; 0 = as fast as possible.")
    ] = 1.0,
    home: Annotated[
        str | None, typer.Option(help="The replayed home's id (default: from the file name).")
    ] = None,
    tz: Annotated[
        str,
        typer.Option(
            help="Time zone of the file's times: a name or an offset (the lab's own casas.txt "
            "is in the scenario's local time, e.g. +01:00)."
        ),
    ] = "UTC",
    truth: Annotated[
        Path | None, typer.Option(help="Also write the activity labels as truth.jsonl here.")
    ] = None,
) -> None:
    """Publish a CASAS dataset through the contract: binary sensors as events, numbers as
    telemetry, status and meta first."""
    import re
    from datetime import timedelta, timezone, tzinfo
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from mewet.benchmark.replay import ReadReport, Replay, home_from_file, play, read_casas
    from mewet.benchmark.replay import write_truth as write_labels
    from mewet.errors import ConfigError
    from mewet.transport.sink import MqttSink

    if dataset_format != "casas":
        raise ConfigError(f"--format {dataset_format}: the lab replays casas files")
    check_speed(speed)
    zone: tzinfo
    if offset := re.fullmatch(r"([+-])(\d\d):(\d\d)", tz):
        sign = -1 if offset[1] == "-" else 1
        zone = timezone(sign * timedelta(hours=int(offset[2]), minutes=int(offset[3])))
    else:
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"--tz {tz}: not a time zone (e.g. UTC, Europe/Helsinki, +01:00)"
            ) from None
    if not file.is_file():
        raise ConfigError(f"{file}: no such file")
    settings = load_settings(mqtt_url=mqtt)
    the_home = home or home_from_file(file)
    player = Replay(the_home, settings.topic_root)
    found = ReadReport()
    lines = player.learn(read_casas(file, zone, found), found)
    if not lines:
        raise ConfigError(f"{file}: not one line reads as CASAS ({'; '.join(found.problems)})")
    if truth is not None:
        err.print(f"wrote {write_labels(truth, lines)} activity labels to {truth}")
    sink = MqttSink(settings.mqtt(), the_home, "gateway", root=settings.topic_root).connect()
    span = (lines[-1].ts - lines[0].ts).total_seconds()
    err.print(
        f"replaying {len(lines)} lines of {len(player.devices)} sensors ({span / 3600:.1f} h of "
        f"data) as home [bold]{the_home}[/] at speed {speed:g} into {settings.mqtt()}"
    )
    complete = publish_live(play(player, lines, sink, speed, sink.pump), sink.close)
    console.print(sent_table(sink.sent, f"replayed as home {the_home}"))
    if found.skipped:
        err.print(f"skipped {found.skipped} lines that do not read: " + "; ".join(found.problems))
    check_acknowledged(complete)
