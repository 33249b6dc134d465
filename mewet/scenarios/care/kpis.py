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
    }

    def minutes(seconds: float) -> float:
        return round(seconds / 60, 1)

    cases = []
    for case in team.cases:
        if case.linked_to is None:
            cases.append(_case(team, case, now, targets, show, minutes))
    falls = _falls(team, truth, targets["long_lie_min"], show)
    answered = [c for c in cases if c["answer_min"] is not None]
    helped = [c for c in cases if c["help_min"] is not None]
    lies = [f for f in falls if f["lie_min"] is not None]
    out: dict[str, Any] = {
        "cases": cases,
        "falls": falls,
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
    out["summary"] = {
        "answer": _summary(
            [(c["id"], c["answer_min"], c["status"]["answer"]) for c in out["cases"]],
            targets["answer_min"],
            "case",
        ),
        "help": _summary(
            [(c["id"], c["help_min"], c["status"]["help"]) for c in out["cases"]],
            targets["help_min"],
            "case",
        ),
        "long_lie": _summary(
            [(i + 1, f["lie_min"], f["status"]) for i, f in enumerate(out["falls"])],
            targets["long_lie_min"],
            "fall",
        ),
    }
    return out


def _summary(
    rows: list[tuple[int, float | None, Status]], target: float, what: str
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
        "false_alarm": case.false_alarm,
        "answer_min": answer,
        "help_min": help_,
        "status": {"answer": status(answer, targets["answer_min"], waited), "help": help_status},
    }


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
    return said(
        "kpi_worst_fall" if "fall" in worst else "kpi_worst_case",
        case=worst.get("case"),
        fall=worst.get("fall"),
        value=worst["value_min"],
        measured=worst["value_min"] is not None,
    )
