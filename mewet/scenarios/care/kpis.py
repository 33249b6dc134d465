"""The run's KPIs, per alarm case and per fall, measured from what the care team did and from
the ground truth, each against its target with a status that is never "met" by default.

A target's status is one of:

- `met`: measured, and within the target;
- `missed`: measured beyond it, or not measured although its time is up (an alarm nobody
  answered within the target, help that never came, a resident still on the floor past it);
- `not yet`: not measured, and its time is not up yet (mid-exercise; once the run has
  ended, nothing is "not yet": what never happened is missed);
- `not applicable`: nothing to measure (no alarm, no fall, a false alarm needs no help).

Each target's summary (`summary`) tallies its cases (falls, for the long lie) by status and
names the worst with its case, so the headline always agrees with the rows: its status is
`overall` of theirs and its figure is that of the worst case, measured or not. An alarm that
joined the case of its incident (`Case.linked_to`) is listed in that case, not counted as a
case of its own. (The older figures, the longest time measured, say which cases they cover.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal

from mewet.scenarios.care.records import CareAction, Case
from mewet.scenarios.care.settings import TimedStep
from mewet.scenarios.care.team import CareTeam
from mewet.scenarios.truth import Truth
from mewet.texts import Said, said

Status = Literal["met", "missed", "not yet", "not applicable"]
STATUSES: tuple[Status, ...] = ("met", "missed", "not yet", "not applicable")
NEEDS_HELP = {"fallen", "injured", "gone_out", "no_answer", "smoke", "unwell"}
GOT_UP = {"helped_up", "treated", "conveyed"}
Stamp = Callable[[datetime], str]


def status(value_min: float | None, target_min: float, waited_min: float) -> Status:
    """A target's status: measured (`value_min`), or not yet measured after `waited_min`."""
    if value_min is not None:
        return "met" if value_min <= target_min else "missed"
    return "missed" if waited_min > target_min else "not yet"


def overall(statuses: Sequence[Status]) -> Status:
    """One status for a target over its cases: missed if one is, else not yet if one is,
    else met if any was measured, else not applicable."""
    for worst in ("missed", "not yet", "met"):
        if worst in statuses:
            return worst
    return "not applicable"


def kpis(
    team: CareTeam,
    truth: Sequence[Truth],
    missed_doses: int,
    stamp: Stamp | None = None,
    final: bool = False,
) -> dict[str, Any]:
    """The run's KPIs so far, per case and overall, against the scenario's targets; times
    as `stamp` writes them (the scenario's local time in an exercise). `final`: the run has
    ended, so what was not measured was missed."""
    s = team.settings
    now = float(team.env.now)
    show: Stamp = stamp or (lambda ts: ts.isoformat())
    targets = {
        "answer_min": s.targets.answer_min,
        "help_min": s.help_target(),
        "long_lie_min": s.targets.long_lie_min,
        "find_min": s.targets.find_min,
        "visit_late_min": s.targets.visit_late_min,
    }

    def minutes(seconds: float) -> float:
        return round(seconds / 60, 1)

    cases = []
    for case in team.cases:
        if case.linked_to is None:
            cases.append(_case(team, case, now, targets, show, minutes))
    falls = _falls(team, truth, targets["long_lie_min"], show)
    visits = _visits(team, now, targets["visit_late_min"], show, minutes)
    answered = [c for c in cases if c["answer_min"] is not None]
    helped = [c for c in cases if c["help_min"] is not None]
    lies = [f for f in falls if f["lie_min"] is not None]
    out: dict[str, Any] = {
        "cases": cases,
        "falls": falls,
        "visits": visits,
        "targets": targets,
        "status": {
            "answer": overall([c["status"]["answer"] for c in cases]),
            "help": overall([c["status"]["help"] for c in cases]),
            "long_lie": overall([f["status"] for f in falls]),
        },
        "summary": {},
        "time_to_answer_max_min": max((c["answer_min"] for c in answered), default=None),
        "time_to_answer_cases": [c["id"] for c in answered],
        "time_to_help_max_min": max((c["help_min"] for c in helped), default=None),
        "time_to_help_cases": [c["id"] for c in helped],
        "long_lie_max_min": max((f["lie_min"] for f in lies), default=None),
        "alarms_answered": len(answered),
        "alarms_unanswered": len(cases) - len(answered),
        "missed_doses": missed_doses,
        "false_alarms_handled": team.false_alarms,
        "paramedics_called": sum(1 for v in team.visits if v.role == "paramedic"),
        "conveyed_to_hospital": sum(1 for a in team.timeline if a.action == "conveyed"),
        "actions_per_role": _per_role(team.timeline),
        "final": final,
    }
    if final:
        _settle(out)

    def of_cases(target: str, figure: str | None = None) -> dict[str, Any]:
        rows = [(c["id"], c[figure] if figure else None, c["status"][target]) for c in cases]
        return _summary(rows, targets[figure] if figure else None, "case")

    out["summary"] = {  # in the order the debrief shows them
        "answer": of_cases("answer", "answer_min"),
        "help": of_cases("help", "help_min"),
        "long_lie": _summary(
            [(i + 1, f["lie_min"], f["status"]) for i, f in enumerate(falls)],
            targets["long_lie_min"],
            "fall",
        ),
        "find": of_cases("find", "find_min"),
        "escalation": of_cases("escalation"),
        "documentation": of_cases("documentation"),
        "closure": of_cases("closure"),
        "punctuality": _summary(
            [(i + 1, v["late_min"], v["status"]) for i, v in enumerate(visits)],
            targets["visit_late_min"],
            "visit",
        ),
    }
    return out


