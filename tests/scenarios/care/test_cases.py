"""A case is an incident, not an alarm: alarms of the same incident join its open case (by the
default policy at once, by a person with `link`); a case closes when its situation is
resolved; help on site is whoever was sent and came; the care chain agrees with itself; and
the KPI summary never disagrees with its cases. Each on a real SimPy run."""

from __future__ import annotations

from pathlib import Path

import pytest

from mewet.scenarios.care import ActionError, kpis
from mewet.scenarios.run import ScenarioSim, run_scenario
from mewet.scenarios.scenario import load_scenario
from mewet.sim.sink import MemorySink
from tests.scenarios.care.test_care import free
from tests.scenarios.test_run import FALL_WITH_CARE, events_of, scenario_file

SMOKE = (
    "incidents:\n  - {type: smoke, at: '14:00', minutes: 60}\n"
    "care: {operators: 1, home_care_staff: 1, travel_min: 20, area: town}\n"
)


def test_a_button_pressed_while_help_is_coming_joins_the_case_of_the_fall() -> None:
    """fall-with-injury: the fall is detected, and a minute later she presses the button.
    That press is the same incident: it joins case 1, and the summary counts one case,
    answered in time (it used to be an unanswered case 2 that failed the answer target)."""
    sim, _ = run_scenario(load_scenario("fall-with-injury"))
    first, press = sim.team.cases
    assert (first.event_type, press.event_type) == ("fall_detected", "button_pressed")
    assert press.linked_to == 1 and first.linked == [2] and press.closed
    linked = next(a for a in sim.team.timeline if a.action == "linked")
    assert (linked.role, linked.by, linked.args["case"], linked.args["to"]) == (
        "alarm_centre",
        "policy",
        2,
        1,
    )
    k = kpis(sim.team, sim.truth.records, 0, final=True)
    assert [c["id"] for c in k["cases"]] == [1]
    assert k["cases"][0]["joined"][0]["event_type"] == "button_pressed"
    answer = k["summary"]["answer"]
    assert (answer["met"], answer["missed"], answer["status"]) == (1, 0, "met")
    assert answer["worst"] == {"case": 1, "value_min": k["cases"][0]["answer_min"], "status": "met"}
    # nobody answers a joined alarm on its own: the operator talked about case 1 only
    talked = [a.args["case"] for a in sim.team.timeline if a.action == "talked"]
    assert talked == [1]


def test_two_smoke_alarms_of_one_fire_are_one_case_and_the_fire_service_is_help_on_site(
    tmp_path: Path,
) -> None:
    sim, sink = run_scenario(load_scenario(scenario_file(tmp_path, SMOKE)))
    assert len(events_of(sink, "smoke_detected")) >= 2  # both detectors went off
    own = [c for c in sim.team.cases if c.linked_to is None]
    assert len(own) == 1
    [case] = own
    assert case.linked and all(
        sim.team.cases[i - 1].event_type == "smoke_detected" for i in case.linked
    )
    assert "fire_service" in case.sent
    k = kpis(sim.team, sim.truth.records, 0, final=True)
    [row] = k["cases"]
    assert row["help_min"] is not None and row["status"]["help"] == "met"
    # whoever came first is help on site: the fire service or home care, both were sent
    assert row["on_site_role"] in ("fire_service", "home_care")
    assert k["summary"]["help"]["status"] == "met"


def test_a_person_at_the_alarm_centre_links_an_alarm_to_its_case(tmp_path: Path) -> None:
    """When a student plays the alarm centre, a second smoke alarm is a case in her queue
    until she links it; linking it to itself, or a case with help of its own, is refused."""
    scenario = load_scenario(scenario_file(tmp_path, SMOKE))
    sim = ScenarioSim(scenario, MemorySink(), players=frozenset({"alarm_centre"}))
    team = sim.team
    sim.run(14 * 3600 + 20 * 60 - 18 * 3600 + 86400)  # 14:20 the next day
    assert len(team.open_cases()) >= 2 and not any(c.linked_to for c in team.cases)
    first, second = team.cases[0], team.cases[1]
    team.act("alarm_centre", "answer", {"case": first.id}, "Ada")
    free(sim, "alarm_centre")
    with pytest.raises(ActionError, match="cannot join itself"):
        team.act("alarm_centre", "link", {"case": first.id, "to": first.id}, "Ada")
    with pytest.raises(ActionError, match="choose the alarm to link"):
        team.act("alarm_centre", "link", {"case": second.id}, "Ada")
    said = team.act("alarm_centre", "link", {"case": second.id, "to": first.id}, "Ada")
    assert said.id == "linked" and second.linked_to == first.id
    assert [a.by for a in team.timeline if a.action == "linked"] == ["Ada"]
    with pytest.raises(ActionError, match="has joined case"):
        team.act("alarm_centre", "answer", {"case": second.id}, "Ada")
    k = kpis(team, sim.truth.records, 0)
    assert second.id not in [c["id"] for c in k["cases"]]


