"""Conformance runs started through the API: each in a worker process of its own, one at a
time per device, a few at a time per company and in the lab, and every report kept on disk
per device (`conformance/<home>/<device>/<n>/report.{json,xml,html}`), so the list survives a
restart.

A run reads everything its device sends: a device that floods its topics makes its run
work hard and hold what it kept (at most `run.KEPT_BYTES`). In a process of its own that
costs the API's answers nothing, and its memory is given back when the run ends.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from mewet.config import MqttUrl
from mewet.conformance.report import report, sign, write
from mewet.conformance.run import Plan, at_the_door, observe
from mewet.errors import MewetError
from mewet.transport.client import MqttLink
from mewet.transport.gate import GateControl

log = logging.getLogger(__name__)
RunStatus = Literal["running", "done", "failed"]


class BusyError(MewetError):
    """A run of this device is going on, or the lab's runs are all busy."""

    def __init__(self, message: str, *, lab_full: bool) -> None:
        super().__init__(message)
        self.lab_full = lab_full


@dataclass
class RunSeen:
    """One conformance run of a device, as listed."""

    id: int
    started: datetime
    status: RunStatus
    verdict: str | None = None
    counts: dict[str, int] | None = None
    error: str | None = None


class ConformanceRuns:
    """The conformance runs of companies' devices."""

    def __init__(
        self,
        folder: Path,
        mqtt: MqttUrl | None,
        root: str,
        limit: int = 4,
        key: str | None = None,
        per_company: int = 2,
        gate: Path | None = None,
    ) -> None:
        self.folder = folder
        self.gate = gate
        """The devices' door's control socket: with it a run may pull the device's plug."""
        self.key = key
        """The lab's key: reports are signed with it, so a customer can check one."""
        self.mqtt = mqtt
        self.root = root
        self.limit = limit
        self.per_company = per_company
        self._running: dict[tuple[str, str], tuple[RunSeen, str]] = {}
        self._workers: dict[tuple[str, str], multiprocessing.process.BaseProcess] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def device_folder(self, home: str, device: str) -> Path:
        return self.folder / home / device

    def start(
        self,
        home: str,
        device: str,
        commands: MqttUrl | None,
        watch_s: float = 30.0,
        answer_s: float = 10.0,
        strict: bool = False,
        org: str = "",
        unplug: str | None = None,
    ) -> RunSeen:
        """Start a run now, sending commands with the `commands` account (BusyError when this
        device's is still going, or its company's or the lab's runs are all busy). With
        `unplug` (the device's broker account) the lab pulls its plug at the door and puts it
        back, for the Last Will, the back-off and the persistent session."""
        if self.mqtt is None:
            raise MewetError("this lab has no broker connection now")
        if unplug is not None and self.gate is None:
            raise MewetError(
                "this lab has no devices' door to pull a plug at (it is part of "
                "`mewet up --secure-broker`): run `mewet conformance --unplug` beside the device"
            )
        key = (home, device)
        with self._lock:
            if key in self._running:
                raise BusyError(
                    f"a conformance run of {home}/{device} is going on: wait for its report",
                    lab_full=False,
                )
            if sum(1 for _, o in self._running.values() if o == org) >= self.per_company:
                raise BusyError(
                    f"your company runs {self.per_company} conformance runs now: wait for one "
                    "of their reports",
                    lab_full=True,
                )
            if len(self._running) >= self.limit:
                raise BusyError(
                    f"the lab runs {self.limit} conformance runs now: try again in a minute",
                    lab_full=True,
                )
            n = 1 + max((r.id for r in self._on_disk(home, device)), default=0)
            seen = RunSeen(n, datetime.now(UTC), "running")
            self._running[key] = (seen, org)
        out = self.device_folder(home, device) / str(n)
        job = Job(self.mqtt, commands, self.root, home, device, watch_s, answer_s, strict)
        if unplug is not None:
            job = replace(job, gate=self.gate, unplug=unplug)
        threading.Thread(
            target=self._run, args=(key, seen, out, job), name=f"conformance-{n}", daemon=True
        ).start()
        return seen

    def _run(self, key: tuple[str, str], seen: RunSeen, out: Path, job: Job) -> None:
        """Run it in a worker process and wait (on this thread) for it to end."""
        try:
            # forkserver: a clean process, not a copy of the API's with its threads
            worker = multiprocessing.get_context("forkserver").Process(
                target=_run_job, args=(job, self.key, out, seen.started), daemon=True
            )
            with self._lock:
                if self._stop.is_set():
                    return
                worker.start()
                self._workers[key] = worker
            worker.join()
            stopped = self._stop.is_set()
            if not stopped and worker.exitcode != 0 and not (out / "failed.json").exists():
                _failed(out, seen.started, f"the run's process stopped (code {worker.exitcode})")
        except Exception as exc:  # a run must never take the API down with it
            log.exception("conformance run of %s/%s failed", *key)
            _failed(out, seen.started, str(exc) or type(exc).__name__)
        finally:
            with self._lock:
                self._running.pop(key, None)
                self._workers.pop(key, None)

    def close(self) -> None:
        """End the runs going on (the lab is stopping); they leave no report."""
        with self._lock:
            self._stop.set()
            workers = list(self._workers.values())
        for worker in workers:
            worker.terminate()

    def runs(self, home: str, device: str) -> list[RunSeen]:
        """Every run of a device, newest first: the one going on, then those on disk."""
        with self._lock:
            found = self._running.get((home, device))
            going = found[0] if found else None
        done = [r for r in self._on_disk(home, device) if going is None or r.id != going.id]
        return sorted(([going] if going else []) + done, key=lambda r: r.id, reverse=True)

    def report(self, home: str, device: str, n: int) -> dict[str, Any] | None:
        """A finished run's report (None when there is none)."""
        path = self.device_folder(home, device) / str(n) / "report.json"
        if not path.is_file():
            return None
        found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return found

    def _on_disk(self, home: str, device: str) -> list[RunSeen]:
        folder = self.device_folder(home, device)
        if not folder.is_dir():
            return []
        out = []
        for d in folder.iterdir():
            if not d.name.isdigit():
                continue
            if (d / "report.json").is_file():
                r = json.loads((d / "report.json").read_text(encoding="utf-8"))
                started = datetime.fromisoformat(r["started"].replace("Z", "+00:00"))
                out.append(RunSeen(int(d.name), started, "done", r["verdict"], r["counts"]))
            elif (d / "failed.json").is_file():
                f = json.loads((d / "failed.json").read_text(encoding="utf-8"))
                started = datetime.fromisoformat(f["started"])
                out.append(RunSeen(int(d.name), started, "failed", error=f["error"]))
        return out


