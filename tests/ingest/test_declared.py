"""Declared vs sent, on the real broker and each store: a company's device that strays from
its own `meta` gets every deviation recorded with the reason, and nothing is lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mewet.config import MqttUrl
from mewet.contract import Channel, Command, Event, Meta, Telemetry
from mewet.store.base import DEVIATION_KINDS, Store
from tests.ingest.test_ingest import running_ingest
from tests.support.helpers import eventually, publisher, unique_root

META = Meta(
    type="hr_patch",
    model="HR-1",
    manufacturer="Acme Health",
    room="bedroom",
    firmware="1.0",
    channels=[Channel(name="heart_rate", unit="bpm", rate_s=60, min=20, max=250)],
    events=["button_pressed"],
    commands=["reboot"],
)


def tele(seq: int, data: dict[str, float], ts: datetime, msg_id: str | None = None) -> bytes:
    return Telemetry(id=msg_id or f"t{seq}", ts=ts, seq=seq, data=data).model_dump_json().encode()


def ev(seq: int, kind: str, ts: datetime, **data: Any) -> bytes:
    body = Event(id=f"e{seq}", ts=ts, seq=seq, event_type=kind, severity="info", data=data)
    return body.model_dump_json().encode()


def test_every_kind_of_deviation_is_recorded_beside_the_message_and_ingest_goes_on(
    mqtt_url: MqttUrl, store: Store
) -> None:
    root = unique_root()
    base = f"{root}/acme-home/patch"
    link = publisher(mqtt_url)
    with running_ingest(mqtt_url, store, root):
        now = datetime.now(UTC)
        link.publish(f"{base}/meta", META.model_dump_json(exclude_none=True).encode(), retain=True)
        link.publish(f"{base}/telemetry", tele(1, {"heart_rate": 70}, now))  # conforming
        link.publish(f"{base}/telemetry", tele(2, {"heart_rate": 71, "spo2": 97}, now))
        link.publish(f"{base}/telemetry", tele(3, {"heart_rate": 400}, now))
        link.publish(f"{base}/event", ev(4, "exploded", now))
        link.publish(
            f"{base}/telemetry", tele(5, {"heart_rate": 72}, datetime(2099, 1, 1, tzinfo=UTC))
        )
        link.publish(f"{base}/telemetry", tele(9, {"heart_rate": 99}, now, msg_id="t1"))  # reused
        link.publish(f"{base}/telemetry", tele(1, {"heart_rate": 70}, now))  # a redelivery
        link.publish(f"{base}/event", ev(6, "command_result", now, ok="yes"))
        command = Command(id="c-1", ts=now).model_dump_json().encode()
        link.publish(f"{base}/cmd/reboot", command)
        later = now + timedelta(seconds=150)  # after the grace for commands sent before ingest
        link.publish(f"{base}/event", ev(7, "command_result", later, ok=True, ref="c-1"))
        link.publish(f"{base}/event", ev(8, "command_result", later, ok=True, ref="c-9"))
        link.publish(f"{root}/acme-home/ghost/telemetry", tele(1, {"x": 1}, now))
        link.publish(f"{base}/telemetry", tele(10, {"heart_rate": 73}, now))  # still taken
        assert link.wait_published(30)

        def counted() -> dict[str, int]:
            got = store.deviation_counts("acme-home", "patch")
            return got if sum(got.values()) >= 7 and store.count("telemetry", "acme-home") else {}

        counts = eventually(counted)
        eventually(lambda: store.count("telemetry", "acme-home") >= 6)
    assert counts == {
        "undeclared_channel": 1,
        "out_of_range": 1,
        "undeclared_event": 1,
        "ts_skew": 1,
        "id_reused": 1,
        "bad_result": 2,
        "unmatched_result": 1,
    }
    assert set(counts) | {"no_meta"} == set(DEVIATION_KINDS)
    why = {d.kind + ": " + d.detail for d in store.deviations("acme-home", "patch")}
    assert "undeclared_channel: channel 'spo2' (declared: heart_rate)" in why
    assert "out_of_range: heart_rate = 400 bpm outside 20..250" in why
    assert "undeclared_event: event 'exploded' (declared: button_pressed)" in why
    assert any(w.startswith("ts_skew: ts 2099-01-01") and "ahead of" in w for w in why)
    assert any(w.startswith("id_reused: id 't1'") for w in why)
    assert "bad_result: command_result: ok must be true or false, not 'yes'" in why
    assert "unmatched_result: command_result for 'c-9': no such command sent" in why
    assert store.deviation_counts("acme-home", "ghost") == {"no_meta": 1}
    # the command the lab sent is kept for the device's history
    [kept] = store.commands("acme-home", "patch")
    assert (kept.name, kept.msg_id, kept.args) == ("reboot", "c-1", {})
    # the messages are stored all the same (but for the reused id: the first keeps it)
    assert store.count("telemetry", "acme-home") == 6
    assert (
        max(
            v
            for _, v in store.series(
                "acme-home", "patch", "heart_rate", now - timedelta(1), now + timedelta(1)
            )
        )
        == 400
    )


def test_the_lab_s_own_virtual_devices_on_a_simulated_clock_are_not_called_skewed(
    mqtt_url: MqttUrl, store: Store
) -> None:
    """A simulated home runs on the scenario's clock (days in the past, at speed): its
    devices declare the lab as manufacturer and their ts is not compared with the clock."""
    root = unique_root()
    base = f"{root}/default/env"
    link = publisher(mqtt_url)
    meta = META.model_copy(update={"manufacturer": "MeWeT virtual devices"})
    with running_ingest(mqtt_url, store, root):
        link.publish(f"{base}/meta", meta.model_dump_json(exclude_none=True).encode(), retain=True)
        old = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
        link.publish(f"{base}/telemetry", tele(1, {"heart_rate": 70}, old))
        assert link.wait_published(30)
        eventually(lambda: store.count("telemetry", "default"))
    assert store.deviation_counts("default", "env") == {}


def test_an_ingest_in_a_shared_group_does_not_call_results_unmatched() -> None:
    """A member of a shared group reads no commands (it would see only a share of them), so
    it cannot tell an unmatched result: it does not say so; a lone ingest does."""
    from mewet.ingest.declared import Declared
    from mewet.store.base import EventRecord

    started = datetime.now(UTC) - timedelta(hours=1)
    result = EventRecord(
        "acme-home",
        "patch",
        "hr_patch",
        datetime.now(UTC),
        1,
        "e1",
        "command_result",
        "info",
        {"ok": True, "ref": "c-7"},
    )
    for match, kinds in ((True, ["unmatched_result"]), (False, [])):
        declared = Declared(started, match_results=match)
        declared.metas[("acme-home", "patch")] = META
        assert [d.kind for d in declared.check(result, datetime.now(UTC))] == kinds
