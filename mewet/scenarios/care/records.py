"""What the care team keeps: alarm cases, visits to the home, and the timeline of actions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mewet.contract import format_ts
from mewet.scenarios.care.settings import Situation, Urgency
from mewet.texts import Arg, Said


@dataclass(frozen=True, slots=True)
class CareAction:
    """One thing a role did, when: the action's id and its values (the case, the minutes
    away, what was found), said in words only where it is shown."""

    ts: datetime
    role: str
    action: str
    args: Mapping[str, Arg] = field(default_factory=dict)
    by: str = "policy"

    @property
    def said(self) -> Said:
        """The entry as a message: its action is the id (the catalogues' `said` section)."""
        return Said(self.action, self.args)

    @property
    def detail(self) -> str:
        """The entry in English words (logs, care.jsonl)."""
        return str(self.said)

    def as_json(self) -> dict[str, Any]:
        """The record as written to care.jsonl: the message, and its English words."""
        return {
            "ts": format_ts(self.ts),
            "role": self.role,
            "action": self.action,
            "said": self.said.as_json(),
            "detail": self.detail,
            "by": self.by,
        }


@dataclass
class Case:
    """One alarm case at the alarm centre, from raised to closed: an incident, not an alarm.
    Further alarms of the same incident join it (`linked`) instead of counting as cases."""

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
    closed_early: bool = False
    """Closed while its situation was not resolved (someone still out, on the floor, help
    still at work): a student may, and the debrief says so."""
    sent: list[str] = field(default_factory=list)
    """Who was sent to help (home care, paramedics, the fire service), in order."""
    linked_to: int | None = None
    """The case this alarm joined: it belongs to that incident and is not a case of its own."""
    linked: list[int] = field(default_factory=list)
    """The alarms (their case numbers) that joined this case."""

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
            "false_alarm": self.false_alarm,
            "closed_early": self.closed_early,
            "on_site": self.on_site is not None,
            "linked_to": self.linked_to,
            "linked": list(self.linked),
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
    planned: float | None = None
    """When a routine visit was planned for (sim seconds): its punctuality is measured."""
    tasks: tuple[str, ...] = ()
    """What a routine visit is for (insulin, medication, meal, snack, wash)."""
    door_found: str | None = None
    """How the visitor found the front door: locked, unlocked or open."""


@dataclass(frozen=True, slots=True)
class Record:
    """A visit's record (kirjaus): when, by whom, of which visit, with which items."""

    t: float
    role: str
    visit: Visit
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Measurement:
    """What a role measured of the resident, when: the instruments' readings (NEWS2 with a
    full set)."""

    t: float
    role: str
    values: dict[str, float | str]
