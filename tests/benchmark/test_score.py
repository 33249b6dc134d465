"""Scoring a fall detector against the truth, as a company runs it: a campaign of real runs,
detections written as JSON lines, `mewet score`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from mewet.benchmark.campaign import parse_seeds, run_campaign
from mewet.benchmark.score import (
    Detection,
    ScoreError,
    find_runs,
    lab_detections,
    parse_detections,
    poisson_ci,
    read_detections,
    report,
    score,
    wilson,
)
from mewet.errors import ConfigError
from mewet.scenarios.run import run_scenario, write_run
from mewet.scenarios.scenario import load_scenario
from tests.cli.test_cli import mewet

SEEDS = range(1, 11)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten nights with a fall at 03:10 each, one home per seed."""
    out = tmp_path_factory.mktemp("campaign")
    run_campaign("night-fall", list(SEEDS), None, out, jobs=2)
    return out


def truth_detections(campaign: Path, shift_s: float = 0.0) -> list[Detection]:
    """A detector that knows the truth (and is `shift_s` late)."""
    return [
        Detection(run.home, onset + timedelta(seconds=shift_s), "fall_detected")
        for run in find_runs(campaign)
        for onset in run.falls
    ]


def write_lines(path: Path, detections: list[Detection]) -> Path:
    path.write_text(
        "".join(
            json.dumps({"home": d.home, "ts": d.ts.isoformat(), "event_type": d.event_type}) + "\n"
            for d in detections
        )
    )
    return path


def test_a_campaign_is_one_folder_per_seed_each_its_own_home(campaign: Path) -> None:
    runs = find_runs(campaign)
    assert [r.seed for r in runs] == list(SEEDS)
    assert len({r.home for r in runs}) == 10
    assert all(len(r.falls) == 1 and r.hours == 24 for r in runs)
    summary = json.loads((campaign / "campaign-night-fall-1-10.json").read_text())
    assert summary["falls"] == 10 and summary["seeds"] == 10


def test_a_campaign_seed_is_the_same_run_as_alone(campaign: Path, tmp_path: Path) -> None:
    s = load_scenario("night-fall")
    sim, sink = run_scenario(s, 4, home_id="night-fall-4")
    write_run(tmp_path, sim, sink)
    for name in ("messages.jsonl", "truth.jsonl", "casas.txt"):
        assert (tmp_path / name).read_bytes() == (campaign / "night-fall-4" / name).read_bytes()


def test_the_truth_itself_scores_perfectly(campaign: Path) -> None:
    r = score(find_runs(campaign), truth_detections(campaign))
    assert r["sensitivity"] == 1 and r["precision"] == 1 and r["f1"] == 1
    assert r["false_alarms"] == 0 and r["false_alarms_per_100h"] == 0
    assert r["delay_s"]["p50"] == 0 and r["falls"] == 10 and r["hours"] == 240


def test_a_detector_30_s_late_has_a_delay_of_30_s(campaign: Path) -> None:
    r = score(find_runs(campaign), truth_detections(campaign, 30))
    assert r["sensitivity"] == 1 and r["delay_s"]["p50"] == 30 and r["delay_s"]["p90"] == 30


def test_a_detection_after_the_window_is_a_false_alarm_and_the_fall_missed(
    campaign: Path,
) -> None:
    r = score(find_runs(campaign), truth_detections(campaign, 301), window_s=300)
    assert r["detected"] == 0 and r["missed"] == 10 and r["false_alarms"] == 10
    assert r["precision"] == 0 and r["f1"] == 0
    wide = score(find_runs(campaign), truth_detections(campaign, 301), window_s=600)
    assert wide["detected"] == 10


def test_a_detector_that_never_fires_scores_zero(campaign: Path) -> None:
    r = score(find_runs(campaign), [])
    assert r["sensitivity"] == 0 and r["precision"] is None and r["f1"] is None
    assert r["missed"] == 10 and r["delay_s"]["p50"] is None
    low, high = r["sensitivity_ci95"]
    assert low == 0 and 0.25 < high < 0.3  # ten misses do not prove it never detects


def test_two_alarms_for_one_fall_are_a_duplicate_not_a_false_alarm(campaign: Path) -> None:
    twice = truth_detections(campaign) + truth_detections(campaign, 20)
    r = score(find_runs(campaign), twice)
    assert r["detected"] == 10 and r["duplicates"] == 10 and r["false_alarms"] == 0


