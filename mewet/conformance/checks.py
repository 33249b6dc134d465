"""The conformance checks: each turns a run's record into a verdict with its evidence.

Every check has an id, a title, the clause of the contract it tests (a section of
`docs/contract.md`) and a verdict: `pass`, `fail`, `not_applicable` (the device declares
nothing it applies to, or the run did not include that step) or `inconclusive` (the run saw
too little to say). Evidence is the messages and times that decided it, a few lines each.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise

from pydantic import BaseModel, ValidationError

from mewet.conformance.commanded import (
    answered,
    back_online,
    backoff,
    bad_argument,
    repeat,
    session,
    unknown,
    will,
)
from mewet.conformance.evidence import Verdict, line
from mewet.conformance.hints import HINTS
from mewet.conformance.run import Envelope, Record, Seen, stamp
from mewet.contract import MAX_PAYLOAD_BYTES, MAX_SKEW_S, Event, Kind, Meta, State, Telemetry
from mewet.ingest.decode import explain

EVIDENCE_SHOWN = 10
SILENT_PERIODS = 3
"""A declared channel not heard in this many of its periods (all watched) fails."""
RATE_TOLERANCE = 0.25
"""A channel's median reporting period may be this far (as a share) from its `rate_s`."""
CONTRACT = "docs/contract.md"
MODELS: dict[Kind, type[BaseModel]] = {
    Kind.TELEMETRY: Telemetry,
    Kind.EVENT: Event,
    Kind.META: Meta,
    Kind.STATE: State,
}


@dataclass
class Outcome:
    """One check's verdict and what it rests on."""

    id: str
    title: str
    clause: str
    verdict: Verdict
    evidence: list[str] = field(default_factory=list)
    hint: str = ""
    """How to fix the device, when the check failed."""

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "clause": self.clause,
            "verdict": self.verdict,
            "evidence": self.evidence,
            "hint": self.hint,
        }


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    title: str
    clause: str
    judge: Callable[[Record], tuple[Verdict, list[str]]]


def _retained(
    kind: Kind, validate: Callable[[bytes], object]
) -> Callable[[Record], tuple[Verdict, list[str]]]:
    def judge(record: Record) -> tuple[Verdict, list[str]]:
        found = record.retained_at_connect.get(kind)
        if found is None:
            return "fail", [
                f"no retained {kind.value} on {record.home}/{record.device}/{kind.value}"
            ]
        try:
            validate(found.payload)
        except (ValidationError, ValueError) as exc:
            why = explain(exc) if isinstance(exc, ValidationError) else str(exc)
            return "fail", [line(found, why)]
        return "pass", [line(found)]

    return judge


def _status(payload: bytes) -> None:
    if payload != b"online":
        raise ValueError(f"status is {payload[:20].decode('utf-8', 'replace')!r}, not 'online'")


def _valid(record: Record) -> tuple[Verdict, list[str]]:
    bad = []
    for s in record.live():
        model = MODELS.get(s.kind) if s.kind is not None else None
        if s.size > MAX_PAYLOAD_BYTES:
            bad.append(line(s, f"{s.size} bytes, over {MAX_PAYLOAD_BYTES}"))
        elif s.kind is Kind.STATUS and s.payload not in (b"online", b"offline"):
            bad.append(line(s, "status must be online or offline"))
        elif s.kind is None:
            bad.append(line(s, "not a topic of the contract"))
        elif model is not None:
            try:
                model.model_validate_json(s.payload)
            except ValidationError as exc:
                bad.append(line(s, explain(exc)))
            except ValueError as exc:
                bad.append(line(s, str(exc)))
    if bad:
        return "fail", bad
    count = sum(s.kind is not Kind.CMD for s in record.live())
    return (
        ("pass", [f"{count} messages, all valid"]) if count else ("inconclusive", ["no messages"])
    )


def _seqs(record: Record) -> list[tuple[Seen, int]]:
    """Every telemetry or event message with a whole-number seq, valid or not: a message that
    breaks another rule still took its number (skipping it would show a gap that is not
    there)."""
    out = []
    for s in record.live():
        if s.kind not in (Kind.TELEMETRY, Kind.EVENT):
            continue
        try:
            body = json.loads(s.payload)
        except ValueError:
            continue
        seq = body.get("seq") if isinstance(body, dict) else None
        if isinstance(seq, int) and not isinstance(seq, bool):
            out.append((s, seq))
    return out


def _seq(record: Record) -> tuple[Verdict, list[str]]:
    found = _seqs(record)
    if len(found) < 2:
        return "inconclusive", [f"{len(found)} telemetry or event messages: too few to follow seq"]
    wrong = [
        line(b, f"seq {m} after {n}") for (_, n), (b, m) in pairwise(found) if m not in (n + 1, 0)
    ]
    first, last = found[0][1], found[-1][1]
    return ("fail", wrong) if wrong else ("pass", [f"seq {first} to {last}, +1 each"])


