"""Replaying a CASAS dataset through the contract: the lab's own export round-trips through
the real broker and ingest; a dirty real-world file is read as far as it can be."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mewet.benchmark.replay import ReadReport, Replay, read_casas
from mewet.config import MqttUrl, StoreUrl
from mewet.contract import Event, Kind, Meta, Telemetry
from mewet.scenarios.casas import VALUES
from mewet.scenarios.run import run_scenario, write_run
from mewet.scenarios.scenario import load_scenario
from mewet.sim.sink import MemorySink
from mewet.store.base import open_store
from tests.cli.test_cli import mewet
from tests.ingest.test_ingest import running_ingest
from tests.support.helpers import eventually, unique_root

# a few lines as the public Aruba dataset has them, warts included
ARUBA = """\
2010-11-04 00:03:50.209589 M003 ON Sleeping begin
2010-11-04 00:03:57.399391 M003 OFF
2010-11-04 00:15:08.984841 T002 21.5
2010-11-04 00:30:19.185547 M003 ON
2010-11-04 00:30:19.385336 M003 OFFcc
2010-11-04 00:30:19.5 M003
garbage line here
2010-11-04 05:40:51.303739 D001 OPEN
2010-11-04 05:40:52.303739 D001 CLOSE
2010-11-04 08:01:12.282283 M003 ON Sleeping end
"""


def casas_lines(path: Path) -> list[tuple[datetime, str, str]]:
    """(time to the millisecond, sensor, value) of every line, labels left out."""
    out = []
    for raw in path.read_text().splitlines():
        date, clock, sensor, value = raw.split()[:4]
        ts = datetime.fromisoformat(f"{date}T{clock}+01:00").astimezone(UTC)
        out.append((ts.replace(microsecond=ts.microsecond // 1000 * 1000), sensor, value))
    return sorted(out)


def test_a_run_s_casas_export_replayed_and_ingested_gives_the_same_sensor_events(
    mqtt_url: MqttUrl, tmp_path: Path
) -> None:
    s = load_scenario("night-fall")
    sim, sink = run_scenario(s, 3, days=0.4)
    write_run(tmp_path / "run", sim, sink)
    original = casas_lines(tmp_path / "run" / "casas.txt")
    root = unique_root()
    store = open_store(StoreUrl("sqlite", path=tmp_path / "store.db"))
    with running_ingest(mqtt_url, store, root):
        out = mewet(
            "replay",
            str(tmp_path / "run" / "casas.txt"),
            "--format",
            "casas",
            "--mqtt",
            f"mqtt://127.0.0.1:{mqtt_url.port}",
            "--speed",
            "0",
            "--home",
            "replayed",
            "--tz",
            "+01:00",
            "--truth",
            str(tmp_path / "labels.jsonl"),
            env={"MEWET_TOPIC_ROOT": root},
        )
        assert out.returncode == 0, out.stderr
        events = [line for line in original if not line[2].replace(".", "").isdigit()]
        eventually(lambda: store.count("event", "replayed") == len(events))
        eventually(lambda: store.count("telemetry", "replayed") == len(original) - len(events))
    start, end = original[0][0] - timedelta(1), original[-1][0] + timedelta(1)
    back = [
        (e.ts, e.device, VALUES.get(e.event_type, e.event_type.upper()))
        for e in store.events("replayed", start, end)
    ]
    views = store.devices("replayed")
    for device, view in views.items():
        if view.type == "temperature":
            back += [
                (ts, device, f"{v:g}")
                for ts, v in store.series("replayed", device, "temperature", start, end)
            ]
    assert sorted(back) == original
    assert views["gateway"].status == "offline"  # every device said goodbye at the end
    labels = [json.loads(x) for x in (tmp_path / "labels.jsonl").read_text().splitlines()]
    labelled = [x.split()[4:6] for x in (tmp_path / "run" / "casas.txt").read_text().splitlines()]
    assert [[x["value"], x["phase"]] for x in labels] == [x for x in labelled if x]
    assert ["Fall", "begin"] in [[x["value"], x["phase"]] for x in labels]
    store.close()


def test_a_dirty_dataset_is_read_as_far_as_it_goes(tmp_path: Path) -> None:
    path = tmp_path / "aruba.txt"
    path.write_text(ARUBA)
    found = ReadReport()
    player = Replay("aruba", "mewet")
    lines = player.learn(read_casas(path, UTC, found), found)
    assert found.skipped == 2 and found.problems[0].startswith("line 6: fewer than four")
    assert "line 7" in found.problems[1]
    assert {d: player.devices[d].type for d in player.devices} == {
        "m003": "motion",
        "t002": "temperature",
        "d001": "contact",
    }
    sink = MemorySink()
    player.announce(sink)
    sent = [player.message(line) for line in lines]
    assert sink.messages[0].topic.kind is Kind.STATUS and sink.messages[1].topic.kind is Kind.META
    meta = next(
        m.payload for m in sink.messages if m.topic.device == "m003" and m.topic.kind is Kind.META
    )
    assert isinstance(meta, Meta) and meta.events == ["motion_cleared", "motion_detected", "offcc"]
    kinds = [(m.topic.device, type(m.payload).__name__) for m in sent]
    assert ("t002", "Telemetry") in kinds and ("d001", "Event") in kinds
    temps = [m.payload for m in sent if isinstance(m.payload, Telemetry)]
    assert temps[0].data == {"temperature": 21.5}
    seqs = [m.payload.seq for m in sent if m.topic.device == "m003"]
    assert seqs == list(range(1, len(seqs) + 1))
    assert all(isinstance(m.payload, Event | Telemetry) for m in sent)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--format", "aras"], "casas files"),
        (["--tz", "Mars/Olympus"], "not a time zone"),
        (["--speed", "nan"], "--speed"),
        (["--home", "Not A Home"], "home"),
    ],
)
def test_replay_with_bad_options_says_what_is_wrong(
    tmp_path: Path, mqtt_url: MqttUrl, args: list[str], says: str
) -> None:
    path = tmp_path / "aruba.txt"
    path.write_text(ARUBA)
    out = mewet("replay", str(path), *args, "--mqtt", f"mqtt://127.0.0.1:{mqtt_url.port}")
    assert out.returncode == 2 and says in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_replay_of_a_file_that_is_not_casas_says_so(tmp_path: Path, mqtt_url: MqttUrl) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00 not at all a dataset")
    out = mewet("replay", str(path), "--mqtt", f"mqtt://127.0.0.1:{mqtt_url.port}")
    assert out.returncode == 2 and "not one line reads as CASAS" in out.stderr
    missing = mewet("replay", str(tmp_path / "none.txt"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
