"""A benchmark or a conformance run on a lab that runs elsewhere (`mewet benchmark --lab URL`,
`mewet conformance --lab URL`). For a benchmark the lab plays the homes and keeps the truth;
this command asks for the run through the lab's API, says where the company's analytics listen
and publish, waits for the figures, and cancels the run on Ctrl-C. On a secured lab this is
the way: its broker gives a company's account only its own device, and the run's homes to
read for that run. A conformance run is made by the lab itself, which can pull the device's
plug at its devices' door."""

from __future__ import annotations

import getpass
import os
import time
from pathlib import Path
from typing import Any

import httpx

from mewet.errors import MewetError

POLL_S = 5.0
ENDED = ("done", "failed", "cancelled")


class Lab:
    """The lab's API, signed in as the company's account."""

    def __init__(self, url: str, email: str, password: str | None = None) -> None:
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=30)
        secret = password or os.environ.get("MEWET_PASSWORD") or getpass.getpass(f"{email}: ")
        token = self._answer(
            self.client.post("/api/auth/token", data={"username": email, "password": secret})
        )
        self.client.headers["Authorization"] = f"Bearer {token['access_token']}"

    def _answer(self, r: httpx.Response) -> dict[str, Any]:
        """The answer's JSON, or the lab's own words for why not."""
        try:
            body = r.json()
        except ValueError:
            body = {"detail": r.text[:300]}
        if r.status_code >= 400:
            raise MewetError(f"the lab answered {r.status_code}: {body.get('detail', body)}")
        found: dict[str, Any] = body
        return found

    def start(self, request: dict[str, Any]) -> dict[str, Any]:
        """Ask for a run (it may be queued behind other companies' runs)."""
        return self._answer(self.client.post("/api/benchmarks", json=request))

    def seen(self, number: int) -> dict[str, Any]:
        """The run as the lab sees it now."""
        return self._answer(self.client.get(f"/api/benchmarks/{number}"))

    def cancel(self, number: int) -> dict[str, Any]:
        """Cancel the run (waiting or running)."""
        return self._answer(self.client.delete(f"/api/benchmarks/{number}"))

    def wait(self, number: int, say: Any) -> dict[str, Any]:
        """Until the run has ended; says when a queued run starts."""
        status = ""
        while True:
            run = self.seen(number)
            if run["status"] != status:
                status = run["status"]
                if status == "running":
                    say(f"benchmark {number} is running, until about {run['ends_about']}")
                elif status == "queued":
                    say(f"benchmark {number} waits for the lab's worker (other runs first)")
            if status in ENDED:
                return run
            time.sleep(POLL_S)

    def keep(self, number: int, out: Path) -> Path:
        """The run's report page, downloaded into `out`."""
        r = self.client.get(f"/api/benchmarks/{number}/report.html")
        if r.status_code >= 400:
            self._answer(r)
        out.mkdir(parents=True, exist_ok=True)
        page = out / "report.html"
        page.write_bytes(r.content)
        return page

    def conformance(
        self, home: str, device: str, request: dict[str, Any], say: Any
    ) -> dict[str, Any]:
        """A conformance run of a device, made by the lab (which may pull its plug), waited
        for, and its whole report (signed with the lab's key)."""
        base = f"/api/devices/{home}/{device}/conformance"
        run = self._answer(self.client.post(base, json=request))
        say(f"conformance run {run['id']} of {home}/{device} started on the lab")
        while run["status"] == "running":
            time.sleep(POLL_S)
            r = self.client.get(base)
            if r.status_code >= 400:
                self._answer(r)  # raises, in the lab's words
            gone = {**run, "status": "failed", "error": "the run is no longer on the lab's list"}
            run = next((x for x in r.json() if x["id"] == run["id"]), gone)
        if run["status"] == "failed":
            raise MewetError(f"the lab could not run the test: {run['error']}")
        return self._answer(self.client.get(run["report"]))

    def close(self) -> None:
        """Close the connection."""
        self.client.close()
