"""Exercises that tell the truth: a KPI with nothing measured is never met, each alarm has its
own figures, actions take the time they take, and the debrief reads as it happened."""

from __future__ import annotations

from typing import Any

from mewet.exercises import debrief
from mewet.exercises.inputs import Setup
from mewet.exercises.live import Exercise
from mewet.scenarios.scenario import load_scenario
from tests.exercises.test_exercises import Wall


def night_fall(players: frozenset[str]) -> tuple[Exercise, Wall]:
    """The night-fall exercise, started and stepped to just before the fall (03:10)."""
    scenario = load_scenario("night-fall")
    wall = Wall()
    setup = Setup(scenario, scenario.seed, scenario.start, players, "ex1-truth", "mewet")
    ex = Exercise(1, setup, speed=60, monotonic=wall)
    ex.control("start", {}, "teacher")
    for role in sorted(players):
        ex.join(role, "student")
    ex.control("step", {"minutes": 9 * 60 + 5}, "teacher")  # 18:00 -> 03:05
    return ex, wall


def step(ex: Exercise, minutes: float) -> dict[str, Any]:
    ex.control("step", {"minutes": minutes}, "teacher")
    return ex.kpis()


def test_targets_are_not_yet_then_missed_when_nobody_acts() -> None:
    """Before any alarm nothing applies; an alarm nobody answers is 'not yet' within the
    target and 'missed' after it; help that never comes and a resident still on the floor
    are missed too (they all read as met before)."""
    ex, _ = night_fall(frozenset({"alarm_centre", "home_care"}))
    k = ex.kpis()
    assert k["status"] == {
        "answer": "not applicable",
        "help": "not applicable",
        "long_lie": "not applicable",
    }
    k = step(ex, 7)  # 03:12: the fall just after 03:10, the wristband's call half a minute on
    [case] = k["cases"]
    assert case["status"]["answer"] == "not yet" and case["status"]["help"] == "not yet"
    assert k["status"]["long_lie"] == "not yet" and k["falls"][0]["still_down"]
    k = step(ex, 70)  # nobody answered, nobody came, still on the floor
    assert k["status"] == {"answer": "missed", "help": "missed", "long_lie": "missed"}
    assert k["alarms_unanswered"] == 1 and k["time_to_answer_max_min"] is None
    assert k["long_lie_max_min"] >= 70  # counted up to now while she is still down
    assert k["cases"][0]["raised"].endswith("+01:00")  # the home's local time


def test_each_alarm_has_its_own_figures() -> None:
    """A fall answered at once and a smoke alarm answered late: the debrief says which case
    missed its target instead of one maximum over both."""
    ex, _ = night_fall(frozenset({"alarm_centre"}))
    step(ex, 7)
    ex.act("alarm_centre", "answer", {"case": 1}, "Ada")
    ex.control("inject", {"type": "smoke", "minutes": 60}, "teacher")
    k = step(ex, 6)
    smoke = next(c for c in k["cases"] if c["event_type"] == "smoke_detected")
    ex.act("alarm_centre", "answer", {"case": smoke["id"]}, "Ada")
    k = ex.kpis()
    by_id = {c["id"]: c for c in k["cases"]}
    assert by_id[1]["status"]["answer"] == "met" and by_id[1]["answered_by"] == "Ada"
    assert by_id[smoke["id"]]["status"]["answer"] == "missed"
    assert k["status"]["answer"] == "missed" and k["time_to_answer_cases"] == [1, smoke["id"]]


def test_a_resident_helped_up_as_the_exercise_ends_has_a_long_lie() -> None:
    """Home care helps her up, and the teacher ends at the same sim instant: the long lie is
    measured to the moment she was helped up (it read as nothing measured)."""
    ex, _ = night_fall(frozenset({"home_care"}))
    step(ex, 60)  # the alarm centre's policy sends home care
    team = ex.sim.team
    visit = team.visit("home_care")
    assert visit is not None
    ex.control("step", {"minutes": max(1.0, (visit.eta - ex.now_s) / 60 + 1)}, "teacher")
    for action in ("arrive", "unlock", "assess"):
        ex.act("home_care", action, {}, "Bo")
        ex.control("step", {"minutes": team.busy_s("home_care") / 60 + 0.1}, "teacher")
    ex.act("home_care", "help_up", {}, "Bo")
    ex.control("end", {}, "teacher")
    k = ex.kpis()
    [fall] = k["falls"]
    assert fall["ended"] is not None and not fall["still_down"]
    assert k["long_lie_max_min"] == fall["lie_min"] and k["long_lie_max_min"] > 60
    assert k["status"]["long_lie"] == "missed"


def home_care_at_the_door(ex: Exercise) -> None:
    """Ada answers the fall, talks and sends home care; the clock steps to its arrival."""
    for action in ("answer", "talk", "dispatch_home_care"):
        ex.act("alarm_centre", action, {"case": 1}, "Ada")
        ex.control("step", {"minutes": 2}, "teacher")
    visit = ex.sim.team.visit("home_care")
    assert visit is not None
    ex.control("step", {"minutes": (visit.eta - ex.now_s) / 60 + 1}, "teacher")


def test_the_wristband_alarm_clears_once_she_is_helped_up() -> None:
    ex, _ = night_fall(frozenset({"alarm_centre", "home_care"}))
    step(ex, 7)
    assert ex.view.state["wristband"]["alarm"] is True
    team = ex.sim.team
    home_care_at_the_door(ex)
    for action in ("arrive", "unlock", "assess", "help_up"):
        ex.act("home_care", action, {}, "Bo")
        ex.control("step", {"minutes": team.busy_s("home_care") / 60 + 0.1}, "teacher")
    assert ex.view.state["wristband"]["alarm"] is False
    ex.act("home_care", "document", {"text": "helped up, no injury"}, "Bo")
    documented = [a for a in team.timeline if a.action == "documented"]
    assert documented[-1].by == "Bo" and documented[-1].detail == "documented: helped up, no injury"


def test_a_note_written_before_leaving_is_listed_before_it() -> None:
    ex, _ = night_fall(frozenset({"alarm_centre", "home_care"}))
    step(ex, 7)
    home_care_at_the_door(ex)
    for action in ("arrive", "unlock"):
        ex.act("home_care", action, {}, "Bo")
        ex.control("step", {"minutes": 1}, "teacher")
    ex.note("leaving now, the door is locked", "home_care", "Bo")
    ex.act("home_care", "leave", {}, "Bo")
    found = debrief.build(ex.setup, list(ex.inputs), ex.now_s)
    what = [r["what"] for r in found["timeline"] if r["kind"] in ("note", "action")]
    assert what.index("note") < what.index("left")
