"""The InfluxDB store, through its v1 HTTP API (line protocol in, InfluxQL out).

Served by InfluxDB 1.x, by 2.x (DBRP mapping, token as password) and 3.x. Tag values are
escaped as the 1.x line protocol wants (comma, equals, space; a backslash stays literal),
string fields escape backslash and double quote, and InfluxQL literals and identifiers are
quoted here, so a room called `keittiö` or `Anna's "room"` is stored and found as it is.

Points are timed by the device's `ts` plus its `seq` in nanoseconds (ts has millisecond
precision), so a redelivered message overwrites itself and two messages never collide.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import requests
from influxdb import InfluxDBClient
from influxdb.exceptions import InfluxDBClientError, InfluxDBServerError

from mewet.config import StoreUrl
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

_ERRORS = (requests.exceptions.RequestException, InfluxDBClientError, InfluxDBServerError, OSError)


# what ingest writes, by measurement (the dashboards and their tests take these names)
TELEMETRY, EVENT, META, STATE, STATUS = "telemetry", "event", "meta", "state", "status"
DEADLETTER, DEVIATION, INGEST = "deadletter", "deviation", "ingest"
COMMAND = "command"


def tag(value: str) -> str:
    """A tag key or value in line protocol."""
    return value.replace(",", r"\,").replace("=", r"\=").replace(" ", r"\ ")


def field_value(value: Any) -> str:
    """A field value in line protocol: float, integer (i), boolean, or quoted string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


@functools.lru_cache(maxsize=65536)
def series_key(measurement: str, tags: tuple[tuple[str, str], ...]) -> str:
    """Measurement and sorted, escaped tags: the same for every point of a series, so cached."""
    return tag(measurement) + "".join(f",{tag(k)}={tag(v)}" for k, v in sorted(tags) if v != "")


def line(measurement: str, tags: dict[str, str], fields: dict[str, Any], ns: int) -> str:
    """One point in line protocol (tags sorted, as InfluxDB prefers)."""
    field_part = ",".join(f"{tag(k)}={field_value(v)}" for k, v in fields.items())
    return f"{series_key(measurement, tuple(tags.items()))} {field_part} {ns}"


