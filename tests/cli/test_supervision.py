"""`mewet up` keeps its own parts running: a part killed is started again, nothing is lost, and
the health endpoint and the shutdown say what happened."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from mewet.servers import free_port
from tests.cli.test_cli import run_lab
from tests.support.helpers import eventually


def children(pid: int, named: str) -> list[int]:
    """The processes `pid` started whose command line holds `named`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == pid and named in argv:
            found.append(int(entry.name))
    return found


def health(api: int) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"http://127.0.0.1:{api}/api/health", timeout=10).json()
    return found


def holes(db: Path) -> dict[str, int]:
    """Per device of the default home, how many of its numbered messages are not stored."""
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT device, MIN(seq), MAX(seq), COUNT(DISTINCT seq) FROM "
            "(SELECT device, seq FROM telemetry WHERE home = 'default' "
            " UNION ALL SELECT device, seq FROM event WHERE home = 'default') GROUP BY device"
        ).fetchall()
    return {device: high - low + 1 - count for device, low, high, count in rows}


def stored(db: Path) -> int:
    """How many messages of the default home are in the store."""
    with sqlite3.connect(db) as con:
        [(telemetry,)] = con.execute("SELECT COUNT(DISTINCT msg_id) FROM telemetry").fetchall()
        [(events,)] = con.execute("SELECT COUNT(*) FROM event").fetchall()
    return int(telemetry) + int(events)


def test_ingest_killed_is_back_within_seconds_and_nothing_is_lost(tmp_path: Path) -> None:
    """Ingest's process SIGKILLed while the default home runs live: the lab starts it again,
    the health endpoint says what happened, and every message of the home is in the store."""
    seen: dict[str, object] = {}

    def kill_ingest(api: int) -> None:
        lab = seen["pid"]
        assert isinstance(lab, int)
        [ingest] = children(lab, "mewet ingest")
        assert health(api)["ok"] is True
        os.kill(ingest, signal.SIGKILL)
        # The killed process may still be listed for a moment: wait for its successor.
        eventually(lambda: [p for p in children(lab, "mewet ingest") if p != ingest], timeout_s=15)
        back = eventually(
            lambda: (h := health(api))["ok"] and h["parts"][1]["restarts"] and h,
            timeout_s=30,
            every_s=0.5,
        )
        seen["back"] = back
        before = stored(data / "mewet.db")
        eventually(lambda: stored(data / "mewet.db") > before + 20, timeout_s=30)

    data = tmp_path / "data"
    code, err, store = run_lab(
        data,
        "--mqtt-port",
        str(free_port()),
        "--speed",
        "120",
        while_running=kill_ingest,
        started=lambda pid: seen.__setitem__("pid", pid),
    )
    store.close()
    assert code == 0, err
    back = seen["back"]
    assert isinstance(back, dict)
    [ingest] = [p for p in back["parts"] if p["name"] == "ingest"]
    assert ingest["state"] == "running" and ingest["restarts"] == 1
    assert "ingest stopped (exit code -9); starting it again in 1 s" in err
    assert "ingest is running again (restart 1)" in err
    missing = holes(data / "mewet.db")
    assert len(missing) >= 5 and not any(missing.values()), missing


def test_the_broker_killed_is_started_again_on_its_port_and_the_home_goes_on(
    tmp_path: Path,
) -> None:
    """Mosquitto SIGKILLed: the lab starts it on the same port, every client of the lab
    connects again, and the home's messages reach the store again."""
    seen: dict[str, object] = {}
    data = tmp_path / "data"
    port = free_port()

    def kill_broker(api: int) -> None:
        lab = seen["pid"]
        assert isinstance(lab, int)
        [broker] = children(lab, "mosquitto")
        os.kill(broker, signal.SIGKILL)
        eventually(lambda: [p for p in children(lab, "mosquitto") if p != broker], timeout_s=15)
        before = stored(data / "mewet.db")
        eventually(lambda: stored(data / "mewet.db") > before + 20, timeout_s=60)
        seen["back"] = eventually(lambda: (h := health(api))["ok"] and h, timeout_s=30)

    code, err, store = run_lab(
        data,
        "--mqtt-port",
        str(port),
        "--speed",
        "120",
        while_running=kill_broker,
        started=lambda pid: seen.__setitem__("pid", pid),
    )
    store.close()
    assert code == 0, err
    back = seen["back"]
    assert isinstance(back, dict)
    [broker] = [p for p in back["parts"] if p["name"] == "broker"]
    assert broker["restarts"] == 1 and broker["last_exit"] == -signal.SIGKILL
    assert "broker is running again (restart 1)" in err
