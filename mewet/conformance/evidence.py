"""What every check gives: a verdict, and lines of evidence naming the messages that decided it."""

from __future__ import annotations

from typing import Literal

from mewet.conformance.run import Seen, stamp

Verdict = Literal["pass", "fail", "not_applicable", "inconclusive"]


def line(s: Seen, why: str = "") -> str:
    """A message as evidence: when it came, its kind, its start, and why it counts."""
    kind = s.kind.value if s.kind else "?"
    return f"{stamp(s.at)} {kind}: {s.text(120)}" + (f" → {why}" if why else "")