def _summary(
    rows: list[tuple[int, float | None, Status]], target: float | None, what: str
) -> dict[str, Any]:
    """One target over its cases: how many met, missed, not yet, not applicable; its status
    (`overall`); and the worst case, of that status: one never measured before the longest
    measured (an alarm nobody answered is worse than a slow answer)."""
    tally: dict[str, Any] = {s: 0 for s in STATUSES}
    for _, _, state in rows:
        tally[state] += 1
    headline = overall([state for _, _, state in rows])
    worst = None
    same = [r for r in rows if r[2] == headline and headline != "not applicable"]
    if same:
        found = max(same, key=lambda r: (r[1] is None, r[1] or 0.0, -r[0]))
        worst = {what: found[0], "value_min": found[1], "status": found[2]}
    return {**tally, "target_min": target, "status": headline, "worst": worst}


def _settle(out: dict[str, Any]) -> None:
    """At the end of a run, every target still waiting is missed."""

    def settled(value: Status) -> Status:
        return "missed" if value == "not yet" else value

    for case in out["cases"]:
        case["status"] = {k: settled(v) for k, v in case["status"].items()}
    for fall in out["falls"]:
        fall["status"] = settled(fall["status"])
    for visit in out["visits"]:
        visit["status"] = settled(visit["status"])
    out["status"] = {k: settled(v) for k, v in out["status"].items()}


def _case(
    team: CareTeam,
    case: Case,
    now: float,
    targets: dict[str, float],
    show: Stamp,
    minutes: Callable[[float], float],
) -> dict[str, Any]:
    date = team.world.date
    answer = None if case.answered is None else minutes(case.answered - case.raised)
    help_ = None if case.on_site is None else minutes(case.on_site - case.raised)
    waited = (now - case.raised) / 60
    needs_help = (
        case.dispatched is not None
        or case.on_site is not None
        or case.situation in NEEDS_HELP
        or (case.situation is None and not case.closed)  # nobody found out: help is owed
    )
    help_status: Status = (
        status(help_, targets["help_min"], waited) if needs_help else "not applicable"
    )
    find, find_status = _find(team, case, targets["find_min"], waited, minutes)
    escalation = _escalation(team, case)
    joined = [c for c in team.cases if c.linked_to == case.id]
    return {
        "id": case.id,
        "device": case.device,
        "event_type": case.event_type,
        "joined": [
            {
                "case": c.id,
                "event_type": c.event_type,
                "device": c.device,
                "time": show(date(c.raised))[11:16],
            }
            for c in joined
        ],
        "sent": list(case.sent),
        "raised": show(date(case.raised)),
        "answered": None if case.answered is None else show(date(case.answered)),
        "answered_by": case.answered_by,
        "situation": case.situation,
        "dispatched": None if case.dispatched is None else show(date(case.dispatched)),
        "dispatched_by": case.dispatched_by,
        "on_site": None if case.on_site is None else show(date(case.on_site)),
        "on_site_role": case.on_site_role,
        "closed": None if case.closed_at is None else show(date(case.closed_at)),
        "closed_by": case.closed_by,
        "closed_early": case.closed_early,
        "false_alarm": case.false_alarm,
        "answer_min": answer,
        "help_min": help_,
        "find_min": find,
        "escalation": escalation,
        "status": {
            "answer": status(answer, targets["answer_min"], waited),
            "help": help_status,
            "find": find_status,
            "escalation": escalation["status"],
            "documentation": _documentation(team, case),
            "closure": _closure(case),
        },
    }


