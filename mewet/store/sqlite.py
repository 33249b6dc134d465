"""The embedded store: one SQLite file, WAL mode, one transaction per batch."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from mewet.errors import StoreError
from mewet.store.base import (
    AGGREGATES,
    Aggregate,
    CommandRecord,
    DeadLetter,
    Deviation,
    DeviceRecord,
    DeviceView,
    EventRecord,
    IngestStats,
    Record,
    TelemetryRecord,
    from_ns,
    to_ns,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS telemetry (
    home TEXT NOT NULL, device TEXT NOT NULL, type TEXT NOT NULL, ts INTEGER NOT NULL,
    seq INTEGER NOT NULL, msg_id TEXT NOT NULL, field TEXT NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (home, device, msg_id, field)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS telemetry_series ON telemetry (home, device, field, ts);
CREATE TABLE IF NOT EXISTS event (
    home TEXT NOT NULL, device TEXT NOT NULL, type TEXT NOT NULL, ts INTEGER NOT NULL,
    seq INTEGER NOT NULL, msg_id TEXT NOT NULL, event_type TEXT NOT NULL,
    severity TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (home, device, msg_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_time ON event (home, ts);
CREATE TABLE IF NOT EXISTS device (
    home TEXT NOT NULL, device TEXT NOT NULL, type TEXT NOT NULL DEFAULT 'unknown',
    room TEXT NOT NULL DEFAULT '', meta TEXT, status TEXT, state TEXT, last_seen INTEGER,
    PRIMARY KEY (home, device)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deadletter (
    received INTEGER NOT NULL, topic TEXT NOT NULL, reason TEXT NOT NULL,
    payload TEXT NOT NULL, size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deadletter_topic ON deadletter (topic, received);
CREATE TABLE IF NOT EXISTS deviation (
    received INTEGER NOT NULL, home TEXT NOT NULL, device TEXT NOT NULL, kind TEXT NOT NULL,
    detail TEXT NOT NULL, msg_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deviation_device ON deviation (home, device, received);
CREATE TABLE IF NOT EXISTS command (
    home TEXT NOT NULL, device TEXT NOT NULL, ts INTEGER NOT NULL, name TEXT NOT NULL,
    msg_id TEXT NOT NULL, args TEXT NOT NULL,
    PRIMARY KEY (home, device, msg_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ingest_stats (
    instance TEXT PRIMARY KEY, ts INTEGER NOT NULL, received INTEGER, written INTEGER,
    duplicates INTEGER, rejected INTEGER, gaps INTEGER, lag_s REAL
);
"""


