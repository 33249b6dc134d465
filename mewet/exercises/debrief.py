"""The debrief: one timeline of what the home sensed, which alarms rose, what each role did and
wrote, with the KPIs against their targets, two plots, and exports (JSON, CSV, HTML).

It is derived by replaying the exercise's inputs, so it is the same however often it is asked
for, and can be built up to any moment.
"""

from __future__ import annotations

import csv
import html
import io
from datetime import datetime, timedelta, tzinfo
from typing import Any

from mewet.contract import Event, Telemetry
from mewet.exercises.inputs import Input, Setup, replay
from mewet.scenarios.care import kpis
from mewet.scenarios.run import ScenarioSim
from mewet.sim.clock import local_time, zone_label
from mewet.sim.sink import MemorySink

QUIET_EVENTS = {"command_result"}
VITALS = ("heart_rate", "spo2", "skin_temp")
COLUMNS = ("ts", "kind", "source", "what", "detail", "by")


def build(setup: Setup, inputs: list[Input], until_s: float, final: bool = False) -> dict[str, Any]:
    """Replay the exercise to `until_s` and gather its debrief, in the scenario's local time;
    `final`: the exercise has ended there (what was not measured was missed)."""
    sink = MemorySink()
    placed: dict[int, int] = {}  # input n → how many actions were on the timeline then

    def seen(sim: ScenarioSim, entry: Input) -> None:
        placed[entry.n] = len(sim.team.timeline)

    sim = replay(setup, inputs, until_s, sink, seen=seen)
    team = sim.team
    zone = setup.zone
    rows: list[tuple[tuple[float, float], dict[str, Any]]] = []
    vitals: dict[str, list[tuple[str, float]]] = {v: [] for v in VITALS}
    start = setup.start
    for m in sink.messages:
        p = m.payload
        if isinstance(p, Event) and p.event_type not in QUIET_EVENTS:
            detail = ", ".join(f"{k}={v}" for k, v in p.data.items())
            kind = "alarm" if p.severity == "alarm" else "sensor"
            at = (p.ts - start).total_seconds()
            rows.append(((at, -1.0), _row(p.ts, zone, kind, m.topic.device, p.event_type, detail)))
        elif isinstance(p, Telemetry):
            for name in VITALS:
                if name in p.data:
                    vitals[name].append((local_time(p.ts, zone), p.data[name]))
    for i, a in enumerate(team.timeline):
        at = (a.ts - start).total_seconds()
        rows.append(((at, float(i)), _row(a.ts, zone, "action", a.role, a.action, a.detail, a.by)))
    for entry in inputs:
        if entry.sim_s > until_s:
            continue
        ts = sim.world.date(entry.sim_s)
        order = placed.get(entry.n, len(team.timeline)) - 0.5  # before the next action
        if entry.kind == "note":
            text = str(entry.args.get("text", ""))
            source = entry.role or "teacher"
            rows.append(
                ((entry.sim_s, order), _row(ts, zone, "note", source, "note", text, entry.by))
            )
        elif entry.kind in ("control", "inject"):
            detail = ", ".join(f"{k}={v}" for k, v in entry.args.items())
            row = _row(ts, zone, "control", "teacher", entry.name, detail, entry.by)
            rows.append(((entry.sim_s, order), row))
    rows.sort(key=lambda r: r[0])
    missed = sum(1 for c in team.cases if c.event_type == "dose_missed")
    incidents = [
        local_time(t.ts, zone)
        for t in sim.truth.records
        if t.kind == "activity" and t.phase == "begin" and t.value in ("fall", "wandering")
    ]
    return {
        "scenario": setup.scenario.id,
        "title": setup.scenario.title,
        "seed": setup.seed,
        "start": local_time(setup.start, zone),
        "until": local_time(sim.world.date(until_s), zone),
        "until_s": round(min(until_s, float(sim.env.now)), 3),
        "time_zone": zone_label(zone),
        "learning_goals": setup.scenario.learning_goals,
        "kpis": kpis(team, sim.truth.records, missed, lambda ts: local_time(ts, zone), final),
        "timeline": [row for _, row in rows],
        "vitals": vitals,
        "incidents": incidents,
    }


def _row(
    ts: datetime, zone: tzinfo | None, kind: str, source: str, what: str, detail: str, by: str = ""
) -> dict[str, Any]:
    return {
        "ts": local_time(ts, zone),
        "kind": kind,
        "source": source,
        "what": what,
        "detail": detail,
        "by": by,
    }


FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A value as a spreadsheet cell that is never run: text that a spreadsheet would read as
    a formula (=, +, -, @, a tab) gets a leading apostrophe (OWASP's advice for CSV)."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA) else text


def to_csv(debrief: dict[str, Any]) -> str:
    """The timeline as CSV, one row per entry, safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in debrief["timeline"]:
        writer.writerow({k: cell(row[k]) for k in COLUMNS})
    return out.getvalue()


def _when(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


def timeline_plot(debrief: dict[str, Any], fmt: str) -> bytes:
    """A chart of the timeline: one lane per source, alarms in red, actions and notes."""
    from matplotlib.figure import Figure

    rows = [r for r in debrief["timeline"] if r["kind"] != "sensor"]
    lanes = sorted({r["source"] for r in rows}) or ["(nothing yet)"]
    colours = {"alarm": "tab:red", "action": "tab:blue", "note": "tab:green", "control": "black"}
    fig = Figure(figsize=(10, 1.5 + 0.45 * len(lanes)))
    ax = fig.subplots()
    for kind, colour in colours.items():
        pts = [(_when(r["ts"]), lanes.index(r["source"])) for r in rows if r["kind"] == kind]
        if pts:
            xs: Any = [p[0] for p in pts]  # matplotlib takes dates; its stubs say numbers
            ax.scatter(xs, [p[1] for p in pts], c=colour, label=kind, s=24)
    ax.set_yticks(range(len(lanes)), lanes, parse_math=False)
    # parse_math off: a title with $...$ is text, not TeX for the chart library to choke on
    ax.set_title(
        f"{debrief['title']}: who did what, when (local time, {debrief['time_zone']})",
        parse_math=False,
    )
    _local_axis(ax, debrief)
    ax.grid(axis="x", alpha=0.3)
    if rows:
        ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    return _save(fig, fmt)


def vitals_plot(debrief: dict[str, Any], fmt: str) -> bytes:
    """Heart rate, SpO2 and skin temperature around the first incident (±3 h), or all."""
    from matplotlib.figure import Figure

    incidents = debrief["incidents"] or [
        r["ts"] for r in debrief["timeline"] if r["kind"] == "alarm"
    ]
    window: tuple[datetime, datetime] | None = None
    if incidents:
        t0 = _when(incidents[0])
        window = (t0 - timedelta(hours=3), t0 + timedelta(hours=3))
    fig = Figure(figsize=(10, 6))
    axes = fig.subplots(3, 1, sharex=True)
    for ax, name in zip(axes, VITALS, strict=True):
        pts = [(_when(ts), v) for ts, v in debrief["vitals"][name]]
        if window is not None:
            pts = [p for p in pts if window[0] <= p[0] <= window[1]]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], lw=1)
        ax.set_ylabel(name)
        if window is not None:
            ax.axvline(_when(incidents[0]), color="tab:red", lw=1)
    axes[0].set_title(
        f"{debrief['title']}: vitals around the incident (local time, {debrief['time_zone']})",
        parse_math=False,
    )
    for ax in axes:
        _local_axis(ax, debrief)
    fig.autofmt_xdate()
    return _save(fig, fmt)


def _local_axis(ax: Any, debrief: dict[str, Any]) -> None:
    """Times on the x axis as the home's clock shows them."""
    from matplotlib.dates import DateFormatter

    zone = datetime.fromisoformat(debrief["start"]).tzinfo
    ax.xaxis.set_major_formatter(DateFormatter("%d.%m. %H:%M", tz=zone))  # type: ignore[no-untyped-call]


def _save(fig: Any, fmt: str) -> bytes:
    # Figure without pyplot: no global state, so charts can be drawn in worker threads
    out = io.BytesIO()
    fig.tight_layout()
    fig.savefig(out, format=fmt, dpi=100)
    return out.getvalue()


def html_report(debrief: dict[str, Any], fmt: str = "html") -> bytes:
    """`to_html` as bytes, the way the replay workers hand charts back."""
    return to_html(debrief).encode()


MARKS = {"met": "met", "missed": "MISSED", "not yet": "not yet", "not applicable": "-"}


def to_html(debrief: dict[str, Any]) -> str:
    """A printable report: goals, KPIs per case against targets, the charts and the timeline,
    every time in the home's local time."""
    e = html.escape
    k = debrief["kpis"]
    targets = k.get("targets", {})
    state = k.get("status", {})

    def minutes(value: Any) -> str:
        return "-" if value is None else f"{value:g} min"

    summary = [
        ("longest time to answer an alarm", "time_to_answer_max_min", "answer_min", "answer"),
        ("longest time until help was on site", "time_to_help_max_min", "help_min", "help"),
        ("longest time on the floor", "long_lie_max_min", "long_lie_min", "long_lie"),
    ]
    kpi_html = "".join(
        f"<tr><td>{e(label)}</td><td>{e(minutes(k.get(key)))}</td>"
        f"<td>{e(minutes(targets.get(target)))}</td>"
        f"<td class='{e(state.get(goal, ''))}'>{e(MARKS.get(state.get(goal, ''), ''))}</td></tr>"
        for label, key, target, goal in summary
    )
    case_html = "".join(
        f"<tr><td>{c['id']}</td><td>{e(c['event_type'])} ({e(c['device'])})</td>"
        f"<td>{e(_clock(c['raised']))}</td>"
        f"<td>{e(_clock(c['answered']))} {e(c['answered_by'] or '')}</td>"
        f"<td>{e(_clock(c['dispatched']))}</td>"
        f"<td>{e(_clock(c['on_site']))} {e(c['on_site_role'] or '')}</td>"
        f"<td>{e(_clock(c['closed']))}</td>"
        f"<td>{e(minutes(c['answer_min']))}: {e(MARKS[c['status']['answer']])}</td>"
        f"<td>{e(minutes(c['help_min']))}: {e(MARKS[c['status']['help']])}</td></tr>"
        for c in k.get("cases", [])
    )
    falls_html = "".join(
        f"<li>fell {e(_clock(f['began']))}, "
        + (f"off the floor {e(_clock(f['ended']))}" if f["ended"] else "still on the floor")
        + f": {e(minutes(f['lie_min']))}, {e(MARKS[f['status']])}</li>"
        for f in k.get("falls", [])
    )
    counts = (
        f"<p>Missed doses: {k.get('missed_doses', 0)}. False alarms handled: "
        f"{k.get('false_alarms_handled', 0)}. Paramedics called: {k.get('paramedics_called', 0)}."
        "</p>"
    )
    per_role = "".join(
        f"<li>{e(role)}: {n}</li>" for role, n in k.get("actions_per_role", {}).items()
    )
    rows = "".join(
        "<tr class='{}'>{}</tr>".format(
            e(r["kind"]), "".join(f"<td>{e(str(r[c]))}</td>" for c in COLUMNS)
        )
        for r in debrief["timeline"]
        if r["kind"] != "sensor"
    )
    goals = "".join(f"<li>{e(g)}</li>" for g in debrief["learning_goals"])
    charts = timeline_plot(debrief, "svg").decode() + vitals_plot(debrief, "svg").decode()
    zone = e(debrief.get("time_zone", "UTC"))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Debrief: {e(debrief["title"])}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:small}}tr.alarm td{{color:#b00}}
tr.note td{{color:#060}}td.missed{{color:#b00;font-weight:bold}}
@media print{{svg{{max-width:100%;height:auto}}}}</style></head>
<body><h1>Debrief: {e(debrief["title"])}</h1>
<p>Scenario {e(debrief["scenario"])}, seed {debrief["seed"]}, from {e(debrief["start"])}
to {e(debrief["until"])}. Times are the home's local time ({zone}).</p>
<h2>Learning goals</h2><ul>{goals}</ul>
<h2>KPIs</h2><table><tr><th>KPI</th><th>value</th><th>target</th><th>status</th></tr>{kpi_html}
</table>
<h3>Each alarm</h3><table><tr><th>case</th><th>alarm</th><th>raised</th><th>answered, by</th>
<th>help sent</th><th>on site, who</th><th>closed</th><th>time to answer</th>
<th>time to help</th></tr>{case_html}</table>
<h3>Falls</h3><ul>{falls_html or "<li>none</li>"}</ul>{counts}
<p>Actions per role:</p><ul>{per_role}</ul>
<h2>Charts</h2>{charts}
<h2>Timeline</h2><table><tr>{"".join(f"<th>{c}</th>" for c in COLUMNS)}</tr>{rows}</table>
</body></html>
"""


def _clock(ts: str | None) -> str:
    """The time of day of a local ISO time (its date when not the same day is in the
    timeline anyway)."""
    return "-" if ts is None else ts[11:19]
