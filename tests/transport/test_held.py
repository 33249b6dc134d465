"""What the broker holds for sessions, as `mewet up` says it on stopping."""

from __future__ import annotations

from pathlib import Path

from mewet.config import MqttUrl
from mewet.lab.up import _farewell
from mewet.servers import mosquitto
from mewet.transport.client import MqttLink
from mewet.transport.held import held_messages
from tests.support.helpers import eventually, unique_root


def test_the_broker_says_what_it_holds_for_a_session_that_is_away(tmp_path: Path) -> None:
    """On a broker of its own: nothing else changes what it holds meanwhile."""
    server = mosquitto(tmp_path).start()
    try:
        held_for_one_away(MqttUrl("127.0.0.1", server.port))
    finally:
        server.stop()


def held_for_one_away(mqtt_url: MqttUrl) -> None:
    root = unique_root()
    away = MqttLink(
        mqtt_url, f"away-{root}", persistent=True, session_expiry_s=60,
        subscriptions=(f"{root}/#",), threaded=True,
    ).connect()  # fmt: skip
    away.close()  # its session stays, and queues what comes

    def held() -> int:
        found = held_messages(mqtt_url)
        assert found is not None, "the broker says nothing of what it holds"
        return found

    before = held()
    sender = MqttLink(mqtt_url, f"sender-{root}").connect()
    for i in range(5):
        sender.publish(f"{root}/h/d/telemetry", b"%d" % i)
    sender.wait_published(10)
    sender.close()
    eventually(lambda: held() == before + 5, timeout_s=10)
    again = MqttLink(
        mqtt_url, f"away-{root}", persistent=True, session_expiry_s=0, threaded=True
    ).connect()  # it comes back and takes them; its session ends with it
    again.close()
    eventually(lambda: held() == before, timeout_s=10)


def test_the_last_line_says_what_still_waits() -> None:
    assert _farewell(None) == "the lab has stopped; everything acknowledged is in the store"
    assert _farewell(0) == _farewell(None)
    assert "1234 messages still wait in the broker's sessions (kept on disk)" in _farewell(1234)
