"""Benchmark runs started through the API: each in a worker process, one at a time per
company, a few at a time in the lab; past that they wait their turn in a queue (first come,
first served, one per company), and a company may cancel its own, running or waiting.

A run plays its homes for many minutes of wall time; in the API's own process it would take
the interpreter from the requests, so it runs in a process of its own (spawned, not forked:
the API's threads and connections stay behind) and writes its files into the lab's data
folder, `benchmarks/<id>/`. Its homes are `bm<id>-<scenario>-<seed>`: two companies' runs
never share one, and no company can claim them as its own.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal

from mewet.benchmark.live import Broker, Stimulus, held_out_stimuli, run_benchmark, stimuli
from mewet.errors import MewetError

log = logging.getLogger(__name__)
JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
QUEUE = 8
"""Runs waiting for a worker at most."""


class BusyError(MewetError):
    """No room for another benchmark now: one of yours runs, or the lab's are all busy."""


@dataclass
class Job:
    """One benchmark run and what came of it."""

    id: int
    org: str
    detector: str
    homes: list[str]
    speed: float
    window_s: float
    folder: Path
    started: datetime
    ends_about: datetime
    status: JobStatus = "running"
    error: str | None = None
    result: dict[str, Any] | None = field(default=None, repr=False)
    plays: Sequence[Stimulus] = field(default=(), repr=False)
    after: Callable[[Job], None] = field(default=lambda job: None, repr=False)


def play(
    answer: Connection,
    broker: Broker,
    plays: Sequence[Stimulus],
    detector: str,
    out: Path,
    speed: float,
    window_s: float,
) -> None:
    """One benchmark, in a worker process: sends back ("done", report) or ("failed", why)."""
    try:
        report = run_benchmark(broker, plays, detector, out, speed=speed, window_s=window_s)
        answer.send(("done", report))
    except MewetError as exc:
        answer.send(("failed", str(exc)))
    except Exception as exc:
        log.exception("benchmark in %s broke off", out)
        answer.send(("failed", f"the run broke off ({type(exc).__name__})"))
    finally:
        answer.close()


def _save(job: Job) -> None:
    """The job's own record beside its files (`job.json`), so a restarted lab lists it."""
    job.folder.mkdir(parents=True, exist_ok=True)
    kept = {
        "id": job.id,
        "org": job.org,
        "detector": job.detector,
        "homes": job.homes,
        "speed": job.speed,
        "window_s": job.window_s,
        "started": job.started.isoformat(),
        "ends_about": job.ends_about.isoformat(),
        "status": job.status,
        "error": job.error,
    }
    (job.folder / "job.json").write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")


def _load(folder: Path) -> Job | None:
    """A job as a lab before this one left it (None when its record is unreadable). One it
    left running was cut off by that lab's stopping."""
    try:
        kept = json.loads((folder / "job.json").read_text(encoding="utf-8"))
        job = Job(
            int(kept["id"]),
            str(kept["org"]),
            str(kept["detector"]),
            [str(h) for h in kept["homes"]],
            float(kept["speed"]),
            float(kept["window_s"]),
            folder,
            datetime.fromisoformat(kept["started"]),
            datetime.fromisoformat(kept["ends_about"]),
            kept["status"],
            kept.get("error"),
        )
        if job.status == "done":
            job.result = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("benchmark record in %s not read: %s", folder, exc)
        return None
    if job.status not in ("queued", "running", "done", "failed", "cancelled"):
        return None
    if job.status in ("queued", "running"):
        job.status, job.error = "failed", "the lab stopped during the run"
    return job