def _closure(case: Case) -> Status:
    """Whether the case was closed only once its situation was resolved: met when so,
    missed when closed early, not yet while open (missed if still open at the end)."""
    if not case.closed:
        return "not yet"
    return "missed" if case.closed_early else "met"


def _find(
    team: CareTeam, case: Case, target: float, waited: float, minutes: Callable[[float], float]
) -> tuple[float | None, Status]:
    """How long it took to find a resident who had gone out: from the alarm to the moment a
    searcher was with her (not applicable to any other situation)."""
    if case.situation != "gone_out":
        return None, "not applicable"
    found = next((t for t in team.found_at if t >= case.raised), None)
    value = None if found is None else minutes(found - case.raised)
    if value is None and not team.world.missing():  # home again alone: nobody found her
        return None, "missed"
    return value, status(value, target, waited)


RESPONSE_OF = {
    "dispatched": "dispatch_home_care",
    "called_paramedics": "dispatch_paramedics",
    "called_relative": "call_relative",
    "called_doctor": "call_doctor",
    "called_fire_service": "call_fire_service",
    "called_police": "call_police",
    "reminded": "remind",
}
"""The timeline's entries that are responses of the protocol (any urgency counts as the
paramedics called)."""


def _escalation(team: CareTeam, case: Case) -> dict[str, Any]:
    """Whether the alarm centre followed the protocol for the case's situation, in its
    order: its responses at once, then each timed step when it fell due, unless its
    condition had happened by then (found, help on site, resolved). Met once all that was
    due was done in order; missed when something due was left out or came out of order."""
    steps = getattr(team.settings.protocol, case.situation or "", None)
    talked = next(
        (
            float((a.ts - team.world.start).total_seconds())
            for a in team.timeline
            if a.action == "talked" and a.args.get("case") == case.id
        ),
        None,
    )
    if not steps or talked is None or case.linked_to is not None:
        return {"status": "not applicable", "expected": [], "done": []}
    expected: list[str] = []
    now = float(team.env.now)
    pending = False
    for step in steps:
        if isinstance(step, TimedStep):
            due = talked + step.after_min * 60
            if due > now:
                pending = pending or not case.closed
                continue
            if step.unless is not None and _held(team, case, step.unless, due):
                continue
            if case.closed_at is not None and case.closed_at <= due:
                continue
            responses: list[str] = list(step.do)
        else:
            responses = [str(step)]
        expected += [_base(r) for r in responses if r != "close"]
    done = [
        RESPONSE_OF[a.action]
        for a in team.timeline
        if a.role == "alarm_centre" and a.action in RESPONSE_OF and a.args.get("case") == case.id
    ]
    rest = iter(done)
    in_order = all(any(d == e for d in rest) for e in expected)
    state: Status = "met" if in_order else ("not yet" if not case.closed else "missed")
    if in_order and pending:
        state = "not yet"
    return {"status": state, "expected": expected, "done": done}


def _base(response: str) -> str:
    return "dispatch_paramedics" if response.startswith("dispatch_paramedics") else response


