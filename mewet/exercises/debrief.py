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
from mewet.devices.names import device_names
from mewet.exercises.inputs import Input, Setup, replay
from mewet.scenarios.care import kpis
from mewet.scenarios.care.kpis import tally_said, worst_said
from mewet.scenarios.run import ScenarioSim
from mewet.sim.clock import local_time, zone_label
from mewet.sim.sink import MemorySink
from mewet.texts import LANGUAGES, Said, catalogue, number, said, say

QUIET_EVENTS = {"command_result"}
VITALS = {"heart_rate": "/min", "spo2": "%", "skin_temp": "°C"}
"""The vitals charted, with their units as shown."""
COLUMNS = ("ts", "kind", "source", "text", "by")
LAB = ("lab_restart", "the lab (restarted)")
"""How the lab signs the controls it gives itself (the second: before the catalogues)."""
"""The CSV's columns: when, what kind of entry, whose, in words, by whom."""


def build(setup: Setup, inputs: list[Input], until_s: float, final: bool = False) -> dict[str, Any]:
    """Replay the exercise to `until_s` and gather its debrief, in the scenario's local time;
    `final`: the exercise has ended there (what was not measured was missed). Every entry is
    a message (`said`), said in a language where it is shown; `texts` has the words that
    come from the scenario and the home, in each language."""
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
            kind = "alarm" if p.severity == "alarm" else "sensor"
            at = (p.ts - start).total_seconds()
            words = said("event_row", event_type=p.event_type)  # the device is the row's `who`
            rows.append(((at, -1.0), _row(p.ts, zone, kind, m.topic.device, p.event_type, words)))
        elif isinstance(p, Telemetry):
            for name in VITALS:
                if name in p.data:
                    vitals[name].append((local_time(p.ts, zone), p.data[name]))
    for i, a in enumerate(team.timeline):
        at = (a.ts - start).total_seconds()
        rows.append(((at, float(i)), _row(a.ts, zone, "action", a.role, a.action, a.said, a.by)))
    for entry in inputs:
        if entry.sim_s > until_s:
            continue
        ts = sim.world.date(entry.sim_s)
        order = placed.get(entry.n, len(team.timeline)) - 0.5  # before the next action
        if entry.kind == "note":
            words = said("note", text=str(entry.args.get("text", "")))
            # the teacher's notes mark a moment; the teacher is named by role, not by address
            source, by = (entry.role, entry.by) if entry.role else ("teacher", "")
            rows.append(((entry.sim_s, order), _row(ts, zone, "note", source, "note", words, by)))
        elif entry.kind in ("control", "inject"):
            words = control_said(entry.name if entry.kind == "control" else "inject", entry.args)
            # the teacher's row says "teacher" already; the lab itself signs a restart's pause
            by = "lab_restart" if entry.by in LAB else ""
            row = _row(ts, zone, "control", "teacher", entry.name, words, by)
            rows.append(((entry.sim_s, order), row))
    rows.sort(key=lambda r: r[0])
    missed = sum(1 for c in team.cases if c.event_type == "dose_missed")
    incidents = [
        local_time(t.ts, zone)
        for t in sim.truth.records
        if t.kind == "activity" and t.phase == "begin" and t.value in ("fall", "wandering")
    ]
    texts = {}
    for lang in LANGUAGES:
        title, _, goals, _ = setup.scenario.text(lang)
        texts[lang] = {"title": title, "goals": goals, "devices": device_names(sim.home, lang)}
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
        "texts": texts,
    }


def control_said(name: str, args: dict[str, Any]) -> Said:
    """A teacher's control as a message: started, paused, speed 600, an incident injected."""
    if name == "speed":
        return said("control_speed", speed=args.get("speed"))
    if name == "step":
        key = "control_step_next" if args.get("to") == "next" else "control_step"
        return said(key, min=args.get("minutes"))
    if name == "inject":
        return said("control_inject", incident=str(args.get("type", "")))
    return said(f"control_{name}")


