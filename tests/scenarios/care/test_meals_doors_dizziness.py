"""Skipped meals, falls that come from the resident's state, and a door left open at night,
as a teacher writing such a story would check them."""

from __future__ import annotations

from pathlib import Path

import pytest

from mewet.scenarios.jsonl import message_json
from mewet.scenarios.run import ScenarioSim, run_scenario
from mewet.scenarios.scenario import ScenarioError, load_scenario
from tests.scenarios.test_run import events_of, scenario_file
from tests.support.helpers import REPO

MONDAY = "2026-11-23T06:00:00+02:00"
JULY = "2026-07-05T06:00:00+03:00"


def story(tmp_path: Path, body: str, start: str = MONDAY, days: int = 1) -> Path:
    """A scenario file starting at `start` (local, with its offset) for `days`."""
    path = tmp_path / "story.yaml"
    path.write_text(f"id: story\ntitle: test\nstart: {start}\ndays: {days}\nseed: 4\n{body}")
    return path


def activities(sim: ScenarioSim, value: str) -> int:
    return sum(
        t.kind == "activity" and t.phase == "begin" and t.value == value for t in sim.truth.records
    )


def levels(sim: ScenarioSim, kind: str) -> list[float]:
    return [float(t.value) for t in sim.truth.records if t.kind == kind]


def test_skipped_meals_leave_the_hob_cold_and_the_evening_visit_makes_a_meal(
    tmp_path: Path,
) -> None:
    """From Monday morning she skips breakfast and lunch: the hob stays cold at those meals,
    the truth says `skipped_meal` twice, her dizziness rises, and the 16:30 visit finds she
    has not eaten and makes her a meal; the summary counts the meals."""
    body = (
        "incidents:\n  - {type: skipped_meals, at: '07:00', meals: 2}\ncare: {visits: ['16:30']}\n"
    )
    sim, sink = run_scenario(load_scenario(story(tmp_path, body)))
    assert activities(sim, "skipped_meal") == 2
    hob_on = [e.ts.astimezone(sim.scenario.start.tzinfo).hour for e in events_of(sink, "stove_on")]
    assert not [h for h in hob_on if h < 16], "the hob was used at a skipped meal"
    assert 18 in hob_on, "dinner is cooked again after the meal home care made"
    assert max(levels(sim, "dizziness")) >= 0.2
    found = next(a.detail for a in sim.team.timeline if a.action == "assessed")
    assert "has not eaten: 2 meals skipped" in found
    assert "gave_meal" in [a.action for a in sim.team.timeline]
    assert sim.world.meals_missed == 0
    plain, plain_sink = run_scenario(
        load_scenario(story(tmp_path, body.split("incidents", maxsplit=1)[0]))
    )
    assert activities(plain, "skipped_meal") == 0
    assert len(events_of(plain_sink, "stove_on")) > len(hob_on)


HOT_AND_DRY = (
    "weather: {outdoor_c: 30, indoor_c: 24}\n"
    "incidents:\n"
    "  - {type: heat_wave, at: '06:30', days: 2, indoor_rise_c: 8, drinks: 0}\n"
    "  - {type: skipped_drinks, at: '07:00', hours: 10}\n"
)
DIZZY_FALL = (
    "  - {type: fall, dizzy_chance_per_hour: 0.5, between: ['08:00', '21:00'], room: kitchen}\n"
)


def test_a_fall_written_by_dizziness_comes_on_a_hot_dry_day_and_never_on_a_steady_one(
    tmp_path: Path,
) -> None:
    """The same fall, written as 'more likely the dizzier she is': in the heat without
    drinks she falls in the kitchen within the window; a well-watered day at 21 °C leaves her
    steady and on her feet."""
    sim, _ = run_scenario(load_scenario(story(tmp_path, HOT_AND_DRY + DIZZY_FALL, JULY, 2)))
    falls = [
        t for t in sim.truth.records if t.kind == "activity" and t.value == "fall"
    ] or pytest.fail("no fall on a hot day without drinks")
    when = falls[0].ts.astimezone(sim.scenario.start.tzinfo)
    assert 8 <= when.hour <= 21
    dizzy_before = [
        float(t.value) for t in sim.truth.records if t.kind == "dizziness" and t.ts <= falls[0].ts
    ]
    assert dizzy_before[-1] > 0.3
    steady_body = "incidents:\n" + DIZZY_FALL
    steady, _ = run_scenario(load_scenario(story(tmp_path, steady_body, JULY, 2)))
    assert activities(steady, "fall") == 0
    assert max(levels(steady, "dizziness")) == 0.0


BALCONY_AT_NIGHT = (
    "devices:\n  door-balcony: {options: {left_open_min: 20}, faults: {sensitivity: 1}}\n"
    "incidents:\n  - {type: door_left_open, at: '23:30', door: balcony-door, minutes: 300}\n"
)


