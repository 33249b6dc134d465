"""What the care team keeps: alarm cases, visits to the home, and the timeline of actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mewet.contract import format_ts
from mewet.scenarios.care.settings import Situation, Urgency


@dataclass(frozen=True, slots=True)
class CareAction:
    """One thing a role did, when."""

    ts: datetime
    role: str
    action: str
    detail: str = ""
    by: str = "policy"

    def as_json(self) -> dict[str, str]:
        """The record as written to care.jsonl."""
        return {
            "ts": format_ts(self.ts),
            "role": self.role,
            "action": self.action,
            "detail": self.detail,
            "by": self.by,
        }


@dataclass
class Case:
    """One alarm at the alarm centre, from raised to closed."""

    id: int
    device: str
    event_type: str
    raised: float
    answered: float | None = None
    answered_by: str | None = None
    situation: Situation | None = None
    dispatched: float | None = None
    """When help was first sent (home care, an ambulance)."""
    dispatched_by: str | None = None
    on_site: float | None = None
    """When the first help sent for this case reached the front door."""
    on_site_role: str | None = None
    closed: bool = False
    closed_at: float | None = None
    closed_by: str | None = None
    false_alarm: bool = False

    def public(self) -> dict[str, Any]:
        """What an operator sees of the case."""
        return {
            "id": self.id,
            "device": self.device,
            "event_type": self.event_type,
            "raised_s": self.raised,
            "answered": self.answered is not None,
            "situation": self.situation,
            "closed": self.closed,
        }


@dataclass
class Visit:
    """One trip of a visiting role to the home."""

    role: str
    reason: str
    dispatched: float
    eta: float
    case: Case | None = None
    urgency: Urgency | None = None
    arrived: float | None = None
    inside: bool = False
    done: bool = False
