"""The devices' door (`mewet gate`) as `mewet up --secure-broker` runs it: a process of its
own in front of a secured broker's clients' listener."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mewet.servers import free_port
from tests.support.helpers import eventually


@dataclass(frozen=True)
class Door:
    port: int
    control: Path
    log: Path

    def said(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def devices_door(
    folder: Path, broker_port: int, access: Path, root: str, **limits: str
) -> Iterator[Door]:
    """The door on a free port, relaying to `broker_port`; `limits` as MEWET_LIMITS__NAME."""
    folder.mkdir(parents=True, exist_ok=True)
    door = Door(free_port(), folder / "gate.sock", folder / "gate.log")
    env = {**os.environ, **{f"MEWET_LIMITS__{k.upper()}": v for k, v in limits.items()}}
    argv = [sys.executable, "-m", "mewet", "gate", "--listen", f"127.0.0.1:{door.port}"]
    argv += ["--broker", f"127.0.0.1:{broker_port}", "--access", str(access)]
    argv += ["--control", str(door.control), "--root", root]
    with door.log.open("ab") as log:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        # the control socket comes once the door listens; no probe of the port, which the
        # door would count against this address for a moment
        eventually(lambda: proc.poll() is not None or door.control.exists(), timeout_s=30)
        assert proc.poll() is None, door.said()
        yield door
    finally:
        proc.terminate()
        proc.wait(10)
