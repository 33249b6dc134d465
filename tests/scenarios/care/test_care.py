"""The care team's roles and actions, personas and the newer incidents, on a real SimPy run."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from mewet.contract import Telemetry
from mewet.scenarios.care import ActionError, kpis
from mewet.scenarios.homesim import HomeSim
from mewet.scenarios.jsonl import message_json
from mewet.scenarios.run import DAY_S, ScenarioSim, run_scenario
from mewet.scenarios.scenario import Scenario, ScenarioError, load_scenario
from mewet.sim.sink import MemorySink
from tests.scenarios.test_run import FALL_WITH_CARE, events_of, scenario_file
from tests.support.helpers import REPO


def values(sim: HomeSim, sink: MemorySink, device: str, channel: str) -> list[tuple[float, float]]:
    """(hours since the start, value) of one telemetry channel."""
    out = []
    for m in sink.of(device, "telemetry"):
        assert isinstance(m.payload, Telemetry)
        hours = (m.payload.ts - sim.world.start).total_seconds() / 3600
        out.append((hours, m.payload.data[channel]))
    return out


def mean(xs: list[float]) -> float:
    assert xs, "no values in that window"
    return sum(xs) / len(xs)


def test_a_person_in_a_role_has_exactly_the_effect_of_the_policy(tmp_path: Path) -> None:
    scenario = load_scenario(scenario_file(tmp_path, FALL_WITH_CARE))
    by_policy, policy_sink = run_scenario(scenario)
    done = {
        "answered": "answer",
        "talked": "talk",
        "dispatched": "dispatch_home_care",
        "called_relative": "call_relative",
        "closed": "close",
    }
    start = scenario.start
    steps = [
        ((a.ts - start).total_seconds(), done[a.action])
        for a in by_policy.team.timeline
        if a.role == "alarm_centre"
    ]
    # the same decisions, taken by a person at the same moments
    sink = MemorySink()
    sim = ScenarioSim(scenario, sink, players=frozenset({"alarm_centre"}))
    team = sim.team
    for at_s, action in steps:
        sim.at(at_s, partial(team.act, "alarm_centre", action, {"case": 1}))
    sim.run(DAY_S)
    sim.shutdown()
    assert [message_json(m) for m in sink.messages] == [
        message_json(m) for m in policy_sink.messages
    ]
    assert [a.by for a in team.timeline if a.role == "alarm_centre"] == ["person"] * len(steps)


def played(tmp_path: Path, roles: set[str], body: str = FALL_WITH_CARE) -> ScenarioSim:
    scenario = load_scenario(scenario_file(tmp_path, body))
    return ScenarioSim(scenario, MemorySink(), players=frozenset(roles))


def test_actions_that_make_no_sense_now_are_refused_with_the_reason(tmp_path: Path) -> None:
    sim = played(tmp_path, {"alarm_centre", "home_care"})
    team = sim.team
    with pytest.raises(ActionError, match="there is no open alarm case"):
        team.act("alarm_centre", "answer")
    with pytest.raises(ActionError, match="Home care cannot do dispatch_home_care"):
        team.act("home_care", "dispatch_home_care")
    sim.run(9.5 * 3600)  # 03:30, after the fall at 03:10
    assert sim.world.fallen and [c.id for c in team.cases] == [1]
    with pytest.raises(ActionError, match="answer alarm case 1 first"):
        team.act("alarm_centre", "dispatch_home_care", {"case": 1})
    team.act("alarm_centre", "answer", {"case": 1})
    with pytest.raises(ActionError, match="already answered"):
        team.act("alarm_centre", "answer", {"case": 1})
    assert str(team.act("alarm_centre", "talk")) == "the resident has fallen and cannot get up"
    # talking takes time, for a person as for the default policy
    with pytest.raises(ActionError) as busy:
        team.act("alarm_centre", "dispatch_home_care")
    assert busy.value.said.as_json() == {
        "id": "busy",
        "role": "alarm_centre",
        "action": "talk",
        "left_s": 90,
    }
    assert str(busy.value) == "Alarm centre: still busy (talking to the resident) for about 90 s"
    free(sim, "alarm_centre")
    team.act("alarm_centre", "dispatch_home_care")
    free(sim, "alarm_centre")
    with pytest.raises(ActionError, match="already on the way or there"):
        team.act("alarm_centre", "dispatch_home_care")
    with pytest.raises(ActionError, match="not there yet"):
        team.act("home_care", "help_up")
    with pytest.raises(ActionError, match=r"still on the way: about \d+ min to go"):
        team.act("home_care", "arrive")
    sim.run(sim.env.now + 40 * 60)
    team.act("home_care", "arrive")
    with pytest.raises(ActionError, match="go in first"):
        team.act("home_care", "help_up")
    team.act("home_care", "unlock")
    free(sim, "home_care")
    assert "no injury" in str(team.act("home_care", "assess"))
    with pytest.raises(ActionError, match=r"still busy \(assessing\) for about 8 min"):
        team.act("home_care", "help_up")  # an assessment takes 8 minutes, for anyone
    free(sim, "home_care")
    team.act("home_care", "help_up")
    free(sim, "home_care")
    with pytest.raises(ActionError, match="not on the floor"):
        team.act("home_care", "help_up")
    assert not sim.world.fallen
    sim.run(sim.env.now + 3600)
    assert sim.world.in_bed  # back to bed at night
    with pytest.raises(ActionError, match="urgency E: use A"):
        team.act("home_care", "call_paramedics", {"urgency": "E"})


def free(sim: ScenarioSim, role: str) -> None:
    """Run on until the role has finished its last action."""
    sim.run(sim.env.now + sim.team.busy_s(role))


def test_an_injured_resident_is_not_lifted_but_conveyed_by_the_paramedics() -> None:
    sim, sink = run_scenario(load_scenario("fall-with-injury"))
    team = sim.team
    actions = [(a.role, a.action) for a in team.timeline]
    assert ("alarm_centre", "called_paramedics") in actions
    assert ("paramedic", "conveyed") in actions and ("home_care", "helped_up") not in actions
    conveyed = next(a.ts for a in team.timeline if a.action == "conveyed")
    hospital = [t for t in sim.truth.records if t.value == "hospital" and t.phase == "begin"]
    assert hospital and hospital[0].ts - conveyed < timedelta(minutes=5)
    assert any(e.data.get("key") == "paramedics" for e in events_of(sink, "unlocked"))
    k = run_kpis(sim)
    assert k["paramedics_called"] == 1 and k["conveyed_to_hospital"] == 1
    # four hours in hospital, then home again and living
    back = [t for t in sim.truth.records if t.value == "hospital" and t.phase == "end"]
    assert back and timedelta(hours=3.9) <= back[0].ts - hospital[0].ts <= timedelta(hours=4.1)


def run_kpis(sim: ScenarioSim) -> dict[str, Any]:

    return kpis(sim.team, sim.truth.records, 0)


def test_the_physiotherapist_visits_days_after_a_fall(tmp_path: Path) -> None:
    scenario = load_scenario(scenario_file(tmp_path, FALL_WITH_CARE))
    sim, _ = run_scenario(scenario, days=4)
    physio = [a for a in sim.team.timeline if a.role == "physiotherapist"]
    assert [a.action for a in physio] == ["set_off", "arrived", "unlocked", "assessed", "left"]
    helped = next(a.ts for a in sim.team.timeline if a.action == "helped_up")
    assert physio[0].ts.date() == (helped + timedelta(days=3)).date()
    assert "fall risk" in physio[3].detail


def test_a_fall_without_alarm_is_found_at_the_routine_morning_visit() -> None:
    sim, sink = run_scenario(load_scenario("fall-no-wristband"))
    assert not sim.team.cases  # no alarm at all
    found = next(a for a in sim.team.timeline if a.action == "helped_up")
    local = found.ts.astimezone(sim.world.start.tzinfo)
    assert (local.hour, local.minute) >= (7, 30) and local.hour < 9
    fall = next(t for t in sim.truth.records if t.value == "fall" and t.phase == "begin")
    assert found.ts - fall.ts > timedelta(hours=4)
    assert not [e for e in events_of(sink, "motion_detected") if fall.ts < e.ts < found.ts][1:]


def test_a_heat_wave_warms_the_home_and_dehydrates_the_resident() -> None:
    sim, sink = run_scenario(load_scenario("heat-wave"))
    temp = values(sim, sink, "env-living", "temperature")
    hr = values(sim, sink, "vitals", "heart_rate")
    first_day = [v for h, v in temp if h < 4]
    third_day = [v for h, v in temp if 52 < h < 72]
    assert mean(third_day) > mean(first_day) + 4
    assert (
        mean([v for h, v in hr if 48 + 2 < h < 48 + 5]) > mean([v for h, v in hr if 2 < h < 5]) + 8
    )  # the same morning hours, two days later
    assert events_of(sink, "vitals_alert")
    assert "gave_fluids" in [a.action for a in sim.team.timeline]


def test_post_discharge_monitoring_warns_and_the_doctor_treats() -> None:
    sim, sink = run_scenario(load_scenario("post-discharge"))
    alerts = events_of(sink, "vitals_alert")
    low, pulse = alerts[0].data["spo2"], alerts[0].data["heart_rate"]
    assert isinstance(low, float) and isinstance(pulse, float)
    assert low < 92 or pulse > 100
    consulted = next(a for a in sim.team.timeline if a.action == "consulted")
    assert "antibiotics" in consulted.detail
    spo2 = [
        (m.payload.ts, m.payload.data["spo2"])
        for m in sink.of("vitals", "telemetry")
        if isinstance(m.payload, Telemetry)
    ]
    before = [v for ts, v in spo2 if alerts[0].ts - timedelta(minutes=30) <= ts <= alerts[0].ts]
    after = [v for ts, v in spo2 if ts > consulted.ts + timedelta(hours=2)]
    assert mean(after) > mean(before) + 1.5


def test_smoke_brings_the_fire_service(tmp_path: Path) -> None:
    body = "incidents:\n  - {type: smoke, at: '19:00', minutes: 60}\n"
    sim, sink = run_scenario(load_scenario(scenario_file(tmp_path, body)))
    assert events_of(sink, "smoke_detected")
    actions = [a.action for a in sim.team.timeline]
    assert "called_fire_service" in actions and "fire_service_on_site" in actions
    assert not sim.world.smoke


def test_an_incident_by_chance_per_day_happens_in_its_window(tmp_path: Path) -> None:
    body = (
        "days: 20\n"
        "incidents:\n"
        "  - {type: stove_left_on, chance_per_day: 1, between: ['23:00', '23:30']}\n"
        "  - {type: missed_dose, chance_per_day: 0.3, between: ['19:00', '19:30']}\n"
        "resident: {persona: {forgets_dose: 0}}\n"
    )
    path = scenario_file(tmp_path, body.replace("days: 20\n", ""))
    path.write_text(path.read_text().replace("days: 1\n", "days: 20\n"))
    sim, sink = run_scenario(load_scenario(path))
    cuts = events_of(sink, "power_cut")
    tz = sim.world.start.tzinfo
    stove_on = [e.ts.astimezone(tz) for e in events_of(sink, "stove_on")]
    on = [t for t in stove_on if t.hour == 23]
    assert len(on) == 20 and all(t.minute <= 30 for t in on)
    assert len(cuts) == 20
    missed = events_of(sink, "dose_missed")
    assert 2 <= len(missed) <= 12  # about 6 of 20 days


def test_an_incident_has_either_a_time_or_a_chance(tmp_path: Path) -> None:
    body = "incidents:\n  - {type: fall, at: '03:00', chance_per_day: 0.5}\n"
    with pytest.raises(
        ScenarioError, match=r"give either at \(a clock time\) or chance_per_day, not both"
    ):
        load_scenario(scenario_file(tmp_path, body))
    body = "incidents:\n  - {type: fall, chance_per_day: 0.5, between: ['22:00', '6am']}\n"
    with pytest.raises(
        ScenarioError, match="between: '6am' is not a clock time: write HH:MM in quotes"
    ):
        load_scenario(scenario_file(tmp_path, body))


def persona_run(tmp_path: Path, persona: str, days: int = 6) -> tuple[HomeSim, MemorySink]:
    path = scenario_file(tmp_path, f"resident: {{persona: {persona}}}\n")
    path.write_text(path.read_text().replace("days: 1\n", f"days: {days}\n"))
    return run_scenario(load_scenario(path))


def test_a_resident_with_a_walker_moves_slower(tmp_path: Path) -> None:
    def walking_s(sim: HomeSim) -> float:
        walks = [t for t in sim.truth.records if t.kind == "activity" and t.value == "walk"]
        spans = [
            (b2.ts - b1.ts).total_seconds() for b1, b2 in zip(walks[::2], walks[1::2], strict=True)
        ]
        return mean(spans)

    fit, _ = persona_run(tmp_path, "{mobility: independent}")
    slow, _ = persona_run(tmp_path, "{mobility: walker}")
    assert walking_s(slow) > 1.3 * walking_s(fit)


def test_dementia_forgets_more_doses(tmp_path: Path) -> None:
    _, sharp = persona_run(tmp_path, "{cognition: normal, forgets_dose: 0}", days=10)
    _, forgetful = persona_run(tmp_path, "{cognition: dementia}", days=10)
    assert not events_of(sharp, "dose_missed")
    assert len(events_of(forgetful, "dose_missed")) >= 2  # a fifth of 20 doses, about 4


def test_night_toilet_visits_follow_the_persona(tmp_path: Path) -> None:
    def per_night(sim: HomeSim) -> float:
        visits = [t for t in sim.truth.records if t.value == "bed_to_toilet" and t.phase == "begin"]
        return len(visits) / 10

    rare, _ = persona_run(tmp_path, "{night_toilet: 0.3}", days=10)
    often, _ = persona_run(tmp_path, "{night_toilet: 2.5}", days=10)
    assert per_night(rare) < 0.8
    assert per_night(often) > 1.5


def test_scheduled_actions_run_at_their_sim_time(tmp_path: Path) -> None:
    sim = played(tmp_path, set())
    seen: list[float] = []
    sim.at(3600, lambda: seen.append(float(sim.env.now)))
    sim.at(60, lambda: seen.append(float(sim.env.now)))
    sim.run(1800)
    sim.at(0, lambda: seen.append(float(sim.env.now)))  # in the past: at once
    sim.run(7200)
    assert seen == [60.0, 1800.0, 3600.0]


def test_roles_have_briefs_and_the_relative_and_police_see_no_sensors() -> None:
    scenario: Scenario = load_scenario("fall-with-injury")
    assert set(scenario.roles) == {
        "alarm_centre",
        "home_care",
        "paramedic",
        "physiotherapist",
        "doctor",
        "relative",
        "police",
        "resident",
    }
    assert not scenario.roles["resident"].sensors  # she lives there: no dashboards
    assert not scenario.roles["relative"].sensors and scenario.roles["home_care"].sensors
    assert not scenario.roles["police"].sensors  # the police are told, and search
    assert scenario.teacher_guide


def test_every_library_scenario_has_goals_and_a_guide() -> None:
    from mewet.scenarios.scenario import library

    for name in library():
        s = load_scenario(name)
        assert s.learning_goals, name
        assert s.description, name
        assert s.teacher_guide, name


def test_action_durations_are_the_scenario_s_and_checked(tmp_path: Path) -> None:
    """A scenario sets how long actions take; a person is bound by them as the policy is, and
    a name that is no action is refused with the actions allowed."""
    body = FALL_WITH_CARE.replace("town}", "town, durations: {home_care: {help_up: 12}}}")
    sim = played(tmp_path, {"home_care"}, body)
    assert sim.team.settings.duration_s("home_care", "help_up") == 12 * 60
    assert sim.team.settings.duration_s("home_care", "assess") == 8 * 60  # assess_min
    bad = scenario_file(
        tmp_path, FALL_WITH_CARE.replace("town}", "town, durations: {home_care: {fly: 3}}}")
    )
    with pytest.raises(ScenarioError, match=r"Home care cannot do fly \(can: arrive"):
        load_scenario(bad)


SUMMER_FALL = """id: summer
title: Summer heat, a fall in the kitchen
start: 2026-07-12T08:00:00+03:00
days: 1
seed: 5
resident: {wristband_worn: false}
devices:
  stove-guard: {options: {unattended_min: 15, alarm_on_cut: false}}
  fall-bathroom: {faults: {false_alarms_per_h: 0}}
