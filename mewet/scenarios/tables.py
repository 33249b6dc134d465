"""A run as Parquet tables, the form analysts load directly (pandas, polars, DuckDB, Spark).

Three tables, times in UTC to the millisecond:

- `telemetry.parquet`: one row per value: `ts`, `home`, `device`, `field`, `value`, `seq`;
- `events.parquet`: one row per event: `ts`, `home`, `device`, `event_type`, `severity`,
  `seq`, `data` (the event's data as a JSON object);
- `truth.parquet`: the ground truth: `ts`, `kind`, `value`, `phase`.

The same content as messages.jsonl and truth.jsonl, long and typed, with names repeated
thousands of times stored once (dictionary-encoded).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mewet.contract import Event, Message, Telemetry
from mewet.errors import ConfigError
from mewet.scenarios.truth import Truth


class Tables:
    """The three tables of a run, written a stretch of messages at a time (one row group
    each), the truth when the run has ended."""

    def __init__(self, out: Path) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ConfigError("--parquet needs pyarrow: pip install 'mewet[parquet]'") from None
        self._pa, self._pq = pa, pq
        ms = pa.timestamp("ms", tz="UTC")
        text = pa.dictionary(pa.int32(), pa.string())
        self.out = out
        self.schemas = {
            "telemetry.parquet": pa.schema(
                [
                    ("ts", ms),
                    ("home", text),
                    ("device", text),
                    ("field", text),
                    ("value", pa.float64()),
                    ("seq", pa.int64()),
                ]
            ),
            "events.parquet": pa.schema(
                [
                    ("ts", ms),
                    ("home", text),
                    ("device", text),
                    ("event_type", text),
                    ("severity", text),
                    ("seq", pa.int64()),
                    ("data", pa.string()),
                ]
            ),
            "truth.parquet": pa.schema(
                [("ts", ms), ("kind", text), ("value", text), ("phase", text)]
            ),
        }
        self._writers = {
            name: pq.ParquetWriter(out / name, self.schemas[name])
            for name in ("telemetry.parquet", "events.parquet")
        }

    def add(self, messages: Sequence[Message]) -> None:
        """The next messages of the run, as rows."""
        tel: dict[str, list[Any]] = {name: [] for name in self.schemas["telemetry.parquet"].names}
        ev: dict[str, list[Any]] = {name: [] for name in self.schemas["events.parquet"].names}
        for m in messages:
            p = m.payload
            if isinstance(p, Telemetry):
                for name, value in p.data.items():
                    tel["ts"].append(p.ts)
                    tel["home"].append(m.topic.home)
                    tel["device"].append(m.topic.device)
                    tel["field"].append(name)
                    tel["value"].append(value)
                    tel["seq"].append(p.seq)
            elif isinstance(p, Event):
                ev["ts"].append(p.ts)
                ev["home"].append(m.topic.home)
                ev["device"].append(m.topic.device)
                ev["event_type"].append(p.event_type)
                ev["severity"].append(p.severity)
                ev["seq"].append(p.seq)
                ev["data"].append(json.dumps(p.data, ensure_ascii=False, separators=(",", ":")))
        for name, columns in (("telemetry.parquet", tel), ("events.parquet", ev)):
            if columns["ts"]:
                self._writers[name].write_table(self._table(name, columns))

    def close(self, truth: Sequence[Truth]) -> list[str]:
        """Write the truth, close the tables; the file names."""
        for writer in self._writers.values():
            writer.close()
        columns: dict[str, list[Any]] = {
            "ts": [t.ts for t in truth],
            "kind": [t.kind for t in truth],
            "value": [t.value for t in truth],
            "phase": [t.phase for t in truth],
        }
        self._pq.write_table(self._table("truth.parquet", columns), self.out / "truth.parquet")
        return list(self.schemas)

    def _table(self, name: str, columns: dict[str, list[Any]]) -> Any:
        schema = self.schemas[name]
        return self._pa.table(
            {
                key: self._pa.array(values, type=schema.field(key).type)
                for key, values in columns.items()
            },
            schema=schema,
        )