def in_language(debrief: dict[str, Any], lang: str, title: str | None = None) -> dict[str, Any]:
    """The debrief for a reader of `lang`: its title (the teacher's own, else the
    scenario's), goals and device names in that language, and each entry's words."""
    texts = debrief["texts"][lang]
    devices = texts["devices"]
    rows = [
        {
            **r,
            "text": say(Said.of(r["said"]), lang, devices),
            "who": source_name(r, lang, devices),
            "by_text": by_name(r["by"], lang),
        }
        for r in debrief["timeline"]
    ]
    return {
        **debrief,
        "lang": lang,
        "title": title or texts["title"],
        "learning_goals": texts["goals"],
        "devices": devices,
        "timeline": rows,
    }


def _row(
    ts: datetime, zone: tzinfo | None, kind: str, source: str, what: str, words: Said, by: str = ""
) -> dict[str, Any]:
    return {
        "ts": local_time(ts, zone),
        "kind": kind,
        "source": source,
        "what": what,
        "said": words.as_json(),
        "by": by,
    }


FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A value as a spreadsheet cell that is never run: text that a spreadsheet would read as
    a formula (=, +, -, @, a tab) gets a leading apostrophe (OWASP's advice for CSV)."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA) else text


def to_csv(debrief: dict[str, Any]) -> str:
    """The timeline as CSV, one row per entry, in the debrief's language (`in_language`),
    safe to open in a spreadsheet: Finnish with `;` between cells (the comma is its decimal
    mark, and a Finnish spreadsheet splits on `;`), a byte-order mark so that it reads the
    text as UTF-8."""
    lang = debrief["lang"]
    words = catalogue(lang)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";" if lang == "fi" else ",", lineterminator="\n")
    writer.writerow([words["csv_columns"][c] for c in COLUMNS])
    for row in debrief["timeline"]:
        cells = (
            stamp(row["ts"], lang),
            words["row_kinds"][row["kind"]],
            row["who"],
            row["text"],
            row["by_text"],
        )
        writer.writerow([cell(c) for c in cells])
    return out.getvalue()


def stamp(ts: str, lang: str) -> str:
    """A local ISO time as the language writes a date and time (23.11.2026 03:10:00)."""
    t = datetime.fromisoformat(ts)
    return t.strftime("%d.%m.%Y %H:%M:%S" if lang == "fi" else "%Y-%m-%d %H:%M:%S")


def clock(ts: str | None) -> str:
    """The day and time of a local ISO time, as the pages show it (23.11. 03:10)."""
    return "–" if ts is None else datetime.fromisoformat(ts).strftime("%d.%m. %H:%M")


def source_name(row: dict[str, Any], lang: str, devices: dict[str, str]) -> str:
    """Whose entry it is, in words: the device, the role, or the teacher."""
    words = catalogue(lang)
    if row["kind"] in ("alarm", "sensor"):
        return str(devices.get(row["source"], row["source"]))
    if row["source"] == "teacher":
        return str(words["teacher"])
    return str(words["roles"].get(row["source"], row["source"]))


def by_name(by: str, lang: str) -> str:
    """Who acted: a person's name as they gave it, or the simulation (a role's policy)."""
    return str(catalogue(lang)["by"].get(by, by))