@dataclass(frozen=True, slots=True)
class Job:
    """What a worker process needs for one run."""

    watch: MqttUrl
    commands: MqttUrl | None
    root: str
    home: str
    device: str
    watch_s: float
    answer_s: float
    strict: bool
    gate: Path | None = None
    unplug: str | None = None
    """The device's broker account, whose plug the run pulls at the door (`gate`)."""


def _run_job(job: Job, key: str | None, out: Path, started: datetime) -> None:
    """In the worker process: the whole run, and its report (signed with `key`) in `out`."""
    sender = None
    try:
        if job.commands is not None:
            sender = MqttLink(job.commands, f"mewet-commands-{uuid.uuid4().hex[:8]}", threaded=True)
            sender.connect(15.0)
        plan = Plan(
            watch_s=job.watch_s,
            answer_s=job.answer_s,
            publish=sender.publish if sender is not None else None,
        )
        if job.gate is not None and job.unplug is not None:
            plan = at_the_door(plan, GateControl(job.gate), job.unplug)
        found = report(observe(job.watch, job.root, job.home, job.device, plan), job.strict)
        write(sign(found, key) if key is not None else found, out)
    except Exception as exc:  # said in the run's list, not lost in the worker's output
        _failed(out, started, str(exc) or type(exc).__name__)
    finally:
        if sender is not None:
            sender.close()


def _failed(out: Path, started: datetime, error: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    failed = {"started": started.isoformat(), "error": error}
    (out / "failed.json").write_text(json.dumps(failed), encoding="utf-8")
