"""How many published messages may await the broker's acknowledgement at once."""

from __future__ import annotations

import threading


class Window:
    """How many published messages may await the broker's ack: the backlog bound, lowered to
    the broker's Receive Maximum when it announces one (exceeding it is a protocol error)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.limit = size
        self.used = 0
        self._cond = threading.Condition()

    def take(self, timeout_s: float) -> bool:
        """Take a slot, waiting up to `timeout_s` for one."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.used < self.limit, timeout_s):
                return False
            self.used += 1
            return True

    def full(self) -> bool:
        """Whether every slot is taken."""
        return self.used >= self.limit

    def give(self) -> None:
        """Return a slot (the broker acknowledged a message)."""
        with self._cond:
            self.used = max(0, self.used - 1)
            self._cond.notify()

    def fit(self, receive_maximum: int | None) -> None:
        """Apply the broker's Receive Maximum (None: the broker set none)."""
        with self._cond:
            self.limit = min(self.size, receive_maximum or self.size)
            self._cond.notify_all()