def _held(team: CareTeam, case: Case, condition: str, at: float) -> bool:
    """Whether a timed step's condition had happened by `at` (as the records tell)."""
    if condition == "found":
        return any(case.raised <= t <= at for t in team.found_at)
    if condition == "on_site":
        return case.on_site is not None and case.on_site <= at
    if condition == "resolved":
        return case.closed_at is not None and case.closed_at <= at
    return False


def _documentation(team: CareTeam, case: Case) -> Status:
    """Whether home care's record of its visit for the case carries what the scenario says
    it must (`care.documentation`); not applicable without such a list or such a visit."""
    required = set(team.settings.documentation)
    visits = [v for v in team.visits if v.case is case and v.role == "home_care"]
    if not required or not visits or not any(v.arrived is not None for v in visits):
        return "not applicable"
    records = [r for r in team.records if r.visit in visits]
    if any(required <= set(r.items) for r in records):
        return "met"
    return "missed" if all(v.done for v in visits) else "not yet"


def _visits(
    team: CareTeam,
    now: float,
    target: float,
    show: Stamp,
    minutes: Callable[[float], float],
) -> list[dict[str, Any]]:
    """Every routine visit as planned: when, when it came, how late, and its status."""
    out = []
    for v in team.visits:
        if v.planned is None:
            continue
        late = None if v.arrived is None else minutes(max(0.0, v.arrived - v.planned))
        out.append(
            {
                "planned": show(team.world.date(v.planned)),
                "arrived": None if v.arrived is None else show(team.world.date(v.arrived)),
                "tasks": list(v.tasks),
                "late_min": late,
                "status": status(late, target, (now - v.planned) / 60),
            }
        )
    return out


def _falls(
    team: CareTeam, truth: Sequence[Truth], target: float, show: Stamp
) -> list[dict[str, Any]]:
    """Every fall: from the moment the resident fell to the moment they were off the floor
    (helped up, treated, taken to hospital), or to now while they are still down."""
    now = team.world.now()
    ups = sorted(a.ts for a in team.timeline if a.action in GOT_UP)
    began = [
        t.ts for t in truth if t.kind == "activity" and t.value == "fall" and t.phase == "begin"
    ]
    ended = [t.ts for t in truth if t.kind == "activity" and t.value == "fall" and t.phase == "end"]
    out = []
    for start in began:
        ends = [t for t in ended if t >= start] + [t for t in ups if t >= start]
        end = min(ends, default=None)
        down = end is None and team.world.fallen
        lie_s = ((end or now) - start).total_seconds()
        lie = round(lie_s / 60, 1)
        state: Status = (
            ("missed" if lie > target else "not yet") if down else status(lie, target, lie)
        )
        out.append(
            {
                "began": show(start),
                "ended": None if end is None else show(end),
                "still_down": down,
                "lie_min": lie,
                "status": state,
            }
        )
    return out


def _per_role(timeline: list[CareAction]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for a in timeline:
        counts[a.role] = counts.get(a.role, 0) + 1
    return dict(sorted(counts.items()))


def tally_said(row: dict[str, Any]) -> Said:
    """A target's tally over its cases as a message: met, missed, not yet, not applicable."""
    return said(
        "kpi_tally",
        met=row["met"],
        missed=row["missed"],
        waiting=row["not yet"],
        na=row["not applicable"],
    )


def worst_said(row: dict[str, Any]) -> Said:
    """The worst of a target's cases (or falls) as a message, measured or not."""
    worst = row["worst"]
    if worst is None:
        return said("kpi_no_worst")
    if row["target_min"] is None:  # a target without a figure: which case, no more
        return said("kpi_worst_case_plain", case=worst.get("case"))
    kind = next(k for k in ("fall", "visit", "case") if k in worst)
    return said(
        f"kpi_worst_{kind}",
        case=worst.get("case"),
        fall=worst.get("fall"),
        visit=worst.get("visit"),
        value=worst["value_min"],
        measured=worst["value_min"] is not None,
    )
