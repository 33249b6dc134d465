"""The sim clock against a hand-driven wall clock: speed, pause, resume, speed change."""

from __future__ import annotations

import math

import pytest

from mewet.sim.clock import SimClock
from tests.support.helpers import START


class Wall:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_speed_pause_resume_and_speed_change() -> None:
    wall = Wall()
    clock = SimClock(START, speed=60, monotonic=wall)
    wall.t += 10
    assert clock.target() == pytest.approx(600)  # ten wall seconds at 60x: ten sim minutes
    clock.pause(sim_now=600)
    wall.t += 1000
    assert clock.target() == 600 and clock.paused
    clock.resume(sim_now=600)
    wall.t += 1
    assert clock.target() == pytest.approx(660)
    clock.set_speed(1, sim_now=660)  # no jump in sim time
    assert clock.target() == pytest.approx(660)
    wall.t += 5
    assert clock.target() == pytest.approx(665)
    assert clock.date(665).isoformat() == "2026-11-22T06:11:05+00:00"


def test_speed_zero_runs_as_fast_as_possible_and_bad_speeds_are_refused() -> None:
    assert math.isinf(SimClock(START, speed=0).target())
    for bad in (-1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="speed"):
            SimClock(START, speed=bad)


def test_step_advances_and_holds() -> None:
    wall = Wall()
    clock = SimClock(START, speed=1, monotonic=wall)
    clock.step(15, sim_now=100)
    assert clock.target() == 100 + 900 and clock.paused
    wall.t += 60
    assert clock.target() == 1000  # it holds there until resumed
    clock.resume(sim_now=1000)
    wall.t += 2
    assert clock.target() == pytest.approx(1002)
    with pytest.raises(ValueError, match="positive"):
        clock.step(0, sim_now=1000)


def test_a_home_without_geometry_still_gets_a_readable_plan() -> None:
    """Rooms without a place on the plan are laid out in rows, none overlapping; rooms with
    one keep it."""
    from mewet.devices.homes import load_home

    home = load_home("default")
    bare = home.model_copy(
        update={"rooms": [r.model_copy(update={"x": None, "y": None}) for r in home.rooms]}
    )
    boxes = [(x, y, w, h) for _, x, y, w, h in bare.plan()]
    assert len(boxes) == len(home.rooms)
    for i, (x, y, w, h) in enumerate(boxes):
        assert w >= 2 and h >= 2
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y  # no overlap
    kitchen = next(r for r in home.plan() if r[0].id == "kitchen")
    assert kitchen[1:] == (8.0, 1.2, 3.0, 3.0)
