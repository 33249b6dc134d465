"""Exercises as their inputs: a live run and a replay of its inputs are the same run."""

from __future__ import annotations

import pytest

from mewet.exercises.errors import InvalidInputError, RefusedError
from mewet.exercises.inputs import Setup, replay
from mewet.exercises.live import Exercise
from mewet.scenarios.jsonl import message_json
from mewet.scenarios.scenario import load_scenario
from mewet.sim.sink import MemorySink


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
    ex.connect(heard)
    ex.control("start", {}, "teacher")
    ex.join("alarm_centre", "Ada")
    for _ in range(55):  # 55 wall seconds at speed 600: to 03:10
        wall.t += 1
        ex.advance()
    ex.control("step", {"minutes": 5}, "teacher")
    case = ex.sim.team.cases[-1].id
    ex.act("alarm_centre", "answer", {"case": case}, "Ada")
    ex.act("alarm_centre", "talk", {"case": case}, "Ada")
    with pytest.raises(RefusedError, match="still busy"):  # talking takes a minute and a half
        ex.act("alarm_centre", "dispatch_home_care", {"case": case}, "Ada")
    ex.control("step", {"minutes": 2}, "teacher")
    ex.act("alarm_centre", "dispatch_home_care", {"case": case}, "Ada")
    ex.control("step", {"minutes": 1}, "teacher")
    with pytest.raises(RefusedError, match="already on the way or there"):
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

    assert [a.as_json() for a in sim.team.timeline] == [a.as_json() for a in ex.sim.team.timeline]
    assert any(a.by == "Ada" for a in sim.team.timeline)


def test_controls_refuse_what_makes_no_sense_now() -> None:
    ex = Exercise(1, setup(), monotonic=Wall())
    with pytest.raises(RefusedError, match="only a running exercise can be paused"):
        ex.control("pause", {}, "t")
    with pytest.raises(RefusedError, match="has not started"):
        ex.act("alarm_centre", "answer", {}, "Ada")
    ex.control("start", {}, "t")
    with pytest.raises(RefusedError, match="already running"):
        ex.control("start", {}, "t")
    # wrong values are not "not now" (409) but wrong whenever they come (422, where and what)
    with pytest.raises(InvalidInputError, match=r"args\.speed: a number above 0") as bad:
        ex.control("speed", {"speed": 0}, "t")
    assert bad.value.problems[0][0] == "args.speed"
    with pytest.raises(InvalidInputError, match=r"by its number, from 0 \(1 in all\)"):
        ex.control("inject", {"incident": 7}, "t")
    with pytest.raises(
        InvalidInputError, match=r"args\.device: no device 'fridge' in home 'default'"
    ):
        ex.control("inject", {"type": "device_fault", "device": "fridge"}, "t")
    ex.control("end", {}, "t")
    assert ex.phase == "ended"
    with pytest.raises(RefusedError, match="has ended"):
        ex.control("resume", {}, "t")
    assert [i.name for i in ex.inputs] == ["start", "end"]  # refused inputs are not kept


def run_to(ex: Exercise, wall: Wall, seconds: float) -> None:
    """Let `seconds` of wall time pass, a tenth of a second at a time."""
    for _ in range(round(seconds * 10)):
        wall.t += 0.1
        ex.advance()