def test_a_balcony_door_left_open_at_night_alarms_and_the_resident_closes_it_when_called(
    tmp_path: Path,
) -> None:
    """Left open at 23:30 with a 20-minute limit: `door_left_open` reaches the alarm centre
    about 20 minutes later; the operator calls, she closes it (long before the 5 hours she
    would have taken), and the case is not a false alarm."""
    sim, sink = run_scenario(load_scenario(scenario_file(tmp_path, BALCONY_AT_NIGHT)))
    alarms = events_of(sink, "door_left_open")
    assert len(alarms) == 1 and alarms[0].severity == "alarm"
    opened = next(e for e in events_of(sink, "opened") if e.data["door"] == "balcony-door")
    waited = (alarms[0].ts - opened.ts).total_seconds() / 60
    assert 19 <= waited <= 22
    heard = [a.detail for a in sim.team.timeline if a.action == "talked"]
    assert any("left the door open" in h for h in heard)
    closed = [
        e
        for e in events_of(sink, "closed")
        if e.data["door"] == "balcony-door" and e.ts > alarms[0].ts
    ]
    assert closed and (closed[0].ts - alarms[0].ts).total_seconds() < 3600
    case = sim.team.cases[0]
    assert case.event_type == "door_left_open" and case.closed and not case.false_alarm


def test_a_door_open_for_a_while_in_the_day_raises_no_alarm(tmp_path: Path) -> None:
    """The same limit, the door open for an hour in the afternoon: no night, no alarm."""
    body = BALCONY_AT_NIGHT.replace("'23:30'", "'14:00'").replace("minutes: 300", "minutes: 60")
    sim, sink = run_scenario(load_scenario(scenario_file(tmp_path, body)))
    assert events_of(sink, "door_left_open") == []
    assert not sim.team.cases


@pytest.mark.parametrize(
    ("incident", "says"),
    [
        ("{type: door_left_open, at: '23:00', door: kitchen-door}", "doors: balcony-door"),
        (
            "{type: door_left_open, at: '23:00', door: hall-living}",
            "no door 'hall-living' that can be left open",
        ),
        ("{type: fall, at: '12:00', dizzy_chance_per_hour: 0.2}", "give either at"),
        ("{type: fall, dizzy_chance_per_hour: 3}", "must be at most 1"),
        ("{type: skipped_meals, at: '12:00', meals: 0}", "must be at least 1"),
    ],
)
def test_a_wrong_new_incident_is_refused_with_what_is_allowed(
    tmp_path: Path, incident: str, says: str
) -> None:
    with pytest.raises(ScenarioError, match=says):
        load_scenario(scenario_file(tmp_path, f"incidents:\n  - {incident}\n"))


def test_a_dizzy_fall_that_never_strikes_leaves_the_run_as_it_was(tmp_path: Path) -> None:
    """A dizziness-triggered fall on a steady day changes nothing the devices send: the
    incident draws from its own generator, so adding one does not reshuffle the day."""
    with_it = "incidents:\n  - {type: fall, dizzy_chance_per_hour: 1}\n"
    _, plain = run_scenario(load_scenario(story(tmp_path, "")))
    _, dizzy = run_scenario(load_scenario(story(tmp_path, with_it)))
    assert [message_json(m) for m in plain.messages] == [message_json(m) for m in dizzy.messages]


def test_the_guide_s_story_told_by_her_state_ends_with_a_dizzy_fall_in_the_kitchen(
    tmp_path: Path,
) -> None:
    """docs/scenarios.md retells the summer story with a skipped lunch and a fall that comes
    from her dizziness: the run has the skipped meal, then the fall in the kitchen in the
    afternoon window, and home care finds her dry and hungry."""
    guide = (REPO / "docs" / "scenarios.md").read_text()
    story = guide.split("### A worked story", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    by_state = guide.split("told by the state instead of the clock", 1)[1]
    incidents = by_state.split("```yaml\n", 1)[1].split("```", 1)[0]
    head = story.split("incidents:\n", 1)[0]
    care = "care:" + story.split("\ncare:", 1)[1]
    path = tmp_path / "summer-sunday-dizzy.yaml"
    path.write_text(head + incidents + care)
    sim, _ = run_scenario(load_scenario(path))
    tz = sim.world.start.tzinfo
    assert activities(sim, "skipped_meal") == 1
    fall = next(t for t in sim.truth.records if t.kind == "activity" and t.value == "fall")
    assert 13 <= fall.ts.astimezone(tz).hour < 18
    place = [t for t in sim.truth.records if t.kind == "location" and t.ts <= fall.ts]
    assert place[-1].value == "kitchen"
    found = next(a.detail for a in sim.team.timeline if a.action == "assessed")
    assert "nothing to drink" in found and "has not eaten" in found


def test_the_alarm_button_and_water_on_the_floor_reach_the_alarm_centre(tmp_path: Path) -> None:
    """What a learner tries in the home: she presses her wristband's button (a call for
    help the alarm centre answers), and water on the kitchen floor sets off the leak sensor,
    which clears when it is dry."""
    body = (
        "incidents:\n  - {type: button_press, at: '10:00'}\n"
        "  - {type: water_leak, at: '14:00', minutes: 20}\n"
    )
    sim, sink = run_scenario(load_scenario(scenario_file(tmp_path, body)))
    pressed = events_of(sink, "button_pressed")
    assert len(pressed) == 1 and pressed[0].ts.hour == 10
    wet, dry = events_of(sink, "leak_detected"), events_of(sink, "leak_cleared")
    assert len(wet) == 1 and len(dry) == 1
    assert 19 <= (dry[0].ts - wet[0].ts).total_seconds() / 60 <= 22
    kinds = {c.event_type for c in sim.team.cases}
    assert {"button_pressed", "leak_detected"} <= kinds
