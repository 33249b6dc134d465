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
from collections.abc import Iterable

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


AGAIN_S = 3.0
"""The broker reads its password file a moment after it is told to: a client that connected
again within that moment is ended by a second pass."""


class EndSessions:
    """Ends the sessions of the accounts it is given, off the caller's thread."""

    def __init__(self, url: MqttUrl, again_s: float = AGAIN_S) -> None:
        self.url = url
        self.again_s = again_s

    def __call__(self, users: list[str]) -> None:
        """Start ending them now (and once more a moment later); returns at once."""
        threading.Thread(
            target=self._end, args=(users,), name="mewet-end-sessions", daemon=True
        ).start()

    def _end(self, users: list[str]) -> None:
        end_sessions(self.url, users)
        time.sleep(self.again_s)
        end_sessions(self.url, users)
