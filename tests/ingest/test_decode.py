"""Every way a message can break the contract ends as a dead letter with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mewet.contract import Telemetry
from mewet.ingest.decode import Decoder
from mewet.store.base import DeadLetter, DeviceRecord, EventRecord, TelemetryRecord
from mewet.transport.client import Received
from tests.support.helpers import event, telemetry

NOW = datetime(2026, 11, 22, tzinfo=UTC)
GOOD_TOPIC = "mewet/home-1/vitals/telemetry"


def decode(topic: str, payload: bytes, max_bytes: int = 64 * 1024) -> object:
    return Decoder("mewet", max_bytes).decode(Received(topic, payload, 1, 1, False, 1), NOW)


def test_valid_messages_become_records() -> None:
    assert isinstance(decode(GOOD_TOPIC, telemetry(3)), TelemetryRecord)
    assert isinstance(decode("mewet/home-1/wristband/event", event(4)), EventRecord)
    status = decode("mewet/home-1/vitals/status", b"online")
    assert isinstance(status, DeviceRecord) and status.value == "online"


def test_meta_teaches_the_device_type() -> None:
    d = Decoder("mewet", 65536)
    meta = b'{"type":"vitals","model":"x","manufacturer":"y","room":"keittio","firmware":"1"}'
    d.decode(Received("mewet/h/v/meta", meta, 1, 1, True, 1), NOW)
    rec = d.decode(Received("mewet/h/v/telemetry", telemetry(1), 2, 1, False, 1), NOW)
    assert isinstance(rec, TelemetryRecord) and rec.type == "vitals"


BASE = b'{"v":1,"id":"a","ts":"2026-11-22T03:14:07.250Z","seq":1,'


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (GOOD_TOPIC, b"{not json", "not valid JSON"),
        (GOOD_TOPIC, b"", "not valid JSON"),
        (
            GOOD_TOPIC,
            BASE + b'"data":{"heart_rate":"72"}}',
            "data.heart_rate: Input should be a valid number",
        ),
        (GOOD_TOPIC, BASE + b'"data":{"heart_rate":NaN}}', "finite number"),
        (GOOD_TOPIC, BASE + b'"data":{"heart_rate":Infinity}}', "finite number"),
        (GOOD_TOPIC, BASE + b'"data":{"heart_rate":true}}', "valid number"),
        (GOOD_TOPIC, b'{"v":1,"id":"a","seq":1,"data":{"x":1}}', "ts: Field required"),
        (GOOD_TOPIC, BASE + b'"data":{}}', "at least 1 item"),
        (GOOD_TOPIC, BASE + b'"data":{"x":1},"extra":2}', "extra: Extra inputs are not permitted"),
        (
            GOOD_TOPIC,
            b'{"v":1,"id":"a","ts":"2026-11-22T03:14:07","seq":1,"data":{"x":1}}',
            "timezone",
        ),
        (GOOD_TOPIC, BASE.replace(b'"seq":1', b'"seq":-1') + b'"data":{"x":1}}', "seq"),
        (GOOD_TOPIC, b"\xff\xfe\x00garbage", "not UTF-8"),
        (GOOD_TOPIC, b"[1,2,3]", "telemetry"),
        (GOOD_TOPIC, b"x" * 70_000, "too large: 70000 bytes"),
        ("mewet/home-1/vitals", telemetry(1), "unknown topic"),
        ("mewet/Home/vitals/telemetry", telemetry(1), "unknown topic"),
        ("mewet/home-1/vitals/blob", telemetry(1), "unknown kind 'blob'"),
        ("other/home-1/vitals/telemetry", telemetry(1), "unknown topic"),
        ("mewet/home-1/vitals/status", b"maybe", "online"),
        ("mewet/home-1/vitals/state", b'{"nested":{"a":1}}', "state"),
        ("mewet/home-1/vitals/event", BASE + b'"event_type":"Bad Type","data":{}}', "event_type"),
    ],
)
def test_invalid_input_is_a_dead_letter_with_the_reason(
    topic: str, payload: bytes, reason: str
) -> None:
    rec = decode(topic, payload)
    assert isinstance(rec, DeadLetter), rec
    assert reason in rec.reason
    assert rec.topic == topic and rec.size == len(payload)
    assert len(rec.payload) <= 1025


def test_huge_payload_is_cut_short_in_the_dead_letter() -> None:
    rec = decode(GOOD_TOPIC, b"y" * 1_000_000, max_bytes=1_000)
    assert isinstance(rec, DeadLetter)
    assert rec.payload.endswith("…") and len(rec.payload) == 1025 and rec.size == 1_000_000


@settings(max_examples=300, deadline=None)
@given(topic=st.text(max_size=80), payload=st.binary(max_size=400))
def test_no_input_makes_the_decoder_raise(topic: str, payload: bytes) -> None:
    rec = decode(topic, payload)
    assert isinstance(rec, DeadLetter | TelemetryRecord | EventRecord | DeviceRecord)


names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda n: n not in {"seq", "msg_id", "time", "type", "home", "device"}
)


@settings(max_examples=200, deadline=None)
@given(
    data=st.dictionaries(
        names, st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=8
    ),
    seq=st.integers(min_value=0, max_value=2**40),
)
def test_every_valid_telemetry_message_is_taken_as_sent(data: dict[str, float], seq: int) -> None:
    sent = Telemetry(id=f"d-{seq}", ts=NOW, seq=seq, data=data)
    rec = decode(GOOD_TOPIC, sent.model_dump_json().encode())
    assert isinstance(rec, TelemetryRecord)
    assert (rec.seq, rec.msg_id, rec.ts, rec.data) == (seq, f"d-{seq}", NOW, data)