def play_fall(tmp_path: Path) -> ScenarioSim:
    """The fall with a person at the alarm centre who has sent home care (03:30)."""
    sim = ScenarioSim(
        load_scenario(scenario_file(tmp_path, FALL_WITH_CARE)),
        MemorySink(),
        players=frozenset({"alarm_centre"}),
    )
    sim.run(9.5 * 3600)  # 03:30, she fell at 03:10
    for action in ("answer", "talk", "dispatch_home_care"):
        sim.team.act("alarm_centre", action, {"case": 1}, "Ada")
        free(sim, "alarm_centre")
    return sim


def test_a_case_closed_once_its_situation_is_resolved_meets_the_closure_target(
    tmp_path: Path,
) -> None:
    sim = play_fall(tmp_path)
    team = sim.team
    sim.run(sim.env.now + 3 * 3600)  # home care came, helped her up and left
    assert not sim.world.fallen and team.resolved(team.cases[0])
    assert team.act("alarm_centre", "close", {"case": 1}, "Ada").id == "case_closed"
    assert team.cases[0].closed and not team.cases[0].closed_early
    [case] = kpis(team, sim.truth.records, 0, final=True)["cases"]
    assert case["status"]["closure"] == "met"


def test_a_student_may_close_a_case_early_and_the_debrief_says_so(tmp_path: Path) -> None:
    """Help on its way is not help: closing while she is still on the floor is allowed, said
    plainly, marked on the case and the timeline, and missed in the closure KPI."""
    sim = play_fall(tmp_path)
    team = sim.team
    said = team.act("alarm_centre", "close", {"case": 1}, "Ada")
    assert said.id == "case_closed_early" and sim.world.fallen
    assert team.cases[0].closed and team.cases[0].closed_early
    assert [a.action for a in team.timeline if a.role == "alarm_centre"][-1] == "closed_early"
    k = kpis(team, sim.truth.records, 0)
    [case] = k["cases"]
    assert case["closed_early"] and case["status"]["closure"] == "missed"
    assert k["summary"]["closure"]["status"] == "missed"
    assert k["summary"]["closure"]["worst"]["case"] == 1


def test_the_policy_keeps_a_case_open_until_home_care_has_helped() -> None:
    sim, _ = run_scenario(load_scenario("night-fall"))
    at = {a.action: a.ts for a in sim.team.timeline if a.role in ("alarm_centre", "home_care")}
    assert at["dispatched"] < at["helped_up"] <= at["left"] <= at["closed"]


def test_the_care_chain_agrees_with_itself_after_the_resident_is_conveyed() -> None:
    """fall-with-injury with a person in home care: once the paramedics have taken her to
    hospital, nobody finds her at home, and nobody calls a second ambulance."""
    scenario = load_scenario("fall-with-injury")
    sim = ScenarioSim(scenario, MemorySink(), players=frozenset({"home_care"}))
    team = sim.team
    while not any(a.action == "conveyed" for a in team.timeline):
        sim.run(sim.env.now + 60)
    visit = team.visit("home_care")
    assert visit is not None
    sim.run(max(visit.eta, sim.env.now) + 1)
    team.act("home_care", "arrive", {}, "Bo")
    team.act("home_care", "unlock", {}, "Bo")
    free(sim, "home_care")
    with pytest.raises(ActionError, match="in hospital, not at home"):
        team.act("home_care", "assess", {}, "Bo")
    with pytest.raises(ActionError, match="in hospital, not at home"):
        team.act("home_care", "call_paramedics", {"urgency": "B"}, "Bo")
    team.act("home_care", "document", {"text": "conveyed before we came"}, "Bo")


def test_the_default_home_care_finds_the_flat_empty_after_a_conveyance() -> None:
    sim, _ = run_scenario(load_scenario("fall-with-injury"))
    conveyed = next(a.ts for a in sim.team.timeline if a.action == "conveyed")
    later = [a for a in sim.team.timeline if a.role == "home_care" and a.ts > conveyed]
    assert not [a for a in later if a.action == "assessed"]  # "the resident is well" no more


def test_home_care_documents_only_a_visit_it_made(tmp_path: Path) -> None:
    scenario = load_scenario(scenario_file(tmp_path, FALL_WITH_CARE))
    sim = ScenarioSim(scenario, MemorySink(), players=frozenset({"home_care"}))
    with pytest.raises(ActionError, match="home care has made no visit"):
        sim.team.act("home_care", "document", {"text": "all fine"}, "Bo")


def test_the_summary_of_two_cases_names_the_worse_and_agrees_with_the_rows(
    tmp_path: Path,
) -> None:
    """A fall answered at once and a smoke alarm left ringing: the headline says missed
    (one met, one missed), and its worst is the smoke case, never answered; not the
    longest answer that was measured."""
    body = FALL_WITH_CARE.replace(
        "incidents:\n", "incidents:\n  - {type: smoke, at: '05:00', minutes: 30}\n"
    )
    sim = ScenarioSim(
        load_scenario(scenario_file(tmp_path, body)),
        MemorySink(),
        players=frozenset({"alarm_centre"}),
    )
    team = sim.team
    sim.run(9 * 3600 + 12 * 60)  # 03:12: the fall, called in by the wristband after its wait
    team.act("alarm_centre", "answer", {"case": 1}, "Ada")
    sim.run(12 * 3600)  # 06:00: the smoke alarm at 05:00 was never answered
    k = kpis(team, sim.truth.records, 0, final=True)
    rows = {c["id"]: c["status"]["answer"] for c in k["cases"]}
    smoke = next(c.id for c in team.cases if c.event_type == "smoke_detected")
    assert rows[1] == "met" and rows[smoke] == "missed"
    answer = k["summary"]["answer"]
    assert answer["status"] == "missed"
    assert (answer["met"], answer["missed"]) == (1, sum(1 for s in rows.values() if s == "missed"))
    assert answer["worst"]["value_min"] is None and answer["worst"]["status"] == "missed"
    assert answer["worst"]["case"] != 1


