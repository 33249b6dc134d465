"""Scenario files and batch runs: seeded, reproducible, with ground truth and a CASAS dataset."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from mewet.contract import Event, Telemetry
from mewet.scenarios.casas import ACTIVITIES
from mewet.scenarios.run import run_scenario, write_run
from mewet.scenarios.scenario import ScenarioError, library, load_scenario
from tests.support.helpers import REPO

CASAS_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} [a-z0-9-]+ \S+( [A-Z][A-Za-z_]+ (begin|end))?$"
)


@pytest.mark.parametrize("name", sorted(library()))
def test_every_library_scenario_runs_seeded(name: str, tmp_path: Path) -> None:
    scenario = load_scenario(name)
    sim, sink = run_scenario(scenario, days=min(scenario.days, 1.0))
    summary = write_run(tmp_path, sim, sink)
    assert summary["messages"] == len(sink.messages) > 1000
    assert summary["labelled_activities_per_day"] > 3  # fewer when the resident lies after a fall
    for file in ("messages.jsonl", "truth.jsonl", "casas.txt", "summary.json"):
        assert (tmp_path / file).stat().st_size > 0


def test_the_same_scenario_and_seed_give_byte_identical_files(tmp_path: Path) -> None:
    scenario = load_scenario("quiet-day")
    for folder in ("a", "b"):
        write_run(tmp_path / folder, *run_scenario(scenario))
    for file in ("messages.jsonl", "truth.jsonl", "casas.txt", "summary.json"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
    write_run(tmp_path / "c", *run_scenario(scenario, seed=99))
    assert (tmp_path / "a" / "messages.jsonl").read_bytes() != (
        tmp_path / "c" / "messages.jsonl"
    ).read_bytes()


def test_casas_dataset_and_ground_truth_agree(tmp_path: Path) -> None:
    scenario = load_scenario("quiet-day")
    sim, sink = run_scenario(scenario)
    write_run(tmp_path, sim, sink)
    lines = (tmp_path / "casas.txt").read_text().splitlines()
    assert all(CASAS_LINE.match(line) for line in lines)
    labels = [line.split()[-2:] for line in lines if line.endswith(("begin", "end"))]
    # every label opens and then closes the same activity, never nested
    for (name, phase), (name2, phase2) in zip(labels[::2], labels[1::2], strict=True):
        assert (phase, phase2) == ("begin", "end") and name == name2
        assert name in ACTIVITIES.values()
    truth = [json.loads(line) for line in (tmp_path / "truth.jsonl").read_text().splitlines()]
    sleeps = [t for t in truth if t["kind"] == "activity" and t["value"] == "sleep"]
    assert sleeps and len(sleeps) % 2 == 0
    # the night toilet visit is in the truth and the bathroom motion sensor saw it
    toilet = [t for t in sim.truth.records if t.value == "bed_to_toilet"]
    assert [t.phase for t in toilet] == ["begin", "end"]
    seen = [
        m.payload.ts
        for m in sink.of("motion-bathroom", "event")
        if isinstance(m.payload, Event) and m.payload.event_type == "motion_detected"
    ]
    assert any(toilet[0].ts - timedelta(minutes=1) <= ts <= toilet[1].ts for ts in seen)
    assert any(line.endswith("Bed_to_Toilet begin") for line in lines)


def test_scenario_overrides_reach_the_devices() -> None:
    scenario = load_scenario("wristband-off")
    _, sink = run_scenario(scenario)
    wristband_states = [m.payload for m in sink.of("wristband", "state")]
    assert wristband_states[0].root["worn"] is False
    assert not [
        e
        for e in sink.of("wristband", "event")
        if isinstance(e.payload, Event)
        and e.payload.event_type in ("fall_detected", "button_pressed")
    ]
    dispenser = [m.payload for m in sink.of("dispenser")]
    assert any(isinstance(p, Event) and p.event_type == "battery_low" for p in dispenser)
    assert "offline" in dispenser


def test_bad_scenario_files_say_where_and_what(tmp_path: Path) -> None:
    bad = tmp_path / "night.yaml"
    bad.write_text(
        "id: night\ntitle: Night\nstart: 2026-11-22T22:00:00\ndays: 0\n"
        "devices:\n  falldetector:\n    faults: {sensitivity: 0.9}\n"
        "  wristband:\n    faults: {sensitivity: 2}\n"
    )
    with pytest.raises(ScenarioError) as exc:
        load_scenario(bad)
    text = str(exc.value)
    assert "night.yaml, line 3: start: add the time zone: 2026-11-22T22:00:00+02:00" in text
    assert "night.yaml, line 4: days: must be greater than 0" in text
    fixed = bad.read_text().replace("22:00:00\n", "22:00:00+01:00\n").replace("days: 0", "days: 1")
    bad.write_text(fixed)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(bad)
    text = str(exc.value)
    assert "line 6: devices.falldetector: no device 'falldetector' in home 'default'" in text
    assert "fall-bathroom" in text
    assert "line 9: devices.wristband.faults.sensitivity: must be at most 1" in text
    with pytest.raises(ScenarioError, match="neither in the library"):
        load_scenario("no-such-scenario")
    # a medicine's kind the lab does not know, and a list a persona cannot hold
    meds = "\n".join(f"      - {{name: m{i}}}" for i in range(21))
    bad.write_text(
        "id: night\ntitle: Night\nstart: 2026-11-22T22:00:00+01:00\ndays: 1\n"
        "resident:\n  persona:\n    medications:\n      - {name: vitamin D, kind: vitamin}\n"
    )
    with pytest.raises(ScenarioError) as exc:
        load_scenario(bad)
    assert (
        "line 8: resident.persona.medications[0].kind: must be one of beta_blocker, "
        "diuretic, sedative, anticoagulant, other" in str(exc.value)
    )
    bad.write_text(bad.read_text().split("      - {name: vitamin")[0] + meds + "\n")
    with pytest.raises(ScenarioError, match="at most 20 items"):
        load_scenario(bad)


def test_mewet_run_prints_the_summary_as_json(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mewet",
            "run",
            "quiet-day",
            "--days",
            "0.5",
            "--out",
            str(tmp_path),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["scenario"] == "quiet-day" and summary["days"] == 0.5
    assert summary == json.loads((tmp_path / "summary.json").read_text())


def scenario_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(
        "id: s\ntitle: test\nstart: 2026-11-22T18:00:00+01:00\ndays: 1\nseed: 4\n" + body
    )
    return path


def events_of(sink: object, type_: str) -> list[Event]:
    return [
        m.payload
        for m in sink.messages  # type: ignore[attr-defined]
        if isinstance(m.payload, Event) and m.payload.event_type == type_
    ]


def test_a_fall_silences_motion_alarms_when_detected_and_shows_in_the_vitals(
    tmp_path: Path,
) -> None:
    path = scenario_file(
        tmp_path,
        (
            "devices:\n  wristband: {faults: {sensitivity: 1, false_alarms_per_h: 0}}\n"
            "  vitals: {faults: {dropout: 0}}\n"
            "incidents:\n  - {type: fall, at: '03:10', room: hall, presses_button: 1}\n"
        ),
    )
    sim, sink = run_scenario(load_scenario(path))
    fall = next(t for t in sim.truth.records if t.value == "fall" and t.phase == "begin")
    detected = [e for e in events_of(sink, "fall_detected") if e.ts >= fall.ts]
    # the wristband calls once she has not got up for its 20-35 s (a pendant's cancel window)
    assert detected and 20 <= (detected[0].ts - fall.ts).total_seconds() < 35
    pressed = events_of(sink, "button_pressed")
    assert len(pressed) == 1 and timedelta(minutes=1) <= pressed[0].ts - fall.ts <= timedelta(
        minutes=10
    )
    helped = next(a.ts for a in sim.team.timeline if a.action == "arrived")
    assert not [e for e in events_of(sink, "motion_detected") if fall.ts < e.ts < helped]
    hr = [
        (p.ts, p.data["heart_rate"])
        for m in sink.of("vitals", "telemetry")
        if isinstance(p := m.payload, Telemetry)
    ]
    before = [v for ts, v in hr if fall.ts - timedelta(hours=1) <= ts < fall.ts]
    lying = [v for ts, v in hr if fall.ts + timedelta(minutes=10) <= ts < helped]
    assert sum(lying) / len(lying) > sum(before) / len(before) + 15


def test_a_fall_without_the_wristband_is_seen_only_as_silence(tmp_path: Path) -> None:
    path = scenario_file(
        tmp_path,
        (
            "resident: {wristband_worn: false}\n"
            "incidents:\n  - {type: fall, at: '03:10', room: hall, presses_button: 1}\n"
        ),
    )
    sim, sink = run_scenario(load_scenario(path))
    fall = next(t for t in sim.truth.records if t.value == "fall" and t.phase == "begin")
    assert not [e for e in events_of(sink, "button_pressed")]
    assert not [
        m
        for m in sink.of("wristband", "event")
        if isinstance(m.payload, Event) and m.payload.ts >= fall.ts
    ]
    # nothing but silence until the morning dose is missed and the alarm centre sends help
    missed = events_of(sink, "dose_missed")[0]
    assert not [e for e in events_of(sink, "motion_detected") if fall.ts < e.ts <= missed.ts]


def test_a_stove_left_on_is_cut_by_the_guard(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, "incidents:\n  - {type: stove_left_on, at: '23:30'}\n")
    _, sink = run_scenario(load_scenario(path))
    cuts = events_of(sink, "power_cut")
    assert len(cuts) == 1 and cuts[0].data["reason"] == "unattended"
    on = [e for e in events_of(sink, "stove_on") if e.ts < cuts[0].ts][-1]
    assert (on.ts.hour, on.ts.minute) == (23, 30)
    assert timedelta(minutes=15) <= cuts[0].ts - on.ts <= timedelta(minutes=17)


def test_a_missed_dose_escalates_at_the_dispenser(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, "incidents:\n  - {type: missed_dose, at: '19:00'}\n")
    _, sink = run_scenario(load_scenario(path))
    missed = events_of(sink, "dose_missed")
    assert len(missed) == 1 and missed[0].severity == "alarm"
    assert missed[0].ts.hour == 20 and missed[0].ts.minute == 30
    assert len(events_of(sink, "dose_taken")) == 1  # the morning dose is taken as usual


def test_incident_settings_are_checked_with_their_line(tmp_path: Path) -> None:
    path = scenario_file(
        tmp_path,
        (
            "incidents:\n"
            "  - {type: fall, at: '25:10'}\n"
            "  - {type: fall, at: '03:00', room: attic}\n"
            "  - {type: flood, at: '03:00'}\n"
        ),
    )
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    text = str(exc.value)
    assert "line 7: incidents[0].at: '25:10' is not a clock time: write HH:MM in quotes" in text
    assert (
        "line 9: incidents[2]: unknown type 'flood' (types: fall, near_fall, lie_on_floor, "
        "stove_left_on," in text
    )
    path.write_text(
        path.read_text()
        .replace("'25:10'", "'02:10'")
        .replace("  - {type: flood, at: '03:00'}\n", "")
    )
    with pytest.raises(ScenarioError, match=r"line 8: incidents\[1\]\.room: unknown room 'attic'"):
        load_scenario(path)


def test_errors_say_what_is_allowed_there(tmp_path: Path) -> None:
    """An unknown key lists the keys allowed at that place, a list that is not one says what
    it should look like, a key written twice names both lines."""
    path = scenario_file(
        tmp_path,
        "resident: {persona: {drinks_per_day: 3}}\n"
        "care:\n  visits: '08:00'\n  relative: {phones_at: '18:00', calls_at: '18:00'}\n",
    )
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    text = str(exc.value)
    assert (
        "resident.persona.drinks_per_day: unknown key 'drinks_per_day' (keys here: name, age,"
        in text
    )
    assert 'line 8: care.visits: must be a list, e.g. ["08:00", "20:00"]' in text
    assert "care.relative.phones_at: unknown key 'phones_at' (keys here: who, answers," in text
    assert 'care.relative.calls_at: must be a list, e.g. ["18:00"]' in text
    path.write_text(path.read_text() + "title: again\n")
    with pytest.raises(ScenarioError, match=r"'title' is written twice \(lines 2 and 10\)"):
        load_scenario(path)


def test_scenario_schema_is_published(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mewet", "scenario", "schema", "--out", str(tmp_path / "s.json")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    schema = json.loads((tmp_path / "s.json").read_text())
    assert {"id", "title", "start", "incidents", "devices"} <= set(schema["properties"])
    assert set(schema["required"]) == {"id", "title", "start"}


def test_the_example_in_the_teachers_guide_is_valid(tmp_path: Path) -> None:
    guide = (REPO / "docs" / "scenarios.md").read_text()
    example = guide.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "my-night-fall.yaml"
    path.write_text(example)
    scenario = load_scenario(path)
    assert scenario.id == "my-night-fall" and scenario.incidents[0].type == "fall"


FALL_WITH_CARE = (
    "devices:\n  wristband: {faults: {sensitivity: 1, false_alarms_per_h: 0}}\n"
    "  fall-bathroom: {faults: {false_alarms_per_h: 0}}\n"
    "incidents:\n  - {type: fall, at: '03:10', room: hall, presses_button: 0}\n"
    "care: {operators: 1, home_care_staff: 1, travel_min: 20, area: town}\n"
)


def test_the_care_team_answers_comes_in_with_its_key_and_helps_up(tmp_path: Path) -> None:
    sim, sink = run_scenario(load_scenario(scenario_file(tmp_path, FALL_WITH_CARE)))
    centre = [a.action for a in sim.team.timeline if a.role == "alarm_centre"]
    assert centre == ["answered", "talked", "dispatched", "called_relative", "closed"]
    home_care = [a.action for a in sim.team.timeline if a.role == "home_care"]
    assert home_care == [
        "arrived",
        "unlocked",
        "assessed",
        "measured",
        "helped_up",
        "documented",
        "left",
    ]
    at = {a.action: a.ts for a in sim.team.timeline if a.role == "home_care"}
    # what the staff did shows in the sensors: the lock, motion in the hall, the resident in bed
    unlocked = events_of(sink, "unlocked")
    assert any(
        e.data == {"method": "digital_key", "key": "home-care"} and e.ts == at["arrived"]
        for e in unlocked
    )
    assert [
        e for e in events_of(sink, "motion_detected") if at["arrived"] <= e.ts <= at["helped_up"]
    ]
    assert [e for e in events_of(sink, "bed_entered") if e.ts > at["helped_up"]]
    assert not sim.world.fallen


def test_kpis_are_measured_from_what_happened(tmp_path: Path) -> None:
    scenario = load_scenario(scenario_file(tmp_path, FALL_WITH_CARE))
    sim, sink = run_scenario(scenario)
    summary = write_run(tmp_path / "out", sim, sink)
    k = json.loads((tmp_path / "out" / "kpis.json").read_text())
    assert k == summary["kpis"]
    alarm = events_of(sink, "fall_detected")[-1].ts
    care = [json.loads(line) for line in (tmp_path / "out" / "care.jsonl").read_text().splitlines()]
    at = {
        c["action"]: datetime.fromisoformat(c["ts"].replace("Z", "+00:00"))
        for c in care
        if c["role"] in ("alarm_centre", "home_care")
    }
    fall = [t for t in sim.truth.records if t.value == "fall"]
    assert k["time_to_answer_max_min"] == round((at["answered"] - alarm).total_seconds() / 60, 1)
    assert k["time_to_help_max_min"] == round((at["arrived"] - alarm).total_seconds() / 60, 1)
    # the lie ends when the resident is helped up (they walk off a moment later)
    assert k["long_lie_max_min"] == round((at["helped_up"] - fall[0].ts).total_seconds() / 60, 1)
    assert fall[1].ts >= at["helped_up"]
    assert 15 <= k["time_to_help_max_min"] <= 35  # 20 min travel, +/- 25%, after the call
    assert k["status"] == {
        "answer": "met" if k["time_to_answer_max_min"] <= 3 else "missed",
        "help": "met" if k["time_to_help_max_min"] <= 30 else "missed",
        "long_lie": "met" if k["long_lie_max_min"] <= 60 else "missed",
    }
    [case] = k["cases"]
    assert case["event_type"] == "fall_detected" and case["answered_by"] == "policy"
    assert case["on_site_role"] == "home_care" and case["situation"] == "fallen"
    assert case["answer_min"] == k["time_to_answer_max_min"]
    assert k["time_to_answer_cases"] == k["time_to_help_cases"] == [1]
    assert k["alarms_answered"] == 1 and k["false_alarms_handled"] == 0


def test_an_undetected_fall_is_a_long_lie_nobody_answers(tmp_path: Path) -> None:
    body = (
        "resident: {wristband_worn: false}\n"
        "incidents:\n  - {type: fall, at: '03:10', room: hall, presses_button: 1}\n"
        "devices:\n  wristband: {faults: {false_alarms_per_h: 0}}\n"
        "  fall-bathroom: {faults: {false_alarms_per_h: 0}}\n"
    )
    scenario = load_scenario(scenario_file(tmp_path, body))
    sim, sink = run_scenario(scenario)
    k = write_run(tmp_path / "out", sim, sink)["kpis"]
    # no alarm from the fall itself: the missed morning dose is what brings help, hours later
    assert k["alarms_answered"] == 1 and k["missed_doses"] == 1
    assert k["long_lie_max_min"] > 5 * 60 and k["status"]["long_lie"] == "missed"


def test_a_device_fault_and_a_false_alarm_burst(tmp_path: Path) -> None:
    scenario = load_scenario("battery-and-false-alarms")
    sim, sink = run_scenario(scenario)
    statuses = [m.payload for m in sink.of("motion-bathroom", "status")]
    assert statuses == ["online", "offline"]
    last = sink.of("motion-bathroom")[-1].payload
    assert last == "offline"
    failed = [m.payload for m in sink.of("motion-bathroom", "state")][-1].root
    assert failed["reason"] == "battery empty"
    k = write_run(tmp_path, sim, sink)["kpis"]
    burst = [e for e in events_of(sink, "fall_detected") if e.ts.day == 23 and 14 <= e.ts.hour < 17]
    assert len(burst) >= 6 - 1  # six over about 90 minutes; one may fall after 17:00
    assert k["false_alarms_handled"] >= len(burst)


def test_a_burst_needs_a_device_that_can_raise_false_alarms(tmp_path: Path) -> None:
    path = scenario_file(
        tmp_path, "incidents:\n  - {type: false_alarm_burst, at: '10:00', device: scale}\n"
    )
    with pytest.raises(ScenarioError, match="a scale raises no false alarms"):
        load_scenario(path)


def test_night_wandering_raises_the_door_alarm_and_home_care_brings_the_resident_home() -> None:
    sim, sink = run_scenario(load_scenario("night-wandering"))
    out = [t for t in sim.truth.records if t.kind == "location" and t.value == "outside"]
    assert out and out[0].ts.hour == 2
    assert events_of(sink, "door_opened_at_night")[0].ts.hour == 2
    actions = [a.action for a in sim.team.timeline]
    assert actions[:3] == ["answered", "talked", "dispatched"]
    assert "found_outside" in actions
    assert sim.world.location != "outside"
    skin = [
        (p.ts, p.data["skin_temp"])
        for m in sink.of("vitals", "telemetry")
        if isinstance(p := m.payload, Telemetry)
    ]
    found = next(a.ts for a in sim.team.timeline if a.action == "found_outside")
    outside = [v for ts, v in skin if out[0].ts + timedelta(minutes=10) <= ts < found]
    asleep = [v for ts, v in skin if out[0].ts - timedelta(hours=2) <= ts < out[0].ts]
    assert sum(outside) / len(outside) < sum(asleep) / len(asleep) - 2


def test_a_run_as_parquet_reads_in_pandas_and_polars_with_what_the_jsonl_says(
    tmp_path: Path,
) -> None:
    import pandas as pd
    import polars as pl

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mewet",
            "run",
            "night-fall",
            "--days",
            "0.5",
            "--parquet",
            "--out",
            str(tmp_path),
            "--json",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(out.stdout)["scenario"] == "night-fall"
    lines = [json.loads(x) for x in (tmp_path / "messages.jsonl").read_text().splitlines()]
    values = [
        (x["payload"]["ts"], x["topic"].split("/")[-2], name, v)
        for x in lines
        if x["topic"].endswith("/telemetry")
        for name, v in x["payload"]["data"].items()
    ]
    events = [x["payload"] for x in lines if x["topic"].endswith("/event")]
    telemetry = pl.read_parquet(tmp_path / "telemetry.parquet")
    assert telemetry.height == len(values)
    first = telemetry.row(0, named=True)
    assert (
        first["ts"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        first["device"],
        first["field"],
        first["value"],
    ) == values[0]
    table = pd.read_parquet(tmp_path / "events.parquet")
    assert len(table) == len(events) and str(table["ts"].dt.tz) == "UTC"
    falls = table[table["event_type"] == "fall_detected"]
    assert len(falls) == sum(1 for e in events if e["event_type"] == "fall_detected") > 0
    assert json.loads(falls["data"].iloc[0]) == next(
        e["data"] for e in events if e["event_type"] == "fall_detected"
    )
    truth = pd.read_parquet(tmp_path / "truth.parquet")
    assert len(truth) == len((tmp_path / "truth.jsonl").read_text().splitlines())
    assert ((truth["value"] == "fall") & (truth["phase"] == "begin")).sum() == 1


def test_a_run_written_as_it_goes_is_the_run_written_at_the_end(tmp_path: Path) -> None:
    """`mewet run` hands its messages to the files a stretch at a time and lets them go: the
    files are the same bytes (the Parquet tables the same rows) as a run kept whole."""
    import pandas as pd

    from mewet.scenarios.run import run_to_folder

    scenario = load_scenario("night-fall")
    streamed = run_to_folder(tmp_path / "streamed", scenario, days=3, parquet=True, chunk_days=1)
    whole = write_run(tmp_path / "whole", *run_scenario(scenario, days=3), parquet=True)
    assert streamed == whole and whole["messages"] > 20_000
    for name in ("messages.jsonl", "truth.jsonl", "care.jsonl", "casas.txt", "kpis.json"):
        assert (tmp_path / "streamed" / name).read_bytes() == (
            tmp_path / "whole" / name
        ).read_bytes()
    for name in ("telemetry.parquet", "events.parquet", "truth.parquet"):
        rows = [pd.read_parquet(tmp_path / folder / name) for folder in ("streamed", "whole")]
        pd.testing.assert_frame_equal(*rows)


def test_messages_are_the_same_bytes_where_there_is_no_fork(tmp_path: Path) -> None:
    from mewet.scenarios.jsonl import MessagesFile, message_json

    _, sink = run_scenario(load_scenario("night-fall"), days=0.5)
    messages = sink.messages
    expected = "".join(message_json(m) + "\n" for m in messages).encode()
    for can_fork in (True, False):
        path = tmp_path / f"fork-{can_fork}.jsonl"
        path.write_text("a run folder written again starts its messages afresh\n")
        file = MessagesFile(path)
        file._can_fork = can_fork
        for stretch in (messages[:1000], [], messages[1000:4000], messages[4000:]):
            file.add(stretch)
        file.close()
        assert path.read_bytes() == expected
