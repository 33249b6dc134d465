"""The exercise API served for real (uvicorn on a free port) over the session's Mosquitto."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from websockets.sync.client import ClientConnection, connect

from mewet.api.app import create_app
from mewet.api.security import hash_password
from mewet.api.serving import serving
from mewet.config import Limits, MqttUrl, StoreUrl
from mewet.exercises.db import AppDb
from mewet.servers import free_port
from mewet.transport.access import BrokerAccess
from tests.support.appdb import app_db_url

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
PASSWORD = "correct horse battery"
ACCOUNTS = {
    "admin@lab": ("admin", "lab"),
    "teacher@north": ("teacher", "north school"),
    "other@south": ("teacher", "south school"),
    "dev@acme": ("company", "acme"),
    "dev@beta": ("company", "beta"),
}


def make_accounts(data_dir: Path) -> None:
    """The accounts every API test signs in with."""
    db = AppDb(data_dir / "app.db", app_db_url(data_dir))
    try:
        for email, (role, org) in ACCOUNTS.items():
            if db.user_by_email(email) is None:
                db.add_user(email, role, org, hash_password(PASSWORD))
    finally:
        db.close()


@dataclass
class Api:
    """A running API and a client for it."""

    base: str
    root: str
    client: httpx.Client
    tokens: dict[str, str] = field(default_factory=dict)
    app: Any = None
    """The app itself, when it runs in the test's process (`serve`)."""

    def token(self, email: str) -> str:
        """Sign in once per account."""
        if email not in self.tokens:
            r = self.client.post("/api/auth/token", data={"username": email, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self.tokens[email] = r.json()["access_token"]
        return self.tokens[email]

    def as_(self, who: str) -> dict[str, str]:
        """Headers of an account (by email) or of a raw token."""
        token = self.token(who) if "@" in who else who
        return {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, who: str | None = None, **kw: Any) -> httpx.Response:
        """One request, as `who` (or anonymous), with any further `headers`."""
        headers = {**(self.as_(who) if who else {}), **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)

    def live(self, exercise: int, who: str) -> ClientConnection:
        """The WebSocket live feed of an exercise, with a fresh ticket for `who` (an email or a
        raw token)."""
        r = self.call("POST", f"/api/exercises/{exercise}/live/ticket", who)
        assert r.status_code == 200, r.text
        url = self.base.replace("http", "ws") + r.json()["url"]
        return connect(url, open_timeout=10).__enter__()  # closed by the test


def frames(ws: ClientConnection, until: Any, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    """Read frames until `until(frame)` is true; returns all read."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        # one frame, or several in an array when they were waiting together
        for frame in message if isinstance(message, list) else [message]:
            got.append(frame)
            if until(frame):
                return got
    raise AssertionError(f"no such frame within {timeout_s} s; got {[f['type'] for f in got]}")


@contextmanager
def serve(
    data_dir: Path,
    mqtt: MqttUrl | None,
    root: str,
    access: BrokerAccess | None = None,
    limits: Limits | None = None,
    store: StoreUrl | None = None,
    public_url: str | None = None,
    host: str = "127.0.0.1",
    gate: Path | None = None,
    **guards: float,
) -> Iterator[Api]:
    """The API on a free port until the block ends (then stopped, as Ctrl-C would); `host`
    is where it listens (0.0.0.0: every network), `public_url` the class's address."""
    make_accounts(data_dir)
    app = create_app(
        data_dir,
        mqtt,
        root=root,
        secret=SECRET,
        access=access,
        broker_host="lab",
        limits=limits,
        store=store,
        public_url=public_url,
        listen_host=host,
        gate=gate,
        db_url=app_db_url(data_dir),
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            **serving(**guards),
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        try:
            yield Api(base, root, client, app=app)
        finally:
            server.should_exit = True
            thread.join(30)


TEACHER, OTHER, ADMIN, COMPANY = "teacher@north", "other@south", "admin@lab", "dev@acme"


def create(api: Api, who: str = TEACHER, **body: Any) -> dict[str, Any]:
    body = {"scenario": "night-fall", "roles": ["alarm_centre", "home_care", "relative"]} | body
    r = api.call("POST", "/api/exercises", who, json=body)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def join(api: Api, ex: dict[str, Any], role: str, name: str) -> str:
    r = api.call(
        "POST",
        f"/api/exercises/{ex['id']}/join",
        json={"code": ex["join_code"], "name": name, "role": role},
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def control(api: Api, ex: int, name: str, who: str = TEACHER, **args: Any) -> dict[str, Any]:
    r = api.call("POST", f"/api/exercises/{ex}/control", who, json={"control": name, "args": args})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def act(api: Api, ex: int, token: str, action: str, **args: Any) -> Any:
    return api.call(
        "POST", f"/api/exercises/{ex}/actions", token, json={"action": action, "args": args}
    )