incidents:
  - {type: heat_wave, at: "08:30", days: 1, indoor_rise_c: 10, drinks: 0.1}
  - {type: stove_left_on, at: "14:50"}
  - {type: fall, at: "14:52", room: kitchen, presses_button: 0, injury: 0}
care: {visits: ["21:00"]}
"""


def test_the_stove_guard_guards_a_resident_lying_on_the_kitchen_floor(tmp_path: Path) -> None:
    """She falls beside the hob she left on: lying there, she is not attending it, so the
    guard cuts the power 15 minutes after, as documented (it waited until she was helped up
    before)."""
    path = tmp_path / "summer.yaml"
    path.write_text(SUMMER_FALL)
    sim, sink = run_scenario(load_scenario(path))
    cut = events_of(sink, "power_cut")
    on = events_of(sink, "stove_on")
    fell = next(t.ts for t in sim.truth.records if t.value == "fall" and t.phase == "begin")
    assert cut and cut[0].data["reason"] == "unattended"
    assert cut[0].ts - fell < timedelta(minutes=18)
    assert any(e.ts <= cut[0].ts for e in on)


def test_hours_on_the_floor_in_the_heat_dehydrate_and_home_care_gives_fluids(
    tmp_path: Path,
) -> None:
    """Six hours on the floor of a hot flat leave her dehydrated (the ground truth shows it,
    the assessment finds it) and home care gives fluids as well as helping her up."""
    path = tmp_path / "summer.yaml"
    path.write_text(SUMMER_FALL)
    sim, _ = run_scenario(load_scenario(path))
    levels = [float(t.value) for t in sim.truth.records if t.kind == "hydration"]
    assert levels[0] == 1.0 and min(levels) < 0.6
    actions = [(a.action, a.detail) for a in sim.team.timeline if a.role == "home_care"]
    found = next(d for a, d in actions if a == "assessed")
    assert "on the floor" in found and "nothing to drink" in found
    names = [a for a, _ in actions]
    assert names.index("helped_up") < names.index("gave_fluids")


def test_a_protocol_runs_in_the_order_written(tmp_path: Path) -> None:
    body = FALL_WITH_CARE.replace(
        "area: town}", "area: town, protocol: {fallen: [call_relative, dispatch_home_care]}}"
    )
    sim, _ = run_scenario(load_scenario(scenario_file(tmp_path, body)))
    centre = [a.action for a in sim.team.timeline if a.role == "alarm_centre"]
    assert centre.index("called_relative") < centre.index("dispatched")


CALLING_RELATIVE = """
id: evening-call
title: The daughter's evening call
home: default
start: 2026-11-22T12:00:00+01:00
days: 1
seed: 4
resident: {wristband_worn: false}
devices:
  fall-bathroom: {faults: {false_alarms_per_h: 0}}
