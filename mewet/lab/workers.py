"""Worker processes: the homes of a server's exercises, run beside its API on several cores.

Python runs one thread at a time, so one process gives all of a server's exercises one core,
shared with the API's answers. `mewet api` and `mewet up` therefore start workers (one per
core but one, from three cores up, unless told: `--workers N`, MEWET_WORKERS; 0 runs the
exercises in the API's own process, as on two cores). Each worker is one of the lab's
servers in its own right (`mewet worker`): the same app, on a port of its own, on the same
database. The API becomes a front that runs no exercise: it answers everything else and
forwards each exercise's requests and live feed to the worker that runs it
(`api/forward.py`), and places each new exercise on its worker that runs fewest.

A worker that dies is started again (with the lab's other parts, `supervise.py`); its
exercises are taken over by the other workers within seconds, restored by replay
(`exercises/leases.py`). A worker whose front has gone (killed) stops by itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mewet.lab.supervise import Part, stop_child
from mewet.servers import free_port


def default_workers(cores: int | None = None) -> int:
    """A worker per core but one: that core is the front's, the broker's and ingest's. On
    two cores, none: one worker would run the homes on one core, as the API's own thread
    does, behind one more hop for every answer (docs/performance.md measured it)."""
    cores = cores or os.cpu_count() or 1
    return cores - 1 if cores >= 3 else 0


@dataclass(frozen=True, slots=True)
class WorkerPlan:
    """Where a worker listens, and where the front and the other servers reach it."""

    name: str
    host: str
    port: int
    url: str


def plan_workers(count: int, server_url: str, host: str, port: int) -> list[WorkerPlan]:
    """The workers of a front that listens on `host:port`. A front that other servers reach
    (`server_url`) has its workers on the ports after its own, on the same name and
    interface; one alone on its machine has them on free ports of 127.0.0.1."""
    plans = []
    for i in range(count):
        name = f"worker-{i + 1}"
        if server_url:
            wport = port + 1 + i
            plans.append(
                WorkerPlan(name, host, wport, f"http://{urlsplit(server_url).hostname}:{wport}")
            )
        else:
            wport = free_port()
            plans.append(WorkerPlan(name, "127.0.0.1", wport, f"http://127.0.0.1:{wport}"))
    return plans


def worker_parts(
    plans: list[WorkerPlan],
    env: Mapping[str, str],
    logs: Path,
    say: Callable[[str], Any],
) -> list[Part]:
    """The workers as parts of the lab, started (each with `env`, its settings, and its own
    MEWET_SERVER_URL); each logs to `logs/<name>.log`."""
    parts = []
    for plan in plans:

        def start(plan: WorkerPlan = plan) -> subprocess.Popen[bytes]:
            argv = [sys.executable, "-m", "mewet", "worker"]
            argv += ["--host", plan.host, "--port", str(plan.port)]
            with (logs / f"{plan.name}.log").open("ab") as log:
                return subprocess.Popen(
                    argv,
                    env={**env, "MEWET_SERVER_URL": plan.url},
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    # Ctrl-C in the terminal is the front's to hand on: it stops its
                    # workers itself, after it has stopped answering
                    start_new_session=True,
                )

        # stopped as Ctrl-C would: it keeps its exercises' clocks and frees them
        parts.append(Part(plan.name, start, stop_child, say).start())
    return parts
