"""One contract suite, run on SQLite and on the real influxd."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mewet.store.base import (
    Aggregate,
    DeadLetter,
    DeviceRecord,
    EventRecord,
    IngestStats,
    Store,
    TelemetryRecord,
)
from tests.support.helpers import START


def tele(
    seq: int, device: str = "vitals", minutes: float | None = None, **data: float
) -> TelemetryRecord:
    ts = START + timedelta(minutes=seq if minutes is None else minutes)
    return TelemetryRecord(
        "home-1", device, "vitals", ts, seq, f"{device}-{seq}", data or {"heart_rate": 60.0 + seq}
    )


def test_series_raw_and_aggregated(store: Store) -> None:
    store.write([tele(i) for i in range(30)])
    raw = store.series("home-1", "vitals", "heart_rate", START, START + timedelta(hours=1))
    assert [v for _, v in raw] == [60.0 + i for i in range(30)]
    assert raw[0][0] == START and raw[29][0] == START + timedelta(minutes=29)
    win = store.series("home-1", "vitals", "heart_rate", START, START + timedelta(hours=1), 600)
    assert [v for _, v in win] == [64.5, 74.5, 84.5]
    assert [t for t, _ in win] == [START + timedelta(minutes=m) for m in (0, 10, 20)]
    cases: tuple[tuple[Aggregate, list[float]], ...] = (
        ("max", [69.0, 79.0, 89.0]),
        ("min", [60.0, 70.0, 80.0]),
        ("count", [10.0, 10.0, 10.0]),
        ("last", [69.0, 79.0, 89.0]),
    )
    for agg, expected in cases:
        got = store.series(
            "home-1", "vitals", "heart_rate", START, START + timedelta(hours=1), 600, agg
        )
        assert [v for _, v in got] == expected, agg


def test_range_is_half_open_and_per_device(store: Store) -> None:
    store.write([tele(i) for i in range(10)] + [tele(i, device="other") for i in range(10)])
    got = store.series(
        "home-1", "vitals", "heart_rate", START + timedelta(minutes=2), START + timedelta(minutes=5)
    )
    assert [v for _, v in got] == [62.0, 63.0, 64.0]


def test_the_same_message_written_twice_is_one_point(store: Store) -> None:
    batch = [tele(i) for i in range(5)]
    store.write(batch)
    store.write(batch[2:])
    assert store.count("telemetry") == 5
    assert (
        len(store.series("home-1", "vitals", "heart_rate", START, START + timedelta(hours=1))) == 5
    )


def test_two_messages_in_the_same_millisecond_are_both_kept(store: Store) -> None:
    store.write([tele(1, minutes=0), tele(2, minutes=0)])
    assert store.count("telemetry") == 2


def test_events_in_a_range(store: Store) -> None:
    evs = [
        EventRecord(
            "home-1",
            "wristband",
            "wristband",
            START + timedelta(minutes=m),
            m,
            f"w-{m}",
            "fall_detected",
            "alarm",
            {"confidence": 0.9, "note": "hall, 'A' \"B\""},
        )
        for m in range(5)
    ]
    other = EventRecord("home-2", "wristband", "wristband", START, 0, "x", "worn", "info", {})
    store.write([*evs, other])
    got = store.events("home-1", START + timedelta(minutes=1), START + timedelta(minutes=4))
    assert got == evs[1:4]
    assert store.events("home-1", START, START + timedelta(hours=1), device="nope") == []
    assert store.count("event", home="home-1") == 5


def test_latest_state_of_every_device(store: Store) -> None:
    t0 = START
    store.write(
        [
            DeviceRecord(
                "home-1", "motion-hall", "meta", t0, {"type": "motion"}, type="motion", room="Hall"
            ),
            DeviceRecord("home-1", "motion-hall", "status", t0, "online"),
            DeviceRecord("home-1", "motion-hall", "state", t0, {"motion": False, "battery": 90.0}),
            DeviceRecord(
                "home-1",
                "motion-hall",
                "state",
                t0 + timedelta(seconds=5),
                {"motion": True, "battery": 89.5},
            ),
            DeviceRecord("home-1", "motion-hall", "status", t0 + timedelta(seconds=6), "offline"),
            tele(3, device="motion-hall"),
        ]
    )
    view = store.devices("home-1")["motion-hall"]
    assert (view.type, view.room, view.status) == ("motion", "Hall", "offline")
    assert view.state == {"motion": True, "battery": 89.5}
    assert view.last_seen == START + timedelta(minutes=3)
    assert view.meta == {"type": "motion"}  # what it declared, for the commands it takes
    assert store.devices("home-2") == {}
    assert store.device_types() == {("home-1", "motion-hall"): "motion"}


@pytest.mark.parametrize(
    "room",
    [
        "keittiö",
        "Anna's room",
        'the "blue" room',
        "a,b=c d",
        "back\\slash",
        "Küche ünd Bad",
        "厨房",
    ],
)
def test_unicode_and_escaping_survive(store: Store, room: str) -> None:
    store.write(
        [
            DeviceRecord(
                "home-1", "env", "meta", START, {"room": room}, type="environment", room=room
            )
        ]
    )
    assert store.devices("home-1")["env"].room == room


def test_dead_letters_keep_any_text(store: Store) -> None:
    nasty = 'line1\nline2 "quoted" \\ back, comma=eq keittiö \t tab'
    letters = [
        DeadLetter(START + timedelta(seconds=i), f"mewet/h/d/{i}", f"reason {i}", nasty, 10 + i)
        for i in range(3)
    ]
    letters.append(DeadLetter(START + timedelta(seconds=2), "same/time", "twin", "x", 1))
    store.write(letters)
    got = store.dead_letters(limit=10)
    assert len(got) == 4 and store.count("deadletter") == 4
    assert got[-1] == letters[0]
    assert {d.payload for d in got} == {nasty, "x"}
    assert store.dead_letters(limit=2)[0].received == START + timedelta(seconds=2)


def test_last_seq_per_device_and_ingest_totals(store: Store) -> None:
    store.write(
        [tele(i) for i in range(7)]
        + [
            EventRecord(
                "home-1", "vitals", "vitals", START + timedelta(hours=1), 9, "e9", "x", "info", {}
            ),
            IngestStats(START, "ingest-a", 10, 9, 1, 1, 2, 0.25),
            IngestStats(START + timedelta(seconds=5), "ingest-a", 20, 18, 1, 2, 2, 0.5),
        ]
    )
    assert store.last_seqs() == {("home-1", "vitals"): 9}
    stats = store.stats()
    assert [
        (s.instance, s.received, s.written, s.duplicates, s.rejected, s.gaps, s.lag_s)
        for s in stats
    ] == [("ingest-a", 20, 18, 1, 2, 2, 0.5)]
    assert stats[0].ts == START + timedelta(seconds=5)  # when they were written


def test_a_device_s_latest_telemetry_messages_newest_first(store: Store) -> None:
    """What a company's page shows as the device's last readings: whole messages (every
    channel of each), newest first, only that device's."""
    two = [tele(i, heart_rate=60.0 + i, spo2=95.0) for i in range(8)]
    store.write(two + [tele(i, device="other", minutes=100 + i) for i in range(5)])
    latest = store.latest_telemetry("home-1", "vitals", 3)
    assert [r.seq for r in latest] == [7, 6, 5]
    assert latest[0].data == {"heart_rate": 67.0, "spo2": 95.0}
    assert latest[0].ts == START + timedelta(minutes=7) and latest[0].msg_id == "vitals-7"
    assert store.latest_telemetry("home-1", "nobody") == []


def test_one_device_s_dead_letters_are_found_under_another_s_flood(store: Store) -> None:
    """A device's page looks up its own dead letters: a flood from another device (or of
    made-up topics) cannot push them out of sight."""
    mine = DeadLetter(START, "mewet/acme/plug-1/telemetry", "not JSON", "x", 1)
    flood = [
        DeadLetter(
            START + timedelta(milliseconds=i + 1), f"mewet/beta/{i % 3}/event", "bad", "y", 1
        )
        for i in range(300)
    ]
    like = DeadLetter(START, "mewet/acme/plug-10/telemetry", "not mine", "z", 1)
    store.write([mine, like, *flood])
    assert store.dead_letters(limit=100, topic_prefix="mewet/acme/plug-1/") == [mine]
    assert len(store.dead_letters(limit=100)) == 100  # the lab's newest: all of the flood