def literal(value: str) -> str:
    """An InfluxQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def ident(value: str) -> str:
    """An InfluxQL identifier."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rfc3339(ts: datetime) -> str:
    return literal(ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def point_ns(ts: datetime, seq: int) -> int:
    """The point's time: the device's ts plus its seq as nanoseconds (unique per message)."""
    return to_ns(ts) + seq % 1_000_000


def _parse_time(value: Any) -> datetime:
    if isinstance(value, int):
        return from_ns(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class InfluxStore:
    """The Store on an InfluxDB database (created when missing)."""

    def __init__(self, url: StoreUrl, timeout_s: float = 10.0) -> None:
        self.url = url
        self.db = url.database
        self._client = InfluxDBClient(
            host=url.host,
            port=url.port,
            username=url.username or "root",
            password=url.password or "root",
            database=url.database,
            ssl=url.tls,
            verify_ssl=url.tls,
            timeout=timeout_s,
            retries=1,
        )
        self._dl_counter = itertools.count()
        self._ready = False

    def _ensure_db(self) -> None:
        if not self._ready:
            try:
                self._client.create_database(self.db)
            except _ERRORS as exc:
                raise StoreError(f"InfluxDB at {self.url} is not reachable: {exc}") from exc
            self._ready = True

    def _select(self, q: str) -> list[dict[str, Any]]:
        self._ensure_db()
        try:
            result = self._client.query(q, epoch="ns")
        except _ERRORS as exc:
            raise StoreError(f"InfluxDB at {self.url}: {exc}") from exc
        return list(result.get_points())

    def _grouped(self, q: str) -> Iterable[tuple[dict[str, str], list[dict[str, Any]]]]:
        self._ensure_db()
        try:
            result = self._client.query(q, epoch="ns")
        except _ERRORS as exc:
            raise StoreError(f"InfluxDB at {self.url}: {exc}") from exc
        for (_, tags), points in result.items():
            yield tags or {}, list(points)

    # -- writing ----------------------------------------------------------------

    def _lines(self, r: Record) -> str:
        if isinstance(r, TelemetryRecord):
            tags = {"home": r.home, "device": r.device, "type": r.type}
            return line(
                TELEMETRY,
                tags,
                {**r.data, "seq": r.seq, "msg_id": r.msg_id},
                point_ns(r.ts, r.seq),
            )
        if isinstance(r, EventRecord):
            tags = {"home": r.home, "device": r.device, "type": r.type, "event_type": r.event_type}
            fields = {
                "seq": r.seq,
                "msg_id": r.msg_id,
                "severity": r.severity,
                "data": json.dumps(r.data, ensure_ascii=False),
            }
            return line(EVENT, tags, fields, point_ns(r.ts, r.seq))
        if isinstance(r, DeviceRecord):
            value = r.value if isinstance(r.value, str) else json.dumps(r.value, ensure_ascii=False)
            tags = {"home": r.home, "device": r.device}
            if r.kind == "meta":
                tags |= {"type": r.type, "room": r.room}
            return line(r.kind, tags, {"value": value}, to_ns(r.ts))
        if isinstance(r, DeadLetter):
            # arrival times can repeat within a batch: a counter keeps the points apart
            ns = to_ns(r.received) + next(self._dl_counter) % 1000
            fields = {"topic": r.topic, "reason": r.reason, "payload": r.payload, "size": r.size}
            return line(DEADLETTER, {}, fields, ns)
        if isinstance(r, CommandRecord):
            tags = {"home": r.home, "device": r.device, "name": r.name}
            fields = {"msg_id": r.msg_id, "args": json.dumps(r.args, ensure_ascii=False)}
            return line(COMMAND, tags, fields, to_ns(r.ts))
        if isinstance(r, Deviation):
            ns = to_ns(r.received) + next(self._dl_counter) % 1000
            tags = {"home": r.home, "device": r.device, "kind": r.kind}
            return line(DEVIATION, tags, {"detail": r.detail, "msg_id": r.msg_id}, ns)
        fields = {
            "received": r.received,
            "written": r.written,
            "duplicates": r.duplicates,
            "rejected": r.rejected,
            "gaps": r.gaps,
            "lag_s": float(r.lag_s),
        }
        return line(INGEST, {"instance": r.instance}, fields, to_ns(r.ts))

    def write(self, records: Sequence[Record]) -> None:
        """Write a batch as line protocol in one request."""
        if not records:
            return
        self._ensure_db()
        lines = [self._lines(r) for r in records]
        try:
            self._client.write(
                lines,
                params={"db": self.db, "precision": "n"},
                expected_response_code=204,
                protocol="line",
            )
        except InfluxDBClientError as exc:  # a 4xx: InfluxDB read the points and said no
            raise StoreError(f"InfluxDB refused the write: {exc}", refused=True) from exc
        except _ERRORS as exc:
            self._ready = False
            raise StoreError(f"InfluxDB at {self.url} is not reachable: {exc}") from exc

    # -- reading ----------------------------------------------------------------

    def _where(self, home: str, device: str | None, start: datetime, end: datetime) -> str:
        cond = f"home = {literal(home)}"
        if device is not None:
            cond += f" AND device = {literal(device)}"
        return f"{cond} AND time >= {_rfc3339(start)} AND time < {_rfc3339(end)}"

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
        where = self._where(home, device, start, end)
        if window_s is None:
            q = f"SELECT {ident(field)} FROM telemetry WHERE {where}"
            return [
                (_parse_time(p["time"]), float(p[field]))
                for p in self._select(q)
                if p.get(field) is not None
            ]
        if aggregate not in AGGREGATES:
            raise StoreError(f"unknown aggregate {aggregate!r} (known: {', '.join(AGGREGATES)})")
        win = max(1, int(window_s * 1000))
        q = (
            f"SELECT {aggregate}({ident(field)}) FROM telemetry WHERE {where} "
            f"GROUP BY time({win}ms) fill(none)"
        )
        return [(_parse_time(p["time"]), float(p[aggregate])) for p in self._select(q)]

    def events(
        self, home: str, start: datetime, end: datetime, device: str | None = None
    ) -> list[EventRecord]:
        """Events in a range, oldest first."""
        q = f"SELECT * FROM event WHERE {self._where(home, device, start, end)}"
        out = [
            EventRecord(
                p["home"],
                p["device"],
                p["type"],
                from_ns(p["time"] - p["seq"] % 1_000_000),
                int(p["seq"]),
                p["msg_id"],
                p["event_type"],
                p["severity"],
                json.loads(p["data"]),
            )
            for p in self._select(q)
        ]
        return sorted(out, key=lambda e: (e.ts, e.device, e.seq))

    def devices(self, home: str) -> dict[str, DeviceView]:
        """Latest view of every device of a home (from meta, status, state and telemetry)."""
        h = literal(home)
        views: dict[str, dict[str, Any]] = {}

        def view(device: str) -> dict[str, Any]:
            return views.setdefault(
                device,
                {"type": "unknown", "room": "", "status": None, "state": {}, "seen": None},
            )

        for tags, points in self._grouped(
            f"SELECT last(value) FROM meta WHERE home = {h} GROUP BY device, type, room"
        ):
            v = view(tags["device"])
            v["type"], v["room"] = tags.get("type", "unknown"), tags.get("room", "")
            v["meta"] = json.loads(points[0]["last"])
        for tags, points in self._grouped(
            f"SELECT last(value) FROM status WHERE home = {h} GROUP BY device"
        ):
            view(tags["device"])["status"] = points[0]["last"]
        for tags, points in self._grouped(
            f"SELECT last(value) FROM state WHERE home = {h} GROUP BY device"
        ):
            view(tags["device"])["state"] = json.loads(points[0]["last"])
        for measurement in ("telemetry", "event"):
            q = f"SELECT last(seq) FROM {measurement} WHERE home = {h} GROUP BY device"
            for tags, points in self._grouped(q):
                seen = from_ns(points[0]["time"] - points[0]["last"] % 1_000_000)
                seen = min(seen, datetime.now(UTC))  # a clock ahead is not seen in the future
                v = view(tags["device"])
                v["seen"] = max(v["seen"], seen) if v["seen"] else seen
        return {
            d: DeviceView(
                d, v["type"], v["room"], v["status"], v["state"], v["seen"], v.get("meta")
            )
            for d, v in sorted(views.items())
        }

    def dead_letters(self, limit: int = 100, topic_prefix: str = "") -> list[DeadLetter]:
        """Newest dead letters first (the topic is a field, not a tag: a flood of made-up
        topics must not grow the series index; one device's are found by a regex)."""
        where = ""
        if topic_prefix:
            pattern = re.escape(topic_prefix).replace("/", r"\/")
            where = f" WHERE topic =~ /^{pattern}/"
        q = f"SELECT * FROM deadletter{where} ORDER BY time DESC LIMIT {int(limit)}"
        return [
            DeadLetter(from_ns(p["time"]), p["topic"], p["reason"], p["payload"], int(p["size"]))
            for p in self._select(q)
        ]

    def deviations(self, home: str, device: str, limit: int = 100) -> list[Deviation]:
        """Newest first."""
        q = (
            f"SELECT * FROM {DEVIATION} WHERE home = {literal(home)} AND device = "
            f"{literal(device)} ORDER BY time DESC LIMIT {int(limit)}"
        )
        return [
            Deviation(from_ns(p["time"]), home, device, p["kind"], p["detail"], p["msg_id"])
            for p in self._select(q)
        ]

    def commands(self, home: str, device: str, limit: int = 50) -> list[CommandRecord]:
        """Newest first."""
        q = (
            f"SELECT * FROM {COMMAND} WHERE home = {literal(home)} AND device = "
            f"{literal(device)} ORDER BY time DESC LIMIT {int(limit)}"
        )
        return [
            CommandRecord(
                home, device, from_ns(p["time"]), p["name"], p["msg_id"], json.loads(p["args"])
            )
            for p in self._select(q)
        ]

    def latest_telemetry(self, home: str, device: str, limit: int = 20) -> list[TelemetryRecord]:
        """Newest first (one point per message: its fields together)."""
        q = (
            f"SELECT * FROM {TELEMETRY} WHERE home = {literal(home)} AND device = "
            f"{literal(device)} ORDER BY time DESC LIMIT {int(limit)}"
        )
        out = []
        skip = {"time", "home", "device", "type", "seq", "msg_id"}
        for p in self._select(q):
            data = {k: float(v) for k, v in p.items() if k not in skip and v is not None}
            seen = from_ns(p["time"] - int(p["seq"]) % 1_000_000)
            kind = p.get("type") or "unknown"
            out.append(TelemetryRecord(home, device, kind, seen, int(p["seq"]), p["msg_id"], data))
        return out

    def deviation_counts(self, home: str, device: str) -> dict[str, int]:
        """Per kind."""
        q = (
            f"SELECT count(detail) FROM {DEVIATION} WHERE home = {literal(home)} AND device = "
            f"{literal(device)} GROUP BY kind"
        )
        return {tags["kind"]: int(points[0]["count"]) for tags, points in self._grouped(q)}

    def count(
        self,
        kind: Literal["telemetry", "event", "deadletter"],
        home: str | None = None,
        device: str | None = None,
    ) -> int:
        """Messages of a kind stored."""
        column = "size" if kind == "deadletter" else "seq"
        where = f" WHERE home = {literal(home)}" if home and kind != "deadletter" else ""
        if where and device is not None:
            where += f" AND device = {literal(device)}"
        points = self._select(f"SELECT count({column}) FROM {kind}{where}")
        return int(points[0]["count"]) if points else 0

    def last_seqs(self) -> dict[tuple[str, str], int]:
        """Highest seq per device over telemetry and events."""
        out: dict[tuple[str, str], int] = {}
        for measurement in ("telemetry", "event"):
            for tags, points in self._grouped(
                f"SELECT max(seq) FROM {measurement} GROUP BY home, device"
            ):
                key = (tags["home"], tags["device"])
                out[key] = max(out.get(key, -1), int(points[0]["max"]))
        return out

    def device_types(self) -> dict[tuple[str, str], str]:
        """Types learnt from meta."""
        q = "SELECT last(value) FROM meta GROUP BY home, device, type"
        return {(t["home"], t["device"]): t["type"] for t, _ in self._grouped(q) if t.get("type")}

    def stats(self) -> list[IngestStats]:
        """Latest totals per ingest instance (the newest point of each, with its time)."""
        out = []
        q = "SELECT * FROM ingest GROUP BY instance ORDER BY time DESC LIMIT 1"
        for tags, points in self._grouped(q):
            p = points[0]
            out.append(
                IngestStats(
                    from_ns(p["time"]),
                    tags["instance"],
                    int(p["received"]),
                    int(p["written"]),
                    int(p["duplicates"]),
                    int(p["rejected"]),
                    int(p["gaps"]),
                    float(p["lag_s"]),
                )
            )
        return out

    def close(self) -> None:
        """Close the HTTP session."""
        self._client.close()