def test_random_detections_give_the_rate_they_were_drawn_with(campaign: Path) -> None:
    runs = find_runs(campaign)
    rng = np.random.default_rng(5)
    rate_per_h = 0.5
    noise = []
    for run in runs:
        start = run.falls[0] - timedelta(hours=9)  # the runs start at 18:00, the fall is 03:10
        for t in np.cumsum(rng.exponential(3600 / rate_per_h, 40)):
            if t < run.hours * 3600:
                noise.append(
                    Detection(run.home, start + timedelta(seconds=float(t)), "fall_detected")
                )
    r = score(runs, noise)
    low, high = r["false_alarms_per_100h_ci95"]
    assert low < 100 * rate_per_h < high
    assert abs(r["false_alarms_per_100h"] - 50) < 15
    assert r["false_alarms"] + r["detected"] + r["duplicates"] == len(noise)


def test_the_intervals_are_the_published_ones_and_cover_the_truth() -> None:
    # Wilson 8/10 and the exact Poisson interval of 10 and 0, as tabled in the literature
    assert wilson(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert poisson_ci(10) == pytest.approx((4.7954, 18.3904), abs=1e-3)
    assert poisson_ci(0) == pytest.approx((0.0, 3.6889), abs=1e-3)
    rng = np.random.default_rng(11)
    p, n = 0.8, 40
    hits = [wilson(int(k), n) for k in rng.binomial(n, p, 1000)]
    covered = sum(1 for ci in hits if ci is not None and ci[0] <= p <= ci[1]) / 1000
    assert 0.92 < covered < 0.99
    lam = 6.0
    covered = (
        sum(
            1
            for k in rng.poisson(lam, 1000)
            if poisson_ci(int(k))[0] <= lam <= poisson_ci(int(k))[1]
        )
        / 1000
    )
    assert 0.94 < covered <= 1.0


def test_the_lab_s_own_detectors_are_scored_the_same_way(campaign: Path) -> None:
    runs = find_runs(campaign)
    r = report(runs, truth_detections(campaign))
    ref = r["reference"]
    alarms = lab_detections(runs)
    assert alarms and ref["falls"] == 10
    assert ref["detected"] + ref["false_alarms"] + ref["duplicates"] == len(alarms)
    assert ref == score(runs, alarms)


def test_detections_for_other_homes_and_types_are_counted_apart(campaign: Path) -> None:
    d = truth_detections(campaign)
    stray = [
        Detection("elsewhere", d[0].ts, "fall_detected"),
        Detection(d[0].home, d[0].ts, "door_opened"),
    ]
    r = score(find_runs(campaign), d + stray)
    assert r["ignored"] == {"other_event_types": 1, "unknown_homes": 1}
    assert r["false_alarms"] == 0


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("{not json", "line 2"),
        ('{"home": "a", "ts": "2026-11-23T03:10:00", "event_type": "x"}', "timezone"),
        ('{"home": "A B", "ts": "2026-11-23T03:10:00Z", "event_type": "x"}', "home"),
        ('{"home": "a", "ts": "yesterday", "event_type": "x"}', "ts"),
        ('{"home": "a", "ts": "2026-11-23T03:10:00Z"}', "event_type"),
        (
            '{"home": "a", "ts": "2026-11-23T03:10:00Z", "event_type": "' + "x" * 5000 + '"}',
            "longer",
        ),
    ],
)
def test_a_bad_detection_line_says_which_and_why(line: str, says: str) -> None:
    good = '{"home": "a", "ts": "2026-11-23T03:10:00Z", "event_type": "fall_detected"}'
    with pytest.raises(ScoreError, match="line 2") as caught:
        list(parse_detections([good, line]))
    assert says in str(caught.value)


def test_a_folder_without_truth_or_with_one_home_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScoreError, match=r"no truth\.jsonl"):
        find_runs(tmp_path)
    s = load_scenario("night-fall")
    for seed in (1, 2):
        sim, sink = run_scenario(s, seed, days=0.2)
        write_run(tmp_path / f"run{seed}", sim, sink)
    with pytest.raises(ScoreError, match="are both home 'default'"):
        find_runs(tmp_path)


