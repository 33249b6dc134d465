"""The checks of what the run did to the device: the commands it sent (declared ones, one
again with the same id, one the device does not declare, one with an argument it does not
take) and, with an operator, the plug it pulled and put back."""

from __future__ import annotations

import itertools
import json

from mewet.conformance.evidence import Verdict, line
from mewet.conformance.run import (
    BAD_ARGUMENT,
    BIRTH,
    Record,
    Seen,
    Sent,
    born_again,
    result_ref,
    stamp,
)
from mewet.contract import Kind


def _results(record: Record, purpose: str) -> list[tuple[str, str, Seen | None]]:
    """(command, id, its first result or None) for the commands sent for `purpose`."""
    out = []
    for sent in (c for c in record.sent if c.purpose == purpose):
        answer = next(
            (s for s in record.live() if s.at >= sent.at and result_ref(s) == sent.id), None
        )
        out.append((sent.name, sent.id, answer))
    return out


def answered(record: Record) -> tuple[Verdict, list[str]]:
    found = _results(record, "declared")
    if not found:
        return "not_applicable", ["the device declares no commands"]
    evidence, verdict = [], "pass"
    limit = record.answer_s
    for name, cid, answer in found:
        sent = next(c for c in record.sent if c.id == cid)
        if answer is None:
            verdict = "fail"
            evidence.append(f"{stamp(sent.at)} sent {name} ({cid}): " + _unmatched(record, sent))
            continue
        ok = _ok(answer)
        late = (answer.at - sent.at).total_seconds()
        evidence.append(f"{name}: answered in {late:.2f} s (limit {limit:g} s), ok={ok}")
        if late > limit:
            verdict = "fail"
            evidence[-1] += f" → {late - limit:.2f} s over the limit"
        if not isinstance(ok, bool):
            verdict = "fail"
            evidence[-1] += " → ok must be true or false"
    return verdict, evidence  # type: ignore[return-value]


def _unmatched(record: Record, sent: Sent) -> str:
    """Why a command has no answer: none came, or one came whose `ref` names no command."""
    ours = {c.id for c in record.sent}
    strays = [
        s
        for s in record.live()
        if s.at >= sent.at and (ref := result_ref(s)) is not None and ref not in ours
    ]
    if strays:
        ref = result_ref(strays[0])
        return (
            f"a command_result came {stamp(strays[0].at)} with ref {ref!r}, which names no "
            f"command sent: its ref must be the command's id {sent.id!r}"
        )
    return f"no command_result within {record.answer_s:g} s"


def _ok(s: Seen) -> object:
    body = json.loads(s.payload)
    return body.get("data", {}).get("ok")


def repeat(record: Record) -> tuple[Verdict, list[str]]:
    found = _results(record, "repeat")
    if not found:
        return "not_applicable", ["the device declares no commands"]
    [(name, cid, answer)] = found
    if answer is None:
        return "fail", [f"{name} sent again with the same id {cid}: no command_result"]
    again = next(c for c in record.sent if c.purpose == "repeat")
    after = [s for s in record.live() if s.at > answer.at and s.kind is Kind.TELEMETRY]
    return "pass", [
        f"{name} sent again with the same id: answered "
        f"{(answer.at - again.at).total_seconds():.2f} s later; {len(after)} readings since"
    ]


def unknown(record: Record) -> tuple[Verdict, list[str]]:
    """A command the device does not declare is answered, and refused (ok false)."""
    return _refused(record, "unknown", "which it does not declare", "a command it does not declare")


def _refused(record: Record, purpose: str, why: str, what: str) -> tuple[Verdict, list[str]]:
    """A command sent to be refused (`purpose`) was answered, with ok false."""
    found = _results(record, purpose)
    if not found:
        return "not_applicable", ["the device declares no commands (it need not listen)"]
    [(name, cid, answer)] = found
    if answer is None:
        sent = next(c for c in record.sent if c.id == cid)
        return "fail", [f"{stamp(sent.at)} sent {name} ({cid}), {why}: " + _unmatched(record, sent)]
    ok = _ok(answer)
    if ok is not False:
        return "fail", [line(answer, f"ok={ok} for {what}: ok must be false")]
    return "pass", [line(answer, f"{name} refused, ok=false")]


