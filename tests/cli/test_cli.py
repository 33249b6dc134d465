"""The `mewet` command as a person runs it: real processes, real broker and store."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from mewet.api.public import lan_address
from mewet.config import MqttUrl
from mewet.integrations.contract_docs import render
from mewet.lab.workers import default_workers
from mewet.scenarios.scenario import ScenarioError, load_scenario
from mewet.servers import free_port
from mewet.store.base import Store, open_store
from tests.support.appdb import app_db_url
from tests.support.helpers import REPO, eventually, unique_root
from tests.support.mistakes import GOOD, MISTAKES, Mistake

ROOT = REPO


def mewet(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mewet", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def test_simulate_publishes_and_prints_messages_per_device(mqtt_url: MqttUrl) -> None:
    root = unique_root()
    out = mewet(
        "simulate",
        "--home",
        "default",
        "--mqtt",
        f"mqtt://127.0.0.1:{mqtt_url.port}",
        "--speed",
        "0",
        "--duration",
        "6h",
        "--seed",
        "4",
        env={"MEWET_TOPIC_ROOT": root},
    )
    assert out.returncode == 0, out.stderr
    counts = dict(re.findall(r"│ ([a-z0-9-]+)\s+│ (\d+)", out.stdout))
    total = int(counts.pop("total"))
    assert len(counts) == 26 and int(counts["vitals"]) > 300
    assert total == sum(int(v) for v in counts.values())


def test_simulate_at_speed_runs_in_wall_time(mqtt_url: MqttUrl) -> None:
    started = time.monotonic()
    out = mewet(
        "simulate",
        "--mqtt",
        f"mqtt://127.0.0.1:{mqtt_url.port}",
        "--speed",
        "600",
        "--duration",
        "20m",
        env={"MEWET_TOPIC_ROOT": unique_root()},
    )
    assert out.returncode == 0, out.stderr
    assert time.monotonic() - started >= 2.0  # 1200 sim seconds at 600x: two wall seconds


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "--mqtt", "http://x", "--duration", "1m"], "use mqtt://host:port"),
        (
            ["simulate", "--mqtt", "mqtt://127.0.0.1:1", "--duration", "1m"],
            "cannot reach the MQTT broker",
        ),
        (["simulate", "--duration", "soon"], "duration 'soon'"),
        (["simulate", "--home", "nowhere"], "neither a built-in home"),
        (["simulate", "--speed", "nan"], "--speed nan: use 0"),
        (["simulate", "--seed", "-3"], "greater than or equal to 0"),
        (["up", "--speed", "-1"], "--speed -1.0: use 0"),
        (["contract", "schema", "--out", "/proc/no-such-place"], "No such file or directory"),
        (["ingest", "--store", "postgres://x/y", "--mqtt", "mqtt://127.0.0.1:1"], "sqlite:///"),
        (["ingest", "stats", "--store", "influxdb://127.0.0.1:1/x"], "not reachable"),
    ],
)
def test_bad_input_gets_a_plain_error_not_a_traceback(args: list[str], message: str) -> None:
    out = mewet(*args, timeout=60)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_devices_list_shows_every_type_with_units_and_rates() -> None:
    out = mewet("devices", "list")
    assert out.returncode == 0
    for text in (
        "wristband",
        "fall_detector",
        "stove_guard",
        "heart_rate (bpm, 1 min)",
        "co2 (ppm, 5 min)",
    ):
        assert text in out.stdout


def test_contract_schema_writes_one_file_per_payload_kind(tmp_path: Path) -> None:
    out = mewet("contract", "schema", "--out", str(tmp_path))
    assert out.returncode == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert {"telemetry.json", "event.json", "state.json", "meta.json", "cmd.json"} <= set(names)
    schema = json.loads((tmp_path / "telemetry.json").read_text())
    data = schema["properties"]["data"]
    assert data["additionalProperties"] is False
    assert [v["type"] for v in data["patternProperties"].values()] == ["number"]


def test_contract_docs_are_up_to_date() -> None:
    written = (ROOT / "docs" / "contract.md").read_text()
    assert written == render(), "docs/contract.md is stale: run `make docs`"


def test_the_incidents_reference_lists_every_setting_and_is_up_to_date(tmp_path: Path) -> None:
    """A teacher reads each incident's settings with units and defaults in the repository's
    docs: the page is what the lab checks against, including the newest incidents."""
    out = tmp_path / "incidents.md"
    assert mewet("scenario", "incidents", "--out", str(out)).returncode == 0
    page = out.read_text()
    assert "| `minutes` | 120 | number > 0 and ≤ 1440 | Minutes before the resident notices" in page
    assert "## `skipped_meals`" in page and "`dizzy_chance_per_hour`" in page
    assert page == (ROOT / "docs" / "incidents.md").read_text(), (
        "docs/incidents.md is stale: run `make docs`"
    )


def test_the_scenario_reference_names_what_teachers_had_to_find_out(tmp_path: Path) -> None:
    """The Finnish fields, the meal times, each device type's options and the homes' door ids
    are written down, from the code the files are checked against, and the committed page is
    fresh."""
    out = tmp_path / "scenario-reference.md"
    assert mewet("scenario", "reference", "--out", str(out)).returncode == 0
    page = out.read_text()
    assert "`title_fi`, `description_fi`, `learning_goals_fi`, `teacher_guide_fi`" in page
    assert "| 18:00 | 15 | `dinner` |" in page and "next morning's breakfast" in page
    assert "### `contact`: " in page and "| `night` |" in page
    assert "| `front-door` | hall – outside | entrance |" in page
    assert "| `door-front` | `contact` | hall | front-door |" in page
    assert page == (ROOT / "docs" / "scenario-reference.md").read_text(), (
        "docs/scenario-reference.md is stale: run `make docs`"
    )


def test_the_committed_json_schemas_are_up_to_date(tmp_path: Path) -> None:
    """A company reads the schemas in the repository, without a lab install: they must be
    what the lab checks against."""
    assert mewet("contract", "schema", "--out", str(tmp_path)).returncode == 0
    assert mewet("scenario", "schema", "--out", str(tmp_path / "scenario.json")).returncode == 0
    committed = ROOT / "docs" / "schema"
    fresh = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert fresh == {p.name: p.read_text() for p in committed.iterdir()}, (
        "docs/schema is stale: run `make docs`"
    )


def test_home_validate_names_the_line_and_what_is_allowed(tmp_path: Path) -> None:
    bad = tmp_path / "flat.yaml"
    bad.write_text(
        "id: flat\nname: Flat\nrooms:\n  - {id: hall, name: Hall}\n"
        "  - {id: keittio, name: Keittiö}\n"
        "doors:\n  - {id: d1, between: [hall, garage]}\n"
        "devices:\n  - {id: m1, type: motion, room: hall}\n"
        "  - {id: f1, type: falldetector, room: hall}\n"
        "  - {id: m2, type: motion, room: attic}\n"
        "  - {id: c1, type: contact, room: hall}\n"
        "  - {id: m3, type: motion, room: hall, options: {hold_s: -5}}\n"
    )
    out = mewet("home", "validate", str(bad))
    assert out.returncode == 2
    err = " ".join(out.stderr.split())
    assert "flat.yaml, line 7: doors[0].between: unknown room 'garage'" in err
    assert "line 10: devices[1].type: unknown device type 'falldetector' (types: bed," in err
    assert "fall_detector" in err
    assert "line 11: devices[2].room: unknown room 'attic' (rooms: hall, keittio)" in err
    assert "line 12: devices[3].door: a door alarm needs the door it watches" in err
    assert "line 13: devices[4].options.hold_s:" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nrooms: [\n")
    out = mewet("home", "validate", str(broken))
    assert (
        out.returncode == 2
        and "broken.yaml, line 3: a list [ ] or a mapping { } is not closed" in out.stderr
    )
    assert (
        mewet("home", "validate", str(ROOT / "mewet" / "sim" / "homes" / "default.yaml")).returncode
        == 0
    )


def test_ingest_stats_reads_the_totals_back(tmp_path: Path) -> None:
    from mewet.store.base import IngestStats
    from tests.support.helpers import START

    db = tmp_path / "s.db"
    store = open_store(f"sqlite:///{db}")
    store.write([IngestStats(START, "ingest-x", 120, 110, 3, 7, 2, 0.125)])
    store.close()
    out = mewet("ingest", "stats", "--store", f"sqlite:///{db}")
    assert out.returncode == 0
    row = " ".join(out.stdout.split())
    assert "ingest-x" in row and "120 │ 110 │ 3 │ 7 │ 2 │ 0.125" in row


def run_lab(
    data: Path,
    *args: str,
    telemetry_at_least: int = 1,
    while_running: Callable[[int], None] | None = None,
    started: Callable[[int], None] | None = None,
) -> tuple[int, str, Store]:
    """`mewet up` on its defaults (no MEWET_ settings) until the store holds telemetry of the
    default home and the API answers, then Ctrl-C; returns the exit code, what it printed, and
    the store (open). `started` is told the lab's process id."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEWET_")}
    url = app_db_url(data)  # the suite on PostgreSQL: the lab's state there too
    if url is not None:
        env["MEWET_DB_URL"] = url
    api = free_port()
    cmd = [sys.executable, "-m", "mewet", "up", "--data-dir", str(data), "--api-port", str(api)]
    proc = subprocess.Popen(
        [*cmd, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    if started is not None:
        started(proc.pid)
    try:
        eventually((data / "mewet.db").exists, timeout_s=30)
        store = open_store(f"sqlite:///{data / 'mewet.db'}")
        eventually(lambda: store.count("telemetry", "default") >= telemetry_at_least, timeout_s=60)
        docs = eventually(lambda: _get(f"http://127.0.0.1:{api}/openapi.json"), timeout_s=30)
        assert "/api/exercises/{exercise_id}/control" in docs
        if while_running is not None:
            while_running(api)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    return proc.returncode, err, store


def _get(url: str) -> str:
    try:
        return httpx.get(url, timeout=5).text
    except httpx.HTTPError:
        return ""


def test_mewet_up_runs_the_lab_and_stops_cleanly(tmp_path: Path) -> None:
    """What `make run` starts: broker, store, ingest and the live home; Ctrl-C stops it all."""
    port = free_port()
    code, err, store = run_lab(
        tmp_path / "data", "--mqtt-port", str(port), "--speed", "120", telemetry_at_least=21
    )
    assert code == 0, err
    assert "MeWeT lab is up" in err and f"mosquitto_sub -h 127.0.0.1 -p {port}" in err
    assert "no API accounts yet: create a teacher with" in err
    assert "the lab has stopped" in err
    views = store.devices("default")
    assert len(views) == 26
    # what the lab keeps is its own: folders 0700, files 0600 (the key, accounts, the store)
    data = tmp_path / "data"
    assert data.stat().st_mode & 0o777 == 0o700
    accounts = ["app.db"] if app_db_url(data) is None else []  # else in PostgreSQL
    for kept in ("mewet.db", *accounts, "secret.key", "broker"):
        mode = (data / kept).stat().st_mode & 0o777
        assert mode in (0o600, 0o700), (kept, oct(mode))
    assert views["gateway"].status == "offline"  # it said goodbye, and ingest kept it
    store.close()


def test_mewet_up_opens_to_the_school_network_only_when_asked(tmp_path: Path) -> None:
    """By default the lab is this computer's alone and says how to open it; with
    `--host 0.0.0.0` it prints the address the class's phones use, and answers there."""
    code, err, store = run_lab(tmp_path / "alone", "--speed", "60")
    store.close()
    assert code == 0, err
    assert "this computer only: to open the lab to the school network" in err
    assert "--host 0.0.0.0" in err
    lan = lan_address()
    if lan is None:
        pytest.skip("this machine has no network address besides loopback")
    pages: list[str] = []

    def from_the_network(port: int) -> None:
        pages.append(httpx.get(f"http://{lan}:{port}/join", timeout=10).text)

    code, err, store = run_lab(
        tmp_path / "open", "--speed", "60", "--host", "0.0.0.0", while_running=from_the_network
    )
    store.close()
    assert code == 0, err
    where = re.search(r"class    http://(\S+):(\d+)/join", err)
    assert where is not None, err
    assert where.group(1) == lan
    assert 'id="code-form"' in pages[0]  # the join page, as a phone on the network sees it


def test_mewet_up_moves_its_broker_when_the_default_port_is_taken(tmp_path: Path) -> None:
    """A Debian mosquitto service on 1883 must not stop `make run`."""
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            taken.bind(("127.0.0.1", 1883))
            taken.listen()
        except OSError:
            pass  # something listens on 1883 already: the same situation
        code, err, store = run_lab(tmp_path / "d", "--speed", "60")
    store.close()
    assert code == 0, err
    assert "port 1883 is taken" in err
    port = int(re.search(r"mosquitto_sub -h 127.0.0.1 -p (\d+)", err).group(1))
    assert port != 1883


def test_simulate_runs_a_scenario_live_through_the_broker(mqtt_url: MqttUrl) -> None:
    """The night fall over MQTT: the wristband alarm, then home care's digital key at the lock."""
    from mewet.transport.client import MqttLink

    root = unique_root()
    got: list[bytes] = []
    watcher = MqttLink(
        mqtt_url,
        "",
        on_message=lambda m: got.append(m.payload),
        subscriptions=(f"{root}/default/+/event",),
        threaded=True,
    ).connect()
    out = mewet(
        "simulate",
        "--scenario",
        "night-fall",
        "--mqtt",
        f"mqtt://127.0.0.1:{mqtt_url.port}",
        "--speed",
        "0",
        "--duration",
        "12h",
        env={"MEWET_TOPIC_ROOT": root},
    )
    assert out.returncode == 0, out.stderr
    eventually(lambda: any(b'"key":"home-care"' in p for p in got))
    assert any(b'"event_type":"fall_detected"' in p for p in got)
    watcher.close()


def test_user_add_creates_accounts_and_says_what_is_wrong(tmp_path: Path) -> None:
    def add(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "mewet", "user", "add", "--data-dir", str(tmp_path), *args]
        env = {**os.environ, **({"MEWET_DB_URL": url} if url else {})}
        return subprocess.run(
            cmd, capture_output=True, text=True, input=stdin, timeout=60, check=False, env=env
        )

    url = app_db_url(tmp_path)

    ok = add(
        "--email", "anna@north", "--role", "teacher", "--org", "North", "--password", "s3cret-pass"
    )
    assert ok.returncode == 0 and "account anna@north (teacher, North) created" in ok.stdout
    asked = add(
        "--email",
        "bo@north",
        "--role",
        "admin",
        "--org",
        "North",
        stdin="pw-long-enough\npw-long-enough\n",
    )
    assert asked.returncode == 0, asked.stderr  # asked twice, hidden
    again = add(
        "--email", "ANNA@north", "--role", "teacher", "--org", "North", "--password", "another-pass"
    )
    assert again.returncode == 2 and "there is already an account for ANNA@north" in again.stderr
    role = add("--email", "c@x", "--role", "janitor", "--org", "X", "--password", "long-enough")
    assert (
        role.returncode == 2
        and "role 'janitor' is not one of admin, teacher, student, company" in role.stderr
    )
    short = add("--email", "d@x", "--role", "teacher", "--org", "X", "--password", "short")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    from mewet.api.security import verify_password
    from mewet.exercises.db import AppDb

    db = AppDb(tmp_path / "app.db", url)
    user = db.user_by_email("anna@north")
    assert user is not None and verify_password("s3cret-pass", user.password_hash)
    assert "s3cret-pass" not in user.password_hash
    db.close()


def test_mewet_up_with_a_secured_broker(tmp_path: Path) -> None:
    """`--secure-broker`: the lab's own clients have accounts, nobody else gets in; devices
    come through the devices' door, a part of the lab watched like the others."""
    port, devices = free_port(), free_port()
    seen: list[bool] = []

    def anonymous_refused(api_port: int) -> None:
        from mewet.config import MqttUrl
        from mewet.errors import TransportError
        from mewet.transport.client import MqttLink

        health = httpx.get(f"http://127.0.0.1:{api_port}/api/health", timeout=10).json()
        parts = {p["name"]: p["state"] for p in health["parts"]}
        workers = {f"worker-{i + 1}": "running" for i in range(default_workers())}
        assert parts == {"broker": "running", "ingest": "running", "gate": "running", **workers}

        for listener in (port, devices):  # the lab's, and the one devices connect to
            try:
                MqttLink(MqttUrl("127.0.0.1", listener), "anonymous").connect(timeout_s=5).close()
                seen.append(False)
            except TransportError as exc:
                seen.append("Not authorized" in str(exc) or "refused" in str(exc))

    code, err, store = run_lab(
        tmp_path / "data",
        "--mqtt-port",
        str(port),
        "--device-port",
        str(devices),
        "--secure-broker",
        "--speed",
        "120",
        telemetry_at_least=5,
        while_running=anonymous_refused,
    )
    assert code == 0, err
    said = " ".join(err.split())  # the console wraps long lines
    assert "secured: accounts only" in said and "-u mewet-lab -P '<password>'" in said
    assert f"devices mqtt://127.0.0.1:{devices} (companies' devices and students" in said
    assert seen == [True, True]
    assert store.count("telemetry", "default") >= 5  # ingest read, the lab wrote: both allowed
    store.close()


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.new.strip().split("\n")[-1])
def test_every_mistake_is_told_whole_on_the_command_line(tmp_path: Path, mistake: Mistake) -> None:
    """`mewet scenario validate` prints what the lab says, as it says it: the line and the fix
    in English, or in Finnish with --lang fi; nothing in square brackets is taken for the
    printer's markup (a pattern, a role's name, a list)."""
    path = tmp_path / "oma.yaml"
    path.write_text(mistake.text, encoding="utf-8")
    with pytest.raises(ScenarioError) as said:
        load_scenario(path)
    for lang, words in (("en", mistake.en), ("fi", mistake.fi)):
        out = mewet("scenario", "validate", str(path), "--lang", lang)
        assert out.returncode == 2
        printed = " ".join(out.stderr.split())
        assert printed == " ".join(said.value.say(lang).split())
        line = "line" if lang == "en" else "rivi"
        assert f"oma.yaml, {line} {mistake.line}: " in printed and words in printed, printed


def test_a_file_not_in_utf8_and_a_good_one(tmp_path: Path) -> None:
    old = tmp_path / "vanha.yaml"
    old.write_bytes(GOOD.replace("Yöllinen", "Y\xf6llinen").encode("latin-1"))
    out = mewet("scenario", "validate", str(old), "--lang", "fi")
    assert out.returncode == 2 and "tallenna se UTF-8-muodossa" in out.stderr
    good = tmp_path / "oma.yaml"
    good.write_text(GOOD, encoding="utf-8")
    out = mewet("scenario", "validate", str(good))
    assert out.returncode == 0 and "scenario 'night-fall-2' is valid" in out.stdout


def test_home_and_scenario_show_what_a_writer_needs() -> None:
    """`home show` lists the doors an incident names (front-door is not the device
    door-front); `scenario show` names its file and shows the care settings."""
    out = mewet("home", "show", "default")
    assert out.returncode == 0
    assert re.search(r"front-door\s+│ hall – outside\s+│ entrance", out.stdout)
    assert re.search(r"door-front\s+│ contact\s+│ hall\s+│ front-door", out.stdout)
    out = mewet("scenario", "show", "night-fall")
    assert out.returncode == 0
    assert "mewet/scenarios/library/night-fall.yaml" in out.stdout
    assert "care.visits: []" in out.stdout and "care.protocol:" in out.stdout