incidents:
  - {type: fall, at: "16:00", room: hall, presses_button: 0, injury: 0}
care:
  visits: ["21:00"]
  relative: {calls_at: ["17:00"], call_days: [sun]}
"""


def calling(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "evening-call.yaml"
    path.write_text(body)
    return path


def test_a_relative_whose_call_goes_unanswered_alerts_the_alarm_centre(tmp_path: Path) -> None:
    """No wristband, no alarm: the daughter's 17:00 call goes unanswered, so does the one
    ten minutes later, and she phones the alarm centre, which sends home care at once
    instead of leaving the resident on the floor until the 21:00 visit."""
    sim, _ = run_scenario(load_scenario(calling(tmp_path, CALLING_RELATIVE)))
    tz = sim.world.start.tzinfo
    calls = [a for a in sim.team.timeline if a.action == "called_resident"]
    assert [(a.ts.astimezone(tz).strftime("%H:%M"), a.args["answered"]) for a in calls] == [
        ("17:00", False),
        ("17:10", False),
    ]
    [case] = sim.team.cases
    assert (case.device, case.situation) == ("relative", "no_answer")
    centre = [a.action for a in sim.team.timeline if a.role == "alarm_centre"]
    assert "dispatched" in centre
    helped = next(a for a in sim.team.timeline if a.action == "helped_up")
    assert helped.ts.astimezone(tz).hour < 21
    [counted] = kpis(sim.team, sim.truth.records, 0, final=True)["cases"]
    assert counted["help_min"] is not None and counted["status"]["help"] != "not applicable"


def test_a_relative_s_call_that_is_answered_raises_nothing(tmp_path: Path) -> None:
    body = CALLING_RELATIVE.replace('at: "16:00"', 'at: "19:00"')
    sim, _ = run_scenario(load_scenario(calling(tmp_path, body)))
    calls = [a.detail for a in sim.team.timeline if a.action == "called_resident"]
    assert calls == ["phoned the resident: she answered, all is well"]
    assert not [c for c in sim.team.cases if c.device == "relative"]


def test_a_relative_calls_only_on_the_agreed_days(tmp_path: Path) -> None:
    body = CALLING_RELATIVE.replace("call_days: [sun]", "call_days: [mon, sat]")
    sim, _ = run_scenario(load_scenario(calling(tmp_path, body)))
    assert not [a for a in sim.team.timeline if a.action == "called_resident"]
    assert not [c for c in sim.team.cases if c.device == "relative"]


def test_a_call_time_that_is_no_clock_time_is_refused_in_plain_words(tmp_path: Path) -> None:
    body = CALLING_RELATIVE.replace('calls_at: ["17:00"]', 'calls_at: ["5pm"]')
    with pytest.raises(ScenarioError, match="HH:MM"):
        load_scenario(calling(tmp_path, body))


def test_the_worked_story_in_the_guide_happens_as_told(tmp_path: Path) -> None:
    """docs/scenarios.md tells a teacher's summer story step by step: the run does each step."""
    guide = (REPO / "docs" / "scenarios.md").read_text()
    story = guide.split("### A worked story", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "summer-sunday.yaml"
    path.write_text(story)
    sim, sink = run_scenario(load_scenario(path))
    tz = sim.world.start.tzinfo

    def local(ts: Any) -> str:
        return str(ts.astimezone(tz).strftime("%H:%M"))

    [cut] = events_of(sink, "power_cut")
    assert (local(cut.ts), cut.data["reason"]) == ("14:05", "unattended")
    steps = [(a.role, a.action, local(a.ts), a.detail) for a in sim.team.timeline]
    calls = [s for s in steps if s[1] == "called_resident"]
    assert [(t, d) for _, _, t, d in calls] == [
        ("18:00", "phoned the resident: no answer"),
        ("18:10", "phoned the resident: no answer"),
    ]
    [case] = sim.team.cases
    assert (case.device, case.situation) == ("relative", "no_answer")
    assessed = next(s for s in steps if s[:2] == ("home_care", "assessed"))
    assert assessed[2] == "18:29" and "nothing to drink" in assessed[3]
    done = [a for r, a, _, _ in steps if r == "home_care"]
    assert done.index("measured") < done.index("helped_up") < done.index("gave_fluids")
    assert done.index("gave_fluids") < done.index("documented")
    levels = [float(t.value) for t in sim.truth.records if t.kind == "hydration"]
    assert round(min(levels), 2) == 0.53
    counted = kpis(sim.team, sim.truth.records, 0, final=True)
    [answered] = counted["cases"]
    assert (answered["answer_min"], round(answered["help_min"])) == (0.3, 19)
    assert answered["status"]["answer"] == "met" and answered["status"]["help"] == "met"
    assert answered["status"]["find"] == "not applicable"  # nobody went missing
    [fall] = counted["falls"]
    assert round(fall["lie_min"]) == 291 and fall["status"] == "missed"  # as the guide says


def test_routine_visits_keep_to_their_weekdays(tmp_path: Path) -> None:
    """Every day at 08:00, and on Mondays and Thursdays at 14:00 as well (the scenario
    starts on a Sunday evening and runs to Friday)."""
    path = scenario_file(tmp_path, "care:\n  visits: ['08:00', {at: '14:00', days: [mon, thu]}]\n")
    path.write_text(path.read_text().replace("days: 1", "days: 5"))
    sim, _ = run_scenario(load_scenario(path))
    tz = sim.world.start.tzinfo
    visits = [
        a.ts.astimezone(tz).strftime("%a %H:%M")
        for a in sim.team.timeline
        if a.action == "routine_visit"
    ]
    assert [v for v in visits if v.endswith("14:00")] == ["Mon 14:00", "Thu 14:00"]
    assert [v for v in visits if v.endswith("08:00")] == [
        f"{d} 08:00" for d in ("Mon", "Tue", "Wed", "Thu", "Fri")
    ]


def test_the_weather_sets_the_flat_s_and_the_outdoor_temperature(tmp_path: Path) -> None:
    """A summer flat at 26 °C reads about 26 from the first hour, not the default 21.5;
    the outdoor temperature is the scenario's."""
    path = scenario_file(tmp_path, "weather: {outdoor_c: 28, indoor_c: 26}\n")
    sim, sink = run_scenario(load_scenario(path))
    temps = [v for h, v in values(sim, sink, "env-living", "temperature") if h > 1]
    assert 25 < mean(temps) < 27.5
    assert sim.world.outdoor_temp_c == 28
    plain, plain_sink = run_scenario(load_scenario(scenario_file(tmp_path, "")))
    assert mean([v for h, v in values(plain, plain_sink, "env-living", "temperature")]) < 23


def test_a_day_without_drinking_dehydrates_and_the_evening_visit_finds_it(
    tmp_path: Path,
) -> None:
    """She forgets to drink from 08:00 for nine hours: the ground truth shows her hydration
    falling to dehydration; the 17:30 visit finds her dry-mouthed and gives fluids; a day
    with drinks leaves her well."""
    body = (
        "incidents:\n  - {type: skipped_drinks, at: '08:00', hours: 9}\ncare: {visits: ['17:30']}\n"
    )
    sim, _ = run_scenario(load_scenario(scenario_file(tmp_path, body)))
    levels = [float(t.value) for t in sim.truth.records if t.kind == "hydration"]
    assert min(levels) < 0.6
    found = [a.detail for a in sim.team.timeline if a.action == "assessed"]
    assert found and "dry mouth" in found[0]
    assert "gave_fluids" in [a.action for a in sim.team.timeline]
    plain, _ = run_scenario(load_scenario(scenario_file(tmp_path, "care: {visits: ['17:30']}\n")))
    well = next(a for a in plain.team.timeline if a.action == "assessed")
    assert [f.id for f in well.args["found"]] == ["found_well"]
