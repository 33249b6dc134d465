"""Ending the broker sessions of accounts that are gone (an exercise's students when it ends,
a removed device, a student who signed out).

On the clients' listener a client's id is its user name, so an account has one session, named
after it. The lab connects on its own listener with that id and a clean start: the broker
closes the account's connection if it is still open (a revoked password does not close it)
and throws away the session, with everything queued for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from mewet.config import MqttUrl
from mewet.errors import TransportError
from mewet.transport.client import MqttLink

log = logging.getLogger(__name__)


def end_sessions(url: MqttUrl, users: Iterable[str]) -> int:
    """End each account's connection and session; returns how many were ended."""
    ended = 0
    for user in users:
        try:
            MqttLink(url, user, threaded=True).connect(timeout_s=5).close()
            ended += 1
        except TransportError as exc:
            log.warning("could not end the broker session of %s: %s", user, exc)
    return ended


PASSES_S = (0.0, 2.0, 6.0, 15.0)
"""When the sessions are ended, in seconds from the revoke: the broker reads its password file
a moment after it is told to (longer on a busy machine), and a client that connected again
within that moment would start a new session; the later passes end those."""


class EndSessions:
    """Ends the sessions of the accounts it is given, off the caller's thread."""

    def __init__(
        self,
        url: MqttUrl,
        gone: Callable[[str], bool] = lambda user: True,
        passes_s: tuple[float, ...] = PASSES_S,
    ) -> None:
        self.url = url
        self.gone = gone
        """Whether an account is still gone (one made again meanwhile, a device onboarded
        anew, is left alone)."""
        self.passes_s = passes_s

    def __call__(self, users: list[str]) -> None:
        """Start ending them now (and again a few times after); returns at once."""
        threading.Thread(
            target=self._end, args=(users,), name="mewet-end-sessions", daemon=True
        ).start()

    def _end(self, users: list[str]) -> None:
        start = time.monotonic()
        for at in self.passes_s:
            time.sleep(max(0.0, start + at - time.monotonic()))
            end_sessions(self.url, [u for u in users if self.gone(u)])