def _live(record: Record) -> tuple[Verdict, list[str]]:
    """A device is a process that sends: retained messages alone (left by a device that is
    gone) are not one."""
    sent = [s for s in record.live() if s.kind in (Kind.TELEMETRY, Kind.EVENT)]
    if not sent:
        return "fail", [
            f"no telemetry or event in the {record.watch_s:g} s watched: only what the broker "
            "kept (retained) was there, which any device that is gone leaves behind"
        ]
    return "pass", [f"{len(sent)} telemetry and event messages in {record.watch_s:g} s"]


def _not_retained(record: Record) -> tuple[Verdict, list[str]]:
    """Readings and events are news of a moment: retained, the broker replays a stale one to
    every new subscriber as if it were new."""
    kept = [
        line(s, f"{s.kind.value} is retained: publish it with retain=false")
        for s in record.seen
        if s.retained and s.kind in (Kind.TELEMETRY, Kind.EVENT)
    ]
    if kept:
        return "fail", kept
    return "pass", ["no retained telemetry or event on the device's topics"]


def _ids(record: Record) -> tuple[Verdict, list[str]]:
    first: dict[str, Envelope] = {}
    wrong = []
    for e in record.envelopes():
        was = first.setdefault(e.id, e)
        if was is not e and (was.seq, was.seen.payload) != (e.seq, e.seen.payload):
            wrong.append(line(e.seen, f"id {e.id!r} already used by seq {was.seq}"))
    if not first:
        return "inconclusive", ["no telemetry or events"]
    return ("fail", wrong) if wrong else ("pass", [f"{len(first)} ids, none reused"])


def _skew(record: Record) -> tuple[Verdict, list[str]]:
    limit = timedelta(seconds=MAX_SKEW_S)
    env = record.envelopes()
    wrong = [
        line(e.seen, f"ts {stamp(e.ts)} is {abs(e.ts - e.seen.at).total_seconds():.0f} s off")
        for e in env
        if abs(e.ts - e.seen.at) > limit
    ]
    if not env:
        return "inconclusive", ["no telemetry or events"]
    worst = max(abs(e.ts - e.seen.at).total_seconds() for e in env)
    ok = f"largest difference {worst:.1f} s (allowed {MAX_SKEW_S:g} s)"
    return ("fail", wrong) if wrong else ("pass", [ok])


def _monotonic(record: Record) -> tuple[Verdict, list[str]]:
    env = record.envelopes()
    wrong = [
        line(b.seen, f"ts {stamp(b.ts)} before the previous {stamp(a.ts)}")
        for a, b in pairwise(env)
        if b.ts < a.ts and b.seq != 0
    ]
    if len(env) < 2:
        return "inconclusive", ["too few telemetry or event messages"]
    return ("fail", wrong) if wrong else ("pass", [f"{len(env)} messages in time order"])


def _channels(record: Record) -> tuple[Verdict, list[str]]:
    meta = record.meta()
    if meta is None:
        return "inconclusive", ["no valid meta: nothing declared to compare with"]
    declared = {c.name: c for c in meta.channels}
    wrong, values = [], 0
    for e in record.envelopes():
        if not isinstance(e.body, Telemetry):
            continue
        for name, value in e.body.data.items():
            values += 1
            c = declared.get(name)
            if c is None:
                wrong.append(line(e.seen, f"channel {name!r} not declared"))
            elif (c.min is not None and value < c.min) or (c.max is not None and value > c.max):
                wrong.append(line(e.seen, f"{name} = {value:g} outside {c.min}..{c.max}"))
    if not values:
        verdict: Verdict = "not_applicable" if not declared else "inconclusive"
        return verdict, ["no telemetry seen"]
    return ("fail", wrong) if wrong else ("pass", [f"{values} values, all declared and in range"])


def _events(record: Record) -> tuple[Verdict, list[str]]:
    meta = record.meta()
    if meta is None:
        return "inconclusive", ["no valid meta: nothing declared to compare with"]
    own = {"command_result", "battery_low"}
    wrong, count = [], 0
    for e in record.envelopes():
        if isinstance(e.body, Event):
            count += 1
            if e.body.event_type not in meta.events and e.body.event_type not in own:
                declared = ", ".join(meta.events) or "none"
                wrong.append(line(e.seen, f"{e.body.event_type!r} not declared ({declared})"))
    if not count:
        return "not_applicable", ["no events seen"]
    return ("fail", wrong) if wrong else ("pass", [f"{count} events, all declared"])


