"""Every message's time stamp is UTC to the millisecond with a Z, in whatever zone it was taken.

`format_ts` remembers the minutes it has formatted (millions of stamps a year): it must give
exactly what the slow, obvious conversion gives, in every time zone and across clock changes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from mewet.contract import format_ts


def slowly(ts: datetime) -> str:
    """The stamp as the contract defines it: UTC, milliseconds, a Z."""
    return ts.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


@pytest.mark.parametrize(
    "zone",
    [
        UTC,
        ZoneInfo("Europe/Helsinki"),
        ZoneInfo("America/St_Johns"),
        timezone(timedelta(hours=5, minutes=45)),
    ],
    ids=str,
)
def test_stamps_are_utc_with_milliseconds_in_every_zone(zone: timezone | ZoneInfo) -> None:
    rng = random.Random(7)
    # across the spring and autumn clock changes, second by odd second, and at random
    spring = datetime(2026, 3, 29, 0, 30, tzinfo=UTC).astimezone(zone)
    autumn = datetime(2026, 10, 25, 0, 30, tzinfo=UTC).astimezone(zone)
    moments = [
        start + timedelta(seconds=7.3217 * i) for start in (spring, autumn) for i in range(2000)
    ]
    moments += [
        datetime(2026, 1, 1, tzinfo=UTC).astimezone(zone) + timedelta(seconds=rng.uniform(0, 4e7))
        for _ in range(20_000)
    ]
    for ts in moments:
        assert format_ts(ts) == slowly(ts), ts


def test_stamps_in_a_historic_offset_of_seconds_and_naive_times() -> None:
    helsinki_1900 = datetime(1900, 6, 1, 12, 0, 30, 999_999, tzinfo=ZoneInfo("Europe/Helsinki"))
    assert helsinki_1900.utcoffset() == timedelta(hours=1, minutes=39, seconds=49)
    assert format_ts(helsinki_1900) == "1900-06-01T10:20:41.999Z"
    naive = datetime(2026, 6, 1, 12, 0, 0, 1_000)  # read as the machine's local time
    assert format_ts(naive) == slowly(naive)