def test_a_role_nobody_took_is_played_by_its_policy_and_a_person_can_take_it_over() -> None:
    wall = Wall()
    ex = Exercise(1, setup(), speed=600, monotonic=wall)
    ex.control("start", {}, "teacher")
    ex.join("alarm_centre", "Ada")  # home care is open too, but nobody took it
    run_to(ex, wall, 56)  # past the fall at 03:10
    team = ex.sim.team
    case = team.cases[-1].id
    for action in ("answer", "talk", "dispatch_home_care"):
        ex.act("alarm_centre", action, {"case": case}, "Ada")
        run_to(ex, wall, 0.2)  # 2 sim minutes: what it takes
    while not [a for a in team.timeline if a.role == "home_care"]:
        wall.t += 0.1  # a sim minute at a time, until home care comes on its own
        ex.advance()
    home_care = [(a.action, a.by) for a in team.timeline if a.role == "home_care"]
    assert home_care == [("arrived", "policy"), ("unlocked", "policy")]
    # now a student takes home care over mid-visit: the policy does nothing more
    ex.join("home_care", "Bo")
    done = len(team.timeline)
    run_to(ex, wall, 6)
    assert not [a for a in team.timeline[done:] if a.role == "home_care"]
    assert "no injury" in str(ex.act("home_care", "assess", {}, "Bo"))
    run_to(ex, wall, 1)  # the assessment takes 8 minutes
    ex.act("home_care", "help_up", {}, "Bo")
    assert [a.by for a in team.timeline if a.action == "helped_up"] == ["Bo"]
    with pytest.raises(RefusedError, match="not open to students"):
        ex.join("doctor", "Cy")


def test_a_reconnecting_page_gets_the_newest_notes_not_all() -> None:
    """A class that wrote many notes: the snapshot carries the newest 200 (the debrief keeps
    every one), so a reconnect stays small."""
    from mewet.exercises.live import SNAPSHOT_NOTES

    ex = Exercise(1, setup(), monotonic=Wall())
    ex.control("start", {}, "t")
    for i in range(SNAPSHOT_NOTES + 50):
        ex.note(f"note {i}", "alarm_centre", "Ada")
    notes = ex.snapshot().notes
    assert len(notes) == SNAPSHOT_NOTES
    assert notes[-1].text == f"note {SNAPSHOT_NOTES + 49}" and notes[0].text == "note 50"
    assert sum(1 for i in ex.inputs if i.kind == "note") == SNAPSHOT_NOTES + 50


def test_stepping_to_the_next_event_stops_where_something_happens() -> None:
    """A learner alone steps on to what happens next: the run stops within half a minute of
    the next thing on her timeline (the night's fall alarm, after what the team does in the
    evening), paused, and the input keeps the minutes it took; a replay of the inputs is
    the same run."""
    ex = Exercise(1, setup(frozenset({"alarm_centre"})), monotonic=Wall())
    with pytest.raises(RefusedError, match="start the exercise first"):
        ex.control("step", {"to": "next"}, "Ada")
    ex.control("start", {}, "Ada")
    raised_at = None
    for _ in range(30):
        before = (len(ex.sim.team.cases), len(ex.sim.team.timeline))
        start = ex.now_s
        told = ex.control("step", {"to": "next"}, "Ada")
        assert ex.phase == "paused" and ex.now_s > start
        assert (len(ex.sim.team.cases), len(ex.sim.team.timeline)) != before
        assert told.id == "control_step_next"
        if ex.sim.team.cases:
            raised_at = ex.sim.team.cases[0].raised
            break
    assert raised_at is not None, "no alarm in 30 steps"
    assert 0 <= ex.now_s - raised_at <= 30  # stopped at the alarm, not minutes after it
    kept = ex.inputs[-1]
    assert (kept.name, kept.args["to"]) == ("step", "next") and kept.args["minutes"] > 0
    sim = replay(ex.setup, ex.inputs, ex.now_s, MemorySink())
    assert [a.as_json() for a in sim.team.timeline] == [a.as_json() for a in ex.sim.team.timeline]


def test_stepping_on_where_nothing_happens_stops_after_a_day_or_at_the_end() -> None:
    ex = Exercise(1, setup(frozenset({"alarm_centre"})), monotonic=Wall())
    ex.control("start", {}, "t")
    ex.control("step", {"minutes": 24 * 60}, "t")
    while ex.now_s < ex.setup.end_s:
        ex.control("step", {"to": "next"}, "t")
    with pytest.raises(RefusedError, match="at its end"):
        ex.control("step", {"to": "next"}, "t")
