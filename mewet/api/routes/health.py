"""How the lab is: its own processes, and whether the store keeps up with what devices send.

Open to everyone, as a status page is: it says no more than whether each part runs and how
far behind the store is. Pages poll it (the teacher's console, a company's device page) and
say so when new readings are not being stored. The answer is kept for a few seconds, so a
crowd of pages asks the store once.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import closing
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from mewet.api.deps import ApiState, KnownQuery, State
from mewet.api.models import ERRORS
from mewet.config import StoreUrl
from mewet.store.base import open_store

router = APIRouter(prefix="/api", tags=["lab"], responses=ERRORS, dependencies=[KnownQuery])

STALE_S = 30.0
"""Ingest reports its totals every 5 s: a report older than this means nothing is written."""
SLOW_S = 30.0
"""A message that waited longer than this between arriving and being stored is behind."""
KEEP_S = 3.0


class PartSeen(BaseModel):
    """One of the lab's own processes (`mewet up` supervises them)."""

    name: str = Field(description="broker, ingest or replays")
    state: Literal["running", "restarting", "stopped"]
    restarts: int = Field(description="How often it was started again since the lab came up.")
    since: datetime = Field(description="When it entered this state.")
    last_exit: int | None = Field(description="Its exit code when it last stopped.")


class StoreSeen(BaseModel):
    """Whether what devices send reaches the store."""

    behind: bool = Field(description="True when new messages are not being stored now.")
    reported: datetime | None = Field(description="Ingest's newest report of its totals.")
    behind_s: float | None = Field(description="Seconds since that report.")
    lag_s: float | None = Field(description="The longest wait from arrival to stored, seconds.")


class Health(BaseModel):
    """The lab's parts and its store."""

    ok: bool = Field(description="Every part runs and the store keeps up.")
    parts: list[PartSeen]
    store: StoreSeen | None = Field(description="None when this API has no store configured.")


@router.get("/health")
async def health(api: State) -> Health:
    """Whether every part of the lab runs and the store keeps up (open to everyone)."""
    now = time.monotonic()
    kept = api.health_kept
    if kept is not None and now - kept[0] < KEEP_S and isinstance(kept[1], Health):
        return kept[1]
    found = await _health(api)
    api.health_kept = (now, found)
    return found


async def _health(api: ApiState) -> Health:
    parts = [PartSeen.model_validate(p) for p in api.parts()]
    replays = api.exercises.replays
    if replays.restarts:
        parts.append(
            PartSeen(
                name="replays",
                state="running",
                restarts=replays.restarts,
                since=replays.since,
                last_exit=None,
            )
        )
    down = any(p.state != "running" for p in parts)
    store = None
    if api.store is not None:
        store = await asyncio.to_thread(_store, api.store)
        if any(p.name == "ingest" and p.state != "running" for p in parts):
            store = store.model_copy(update={"behind": True})
    return Health(ok=not down and not (store and store.behind), parts=parts, store=store)


def _store(url: StoreUrl) -> StoreSeen:
    """Ingest's newest report, from the store (a worker thread: the store answers slowly)."""
    with closing(open_store(url)) as store:
        reports = store.stats()
    if not reports:
        return StoreSeen(behind=False, reported=None, behind_s=None, lag_s=None)
    newest = max(reports, key=lambda r: r.ts)
    age = max(0.0, (datetime.now(UTC) - newest.ts).total_seconds())
    behind = age > STALE_S or newest.lag_s > SLOW_S
    return StoreSeen(behind=behind, reported=newest.ts, behind_s=round(age, 1), lag_s=newest.lag_s)