class Benchmarks:
    """The lab's benchmark runs: started, watched, and each kept on disk with its record, so
    the list survives a restart."""

    def __init__(self, folder: Path, broker: Broker | None, workers: int = 2) -> None:
        self.folder = folder
        self.broker = broker
        self.workers = workers
        self.jobs: dict[int, Job] = {}
        self._lock = threading.Lock()
        self._workers: dict[int, BaseProcess] = {}
        self._closing = False
        # numbers go on from the runs kept on disk: a restart never writes over one
        kept = [int(p.name) for p in folder.glob("*") if p.name.isdigit()]
        self._last = max(kept, default=0)
        for number in sorted(kept):
            job = _load(folder / str(number))
            if job is not None:
                self.jobs[number] = job
        # spawned, not forked: the API's threads and connections stay behind
        self._context = multiprocessing.get_context("spawn")

    def start(
        self,
        org: str,
        detector: str,
        scenarios: Sequence[str],
        seeds: Sequence[int],
        speed: float,
        window_s: float,
        before: Callable[[Job], None] = lambda job: None,
        after: Callable[[Job], None] = lambda job: None,
        held_out: int = 0,
    ) -> Job:
        """Start one for `org`; BusyError when it has one running or the lab is full.
        `before` runs once the job exists (broker accounts), `after` when it has ended.
        `held_out`: that many homes drawn by the lab from a secret seed, instead of the
        scenarios and seeds."""
        if self.broker is None:
            raise BusyError("this lab has no broker to play a benchmark on")
        with self._lock:
            going = [j for j in self.jobs.values() if j.status in ("queued", "running")]
            mine = [j for j in going if j.org == org]
            if mine:
                raise BusyError(
                    f"your benchmark {mine[0].id} is still {mine[0].status}: one at a time per "
                    "company (cancel it to start another)"
                )
            if sum(1 for j in going if j.status == "queued") >= QUEUE:
                raise BusyError(
                    f"{QUEUE} benchmarks wait for the lab's {self.workers} worker(s) already: "
                    "try again later"
                )
            self._last += 1
            number = self._last
            prefix = f"bm{number}-"
            plays = (
                held_out_stimuli(held_out, prefix)
                if held_out
                else stimuli(scenarios, seeds, prefix)
            )
            longest = max(p.scenario.days for p in plays) * 86400 / speed
            now = datetime.now(UTC)
            job = Job(
                number,
                org,
                detector,
                [p.home for p in plays],
                speed,
                window_s,
                self.folder / str(number),
                now,
                now + timedelta(seconds=longest + 30),
                status="queued",
                plays=plays,
                after=after,
            )
            self.jobs[number] = job
        try:
            _save(job)
            before(job)
        except Exception as exc:
            job.status, job.error = "failed", f"could not start: {exc}"
            after(job)
            raise
        self._next()
        return job

    def _next(self) -> None:
        """Start the longest-waiting runs while the lab has workers free."""
        while True:
            with self._lock:
                running = sum(1 for j in self.jobs.values() if j.status == "running")
                waiting = sorted(
                    (j for j in self.jobs.values() if j.status == "queued"), key=lambda j: j.id
                )
                if running >= self.workers or not waiting:
                    return
                job = waiting[0]
                job.status = "running"
                wait = job.ends_about - job.started
                job.started = datetime.now(UTC)
                job.ends_about = job.started + wait
            self._launch(job)

    def _launch(self, job: Job) -> None:
        try:
            _save(job)
            ours, theirs = self._context.Pipe(duplex=False)
            worker = self._context.Process(
                target=play,
                args=(
                    theirs,
                    self.broker,
                    job.plays,
                    job.detector,
                    job.folder,
                    job.speed,
                    job.window_s,
                ),
                name=f"mewet-benchmark-{job.id}",
                daemon=True,
            )
            worker.start()
            theirs.close()
        except Exception as exc:  # said in its record; the next in line goes on
            log.exception("benchmark %d could not start", job.id)
            job.status, job.error = "failed", f"could not start: {exc}"
            _save(job)
            job.after(job)
            return
        self._workers[job.id] = worker
        threading.Thread(
            target=self._wait, args=(job, worker, ours, job.after), daemon=True
        ).start()

    def cancel(self, number: int) -> Job:
        """Cancel a run that waits or runs: its worker stops, its broker accounts go, and the
        next in line starts."""
        with self._lock:
            job = self.jobs[number]
            if job.status not in ("queued", "running"):
                return job
            was, job.status, job.error = job.status, "cancelled", None
            worker = self._workers.get(number)
        if was == "queued":
            _save(job)
            job.after(job)
        elif worker is not None:
            worker.terminate()  # _wait sees it end, keeps "cancelled", and starts the next
        return job

    def _wait(
        self, job: Job, worker: BaseProcess, answer: Connection, after: Callable[[Job], None]
    ) -> None:
        """Wait for the worker's answer (a thread per run: the runs are few and long)."""
        try:
            status, what = answer.recv()
            if status == "done":
                job.result, job.status = what, "done"
            else:
                job.status, job.error = "failed", str(what)
        except EOFError:  # the worker died without a word (cancelled, killed, out of memory)
            if job.status != "cancelled":
                job.status, job.error = "failed", "the run was stopped before it ended"
        finally:
            answer.close()
            worker.join(5)
            self._workers.pop(job.id, None)
            try:
                _save(job)
            except OSError as exc:
                log.error("benchmark %d's record not written: %s", job.id, exc)
            after(job)
            if not self._closing:
                self._next()

    def close(self) -> None:
        """Stop every run in hand (the server is going down): their jobs end as failed."""
        self._closing = True
        for worker in list(self._workers.values()):
            worker.terminate()