def _period(record: Record) -> tuple[Verdict, list[str]]:
    meta = record.meta()
    rated = [c for c in (meta.channels if meta else []) if c.rate_s is not None]
    if not rated:
        return "not_applicable", ["no channel declares a reporting period (rate_s)"]
    verdicts: list[Verdict] = []
    evidence = []
    for c in rated:
        times = [
            e.ts
            for e in record.envelopes()
            if isinstance(e.body, Telemetry) and c.name in e.body.data
        ]
        gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
        assert c.rate_s is not None
        if not times and record.watch_s >= SILENT_PERIODS * c.rate_s:
            verdicts.append("fail")
            evidence.append(
                f"{c.name}: declared every {c.rate_s:g} s, not one reading in the "
                f"{record.watch_s:g} s watched"
            )
            continue
        if len(gaps) < 3:
            verdicts.append("inconclusive")
            evidence.append(f"{c.name}: {len(times)} readings, too few for its {c.rate_s:g} s")
            continue
        median = statistics.median(gaps)
        off = abs(median - c.rate_s) / c.rate_s
        verdicts.append("pass" if off <= RATE_TOLERANCE else "fail")
        evidence.append(
            f"{c.name}: median {median:.2f} s between {len(times)} readings, declared "
            f"{c.rate_s:g} s ({off:.0%} off, allowed {RATE_TOLERANCE:.0%})"
        )
    verdict: Verdict = (
        "fail" if "fail" in verdicts else "inconclusive" if "inconclusive" in verdicts else "pass"
    )
    return verdict, evidence


CHECKS: tuple[Check, ...] = (
    Check(
        "status-online",
        "Retained status is online while connected",
        f"{CONTRACT}#topics",
        _retained(Kind.STATUS, _status),
    ),
    Check(
        "meta-valid",
        "Retained meta is present and valid",
        f"{CONTRACT}#topics",
        _retained(Kind.META, Meta.model_validate_json),
    ),
    Check(
        "state-valid",
        "Retained state is present and valid",
        f"{CONTRACT}#topics",
        _retained(Kind.STATE, State.model_validate_json),
    ),
    Check(
        "live-messages",
        "The device sends telemetry or events while watched",
        f"{CONTRACT}#topics",
        _live,
    ),
    Check(
        "readings-not-retained",
        "Telemetry and events are not retained",
        f"{CONTRACT}#topics",
        _not_retained,
    ),
    Check("payloads-valid", "Every message keeps the contract", f"{CONTRACT}#envelopes", _valid),
    Check("seq-by-one", "seq rises by one per message", f"{CONTRACT}#envelopes", _seq),
    Check("ids-unique", "Message ids are not reused", f"{CONTRACT}#envelopes", _ids),
    Check(
        "ts-skew",
        "ts is within the allowed skew of the lab's clock",
        f"{CONTRACT}#declared-vs-sent-deviations",
        _skew,
    ),
    Check("ts-monotonic", "ts never goes back", f"{CONTRACT}#envelopes", _monotonic),
    Check(
        "channels-declared",
        "Every channel is declared, values within min/max",
        f"{CONTRACT}#declared-vs-sent-deviations",
        _channels,
    ),
    Check(
        "events-declared",
        "Every event type is declared",
        f"{CONTRACT}#declared-vs-sent-deviations",
        _events,
    ),
    Check(
        "reporting-period",
        "Channels report at their declared rate_s",
        f"{CONTRACT}#topics",
        _period,
    ),
    Check(
        "commands-answered",
        "Every declared command is answered with a matching command_result",
        f"{CONTRACT}#envelopes",
        answered,
    ),
    Check(
        "command-redelivered",
        "A command delivered twice (same id) is handled",
        f"{CONTRACT}#envelopes",
        repeat,
    ),
    Check(
        "unknown-command-refused",
        "A command the device does not declare is answered with ok false",
        f"{CONTRACT}#envelopes",
        unknown,
    ),
    Check(
        "bad-argument-refused",
        "A command with an argument it does not take is answered with ok false",
        f"{CONTRACT}#envelopes",
        bad_argument,
    ),
    Check(
        "last-will",
        "The Last Will marks the device offline when its connection drops",
        f"{CONTRACT}#topics",
        will,
    ),
    Check(
        "back-online",
        "Born again after reconnecting: status online, meta and state",
        f"{CONTRACT}#topics",
        back_online,
    ),
    Check(
        "reconnect-backoff",
        "Reconnects back off while the lab is away",
        f"{CONTRACT}#topics",
        backoff,
    ),
    Check(
        "persistent-session",
        "A command sent while offline is answered after reconnecting",
        f"{CONTRACT}#topics",
        session,
    ),
)


def judge(record: Record) -> list[Outcome]:
    """Every check's outcome on a run's record."""
    out = []
    for check in CHECKS:
        verdict, evidence = check.judge(record)
        shown = evidence[:EVIDENCE_SHOWN]
        if len(evidence) > EVIDENCE_SHOWN:
            shown.append(f"… and {len(evidence) - EVIDENCE_SHOWN} more")
        hint = HINTS.get(check.id, "") if verdict == "fail" else ""
        out.append(Outcome(check.id, check.title, check.clause, verdict, shown, hint))
    return out
