"""The debrief: one timeline of what the home sensed, which alarms rose, what each role did and
wrote, with the KPIs against their targets, two plots, and exports (JSON, CSV, HTML).

It is derived by replaying the exercise's inputs, so it is the same however often it is asked
for, and can be built up to any moment.
"""

from __future__ import annotations

import csv
import html
import io
from datetime import datetime, timedelta
from typing import Any

from mewet.contract import Event, Telemetry, format_ts
from mewet.exercises.inputs import Input, Setup, replay
from mewet.scenarios.care import kpis
from mewet.sim.sink import MemorySink

QUIET_EVENTS = {"command_result"}
VITALS = ("heart_rate", "spo2", "skin_temp")
COLUMNS = ("ts", "kind", "source", "what", "detail", "by")


def build(setup: Setup, inputs: list[Input], until_s: float) -> dict[str, Any]:
    """Replay the exercise to `until_s` and gather its debrief."""
    sink = MemorySink()
    sim = replay(setup, inputs, until_s, sink)
    team = sim.team
    rows: list[dict[str, Any]] = []
    vitals: dict[str, list[tuple[str, float]]] = {v: [] for v in VITALS}
    for m in sink.messages:
        p = m.payload
        if isinstance(p, Event) and p.event_type not in QUIET_EVENTS:
            detail = ", ".join(f"{k}={v}" for k, v in p.data.items())
            kind = "alarm" if p.severity == "alarm" else "sensor"
            rows.append(_row(p.ts, kind, m.topic.device, p.event_type, detail, ""))
        elif isinstance(p, Telemetry):
            for name in VITALS:
                if name in p.data:
                    vitals[name].append((format_ts(p.ts), p.data[name]))
    for a in team.timeline:
        rows.append(_row(a.ts, "action", a.role, a.action, a.detail, a.by))
    for entry in inputs:
        if entry.sim_s > until_s:
            continue
        ts = sim.world.date(entry.sim_s)
        if entry.kind == "note":
            text = str(entry.args.get("text", ""))
            rows.append(_row(ts, "note", entry.role or "teacher", "note", text, entry.by))
        elif entry.kind in ("control", "inject"):
            detail = ", ".join(f"{k}={v}" for k, v in entry.args.items())
            rows.append(_row(ts, "control", "teacher", entry.name, detail, entry.by))
    rows.sort(key=lambda r: r["ts"])
    missed = sum(1 for c in team.cases if c.event_type == "dose_missed")
    incidents = [
        format_ts(t.ts)
        for t in sim.truth.records
        if t.kind == "activity" and t.phase == "begin" and t.value in ("fall", "wandering")
    ]
    return {
        "scenario": setup.scenario.id,
        "title": setup.scenario.title,
        "seed": setup.seed,
        "start": format_ts(setup.start),
        "until": format_ts(sim.world.date(until_s)),
        "learning_goals": setup.scenario.learning_goals,
        "kpis": kpis(team, sim.truth.records, missed),
        "timeline": rows,
        "vitals": vitals,
        "incidents": incidents,
    }


def _row(ts: datetime, kind: str, source: str, what: str, detail: str, by: str) -> dict[str, Any]:
    return {
        "ts": format_ts(ts),
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
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


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
    ax.set_title(f"{debrief['title']}: who did what, when (UTC)", parse_math=False)
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
    axes[0].set_title(f"{debrief['title']}: vitals around the incident (UTC)", parse_math=False)
    fig.autofmt_xdate()
    return _save(fig, fmt)


def _save(fig: Any, fmt: str) -> bytes:
    # Figure without pyplot: no global state, so charts can be drawn in worker threads
    out = io.BytesIO()
    fig.tight_layout()
    fig.savefig(out, format=fmt, dpi=100)
    return out.getvalue()


def html_report(debrief: dict[str, Any], fmt: str = "html") -> bytes:
    """`to_html` as bytes, the way the replay workers hand charts back."""
    return to_html(debrief).encode()


def to_html(debrief: dict[str, Any]) -> str:
    """A printable report: goals, KPIs against targets, the two charts and the timeline."""
    e = html.escape
    k = debrief["kpis"]
    met = k.get("met", {})
    targets = k.get("targets", {})
    kpi_rows = [
        ("time to answer (max, min)", "time_to_answer_max_min", "answer_min", "answer"),
        ("time to help on site (max, min)", "time_to_help_max_min", "help_min", "help"),
        ("long lie (max, min)", "long_lie_max_min", "long_lie_min", "long_lie"),
        ("missed doses", "missed_doses", "", ""),
        ("false alarms handled", "false_alarms_handled", "", ""),
    ]
    kpi_html = "".join(
        f"<tr><td>{e(name)}</td><td>{'-' if v is None else e(str(v))}</td>"
        f"<td>{'' if t is None else e(str(t))}</td>"
        f"<td>{'' if ok is None else ('yes' if ok else 'NO')}</td></tr>"
        for name, v, t, ok in (
            (label, k.get(key), targets.get(target), met.get(goal))
            for label, key, target, goal in kpi_rows
        )
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
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Debrief: {e(debrief["title"])}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:small}}tr.alarm td{{color:#b00}}
tr.note td{{color:#060}}@media print{{svg{{max-width:100%;height:auto}}}}</style></head>
<body><h1>Debrief: {e(debrief["title"])}</h1>
<p>Scenario {e(debrief["scenario"])}, seed {debrief["seed"]}, from {e(debrief["start"])}
to {e(debrief["until"])} (UTC).</p>
<h2>Learning goals</h2><ul>{goals}</ul>
<h2>KPIs</h2><table><tr><th>KPI</th><th>value</th><th>target</th><th>met</th></tr>{kpi_html}
</table><p>Actions per role:</p><ul>{per_role}</ul>
<h2>Charts</h2>{charts}
<h2>Timeline</h2><table><tr>{"".join(f"<th>{c}</th>" for c in COLUMNS)}</tr>{rows}</table>
</body></html>
"""
