"""Ingest: broker → store without loss.

The MQTT session is persistent (fixed client id, clean start off, session expiry) and
messages are acknowledged by hand only after their batch is in the store. So a crash, a
restart or a store outage loses nothing: the broker keeps or redelivers what was not acked,
and the store writes a redelivered message once. Memory is bounded by MQTT 5's Receive
Maximum: the broker sends no more than that many unacknowledged messages.

One worker thread owns the MQTT link and does everything in turn: pump the network, batch,
write, retry with backoff (pumping meanwhile, so the connection stays alive), acknowledge.
Nothing a message contains can stop it.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from pydantic import ValidationError

from mewet.config import IngestSettings, MqttUrl
from mewet.contract import DEFAULT_ROOT, Command, Kind, Topic, all_commands, subscription
from mewet.errors import ContractError, StoreError
from mewet.ingest.declared import Declared
from mewet.ingest.decode import Decoder, parse_topic
from mewet.store.base import (
    CommandRecord,
    DeadLetter,
    Deviation,
    DeviceRecord,
    EventRecord,
    IngestStats,
    Record,
    Store,
    TelemetryRecord,
)
from mewet.transport.client import MqttLink, Received

log = logging.getLogger(__name__)
RECENT_IDS = 200_000


class _AbandonedError(Exception):
    """Asked to stop while the store is unreachable: leave without acknowledging."""


@dataclass
class Counters:
    """Running totals; `lag_s` is the longest receive-to-acknowledge time of the last period."""

    received: int = 0
    written: int = 0
    duplicates: int = 0
    rejected: int = 0
    gaps: int = 0
    lag_s: float = 0.0


class Ingest:
    """Subscribes to every device topic and writes what arrives into a store."""

    def __init__(
        self,
        mqtt: MqttUrl,
        store: Store,
        settings: IngestSettings | None = None,
        *,
        root: str = DEFAULT_ROOT,
        share_group: str | None = None,
        client_id: str | None = None,
        report: Callable[[IngestStats], None] | None = None,
    ) -> None:
        self.settings = settings or IngestSettings()
        self.store = store
        self.root = root
        self.share_group = share_group
        self.instance = client_id or _default_client_id(share_group)
        self.report = report
        self.counters = Counters()
        self._pending: list[tuple[Received, float]] = []
        self._recent: OrderedDict[tuple[str, str, str], int] = OrderedDict()
        """Recent message ids, each with its content's fingerprint."""
        self._last_seq: dict[tuple[str, str], int] = {}
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self.decoder = Decoder(root, self.settings.max_payload_bytes)
        # commands too, kept as each device's history: a command_result's `ref` must name one
        # of them; a member of a shared group would see a share of each, so it reads none and
        # does not match results
        self.declared = Declared(
            datetime.now(UTC),
            self.settings.max_skew_s,
            metas=self.decoder.metas,
            types=self.decoder.types,
            match_results=share_group is None,
        )
        commands = () if share_group else (all_commands(root),)
        self.link = MqttLink(
            mqtt,
            self.instance,
            persistent=True,
            session_expiry_s=self.settings.session_expiry_s,
            receive_maximum=self.settings.receive_maximum,
            manual_ack=True,
            on_message=lambda m: self._pending.append((m, time.monotonic())),
            subscriptions=(subscription(root, share_group), *commands),
        )

    # -- life cycle ---------------------------------------------------------------

    def start(self) -> Ingest:
        """Learn what the store knows, connect, and start the worker thread."""
        self._wait_for_store()
        self.link.connect()
        self._worker = threading.Thread(target=self._run, name="mewet-ingest", daemon=True)
        self._worker.start()
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the batch in hand, write the totals, and disconnect."""
        self._stop.set()
        if self._worker is not None:
            self._worker.join(timeout_s)
        if self._worker is None or not self._worker.is_alive():
            self.link.close()

    def _wait_for_store(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                self._last_seq = self.store.last_seqs()
                self.decoder.types.update(self.store.device_types())
                return
            except StoreError as exc:
                log.warning("store not ready (%s); retrying in %.0f s", exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)

    # -- the worker ----------------------------------------------------------------

    def _run(self) -> None:
        last_report = time.monotonic()
        while True:
            batch = self._take_batch()
            if batch:
                try:
                    self._handle(batch)
                except _AbandonedError as exc:
                    log.error(
                        "stopped with the store unreachable (%s); the broker keeps the "
                        "%d messages not acknowledged for the next start",
                        exc,
                        len(batch),
                    )
                    return
            if time.monotonic() - last_report >= self.settings.stats_every_s:
                last_report = time.monotonic()
                self._publish_stats()
            if self._stop.is_set() and not batch:
                break
        self._publish_stats()
        self.link.wait_published(5)  # the last acks leave before we disconnect

    def _take_batch(self) -> list[tuple[Received, float]]:
        """Pump the network until a batch is full or its time is up."""
        deadline = time.monotonic() + self.settings.batch_seconds
        while len(self._pending) < self.settings.batch_size and not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.link.pump(min(left, 0.05))
        self.link.pump(0)
        batch = self._pending[: self.settings.batch_size]
        del self._pending[: self.settings.batch_size]
        return batch

    def _handle(self, batch: list[tuple[Received, float]]) -> None:
        now = datetime.now(UTC)
        records: list[Record] = []
        rejected = 0
        fresh: dict[tuple[str, str, str], int] = {}
        deviations: list[Record] = []
        commands: list[Record] = []
        for msg, _ in batch:
            command = self._command(msg)
            if command is not False:
                if command is not None:
                    commands.append(command)
                continue
            self.counters.received += 1
            record = self.decoder.decode(msg, now)
            if isinstance(record, DeadLetter):
                rejected += 1
                log.warning("dead letter on %s: %s", record.topic, record.reason)
            elif isinstance(record, TelemetryRecord | EventRecord):
                key = (record.home, record.device, record.msg_id)
                first = self._recent.get(key, fresh.get(key))
                if first is not None:
                    self.counters.duplicates += 1
                    if first != _fingerprint(record):
                        deviations.append(_reused(record, now))
                    continue
                fresh[key] = _fingerprint(record)
                self._count_gap(record)
                deviations += self.declared.check(record, now)
            records.append(record)
        refused = self._write(records + deviations + commands, now)
        self._recent.update(fresh)
        while len(self._recent) > RECENT_IDS:
            self._recent.popitem(last=False)
        self.counters.written += len(records) - rejected - refused
        self.counters.rejected += rejected + refused
        done = time.monotonic()
        for msg, arrived in batch:
            self.link.ack(msg)
            self.counters.lag_s = max(self.counters.lag_s, done - arrived)

    def _command(self, msg: Received) -> CommandRecord | Literal[False] | None:
        """A command the lab sent a device: remembered for its result and kept for the
        device's history (None when it is not a valid command; False: not a command topic)."""
        if f"/{Kind.CMD.value}/" not in msg.topic:
            return False
        try:
            topic = parse_topic(msg.topic, self.root)
        except ContractError:
            return False  # not a device topic at all: the decoder says why
        if topic.kind is not Kind.CMD or topic.command is None:
            return False
        try:
            command = Command.model_validate_json(msg.payload)
        except (ValidationError, ValueError):
            return None  # the lab's own sender makes them: nothing of a device's to keep
        self.declared.command(topic.home, topic.device, command.id)
        args = dict(command.args)
        return CommandRecord(topic.home, topic.device, command.ts, topic.command, command.id, args)

    def _count_gap(self, record: TelemetryRecord | EventRecord) -> None:
        if self.share_group:
            return  # each member sees a share of the messages: gaps are not ours to count
        key = (record.home, record.device)
        last = self._last_seq.get(key)
        if last is not None and record.seq > last + 1:
            self.counters.gaps += record.seq - last - 1
        if last is None or record.seq > last or record.seq == 0:
            self._last_seq[key] = record.seq

    def _write(self, records: list[Record], now: datetime) -> int:
        """Write until it works; while the store is away nothing is acked, so nothing is lost.

        When the store answers but refuses the batch (InfluxDB: a field whose type another
        writer fixed differently), the records are written one by one and those it refuses
        become dead letters with its reason, so one bad record cannot stop ingest. Returns how
        many were refused.
        """
        delay = 0.25
        while True:
            try:
                self.store.write(records)
                return 0
            except StoreError as exc:
                if exc.refused:
                    try:
                        return self._write_one_by_one(records, now)
                    except StoreError as again:  # it went away meanwhile: retry the batch
                        exc = again
                log.warning("store write failed (%s); retrying in %.1f s", exc, delay)
                if self._stop.is_set() and delay >= 8:
                    raise _AbandonedError(str(exc)) from exc
                until = time.monotonic() + delay
                # keep the session alive meanwhile (nothing is acked)
                while (left := until - time.monotonic()) > 0:
                    self.link.pump(min(0.1, left))
                delay = min(delay * 2, 10.0)

    def _write_one_by_one(self, records: list[Record], now: datetime) -> int:
        refused = 0
        for record in records:
            try:
                self.store.write([record])
            except StoreError as exc:
                if not exc.refused:
                    raise  # the store went away meanwhile: the whole batch is retried
                refused += 1
                letter = refused_letter(record, str(exc), now, self.root)
                log.warning("dead letter on %s: %s", letter.topic, letter.reason)
                try:
                    self.store.write([letter])
                except StoreError as lost:
                    if not lost.refused:
                        raise
                    log.error("the store refused even the dead letter: %s", lost)
        return refused

    def _publish_stats(self) -> None:
        c = self.counters
        stats = IngestStats(
            datetime.now(UTC), self.instance, **asdict(replace(c, lag_s=round(c.lag_s, 3)))
        )
        try:
            self.store.write([stats])
        except StoreError as exc:
            log.warning("could not store ingest totals: %s", exc)
        if self.report is not None:
            self.report(stats)
        self.counters = replace(c, lag_s=0.0)


