"""A part of the lab that dies is started again, with longer pauses while it keeps dying."""

from __future__ import annotations

import subprocess
import sys

from mewet.lab.supervise import STEADY_S, Part


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait()


def test_a_dead_part_waits_longer_each_time_it_dies_soon_after_starting() -> None:
    said: list[str] = []
    clock = Clock()
    part = Part("ingest", sleeper, stop, said.append, clock=clock).start()
    try:
        first = part.proc
        assert first is not None and part.health().state == "running"
        for pause in (1, 2, 4):
            part.proc.kill()
            part.proc.wait()
            part.check()
            health = part.health()
            assert health.state == "restarting" and health.last_exit == -9
            assert said[-1] == f"ingest stopped (exit code -9); starting it again in {pause} s"
            clock.now += pause - 0.1
            part.check()
            assert part.health().state == "restarting"  # its pause is not over
            clock.now += 0.1
            part.check()
            assert part.health().state == "running" and part.proc is not first
        assert part.restarts == 3
        # a part that ran steadily before it died starts again after the first pause
        clock.now += STEADY_S
        part.proc.kill()
        part.proc.wait()
        part.check()
        assert said[-1].endswith("starting it again in 1 s")
    finally:
        part.stop()
    assert part.health().state == "stopped"
    assert part.proc is not None and part.proc.poll() is not None


def test_a_part_that_cannot_start_is_tried_again_and_said() -> None:
    said: list[str] = []
    clock = Clock()
    tries = iter([sleeper(), OSError("port taken"), None])

    def start() -> subprocess.Popen[bytes]:
        got = next(tries)
        if isinstance(got, OSError):
            raise got
        return got if got is not None else sleeper()

    part = Part("broker", start, stop, said.append, clock=clock).start()
    try:
        part.proc.kill()
        part.proc.wait()
        part.check()
        clock.now += 1
        part.check()
        assert said[-1] == "broker could not start again (port taken); starting it again in 2 s"
        assert part.health().state == "restarting"
        clock.now += 2
        part.check()
        assert (
            part.health().state == "running" and said[-1] == "broker is running again (restart 1)"
        )
    finally:
        part.stop()
