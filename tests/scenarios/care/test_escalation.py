"""Protocols in time and a search that takes time, on a real SimPy run: a timed step waits
and is skipped when what it waits for has happened; the police search; the resident is found
when the scenario says, and the truth, the care log and the devices agree on it; help on site
is help with the resident, not at the door of the flat she has left."""

from __future__ import annotations

from pathlib import Path

import pytest

from mewet.scenarios.care import kpis
from mewet.scenarios.care.settings import Responses
from mewet.scenarios.run import run_scenario
from mewet.scenarios.scenario import ScenarioError, load_scenario
from tests.scenarios.test_run import events_of, scenario_file

WANDERS = """
devices:
  door-front: {options: {night_alarm: true}}
resident: {persona: {cognition: dementia}}
incidents:
  - {type: wandering, at: "02:40", minutes: 300, outdoor_c: -15, where: street,
     found_after_min: FOUND}
care:
  travel_min: 15
  protocol:
    gone_out:
      - call_relative
      - dispatch_home_care
      - {after_min: AFTER, unless: found, do: [dispatch_paramedics_B, call_police]}
"""


def wanders(tmp_path: Path, found_min: float, after_min: float = 20) -> Path:
    body = WANDERS.replace("FOUND", str(found_min)).replace("AFTER", str(after_min))
    return scenario_file(tmp_path, body)


def test_a_timed_step_fires_when_the_resident_is_not_found_in_time(tmp_path: Path) -> None:
    """Not found within 20 minutes of the call: the paramedics and the police are alerted,
    in that order, 20 minutes after the operator learned she was gone; the police search;
    she is found the search time after home care began it."""
    sim, sink = run_scenario(load_scenario(wanders(tmp_path, 35)))
    team = sim.team
    [case] = [c for c in team.cases if c.situation == "gone_out"]
    at = {
        a.action: float((a.ts - sim.world.start).total_seconds())
        for a in team.timeline
        if a.args.get("case") in (case.id, None)
    }
    talked = at["talked"]
    assert at["called_paramedics"] == pytest.approx(talked + 20 * 60, abs=90)
    assert at["called_paramedics"] < at["called_police"]
    searching = [a for a in team.timeline if a.action == "searching"]
    assert [a.role for a in searching][:1] == ["home_care"]
    assert "police" in [a.role for a in searching]  # the patrol joins the search
    began = float((searching[0].ts - sim.world.start).total_seconds())
    [found] = [a for a in team.timeline if a.action == "found_outside"]
    found_s = float((found.ts - sim.world.start).total_seconds())
    assert found_s == pytest.approx(began + 35 * 60, abs=1)
    assert found.args["where"] == "street"
    # the truth says where she was and when she was found, with the care log
    truth = [t for t in sim.truth.records if t.kind in ("whereabouts", "found")]
    assert [(t.kind, t.value) for t in truth] == [("whereabouts", "street"), ("found", "street")]
    assert truth[1].ts == found.ts
    # she went out unlocked, as the scenario does not say she locks it; one door alarm
    by_hand = [e for e in events_of(sink, "locked") if e.data.get("method") == "manual"]
    assert not [e for e in by_hand if e.ts < found.ts]
    assert [c.event_type for c in team.cases].count("door_opened_at_night") == 1
    # the paramedics examine her once she is home, not an empty flat
    assessed = [a for a in team.timeline if a.role == "paramedic" and a.action == "assessed"]
    assert assessed and assessed[0].ts > found.ts


def test_a_timed_step_does_not_fire_when_she_is_found_in_time(tmp_path: Path) -> None:
    sim, _ = run_scenario(load_scenario(wanders(tmp_path, 3, after_min=45)))
    actions = [a.action for a in sim.team.timeline]
    assert "found_outside" in actions
    assert "called_paramedics" not in actions and "called_police" not in actions
    skipped = [a for a in sim.team.timeline if a.action == "step_not_needed"]
    assert [a.args["unless"] for a in skipped] == ["found"]


def test_help_on_site_is_help_with_the_resident_not_at_an_empty_flat(tmp_path: Path) -> None:
    sim, _ = run_scenario(load_scenario(wanders(tmp_path, 35)))
    team = sim.team
    [case] = [c for c in team.cases if c.situation == "gone_out"]
    arrived = next(a for a in team.timeline if a.action == "arrived")
    found = next(a for a in team.timeline if a.action == "found_outside")
    assert case.on_site is not None
    on_site = sim.world.date(case.on_site)
    assert on_site == found.ts and on_site > arrived.ts
    k = kpis(team, sim.truth.records, 0, final=True)
    row = next(c for c in k["cases"] if c["id"] == case.id)
    assert row["help_min"] == pytest.approx((case.on_site - case.raised) / 60, abs=0.06)


def test_a_protocol_step_that_is_not_a_step_says_which_words_are(tmp_path: Path) -> None:
    for bad, words in (
        ("call_polis", "is not a step of the protocol: use one of dispatch_home_care"),
        ("{after_min: 20, unless: lost, do: [call_police]}", "use one of found, answered"),
        ("{after: 20, do: [call_police]}", "a timed step has after_min, unless and do"),
    ):
        body = f"care:\n  protocol:\n    gone_out: [{bad}]\n"
        with pytest.raises(ScenarioError, match=words):
            load_scenario(scenario_file(tmp_path, body))
    ok = Responses.model_validate({"gone_out": ["call_police"]})
    assert ok.gone_out == ["call_police"]
