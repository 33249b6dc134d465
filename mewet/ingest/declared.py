"""Declared vs sent: where a device's valid messages differ from what it declared.

A message that keeps the contract's shape is stored whatever it says; but a company testing
its device needs to know where the device strays from its own `meta` or from the rules
between messages. Each such place becomes a `Deviation` record beside the message (never
instead of it), so nothing is lost and ingest is never blocked:

- `no_meta`: telemetry or an event from a device that has not sent its `meta`;
- `undeclared_channel`, `undeclared_event`: a channel or event type missing from its `meta`
  (`command_result` and `battery_low` are the contract's own and always allowed);
- `out_of_range`: a value outside the channel's declared `min`/`max`;
- `ts_skew`: a `ts` further than `MAX_SKEW_S` from the lab's clock on arrival (not for
  the lab's own devices, `LAB_DEVICES`, on a simulated or recorded clock);
- `id_reused`: a message id the device used before, with a different seq or content (the
  second is not stored: the first keeps the id);
- `bad_result`: a `command_result` without a `ref` or with an `ok` that is not true/false;
- `unmatched_result`: a `command_result` whose `ref` names no command the lab sent the
  device since ingest started (not for the lab's own devices, which the engine also commands
  from inside).

Units cannot be checked on arrival: telemetry carries numbers, and its unit is the one
declared by definition.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

from mewet.contract import LAB_DEVICES, MAX_SKEW_S, Meta
from mewet.store.base import Deviation, DeviationKind, EventRecord, TelemetryRecord

Key = tuple[str, str]
CONTRACT_EVENTS = frozenset({"command_result", "battery_low"})
COMMANDS_KEPT = 50_000
RESULT_GRACE = timedelta(minutes=2)
"""Results dated this soon after ingest started may answer commands sent before it."""


class Declared:
    """What each device declared (its last `meta`), the commands the lab sent, and the
    checks of every valid message against them."""

    def __init__(
        self,
        started: datetime,
        max_skew_s: float = MAX_SKEW_S,
        *,
        metas: dict[Key, Meta] | None = None,
        types: dict[Key, str] | None = None,
        match_results: bool = True,
    ) -> None:
        self.started = started
        self.match_results = match_results
        self.max_skew = timedelta(seconds=max_skew_s)
        self.metas = {} if metas is None else metas
        """Each device's last `meta` (the decoder's, as it learns them)."""
        self.types = {} if types is None else types
        """Device types known from a `meta`, this ingest's or one the store kept from before."""
        self.commands: OrderedDict[tuple[str, str, str], None] = OrderedDict()

    def command(self, home: str, device: str, command_id: str) -> None:
        """A command the lab sent the device (ingest reads the `cmd` topics too)."""
        self.commands[(home, device, command_id)] = None
        while len(self.commands) > COMMANDS_KEPT:
            self.commands.popitem(last=False)

    def check(self, r: TelemetryRecord | EventRecord, now: datetime) -> list[Deviation]:
        """The deviations of one valid, new message (none for a conforming one)."""
        key = (r.home, r.device)
        meta = self.metas.get(key)
        found: list[tuple[DeviationKind, str]] = []
        if meta is None and key not in self.types:
            found.append(("no_meta", "no meta from this device yet: its messages have no type"))
        lab = meta is not None and meta.manufacturer in LAB_DEVICES
        if meta is not None and not lab:
            skew = r.ts - now
            if abs(skew) > self.max_skew:
                way = "ahead of" if skew > timedelta(0) else "behind"
                found.append(
                    (
                        "ts_skew",
                        f"ts {r.ts.isoformat()} is {_span(abs(skew))} {way} the lab's clock",
                    )
                )
        if isinstance(r, TelemetryRecord):
            if meta is not None:
                found += _channels(meta, r)
        else:
            own = r.event_type in CONTRACT_EVENTS
            if meta is not None and not own and r.event_type not in meta.events:
                declared = ", ".join(meta.events) or "none"
                found.append(("undeclared_event", f"event {r.event_type!r} (declared: {declared})"))
            if r.event_type == "command_result":
                found += self._result(r, matched=self.match_results and not lab)
        return [Deviation(now, r.home, r.device, kind, why, r.msg_id) for kind, why in found]

    def _result(self, r: EventRecord, matched: bool) -> list[tuple[DeviationKind, str]]:
        ref, ok = r.data.get("ref"), r.data.get("ok")
        found: list[tuple[DeviationKind, str]] = []
        if not isinstance(ok, bool):
            found.append(("bad_result", f"command_result: ok must be true or false, not {ok!r}"))
        if not isinstance(ref, str) or not ref:
            found.append(("bad_result", "command_result without the command's id in `ref`"))
        elif (
            matched
            and (r.home, r.device, ref) not in self.commands
            and r.ts > self.started + RESULT_GRACE
        ):
            found.append(("unmatched_result", f"command_result for {ref!r}: no such command sent"))
        return found


def _channels(meta: Meta, r: TelemetryRecord) -> list[tuple[DeviationKind, str]]:
    declared = {c.name: c for c in meta.channels}
    found: list[tuple[DeviationKind, str]] = []
    for name, value in r.data.items():
        channel = declared.get(name)
        if channel is None:
            known = ", ".join(declared) or "none"
            found.append(("undeclared_channel", f"channel {name!r} (declared: {known})"))
        elif (channel.min is not None and value < channel.min) or (
            channel.max is not None and value > channel.max
        ):
            bounds = f"{_bound(channel.min)}..{_bound(channel.max)}"
            found.append(("out_of_range", f"{name} = {value:g} {channel.unit} outside {bounds}"))
    return found


def _bound(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 3600:
        return f"{seconds:.0f} s"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"
