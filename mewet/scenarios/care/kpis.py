"""The run's KPIs, measured from what the care team did and from the ground truth."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mewet.scenarios.care.records import CareAction
from mewet.scenarios.care.team import CareTeam
from mewet.scenarios.truth import Truth


def kpis(team: CareTeam, truth: Sequence[Truth], missed_doses: int) -> dict[str, Any]:
    """The run's KPIs against the scenario's targets."""
    s = team.settings
    falls = [t for t in truth if t.kind == "activity" and t.value == "fall"]
    lies = []
    for begin, finish in zip(falls[::2], falls[1::2], strict=False):
        lies.append((finish.ts - begin.ts).total_seconds() / 60)
    answers = [c.answered - c.raised for c in team.cases if c.answered is not None]
    helps = [
        v.arrived - v.case.raised
        for v in team.visits
        if v.case is not None and v.arrived is not None and v.role in ("home_care", "paramedic")
    ]
    answer = max(answers, default=None)
    help_ = max(helps, default=None)
    long_lie = max(lies, default=None)

    def minutes(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds / 60, 1)

    out: dict[str, Any] = {
        "alarms_answered": len(answers),
        "alarms_unanswered": len(team.cases) - len(answers),
        "time_to_answer_max_min": minutes(answer),
        "time_to_help_max_min": minutes(help_),
        "long_lie_max_min": None if long_lie is None else round(long_lie, 1),
        "missed_doses": missed_doses,
        "false_alarms_handled": team.false_alarms,
        "paramedics_called": sum(1 for v in team.visits if v.role == "paramedic"),
        "conveyed_to_hospital": sum(1 for a in team.timeline if a.action == "conveyed"),
        "actions_per_role": _per_role(team.timeline),
        "targets": {
            "answer_min": s.targets.answer_min,
            "help_min": s.help_target(),
            "long_lie_min": s.targets.long_lie_min,
        },
    }
    out["met"] = {
        "answer": answer is None or answer / 60 <= s.targets.answer_min,
        "help": help_ is None or help_ / 60 <= s.help_target(),
        "long_lie": long_lie is None or long_lie < s.targets.long_lie_min,
    }
    return out


def _per_role(timeline: list[CareAction]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for a in timeline:
        counts[a.role] = counts.get(a.role, 0) + 1
    return dict(sorted(counts.items()))
