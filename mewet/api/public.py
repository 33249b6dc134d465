"""The address the class's phones reach the lab at: the join link and its QR code.

`MEWET_PUBLIC_URL` when it is set (behind a proxy, a name on the school's network); else the
address the teacher's browser used, when that is not this computer's own (loopback); else,
when the lab listens beyond this computer (`mewet up --host 0.0.0.0`), this computer's
address on its network. A lab that listens on loopback only cannot be reached from a phone:
the link is then this computer's own, and the console says so instead of showing a QR code
that leads nowhere.
"""

from __future__ import annotations

import ipaddress
import socket
import time

from fastapi import Request


def loopback(host: str | None) -> bool:
    """Whether a host name or address is this computer only."""
    if not host or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.endswith(".localhost")


_found: tuple[float, str | None] = (-1e9, None)


def lan_address(ttl_s: float = 30.0) -> str | None:
    """This computer's address on the network it would reach others through (a UDP socket
    is pointed at a documentation address: nothing is sent); None without a network. Looked
    up again after `ttl_s` (a laptop moves between networks), not on every listing."""
    global _found
    when, address = _found
    if time.monotonic() - when < ttl_s:
        return address
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            found: str | None = str(probe.getsockname()[0])
        except OSError:
            found = None
    if found is not None and loopback(found):
        found = None
    _found = (time.monotonic(), found)
    return found


def join_base(request: Request, public_url: str | None, listen_host: str) -> tuple[str, bool]:
    """The lab's address for the class (no trailing slash), and whether phones on the school
    network can reach it."""
    if public_url:
        return public_url.rstrip("/"), True
    base = str(request.base_url).rstrip("/")
    if not loopback(request.url.hostname):
        return base, True
    if not loopback(listen_host):
        lan = lan_address() if listen_host in ("0.0.0.0", "::", "") else listen_host
        if lan is not None:
            port = request.url.port
            host = f"[{lan}]" if ":" in lan else lan
            return f"{request.url.scheme}://{host}{f':{port}' if port else ''}", True
    return base, False