def test_seeds_are_read_as_ranges_and_lists() -> None:
    assert parse_seeds("1-3,7, 2") == [1, 2, 3, 7]
    for bad in ("1-", "a", "5-1", "1-200000"):
        with pytest.raises(ConfigError, match="--seeds"):
            parse_seeds(bad)


def test_mewet_score_prints_json_and_writes_the_html_report(campaign: Path, tmp_path: Path) -> None:
    detections = write_lines(tmp_path / "v2.jsonl", truth_detections(campaign, 12))
    page = tmp_path / "report" / "v2.html"
    out = mewet(
        "score",
        "--truth",
        str(campaign),
        "--detections",
        str(detections),
        "--json",
        "--html",
        str(page),
    )
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["sensitivity"] == 1 and r["delay_s"]["p50"] == 12 and r["runs"] == 10
    assert set(r["by_scenario"]) == {"night-fall"} and r["reference"]["falls"] == 10
    text = page.read_text()
    assert "<svg" in text and "v2.jsonl" in text and "reference" in text
    assert read_detections(detections) == truth_detections(campaign, 12)


def test_mewet_score_on_a_bad_file_says_so_without_a_traceback(
    campaign: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"home": "night-fall-1", "ts": "soon", "event_type": "fall_detected"}\n')
    out = mewet("score", "--truth", str(campaign), "--detections", str(bad))
    assert out.returncode == 2 and "bad.jsonl line 1: ts" in out.stderr
    assert "Traceback" not in out.stderr
    missing = mewet("score", "--truth", str(tmp_path / "nope"), "--detections", str(bad))
    assert missing.returncode == 2 and "no such folder" in missing.stderr


def test_a_campaign_on_a_two_worker_dask_cluster_writes_the_same_runs(
    campaign: Path, tmp_path: Path
) -> None:
    from distributed import LocalCluster

    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = run_campaign(
            "night-fall", [2, 7], None, tmp_path, scheduler=cluster.scheduler_address
        )
    assert result["workers"] == "dask" and [r["seed"] for r in result["runs"]] == [2, 7]
    for seed in (2, 7):
        name = f"night-fall-{seed}/messages.jsonl"
        assert (tmp_path / name).read_bytes() == (campaign / name).read_bytes()


def test_a_campaign_with_no_scheduler_there_says_so(tmp_path: Path) -> None:
    from mewet.servers import free_port

    with pytest.raises(ConfigError, match="no Dask scheduler answers"):
        run_campaign("night-fall", [1], 0.1, tmp_path, scheduler=f"tcp://127.0.0.1:{free_port()}")


NOT_FALLS = """
id: not-falls
title: A stumble and a rest on the floor
description: Neither is a fall, though devices may think so.
home: default
start: 2026-11-23T08:00:00+01:00
days: 0.5
seed: 2
incidents:
  - {type: near_fall, at: "10:00", wristband_alarm: 1}
  - {type: lie_on_floor, at: "14:00", room: bathroom, minutes: 10, radar_alarm: 1}
"""


def test_a_near_fall_and_lying_on_the_floor_are_false_alarms_not_falls(tmp_path: Path) -> None:
    path = tmp_path / "not-falls.yaml"
    path.write_text(NOT_FALLS)
    s = load_scenario(path)
    sim, sink = run_scenario(s)
    write_run(tmp_path / "run", sim, sink)
    truth = [json.loads(x) for x in (tmp_path / "run" / "truth.jsonl").read_text().splitlines()]
    begun = [t["value"] for t in truth if t["kind"] == "activity" and t["phase"] == "begin"]
    assert "near_fall" in begun and "rest_on_floor" in begun and "fall" not in begun
    runs = find_runs(tmp_path / "run")
    alarms = lab_detections(runs)
    devices = {
        m.topic.device
        for m in sink.messages
        if m.topic.kind.value == "event" and m.payload.event_type == "fall_detected"
    }
    assert {"wristband", "fall-bathroom"} <= devices  # each took it for a fall
    r = score(runs, alarms)
    assert r["falls"] == 0 and r["false_alarms"] == len(alarms) >= 2
    assert r["sensitivity"] is None and r["precision"] == 0 and r["f1"] is None
    # and the resident carries on: she moves about after getting up
    after = [m for m in sink.of("motion-living", "event") if m.payload.ts.hour >= 15]
    assert after
