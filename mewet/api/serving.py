"""How uvicorn serves the API: its HTTP protocol with two guards against slow and many
connections, which an ASGI app never sees (they never finish a request).

- **A header timeout.** A connection must send a request's headers within `header_s` of
  opening (or of its previous answer); one that trickles them in is closed. Without it, 2,000
  connections that sent a byte now and then stayed open a minute, each holding a socket.
- **Connections per address.** At most `per_address` open HTTP connections from one address;
  past that a new one is closed at once. A school behind one address has its class's phones
  and laptops well under it (a browser opens six per site).

A WebSocket (the live feed) leaves the count when it is upgraded: the live feeds have limits
of their own (per sign-in).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_S = 10.0
PER_ADDRESS = 256


def guarded(per_address: int = PER_ADDRESS, header_s: float = HEADER_S) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with the two guards; each call counts on its own."""
    open_from: Counter[str] = Counter()

    class Guarded(HttpToolsProtocol):
        _address = ""
        _counted = False
        _timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._address = self.client[0] if self.client else ""
            if open_from[self._address] >= per_address:
                transport.close()  # over its share: nothing is read from it
                return
            open_from[self._address] += 1
            self._counted = True
            self._wait_for_headers()

        def _wait_for_headers(self) -> None:
            self._stop_waiting()
            self._timer = self.loop.call_later(header_s, self._too_slow)

        def _stop_waiting(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _too_slow(self) -> None:
            self._timer = None
            if not self.transport.is_closing():
                self.transport.close()

        def _uncount(self) -> None:
            self._stop_waiting()
            if self._counted:
                self._counted = False
                open_from[self._address] -= 1
                if open_from[self._address] <= 0:
                    del open_from[self._address]

        def on_headers_complete(self) -> None:
            self._stop_waiting()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._wait_for_headers()  # the next request's headers, in time too

        def handle_websocket_upgrade(self) -> None:
            self._uncount()
            super().handle_websocket_upgrade()

        def connection_lost(self, exc: Exception | None) -> None:
            self._uncount()
            super().connection_lost(exc)

    return Guarded


def serving(**guards: Any) -> dict[str, Any]:
    """uvicorn's settings for the API (`mewet up`, `mewet api`, tests): the guarded protocol,
    websockets without per-message compression, and no proxy headers unless told of one."""
    return {
        "http": guarded(**guards),
        # websockets' Sans-I/O protocol, without per-message compression: live frames are a
        # few hundred bytes, many a second, and compressing each took a quarter of the event
        # loop's time with 20 exercises at speed 3600
        "ws": "websockets-sansio",
        "ws_per_message_deflate": False,
        "server_header": False,  # nothing to tell an attacker
        # X-Forwarded-For is believed only from the proxies the lab is told of (`mewet api`,
        # MEWET_TRUSTED_PROXIES): from anyone else it would let a client pick its own address
        "proxy_headers": False,
    }
