"""What participants read of the home: a device's recent history, exactly as it was sent, kept
without weighing on the garbage collector."""

from __future__ import annotations

import gc

from mewet.exercises.frames import MessageFrame
from mewet.exercises.inputs import Setup, build
from mewet.exercises.view import HISTORY, HomeView, Relay
from mewet.scenarios.scenario import load_scenario
from mewet.sim.sink import MemorySink


def run_home(hours: float) -> tuple[HomeView, MemorySink]:
    """post-discharge's home (its vitals patch reports every minute) run for `hours`, with a
    view and a sink keeping everything beside it."""
    scenario = load_scenario("post-discharge")
    setup = Setup(scenario, scenario.seed, scenario.start, frozenset(), "ex1-test", "mewet")
    view, sent = HomeView(setup.zone), MemorySink()
    sim = build(setup, Relay(view, sent))
    sim.start()
    sim.run(hours * 3600)
    return view, sent


def test_a_devices_history_is_its_latest_messages_as_they_were_sent() -> None:
    view, sent = run_home(12)
    device = "vitals"
    kept = [m for m in sent.of(device) if m.topic.kind.value in ("telemetry", "event")]
    assert len(kept) > HISTORY  # more than the view keeps
    for limit in (1, 50, HISTORY):
        expected = [MessageFrame.of(m) for m in kept[-limit:]]
        assert view.recent(device, limit) == expected
    assert view.recent("no-such-device", 10) == []


def test_the_history_of_a_fast_home_adds_no_objects_for_the_collector_to_walk() -> None:
    # the collector's full passes walk every tracked object, stopping every thread; a live
    # server keeps 500 messages of every device of every exercise
    run_home(1)  # what is made once (caches, imports) is made now
    gc.collect()
    before = len(gc.get_objects())
    view_more = run_home(12)[0]  # and its sink let go
    gc.collect()
    after = len(gc.get_objects())
    held = sum(len(h) for h in view_more.history.values())
    assert held > 2000
    assert after - before < held / 10, (before, after, held)
