"""Conformance runs started through the API: each in a thread of its own (a run mostly waits
on the broker), one at a time per device, a few at a time in the lab, and every report kept
on disk per device (`conformance/<home>/<device>/<n>/report.{json,xml,html}`), so the list
survives a restart."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from mewet.config import MqttUrl
from mewet.conformance.report import report, sign, write
from mewet.conformance.run import Plan, observe
from mewet.errors import MewetError

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
    ) -> None:
        self.folder = folder
        self.key = key
        """The lab's key: reports are signed with it, so a customer can check one."""
        self.mqtt = mqtt
        self.root = root
        self.limit = limit
        self._running: dict[tuple[str, str], RunSeen] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def device_folder(self, home: str, device: str) -> Path:
        return self.folder / home / device

    def start(
        self,
        home: str,
        device: str,
        publish: Callable[[str, bytes], None],
        watch_s: float = 30.0,
        answer_s: float = 10.0,
        strict: bool = False,
    ) -> RunSeen:
        """Start a run now (BusyError when this device's is still going, or the lab is full)."""
        if self.mqtt is None:
            raise MewetError("this lab has no broker connection now")
        key = (home, device)
        with self._lock:
            if key in self._running:
                raise BusyError(
                    f"a conformance run of {home}/{device} is going on: wait for its report",
                    lab_full=False,
                )
            if len(self._running) >= self.limit:
                raise BusyError(
                    f"the lab runs {self.limit} conformance runs now: try again in a minute",
                    lab_full=True,
                )
            n = 1 + max((r.id for r in self._on_disk(home, device)), default=0)
            seen = RunSeen(n, datetime.now(UTC), "running")
            self._running[key] = seen
        out = self.device_folder(home, device) / str(n)
        plan = Plan(watch_s=watch_s, answer_s=answer_s, publish=publish, stop=self._stop)
        threading.Thread(
            target=self._run,
            args=(key, seen, out, plan, strict),
            name=f"conformance-{n}",
            daemon=True,
        ).start()
        return seen

    def _run(
        self, key: tuple[str, str], seen: RunSeen, out: Path, plan: Plan, strict: bool
    ) -> None:
        assert self.mqtt is not None
        try:
            found = report(observe(self.mqtt, self.root, *key, plan), strict)
            if self.key is not None:
                found = sign(found, self.key)
            if not self._stop.is_set():  # a run cut short by the lab stopping says nothing
                write(found, out)
        except Exception as exc:  # a run must never take the API down with it
            log.exception("conformance run of %s/%s failed", *key)
            out.mkdir(parents=True, exist_ok=True)
            failed = {"started": seen.started.isoformat(), "error": str(exc) or type(exc).__name__}
            (out / "failed.json").write_text(json.dumps(failed), encoding="utf-8")
        finally:
            with self._lock:
                self._running.pop(key, None)

    def close(self) -> None:
        """End the runs going on (the lab is stopping); they leave no report."""
        self._stop.set()

    def runs(self, home: str, device: str) -> list[RunSeen]:
        """Every run of a device, newest first: the one going on, then those on disk."""
        with self._lock:
            going = self._running.get((home, device))
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
