"""Exercises as their inputs: a live run and a replay of its inputs are the same run."""

from __future__ import annotations

import pytest

from mewet.devices.sink import MemorySink
from mewet.exercises.inputs import Setup, replay
from mewet.exercises.live import Exercise, Refused
from mewet.scenarios.run import message_json
from mewet.scenarios.scenario import load_scenario


class Wall:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def setup(players: frozenset[str] = frozenset({"alarm_centre", "home_care"})) -> Setup:
    scenario = load_scenario("night-fall")
    return Setup(scenario, scenario.seed, scenario.start, players, "ex1-test", "mewet")


def test_a_live_run_and_the_replay_of_its_inputs_are_the_same_run() -> None:
    wall = Wall()
    ex = Exercise(1, setup(), speed=600, monotonic=wall)
    heard = MemorySink()
    ex.relay.targets.append(heard)
    ex.control("start", {}, "teacher")
    for _ in range(55):  # 55 wall seconds at speed 600: to 03:10
        wall.t += 1
        ex.advance()
    ex.control("step", {"minutes": 5}, "teacher")
    case = ex.sim.care.cases[-1].id if ex.sim.care else 0
    ex.act("alarm_centre", "answer", {"case": case}, "Ada")
    ex.act("alarm_centre", "talk", {"case": case}, "Ada")
    ex.act("alarm_centre", "dispatch_home_care", {"case": case}, "Ada")
    with pytest.raises(Refused, match="already on its way"):
        ex.act("alarm_centre", "dispatch_home_care", {"case": case}, "Ada")
    ex.control("inject", {"type": "smoke", "minutes": 5}, "teacher")
    ex.note("called the home, no answer at first", "alarm_centre", "Ada")
    ex.control("resume", {}, "teacher")
    for _ in range(10):
        wall.t += 1
        ex.advance()
    ex.control("pause", {}, "teacher")
    kinds = [(i.kind, i.name) for i in ex.inputs]
    assert ("action", "dispatch_home_care") in kinds and kinds.count(
        ("action", "dispatch_home_care")
    ) == 1
    assert ("inject", "smoke") in kinds

    again = MemorySink()
    sim = replay(ex.setup, ex.inputs, ex.now_s, again)
    assert float(sim.env.now) == ex.now_s
    # the live run's messages (after the devices came on) are the replay's, one for one
    live = [message_json(m) for m in heard.messages]
    assert live and [message_json(m) for m in again.messages][-len(live) :] == live
    assert sim.care is not None and ex.sim.care is not None
    assert [a.as_json() for a in sim.care.timeline] == [a.as_json() for a in ex.sim.care.timeline]
    assert any(a.by == "Ada" for a in sim.care.timeline)


def test_controls_refuse_what_makes_no_sense_now() -> None:
    ex = Exercise(1, setup(), monotonic=Wall())
    with pytest.raises(Refused, match="only a running exercise can be paused"):
        ex.control("pause", {}, "t")
    with pytest.raises(Refused, match="has not started"):
        ex.act("alarm_centre", "answer", {}, "Ada")
    ex.control("start", {}, "t")
    with pytest.raises(Refused, match="already running"):
        ex.control("start", {}, "t")
    with pytest.raises(Refused, match="speed must be a number above 0"):
        ex.control("speed", {"speed": 0}, "t")
    with pytest.raises(Refused, match="incident 7: the scenario has incidents 0 to 0"):
        ex.control("inject", {"incident": 7}, "t")
    with pytest.raises(Refused, match="unknown device 'fridge'"):
        ex.control("inject", {"type": "device_fault", "device": "fridge"}, "t")
    ex.control("end", {}, "t")
    assert ex.phase == "ended"
    with pytest.raises(Refused, match="has ended"):
        ex.control("resume", {}, "t")
    assert [i.name for i in ex.inputs] == ["start", "end"]  # refused inputs are not kept