def _when(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


def timeline_plot(debrief: dict[str, Any], fmt: str) -> bytes:
    """A chart of the timeline in the debrief's language: one lane per source, alarms in red,
    actions, notes, the teacher's controls; the legend beside the plot, not on it."""
    from matplotlib.figure import Figure

    lang = debrief["lang"]
    words = catalogue(lang)
    rows = [r for r in debrief["timeline"] if r["kind"] != "sensor"]
    names = {r["source"]: source_name(r, lang, debrief["devices"]) for r in rows}
    lanes = sorted(names.values()) or [words["chart_empty"]]
    colours = {"alarm": "tab:red", "action": "tab:blue", "note": "tab:green", "control": "black"}
    fig = Figure(figsize=(11, 1.5 + 0.45 * len(lanes)))
    ax = fig.subplots()
    for kind, colour in colours.items():
        pts = [(_when(r["ts"]), lanes.index(names[r["source"]])) for r in rows if r["kind"] == kind]
        if pts:
            xs: Any = [p[0] for p in pts]  # matplotlib takes dates; its stubs say numbers
            ax.scatter(xs, [p[1] for p in pts], c=colour, label=words["row_kinds"][kind], s=24)
    ax.set_yticks(range(len(lanes)), lanes, parse_math=False)
    # parse_math off: a title with $...$ is text, not TeX for the chart library to choke on
    ax.set_title(
        say(said("chart_timeline_title", title=debrief["title"], zone=debrief["time_zone"]), lang),
        parse_math=False,
    )
    _local_axis(ax, debrief)
    ax.grid(axis="x", alpha=0.3)
    if rows:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    fig.autofmt_xdate()
    return _save(fig, fmt)


def vitals_plot(debrief: dict[str, Any], fmt: str) -> bytes:
    """Heart rate, SpO2 and skin temperature around the first incident (±3 h), or all; in
    the debrief's language, with units, numbers written as it writes them."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    lang = debrief["lang"]
    words = catalogue(lang)
    incidents = debrief["incidents"] or [
        r["ts"] for r in debrief["timeline"] if r["kind"] == "alarm"
    ]
    window: tuple[datetime, datetime] | None = None
    if incidents:
        t0 = _when(incidents[0])
        window = (t0 - timedelta(hours=3), t0 + timedelta(hours=3))
    fig = Figure(figsize=(10, 6))
    axes = fig.subplots(3, 1, sharex=True)
    for ax, (name, unit) in zip(axes, VITALS.items(), strict=True):
        pts = [(_when(ts), v) for ts, v in debrief["vitals"][name]]
        if window is not None:
            pts = [p for p in pts if window[0] <= p[0] <= window[1]]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], lw=1)
        ax.set_ylabel(f"{words['channels'][name]} ({unit})")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: number(round(v, 1), lang)))
        if window is not None:
            ax.axvline(_when(incidents[0]), color="tab:red", lw=1)
    axes[0].set_title(
        say(said("chart_vitals_title", title=debrief["title"], zone=debrief["time_zone"]), lang),
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


def to_html(debrief: dict[str, Any]) -> str:
    """A printable report in the debrief's language: goals, each target's tally over the
    cases with the worst, every case, the falls, the charts and the timeline, every time in
    the home's local time."""
    e = html.escape
    lang = debrief["lang"]
    words = catalogue(lang)
    devices = debrief["devices"]
    k = debrief["kpis"]
    status = words["status"]

    def t(key: str) -> str:
        return e(str(words[key]))

    def minutes(value: float | None) -> str:
        return "–" if value is None else f"{number(value, lang)} min"

    def role(name: str | None) -> str:
        return "" if not name else e(str(words["roles"].get(name, by_name(name, lang))))

    summary = "".join(
        f"<tr class='{e(row['status'])}'><td>{t('kpi_' + target)}</td>"
        f"<td>{e(say(tally_said(row), lang))}</td>"
        f"<td>{e(say(worst_said(row), lang))}</td>"
        f"<td>{e(minutes(row['target_min']))}</td>"
        f"<td class='status'>{e(status[row['status']])}</td></tr>"
        for target, row in k["summary"].items()
    )

    def alarm(c: dict[str, Any]) -> str:
        return say(
            said("case_alarm", event_type=c["event_type"], device=c["device"]), lang, devices
        )

    case_html = "".join(
        f"<tr><td>{c['id']}</td><td>{e(alarm(c))}"
        + "".join(
            f"<br><small>{e(say(said('case_joined', **j), lang, devices))}</small>"
            for j in c["joined"]
        )
        + f"</td><td>{e(clock(c['raised']))}</td>"
        f"<td>{e(clock(c['answered']))} {e(by_name(c['answered_by'] or '', lang))}</td>"
        f"<td>{e(clock(c['dispatched']))}</td>"
        f"<td>{e(clock(c['on_site']))} {role(c['on_site_role'])}</td>"
        f"<td>{e(clock(c['closed']))}</td>"
        f"<td>{e(minutes(c['answer_min']))}: {e(status[c['status']['answer']])}</td>"
        f"<td>{e(minutes(c['help_min']))}: {e(status[c['status']['help']])}</td></tr>"
        for c in k["cases"]
    )
    falls_html = "".join(
        f"<li>{e(say(fall_said(f), lang))}: {e(status[f['status']])}</li>" for f in k["falls"]
    )
    counts = say(
        said(
            "report_counts",
            missed=k.get("missed_doses", 0),
            false_alarms=k.get("false_alarms_handled", 0),
            paramedics=k.get("paramedics_called", 0),
        ),
        lang,
    )
    per_role = "".join(
        f"<li>{role(name)}: {n}</li>" for name, n in k.get("actions_per_role", {}).items()
    )
    rows = "".join(
        "<tr class='{}'>{}</tr>".format(
            e(r["kind"]),
            "".join(
                f"<td>{e(c)}</td>"
                for c in (
                    clock(r["ts"]),
                    words["row_kinds"][r["kind"]],
                    r["who"],
                    r["text"],
                    r["by_text"],
                )
            ),
        )
        for r in debrief["timeline"]
        if r["kind"] != "sensor"
    )
    goals = "".join(f"<li>{e(g)}</li>" for g in debrief["learning_goals"])
    charts = timeline_plot(debrief, "svg").decode() + vitals_plot(debrief, "svg").decode()
    about = say(
        said(
            "report_about",
            title=debrief["title"],
            seed=debrief["seed"],
            start=stamp(debrief["start"], lang),
            until=stamp(debrief["until"], lang),
            zone=debrief["time_zone"],
        ),
        lang,
    )
    heads = "".join(f"<th>{e(str(words['csv_columns'][c]))}</th>" for c in COLUMNS)
    case_heads = "".join(f"<th>{e(str(h))}</th>" for h in words["report_case_columns"])
    title = e(f"{words['debrief']}: {debrief['title']}")
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:small}}tr.alarm td{{color:#b00}}
tr.note td{{color:#060}}tr.missed td.status{{color:#b00;font-weight:bold}}
@media print{{svg{{max-width:100%;height:auto}}}}</style></head>
<body><h1>{title}</h1>
<p>{e(about)}</p>
<h2>{t("goals")}</h2><ul>{goals}</ul>
<h2>{t("kpis")}</h2><table><tr><th>{t("kpi")}</th><th>{t("kpi_cases")}</th>
<th>{t("kpi_worst")}</th><th>{t("target")}</th><th>{t("kpi_status")}</th></tr>{summary}
</table>
<h3>{t("cases")}</h3><table><tr>{case_heads}</tr>{case_html}</table>
<h3>{t("falls")}</h3><ul>{falls_html or "<li>" + t("no_falls") + "</li>"}</ul><p>{e(counts)}</p>
<p>{t("actions_per_role")}</p><ul>{per_role}</ul>
<h2>{t("charts")}</h2>{charts}
<h2>{t("timeline")}</h2><table><tr>{heads}</tr>{rows}</table>
</body></html>
"""


def fall_said(fall: dict[str, Any]) -> Said:
    """A fall as a message: when she fell, when she was off the floor, how long it took."""
    return said(
        "fall_line",
        began=clock(fall["began"]),
        ended=None if fall["ended"] is None else clock(fall["ended"]),
        lie=fall["lie_min"],
    )