def will(record: Record) -> tuple[Verdict, list[str]]:
    if record.unplugged_at is None:
        return "not_applicable", ["not tested: run with an operator to pull the plug (--unplug)"]
    offline = next(
        (
            s
            for s in record.seen
            if s.kind is Kind.STATUS and s.payload == b"offline" and s.at >= record.unplugged_at
        ),
        None,
    )
    if offline is None:
        return "fail", [f"{stamp(record.unplugged_at)} plug pulled: status never went offline"]
    waited = (offline.at - record.unplugged_at).total_seconds()
    came = f"plug pulled {stamp(record.unplugged_at)}; offline {waited:.1f} s later"
    kept = record.will_kept
    if record.will_looked and (kept is None or kept.payload != b"offline"):
        now = "nothing" if kept is None else repr(kept.text(20))
        return "fail", [
            came,
            f"but not retained: a new subscriber then got {now} on status, so a page opened "
            "later thinks the device is there (set the Will's retain flag)",
        ]
    return "pass", [came + ", retained"]


def session(record: Record) -> tuple[Verdict, list[str]]:
    found = _results(record, "while_offline")
    if record.replugged_at is None or not found:
        why = "not tested: needs commands, and an operator to unplug and replug (--unplug)"
        return "not_applicable", [why]
    [(name, cid, answer)] = found
    if answer is None:
        return "fail", [f"{name} ({cid}) sent while offline: never answered after reconnecting"]
    late = (answer.at - record.replugged_at).total_seconds()
    return "pass", [f"{name} sent while offline; answered {late:.1f} s after replugging"]


def back_online(record: Record) -> tuple[Verdict, list[str]]:
    """Plugged back in, the device is born again: status online (its Will said offline),
    meta and state, as on every connect."""
    since = record.replugged_at
    if since is None:
        return "not_applicable", [
            "not tested: run with an operator to unplug and replug (--unplug)"
        ]
    found = born_again(record, since)
    names = {Kind.STATUS: "online"}
    said = ", ".join(
        f"{names.get(kind, kind.value)} {(s.at - since).total_seconds():.1f} s"
        for kind, s in found.items()
    )
    missing = [k.value for k in BIRTH if k not in found]
    came = f"{stamp(since)} plugged back in" + (f"; {said} later" if said else "")
    if Kind.STATUS not in found:
        return "fail", [f"{came}: status stayed offline (it never said online again)"]
    if missing:
        return "fail", [f"{came}: never published {' and '.join(missing)} again"]
    return "pass", [came]


TIGHT_S = 0.5
"""Tries closer together than this are a tight loop."""
UNHURRIED_S = 5.0
"""Tries this far apart need not grow further."""
AT_THE_DOOR = (
    "not tested: the lab pulls the plug at its devices' door (a run through the API of a "
    "secured lab, with unplug)"
)


def backoff(record: Record) -> tuple[Verdict, list[str]]:
    """With the plug out, the device tries to reconnect at growing intervals (or unhurried
    ones), never in a tight loop: a lab, or a broker coming back, is not hammered."""
    out, back = record.unplugged_at, record.replugged_at
    if record.attempts is None or out is None or back is None:
        return "not_applicable", [AT_THE_DOOR]
    refused = [at for at, ok in record.attempts if at >= out and not ok]
    admitted = next((at for at, ok in record.attempts if ok and at >= back), None)
    tries = refused + ([admitted] if admitted is not None else [])
    said = f"plug out {(back - out).total_seconds():.0f} s: {len(refused)} reconnects refused"
    said += ", then let in" if admitted is not None else ", none let in after"
    if len(tries) < 3:
        return "inconclusive", [f"{said}: too few tries to see how it backs off"]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(tries)]
    said += "; tries " + ", ".join(f"{g:.1f}" for g in gaps) + " s apart"
    if min(gaps) < TIGHT_S:
        return "fail", [said, f"tries again within {min(gaps):.2f} s: a tight loop"]
    if gaps[-1] >= 1.5 * gaps[0] or min(gaps) >= UNHURRIED_S:
        return "pass", [said]
    return "fail", [said, "the pause between tries never grows"]


def bad_argument(record: Record) -> tuple[Verdict, list[str]]:
    """A declared command with an argument it does not take is answered, and refused."""
    why = f"with an argument no command takes ({BAD_ARGUMENT})"
    return _refused(record, "bad_argument", why, f"a command {why}")