def test_two_detectors_of_one_fall_are_one_case(tmp_path: Path) -> None:
    """She falls in the bathroom: the room's fall detector and her wristband both alarm."""
    body = (
        "devices:\n  wristband: {faults: {sensitivity: 1, false_alarms_per_h: 0}}\n"
        "  fall-bathroom: {faults: {sensitivity: 1, false_alarms_per_h: 0}}\n"
        "incidents:\n  - {type: fall, at: '03:10', room: bathroom, presses_button: 0}\n"
    )
    sim, _ = run_scenario(load_scenario(scenario_file(tmp_path, body)))
    falls = [c for c in sim.team.cases if c.event_type == "fall_detected"]
    assert {c.device for c in falls} == {"wristband", "fall-bathroom"}
    own = [c for c in falls if c.linked_to is None]
    assert len(own) == 1 and own[0].linked == [c.id for c in falls if c is not own[0]]
    assert len(kpis(sim.team, sim.truth.records, 0, final=True)["cases"]) == 1


def test_an_alarm_of_another_kind_is_answered_before_it_joins(tmp_path: Path) -> None:
    """A missed dose while the fall's case is open is not joined to it by its kind alone:
    the operator answers it and talks to the resident; she is still on the floor (that is
    why the dose was missed), so it is the same incident, and only then it joins case 1."""
    body = FALL_WITH_CARE.replace(
        "incidents:\n", "incidents:\n  - {type: missed_dose, at: '08:00'}\n"
    ).replace("travel_min: 20", "travel_min: 300")  # the fall's case is still open at 08:00
    sim, _ = run_scenario(load_scenario(scenario_file(tmp_path, body)))
    fall = next(c for c in sim.team.cases if c.event_type == "fall_detected")
    dose = next(c for c in sim.team.cases if c.event_type == "dose_missed")
    assert dose.answered is not None and dose.situation == "fallen"
    assert dose.linked_to == fall.id
    said_of = [(a.action, a.args.get("case")) for a in sim.team.timeline]
    assert said_of.index(("talked", dose.id)) < said_of.index(("linked", dose.id))


def test_a_visitor_s_key_entry_at_night_raises_no_door_alarm() -> None:
    """night-wandering: the door's night alarm goes off when she walks out; home care going
    in and out with the digital key is known to the system and raises none."""
    sim, sink = run_scenario(load_scenario("night-wandering"))
    alarms = events_of(sink, "door_opened_at_night")
    visits = [a for a in sim.team.timeline if a.role == "home_care" and a.action == "unlocked"]
    assert visits, "home care came at night"
    assert len(alarms) == 1  # hers only
    assert alarms[0].ts < visits[0].ts
    assert [c.event_type for c in sim.team.cases].count("door_opened_at_night") == 1


def test_the_front_door_left_open_is_unlocked_first(tmp_path: Path) -> None:
    """A front door left open is no locked door: the lock reports it unlocked by hand before
    the door opens; the alarm centre, hearing she is well, asks her to close it (no second
    alarm for the same open door); at most one call home."""
    body = (
        "devices:\n  door-front: {options: {night_alarm: true, left_open_min: 10}}\n"
        "incidents:\n  - {type: door_left_open, at: '23:30', door: front-door, minutes: 60}\n"
    )
    sim, sink = run_scenario(load_scenario(scenario_file(tmp_path, body)))
    [unlocked] = [e for e in events_of(sink, "unlocked") if e.data.get("method") == "manual"][:1]
    [opened] = [e for e in events_of(sink, "opened") if e.ts >= unlocked.ts][:1]
    assert unlocked.ts <= opened.ts
    own = [c for c in sim.team.cases if c.linked_to is None]
    assert len(own) == 1
    calls = [a for a in sim.team.timeline if a.action == "called_relative"]
    assert len(calls) <= 1


def test_a_resident_who_never_forgets_misses_no_dose(tmp_path: Path) -> None:
    """`forgets_dose: 0`, a memory disorder (the day's routine spreads): every dose the
    dispenser holds out is taken; she waits for one not out yet instead of missing it."""
    body = "resident: {persona: {cognition: dementia, forgets_dose: 0}}\n"
    path = scenario_file(tmp_path, body)
    path.write_text(path.read_text().replace("days: 1", "days: 4"))
    _, sink = run_scenario(load_scenario(path))
    assert len(events_of(sink, "dose_taken")) >= 7
    assert events_of(sink, "dose_missed") == []
