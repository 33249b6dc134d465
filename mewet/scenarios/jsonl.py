"""messages.jsonl written beside the engine, on the other core.

A year of the default home is 2.7 million messages, half a gigabyte of JSON lines: encoding
them takes about as long as simulating them. So the run hands its messages over every
`CHUNK_DAYS` simulated days to a forked child process, which encodes that stretch and adds it
to the file while the engine goes on with the next. A forked child sees the messages as they
are (no copying or pickling them over), and the run lets them go once the child has written
them; one child at a time, each after the one before has finished, so the stretches land in
order and two cores are two workers. Where there is no `fork`, everything is written in this
process, to the same bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from mewet.contract import Kind, Message, Topic
from mewet.errors import MewetError

CHUNK_DAYS = 30


def message_json(m: Message, names: dict[Topic, str] | None = None) -> str:
    """One line of messages.jsonl: topic, retain flag and the payload as sent, byte for byte
    (the encoded payload is put in as it is: no parsing it back to write it out again)."""
    name = None if names is None else names.get(m.topic)
    if name is None:
        name = str(m.topic)
        if names is not None:
            names[m.topic] = name
    raw = m.encode().decode()
    payload = json.dumps(raw, ensure_ascii=False) if m.topic.kind is Kind.STATUS else raw
    retain = "true" if m.retain else "false"
    return f'{{"topic":"{name}","retain":{retain},"payload":{payload}}}'


def _write(path: Path, messages: Sequence[Message]) -> None:
    names: dict[Topic, str] = {}
    with path.open("a", encoding="utf-8", buffering=1 << 20) as f:
        f.writelines(message_json(m, names) + "\n" for m in messages)


class MessagesFile:
    """messages.jsonl, written a stretch at a time as the run goes on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._child: int | None = None
        self._held: Sequence[Message] = ()
        """The stretch the child is writing, kept until it has finished: let go while the
        child shares its memory, every page of it would be copied."""
        self._can_fork = hasattr(os, "fork")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")  # a run folder written again starts its messages afresh

    def add(self, stretch: Sequence[Message]) -> None:
        """Add the next messages (in a child process, while the caller goes on; the caller
        may let them go, they are kept here until written)."""
        if not stretch:
            return
        if not self._can_fork:
            _write(self.path, stretch)
            return
        self._wait()
        pid = os.fork()
        if pid == 0:  # the child: write the stretch and leave without running any cleanup
            code = 1
            try:
                _write(self.path, stretch)
                code = 0
            finally:
                os._exit(code)
        self._child, self._held = pid, stretch

    def close(self) -> None:
        """Wait until everything added is written."""
        self._wait()

    def _wait(self) -> None:
        if self._child is None:
            return
        _, status = os.waitpid(self._child, 0)
        self._child, self._held = None, ()
        if os.waitstatus_to_exitcode(status) != 0:
            raise MewetError(f"writing {self.path} failed (a writer process ended badly)")
