"""Commands for companies' analytics: score detections against a run's ground truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from mewet.cli.common import app, console


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
    false alarms per 100 h and delays, with 95% intervals; the lab's own detectors as the
    reference row."""
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
    table = Table(
        "detector",
        "falls",
        "sensitivity (95% CI)",
        "precision (95% CI)",
        "F1",
        "false alarms / 100 h",
        "delay p50 / p90 s",
        title=f"{len(runs)} runs, {result['hours']:g} h, window {window:g} s",
    )
    table.add_row(detections.name, *_cells(result))
    table.add_row("[italic]the lab's detectors", *_cells(result["reference"]))
    for name, figures in result["by_scenario"].items():
        table.add_row(f"  {name}", *_cells(figures))
    console.print(table)
    if html is not None:
        console.print(f"wrote {html}")


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
