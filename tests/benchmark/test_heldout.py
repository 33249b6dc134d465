"""Held-out benchmark homes: drawn by the lab from a secret seed, so a score cannot be tuned
to runs anyone can make at home, and played live like any benchmark."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mewet.benchmark.heldout import BASES, draw
from mewet.benchmark.live import held_out_stimuli
from mewet.config import MqttUrl
from mewet.scenarios.incidents import Fall
from mewet.scenarios.scenario import library, load_scenario
from tests.benchmark.test_live import Relay, benchmark
from tests.support.helpers import unique_root


def test_held_out_homes_are_valid_varied_and_say_nothing_of_themselves() -> None:
    homes = draw(60, seed=11)
    falls = [i for h in homes for i in h.scenario.incidents if isinstance(i, Fall)]
    assert all(h.scenario.problems() == [] and h.scenario.days == 1 for h in homes)
    assert all(re.fullmatch(r"h\d+-[0-9a-f]{6}", h.name) for h in homes)
    assert len({f.at[:2] for f in falls if f.at}) >= 10  # falls at many hours of the day
    assert len({f.room for f in falls}) >= 4
    assert len({h.scenario.resident.persona.age for h in homes}) >= 10
    assert len({h.scenario.start.date() for h in homes}) >= 30  # many days of a year
    # none has the library's fixed times: night-fall is always 03:10, its seed or not
    fixed = {i.at for name in BASES for i in load_scenario(name).incidents if isinstance(i, Fall)}
    assert sum(f.at in fixed for f in falls) <= 2
    # the same seed draws the same homes (the lab's own record); a secret one, others
    assert [h.scenario for h in draw(3, seed=11)] == [h.scenario for h in homes[:3]]
    assert [h.scenario for h in draw(3)] != [h.scenario for h in draw(3)]
    assert all(h.seed not in range(1, 6) for h in homes)  # never a public seed of the API
    assert not set(library()) & {h.scenario.id for h in homes} - {"held-out"}


def test_a_held_out_benchmark_plays_live_and_keeps_its_truth(
    mqtt_url: MqttUrl, tmp_path: Path
) -> None:
    """`mewet benchmark --held-out 2`: two homes nobody has seen, named for nothing, scored as
    any benchmark is."""
    root = unique_root()
    out = tmp_path / "bench"
    relay = Relay(mqtt_url, root, out)
    try:
        result = benchmark(mqtt_url, root, out, "--held-out", "2")
    finally:
        relay.close()
    assert result.returncode == 0, result.stderr
    r = json.loads(result.stdout)
    assert r["runs"] == 2 and r["held_out"] is True and r["hours"] == 48
    homes = re.findall(r"h\d-[0-9a-f]{6}", result.stderr)
    assert len(homes) == 2 and all((out / h / "truth.jsonl").is_file() for h in homes)
    assert not relay.seen_truth_while_running
    assert r["detected"] == r["reference"]["detected"]  # it relays the lab's detectors
    assert len(held_out_stimuli(2)) == 2