def _fingerprint(r: TelemetryRecord | EventRecord) -> int:
    """What a message says (its seq and content), to tell a redelivery from a reused id."""
    said = r.data if isinstance(r, TelemetryRecord) else (r.event_type, r.severity, r.data)
    return hash((r.seq, json.dumps(said, sort_keys=True, default=str)))


def _reused(r: TelemetryRecord | EventRecord, now: datetime) -> Deviation:
    why = f"id {r.msg_id!r} used again with a different seq or content (seq {r.seq}); not stored"
    return Deviation(now, r.home, r.device, "id_reused", why, r.msg_id)


def refused_letter(record: Record, reason: str, now: datetime, root: str) -> DeadLetter:
    """A dead letter for a record the store refused, showing the record itself."""
    shown = repr(record)[:1024]
    topic = "?"
    if isinstance(record, TelemetryRecord | EventRecord | DeviceRecord):
        kind = {TelemetryRecord: Kind.TELEMETRY, EventRecord: Kind.EVENT}.get(type(record))
        if isinstance(record, DeviceRecord):
            kind = Kind(record.kind)
        if kind is not None:
            topic = str(Topic(record.home, record.device, kind, root=root))
    return DeadLetter(now, topic, f"store refused: {reason}", shown, len(shown))


def _default_client_id(share_group: str | None) -> str:
    """A client id that stays the same across restarts on this host, so the session resumes."""
    host = socket.gethostname().split(".")[0].lower()[:32]
    return f"mewet-ingest-{share_group or 'main'}-{host}"