class SQLiteStore:
    """The Store on one SQLite file; safe to share between the ingest and API threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the SQLite store {path}: {exc}") from exc
        self._lock = threading.Lock()

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite store {self.path}: {exc}") from exc

    def write(self, records: Sequence[Record]) -> None:
        """Write a batch in one transaction; records already stored are left as they are."""
        with self._lock:
            try:
                self._db.execute("BEGIN")
                for r in records:
                    self._write_one(r)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                # a full disk or a lock held too long may pass; a broken constraint will not
                refused = isinstance(exc, sqlite3.IntegrityError | sqlite3.DataError)
                raise StoreError(f"SQLite store {self.path}: {exc}", refused=refused) from exc

    def _write_one(self, r: Record) -> None:
        db = self._db
        if isinstance(r, TelemetryRecord):
            ts = to_ns(r.ts)
            db.executemany(
                "INSERT OR IGNORE INTO telemetry VALUES (?,?,?,?,?,?,?,?)",
                [(r.home, r.device, r.type, ts, r.seq, r.msg_id, k, v) for k, v in r.data.items()],
            )
            self._seen(r.home, r.device, ts)
        elif isinstance(r, EventRecord):
            ts = to_ns(r.ts)
            db.execute(
                "INSERT OR IGNORE INTO event VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    r.home,
                    r.device,
                    r.type,
                    ts,
                    r.seq,
                    r.msg_id,
                    r.event_type,
                    r.severity,
                    json.dumps(r.data, ensure_ascii=False),
                ),
            )
            self._seen(r.home, r.device, ts)
        elif isinstance(r, DeviceRecord):
            db.execute(
                "INSERT OR IGNORE INTO device (home, device) VALUES (?, ?)", (r.home, r.device)
            )
            value = r.value if isinstance(r.value, str) else json.dumps(r.value, ensure_ascii=False)
            if r.kind == "meta":
                db.execute(
                    "UPDATE device SET meta=?, type=?, room=? WHERE home=? AND device=?",
                    (value, r.type, r.room, r.home, r.device),
                )
            else:
                db.execute(
                    f"UPDATE device SET {r.kind}=? WHERE home=? AND device=?",  # kind: a Literal
                    (value, r.home, r.device),
                )
        elif isinstance(r, DeadLetter):
            db.execute(
                "INSERT INTO deadletter VALUES (?,?,?,?,?)",
                (to_ns(r.received), r.topic, r.reason, r.payload, r.size),
            )
        elif isinstance(r, CommandRecord):
            db.execute(
                "INSERT OR IGNORE INTO command VALUES (?,?,?,?,?,?)",
                (r.home, r.device, to_ns(r.ts), r.name, r.msg_id, json.dumps(r.args)),
            )
        elif isinstance(r, Deviation):
            db.execute(
                "INSERT INTO deviation VALUES (?,?,?,?,?,?)",
                (to_ns(r.received), r.home, r.device, r.kind, r.detail, r.msg_id),
            )
        else:
            db.execute(
                "INSERT OR REPLACE INTO ingest_stats VALUES (?,?,?,?,?,?,?,?)",
                (
                    r.instance,
                    to_ns(r.ts),
                    r.received,
                    r.written,
                    r.duplicates,
                    r.rejected,
                    r.gaps,
                    r.lag_s,
                ),
            )

    def _seen(self, home: str, device: str, ts: int) -> None:
        # heard from now at the latest: a message stamped in the future (a device's clock
        # ahead) is not a "last seen" that stays ahead of every later one
        ts = min(ts, time.time_ns())
        self._db.execute(
            "INSERT OR IGNORE INTO device (home, device) VALUES (?, ?)", (home, device)
        )
        self._db.execute(
            "UPDATE device SET last_seen = max(coalesce(last_seen, 0), ?) "
            "WHERE home=? AND device=?",
            (ts, home, device),
        )

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
        """One field over a range, raw or aggregated per window (windows aligned to the epoch)."""
        args = (home, device, field, to_ns(start), to_ns(end))
        where = "home=? AND device=? AND field=? AND ts>=? AND ts<?"
        if window_s is None:
            rows = self._query(f"SELECT ts, value FROM telemetry WHERE {where} ORDER BY ts", args)
            return [(from_ns(ts), v) for ts, v in rows]
        if aggregate not in AGGREGATES:
            raise StoreError(f"unknown aggregate {aggregate!r} (known: {', '.join(AGGREGATES)})")
        win = int(window_s * 1e9)
        # SQLite takes a bare column from the row that max() picked: the last value per window
        fn = {
            "mean": "avg(value)",
            "min": "min(value)",
            "max": "max(value)",
            "count": "count(value)",
            "last": "value, max(ts)",
        }[aggregate]
        sql = (
            f"SELECT (ts/{win})*{win} AS b, {fn} FROM telemetry WHERE {where} GROUP BY b ORDER BY b"
        )
        rows = self._query(sql, args)
        return [(from_ns(row[0]), float(row[1])) for row in rows]

    def events(
        self, home: str, start: datetime, end: datetime, device: str | None = None
    ) -> list[EventRecord]:
        """Events in a range, oldest first."""
        sql = "SELECT * FROM event WHERE home=? AND ts>=? AND ts<?"
        args: list[Any] = [home, to_ns(start), to_ns(end)]
        if device is not None:
            sql += " AND device=?"
            args.append(device)
        rows = self._query(sql + " ORDER BY ts, device, seq", args)
        return [
            EventRecord(h, d, t, from_ns(ts), seq, mid, et, sev, json.loads(data))
            for h, d, t, ts, seq, mid, et, sev, data in rows
        ]

    def devices(self, home: str) -> dict[str, DeviceView]:
        """Latest view of every device of a home."""
        rows = self._query(
            "SELECT device, type, room, status, state, last_seen, meta FROM device "
            "WHERE home=? ORDER BY device",
            (home,),
        )
        return {
            d: DeviceView(
                d,
                t,
                room,
                status,
                json.loads(state) if state else {},
                from_ns(seen) if seen else None,
                json.loads(meta) if meta else None,
            )
            for d, t, room, status, state, seen, meta in rows
        }

    def dead_letters(self, limit: int = 100, topic_prefix: str = "") -> list[DeadLetter]:
        """Newest dead letters first (of topics from `topic_prefix` on, by the topic index)."""
        rows = self._query(
            "SELECT received, topic, reason, payload, size FROM deadletter "
            "WHERE topic >= ? AND topic < ? ORDER BY received DESC, rowid DESC LIMIT ?",
            (topic_prefix, topic_prefix + "\U0010ffff", limit),
        )
        return [DeadLetter(from_ns(r), t, why, p, n) for r, t, why, p, n in rows]

    def deviations(self, home: str, device: str, limit: int = 100) -> list[Deviation]:
        """Newest first."""
        rows = self._query(
            "SELECT received, kind, detail, msg_id FROM deviation WHERE home=? AND device=? "
            "ORDER BY received DESC LIMIT ?",
            (home, device, limit),
        )
        return [Deviation(from_ns(r), home, device, k, d, m) for r, k, d, m in rows]

    def commands(self, home: str, device: str, limit: int = 50) -> list[CommandRecord]:
        """Newest first."""
        rows = self._query(
            "SELECT ts, name, msg_id, args FROM command WHERE home=? AND device=? "
            "ORDER BY ts DESC LIMIT ?",
            (home, device, limit),
        )
        return [CommandRecord(home, device, from_ns(t), n, m, json.loads(a)) for t, n, m, a in rows]

    def latest_telemetry(self, home: str, device: str, limit: int = 20) -> list[TelemetryRecord]:
        """Newest first: the newest messages' ids, then all their fields."""
        rows = self._query(
            "SELECT t.ts, t.seq, t.msg_id, t.type, t.field, t.value FROM telemetry t JOIN "
            "(SELECT DISTINCT msg_id, ts FROM telemetry WHERE home=? AND device=? "
            "ORDER BY ts DESC LIMIT ?) n ON t.msg_id = n.msg_id "
            "WHERE t.home=? AND t.device=? ORDER BY t.ts DESC, t.msg_id",
            (home, device, limit, home, device),
        )
        found: dict[str, TelemetryRecord] = {}
        for ts, seq, msg_id, kind, name, value in rows:
            record = found.get(msg_id)
            if record is None:
                record = found[msg_id] = TelemetryRecord(
                    home, device, kind, from_ns(ts), seq, msg_id, {}
                )
            record.data[name] = value
        return list(found.values())

    def deviation_counts(self, home: str, device: str) -> dict[str, int]:
        """Per kind."""
        rows = self._query(
            "SELECT kind, count(*) FROM deviation WHERE home=? AND device=? GROUP BY kind",
            (home, device),
        )
        return {str(k): int(n) for k, n in rows}

    def count(
        self,
        kind: Literal["telemetry", "event", "deadletter"],
        home: str | None = None,
        device: str | None = None,
    ) -> int:
        """Messages of a kind stored (telemetry counted per message, not per field)."""
        where, args = "", []
        if home and kind != "deadletter":
            where, args = "WHERE home=?", [home]
            if device is not None:
                where, args = where + " AND device=?", [home, device]
        sql = {
            "telemetry": "SELECT count(*) FROM "
            f"(SELECT DISTINCT home, device, msg_id FROM telemetry {where})",
            "event": f"SELECT count(*) FROM event {where}",
            "deadletter": "SELECT count(*) FROM deadletter",
        }[kind]
        return int(self._query(sql, args)[0][0])

    def last_seqs(self) -> dict[tuple[str, str], int]:
        """Highest seq per device over telemetry and events."""
        rows = self._query(
            "SELECT home, device, max(seq) FROM (SELECT home, device, seq FROM telemetry "
            "UNION ALL SELECT home, device, seq FROM event) GROUP BY home, device"
        )
        return {(h, d): int(s) for h, d, s in rows}

    def device_types(self) -> dict[tuple[str, str], str]:
        """Types learnt from meta."""
        rows = self._query("SELECT home, device, type FROM device WHERE type != 'unknown'")
        return {(h, d): t for h, d, t in rows}

    def stats(self) -> list[IngestStats]:
        """Latest totals per ingest instance."""
        rows = self._query("SELECT * FROM ingest_stats ORDER BY instance")
        return [
            IngestStats(from_ns(ts), inst, rec, wr, dup, rej, gaps, lag)
            for inst, ts, rec, wr, dup, rej, gaps, lag in rows
        ]

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
