"""The lab's own devices keep to what they declare: the ingest's deviation checks, run on
every library scenario, find nothing (a device given a battery by a scenario declares it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mewet.contract import Event, Kind, Meta, Telemetry
from mewet.ingest.declared import Declared
from mewet.scenarios.run import run_scenario
from mewet.scenarios.scenario import library, load_scenario
from mewet.store.base import EventRecord, TelemetryRecord


@pytest.mark.parametrize("name", sorted(library()))
def test_every_library_scenario_s_devices_send_only_what_they_declare(name: str) -> None:
    declared = Declared(datetime(2000, 1, 1, tzinfo=UTC))
    _, sink = run_scenario(load_scenario(name), days=1)
    found = []
    for m in sink.messages:
        key, p = (m.topic.home, m.topic.device), m.payload
        if m.topic.kind is Kind.META:
            assert isinstance(p, Meta)
            declared.metas[key] = p
        elif isinstance(p, Telemetry):
            record = TelemetryRecord(*key, "", p.ts, p.seq, p.id, dict(p.data))
            found += declared.check(record, p.ts)
        elif isinstance(p, Event):
            ev = EventRecord(*key, "", p.ts, p.seq, p.id, p.event_type, p.severity, dict(p.data))
            found += declared.check(ev, p.ts)
    assert [(d.device, d.kind, d.detail) for d in found] == []
