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


def write_tables(out: Path, messages: Sequence[Message], truth: Sequence[Truth]) -> list[str]:
    """Write the three tables into `out`; the file names."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ConfigError("--parquet needs pyarrow: pip install 'mewet[parquet]'") from None
    ms = pa.timestamp("ms", tz="UTC")
    text = pa.dictionary(pa.int32(), pa.string())
    tel: dict[str, list[Any]] = {k: [] for k in ("ts", "home", "device", "field", "value", "seq")}
    ev: dict[str, list[Any]] = {
        k: [] for k in ("ts", "home", "device", "event_type", "severity", "seq", "data")
    }
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
    numbers = {"ts": ms, "value": pa.float64(), "seq": pa.int64(), "data": pa.string()}
    tables: dict[str, tuple[dict[str, list[Any]], dict[str, Any]]] = {
        "telemetry.parquet": (tel, numbers),
        "events.parquet": (ev, numbers),
        "truth.parquet": (
            {
                "ts": [t.ts for t in truth],
                "kind": [t.kind for t in truth],
                "value": [t.value for t in truth],
                "phase": [t.phase for t in truth],
            },
            {"ts": ms},
        ),
    }
    for name, (columns, types) in tables.items():
        table = pa.table(
            {key: pa.array(values, type=types.get(key, text)) for key, values in columns.items()}
        )
        pq.write_table(table, out / name)
    return list(tables)
