"""Topics are built and parsed in one place, and bad ones are refused with a reason."""

from __future__ import annotations

import pytest

from mewet.contract.topics import Kind, Topic, check_id, subscription
from mewet.errors import ContractError


def test_round_trip_of_every_kind() -> None:
    for kind in Kind:
        command = "unlock" if kind is Kind.CMD else None
        topic = Topic("home-1", "lock-front", kind, command)
        assert Topic.parse(str(topic)) == topic


def test_retained_kinds() -> None:
    assert Topic("h", "d", Kind.STATE).retain
    assert Topic("h", "d", Kind.META).retain
    assert not Topic("h", "d", Kind.TELEMETRY).retain


@pytest.mark.parametrize(
    "bad",
    [
        "mewet/h/d",
        "other/h/d/state",
        "mewet/H/d/state",
        "mewet/h/d/unknown",
        "mewet/h/d/state/x",
        "mewet/h/d/cmd",
        "mewet/-h/d/state",
        "mewet/h/" + "d" * 64 + "/state",
        "mewet/h/d/cmd/Bad",
    ],
)
def test_bad_topics_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(ContractError) as exc:
        Topic.parse(bad)
    assert bad in str(exc.value) or "not valid" in str(exc.value)


def test_ids() -> None:
    assert check_id("a") == "a"
    assert check_id("a" * 63)
    for bad in ("", "A", "a_b", "a" * 64, "ä", "-a"):
        with pytest.raises(ContractError):
            check_id(bad)


def test_subscriptions() -> None:
    assert subscription() == "mewet/+/+/+"
    assert subscription(share_group="g1") == "$share/g1/mewet/+/+/+"
