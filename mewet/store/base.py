"""What the lab keeps: the record types, the `Store` protocol, and how to open a store by URL.

Records are what ingest makes of valid messages (and of invalid ones: dead letters). Every
record is keyed so that writing it twice leaves one copy: telemetry and events by the
message id, device state by the device, dead letters by their arrival.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, get_args

from mewet.config import StoreUrl

Aggregate = Literal["mean", "min", "max", "count", "last"]
AGGREGATES: tuple[Aggregate, ...] = ("mean", "min", "max", "count", "last")


def to_ns(ts: datetime) -> int:
    """Nanoseconds since the epoch (UTC) of an aware datetime."""
    return int(ts.timestamp()) * 1_000_000_000 + ts.microsecond * 1000


def from_ns(ns: int) -> datetime:
    """The aware UTC datetime of nanoseconds since the epoch."""
    return datetime.fromtimestamp(ns // 1_000_000_000, UTC).replace(
        microsecond=(ns % 1_000_000_000) // 1000
    )


@dataclass(frozen=True, slots=True)
class TelemetryRecord:
    """One measurement message."""

    home: str
    device: str
    type: str
    ts: datetime
    seq: int
    msg_id: str
    data: dict[str, float]


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One event message."""

    home: str
    device: str
    type: str
    ts: datetime
    seq: int
    msg_id: str
    event_type: str
    severity: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """A retained message: the device's meta, status or state, as received at `ts`."""

    home: str
    device: str
    kind: Literal["meta", "status", "state"]
    ts: datetime
    value: dict[str, Any] | str
    type: str = "unknown"
    room: str = ""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message that broke the contract, kept with the reason."""

    received: datetime
    topic: str
    reason: str
    payload: str
    size: int


DeviationKind = Literal[
    "no_meta",
    "undeclared_channel",
    "undeclared_event",
    "out_of_range",
    "ts_skew",
    "id_reused",
    "bad_result",
    "unmatched_result",
]
DEVIATION_KINDS: tuple[DeviationKind, ...] = get_args(DeviationKind)


@dataclass(frozen=True, slots=True)
class Deviation:
    """Where a valid message differs from what its device declared in `meta` (or from the
    contract's rules between messages): kept beside the message, which is stored all the
    same, so a company sees what to fix without losing data."""

    received: datetime
    home: str
    device: str
    kind: DeviationKind
    detail: str
    msg_id: str = ""


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """A command the lab sent a device (on its `cmd` topic), kept to match the device's
    `command_result` (its `ref`) and show the history."""

    home: str
    device: str
    ts: datetime
    name: str
    msg_id: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IngestStats:
    """The running totals of one ingest process."""

    ts: datetime
    instance: str
    received: int = 0
    written: int = 0
    duplicates: int = 0
    rejected: int = 0
    gaps: int = 0
    lag_s: float = 0.0


Record = (
    TelemetryRecord
    | EventRecord
    | DeviceRecord
    | DeadLetter
    | Deviation
    | CommandRecord
    | IngestStats
)


@dataclass(frozen=True, slots=True)
class DeviceView:
    """What is known now of one device of a home."""

    device: str
    type: str
    room: str
    status: str | None
    state: dict[str, Any]
    last_seen: datetime | None
    meta: dict[str, Any] | None = None
    """Its last `meta` as sent (what it declares: channels, events, commands)."""


class Store(Protocol):
    """The time-series store: InfluxDB or SQLite behind the same methods."""

    def write(self, records: Sequence[Record]) -> None:
        """Write a batch; idempotent; raises StoreError when the store is not reachable."""

    def series(
        self,
        home: str,
        device: str,
        field: str,
        start: datetime,
        end: datetime,
        window_s: float | None = None,
        aggregate: Aggregate = "mean",
    ) -> list[tuple[datetime, float]]:
        """One field of one device over [start, end), optionally aggregated per window."""

    def events(
        self, home: str, start: datetime, end: datetime, device: str | None = None
    ) -> list[EventRecord]:
        """Events of a home (or one device) in [start, end), oldest first."""

    def devices(self, home: str) -> dict[str, DeviceView]:
        """The latest state, status and description of every device of a home."""

    def dead_letters(self, limit: int = 100, topic_prefix: str = "") -> list[DeadLetter]:
        """The newest dead letters, newest first; only those whose topic starts with
        `topic_prefix` if given (one device's: `<root>/<home>/<device>/`)."""

    def deviations(self, home: str, device: str, limit: int = 100) -> list[Deviation]:
        """A device's newest deviations from its declaration, newest first."""

    def deviation_counts(self, home: str, device: str) -> dict[str, int]:
        """How many deviations of each kind a device has had."""

    def commands(self, home: str, device: str, limit: int = 50) -> list[CommandRecord]:
        """The newest commands sent to a device, newest first."""

    def latest_telemetry(self, home: str, device: str, limit: int = 20) -> list[TelemetryRecord]:
        """A device's newest telemetry messages (by its `ts`), newest first."""

    def count(
        self,
        kind: Literal["telemetry", "event", "deadletter"],
        home: str | None = None,
        device: str | None = None,
    ) -> int:
        """How many messages of a kind are stored (of one home, or one device of it)."""

    def last_seqs(self) -> dict[tuple[str, str], int]:
        """The highest sequence number stored per (home, device)."""

    def device_types(self) -> dict[tuple[str, str], str]:
        """Device types learnt from `meta`, per (home, device)."""

    def stats(self) -> list[IngestStats]:
        """The latest totals of every ingest instance."""

    def close(self) -> None:
        """Release connections and files."""


def open_store(url: StoreUrl | str) -> Store:
    """Open the store a URL names (creating the SQLite file or InfluxDB database if needed)."""
    if isinstance(url, str):
        url = StoreUrl.parse(url)
    if url.backend == "sqlite":
        from mewet.store.sqlite import SQLiteStore

        assert url.path is not None
        return SQLiteStore(url.path)
    from mewet.store.influx import InfluxStore

    return InfluxStore(url)
