"""The resident as a role, on a real SimPy run: a student presses the button and the alarm
centre gets the call; what she says is what the operator hears (a resident on the floor who
says she is fine), or nothing when she lets the phone ring; she opens the front door at night
and the door alarm calls. Nobody playing her, the model answers as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from mewet.scenarios.care import ActionError
from mewet.scenarios.run import ScenarioSim, run_scenario
from mewet.scenarios.scenario import load_scenario
from mewet.sim.sink import MemorySink
from mewet.texts import say
from tests.scenarios.care.test_care import played
from tests.scenarios.test_run import FALL_WITH_CARE, events_of, scenario_file

RESIDENT = frozenset({"resident"})
QUIET = "care: {operators: 1, home_care_staff: 1, travel_min: 20, area: town}\n"
NIGHT_DOOR = "devices:\n  door-front: {options: {night_alarm: true}}\n" + QUIET


def heard(sim: object) -> list[str]:
    team = sim.team  # type: ignore[attr-defined]
    return [say(a.args["heard"], "en") for a in team.timeline if a.action == "talked"]


def test_the_resident_presses_the_button_and_the_alarm_centre_gets_the_call(
    tmp_path: Path,
) -> None:
    sim = played(tmp_path, {"resident", "alarm_centre"}, QUIET)
    team = sim.team
    sim.run(2 * 3600)  # 20:00
    assert not team.cases
    told = team.act("resident", "press_button", by="Eino")
    assert say(told, "en") == "the button is pressed: the alarm goes to the alarm centre"
    sim.run(2 * 3600 + 60)
    [case] = team.cases
    assert case.event_type == "button_pressed" and case.device == "wristband"
    team.act("alarm_centre", "answer", {"case": case.id}, "Ada")
    team.act("resident", "feel", {"feeling": "unwell"}, "Eino")
    told = team.act("alarm_centre", "talk", {"case": case.id}, "Ada")
    assert say(told, "en") == "the resident sounds weak and confused, feels unwell"
    assert case.situation == "unwell"
    [pressed] = [a for a in team.timeline if a.action == "pressed_button"]
    assert (pressed.role, pressed.by) == ("resident", "Eino")


def test_on_the_floor_she_may_say_she_is_fine_and_the_operator_hears_just_that(
    tmp_path: Path,
) -> None:
    """The fall at 03:10 is detected; a student as the resident says she is well: the
    operator hears "fine" (what a resident who does not want to be a bother says), not the
    truth; the model in her place would have told of the fall."""
    sim = played(tmp_path, {"resident", "alarm_centre"}, FALL_WITH_CARE)
    team = sim.team
    sim.run(9.5 * 3600)  # 03:30
    [case] = [c for c in team.cases if c.event_type == "fall_detected"]
    assert team.world.fallen
    team.act("resident", "feel", {"feeling": "well"}, "Eino")
    team.act("alarm_centre", "answer", {"case": case.id}, "Ada")
    team.act("alarm_centre", "talk", {"case": case.id}, "Ada")
    assert heard(sim) == ["the resident is fine"] and case.situation == "well"

    by_model, _ = run_scenario(load_scenario(scenario_file(tmp_path, FALL_WITH_CARE)))
    assert heard(by_model)[0] != "the resident is fine"


def test_she_lets_the_phone_ring_and_the_operator_hears_nobody(tmp_path: Path) -> None:
    sim = played(tmp_path, {"resident", "alarm_centre"}, FALL_WITH_CARE)
    team = sim.team
    sim.run(9.5 * 3600)
    [case] = [c for c in team.cases if c.event_type == "fall_detected"]
    team.act("resident", "let_ring", by="Eino")
    team.act("alarm_centre", "answer", {"case": case.id}, "Ada")
    team.act("alarm_centre", "talk", {"case": case.id}, "Ada")
    assert case.situation == "no_answer"
    team.act("resident", "answer_calls", by="Eino")
    sim.run(9.5 * 3600 + 120)  # the operator calls again once the first call is over
    team.act("alarm_centre", "talk", {"case": case.id}, "Ada")
    assert case.situation in ("fallen", "injured")  # she answers, and says what is true
    assert heard(sim)[0] == "no answer from the home"
    assert heard(sim)[1].startswith("the resident has fallen and")


def test_she_opens_the_front_door_at_night_and_the_door_alarm_calls(tmp_path: Path) -> None:
    sink = MemorySink()
    scenario = load_scenario(scenario_file(tmp_path, NIGHT_DOOR))
    sim = ScenarioSim(scenario, sink, players=RESIDENT)
    team = sim.team
    sim.run(7 * 3600)  # 01:00
    team.act("resident", "open_door", by="Eino")
    sim.run(7 * 3600 + 15 * 60)
    assert events_of(sink, "door_opened_at_night")
    assert any(c.event_type == "door_opened_at_night" for c in team.cases)
    team.act("resident", "close_door", by="Eino")
    assert not any(team.world.doors_open.values())


def test_what_she_cannot_do_is_refused_with_the_reason(tmp_path: Path) -> None:
    sim = played(tmp_path, {"resident"}, FALL_WITH_CARE)
    team = sim.team
    with pytest.raises(ActionError) as refused:
        team.act("resident", "feel", {"feeling": "hungry"}, "Eino")
    assert say(refused.value.said, "en").startswith("say well, unwell, fallen or injured")
    sim.run(9.5 * 3600)  # on the floor since 03:10
    with pytest.raises(ActionError) as refused:
        team.act("resident", "open_door", by="Eino")
    assert say(refused.value.said, "fi") == "hän on lattialla eikä pääse ovelle"
