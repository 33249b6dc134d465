"""The exercises' thread shares the interpreter with the API's event loop: it gives way while
the loop is behind, and its homes still move meanwhile."""

from __future__ import annotations

import asyncio
import threading
import time

from mewet.exercises.inputs import Setup
from mewet.exercises.live import Exercise
from mewet.exercises.runner import Runner
from mewet.scenarios.scenario import load_scenario


def test_the_homes_give_way_while_the_event_loop_is_busy_and_still_move() -> None:
    scenario = load_scenario("heat-wave")
    setup = Setup(scenario, scenario.seed, scenario.start, frozenset(), "ex1-test", "mewet")
    exercise = Exercise(1, setup, speed=3600)
    exercise.control("start", {}, "teacher")
    loop = asyncio.new_event_loop()
    serving = threading.Thread(target=loop.run_forever, daemon=True)
    serving.start()
    runner = Runner()
    beating = asyncio.run_coroutine_threadsafe(runner.beat(), loop)
    runner.start()
    runner.add(exercise, lambda _: None)
    try:
        time.sleep(1.0)
        free = runner.gave_way_s
        before = exercise.now_s
        loop.call_soon_threadsafe(time.sleep, 1.5)  # a request holding the loop 1.5 s
        time.sleep(1.5)
        busy = runner.gave_way_s - free
        moved = exercise.now_s - before
    finally:
        runner.stop()
        beating.cancel()
        loop.call_soon_threadsafe(loop.stop)
        serving.join(5)
        loop.close()
    assert free < 0.2  # a loop with nothing to do is not waited for
    assert busy > 0.7  # most of the stall given way
    assert moved > 1800  # yet the home went on: at least half an hour of its 1.5 h
