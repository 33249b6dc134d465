"""The live feed: the clock, the home's messages, alarms, actions and notes over a WebSocket.

First ask for a ticket (`POST /api/exercises/{id}/live/ticket` with the bearer token): a
single-use ticket good for 30 seconds, so no long-lived token ever travels in a URL (which
proxies and servers log). Then connect to `/api/exercises/{id}/live?ticket=<ticket>`. The
first frame is a snapshot of the current state (clock, every device, open cases, actions and
notes so far); live frames follow, each a JSON object, or several in a JSON array (in order)
when they were waiting together. A role the scenario keeps from the sensors (the relative)
gets no device messages. Participants send nothing; whatever they send is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect
from pydantic import BaseModel

from mewet.api.deps import ApiState, Current, State, Visible, sees_sensors, visible
from mewet.api.forward import relay_live, until_closed
from mewet.api.models import ERRORS
from mewet.api.routes.study import pause_when_alone
from mewet.exercises.errors import ElsewhereError, RefusedError
from mewet.exercises.frames import ActionFrame, Frame, LaggingFrame, SnapshotFrame

router = APIRouter(prefix="/api/exercises", tags=["live"], responses=ERRORS)
CLOSE_CODES = {401: 4401, 403: 4403, 404: 4404, 429: 4429}
TICKET_S = 30.0


class Ticket(BaseModel):
    """A single-use ticket for one live feed."""

    ticket: str
    expires_in: float
    url: str


@router.post("/{exercise_id}/live/ticket")
async def ticket(api: State, who: Current, hosted: Visible) -> Ticket:
    """A ticket for `.../live?ticket=...`: single use, good for 30 seconds."""
    ex = hosted.row.id
    issued = api.ticket(who, ex, TICKET_S)
    return Ticket(
        ticket=issued, expires_in=TICKET_S, url=f"/api/exercises/{ex}/live?ticket={issued}"
    )


@router.websocket("/{exercise_id}/live")
async def live(ws: WebSocket, exercise_id: int, ticket: str | None = None) -> None:
    """Stream the exercise to one participant until they leave."""
    api: ApiState = ws.app.state.api
    await ws.accept()
    try:
        if not ws.scope.get("mewet.forwarded"):
            await api.exercises.find(exercise_id)  # run here, or taken over here
    except ElsewhereError as exc:  # its ticket is that server's: the feed comes from there
        await relay_live(ws, exc.url, api.key)
        return
    who = api.use_ticket(ticket, exercise_id)
    try:
        if who is None:
            raise HTTPException(
                401, "ask for a ticket first: POST /api/exercises/{id}/live/ticket (30 s, once)"
            )
        hosted = await visible(who, api, exercise_id)
        if api.live_open[who.token_id] >= api.limits.live_per_token:
            raise HTTPException(429, "too many live feeds open with this sign-in: close one")
    except HTTPException as exc:
        await ws.close(CLOSE_CODES.get(exc.status_code, 4400), str(exc.detail)[:120])
        return
    except ElsewhereError:  # it moved again meanwhile
        await ws.close(1012, "the exercise is moving to another server: reconnect")
        return
    api.live_open[who.token_id] += 1
    sensors = sees_sensors(who, hosted)
    role = who.exercise_role or ""
    queue = await api.exercises.call(hosted.live.subscribe)
    gone = asyncio.create_task(until_closed(ws))
    signed_out = asyncio.create_task(
        api.feeds_closing.setdefault(who.token_id, asyncio.Event()).wait()
    )
    try:
        while not gone.done():
            get = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait(
                {get, gone, signed_out}, return_when=asyncio.FIRST_COMPLETED
            )
            if signed_out in done:
                get.cancel()
                await ws.close(4401, "signed out")
                return
            if get not in done:
                get.cancel()
                break
            frames = [get.result()]
            while not queue.empty():  # everything waiting, without a task and a wait for each
                frames.append(queue.get_nowait())
            seen = frames if sensors else [without_sensors(f, role) for f in frames]
            shown = [f.model_dump_json() for f in seen if f is not None]
            if shown:
                # several frames waiting go out as one message (a JSON array, in order): under
                # load, one write for many frames instead of a write each
                await ws.send_text(shown[0] if len(shown) == 1 else f"[{','.join(shown)}]")
            if isinstance(frames[-1], LaggingFrame):  # the last a slow participant gets
                await ws.close(4408, "too slow for the live feed: reconnect for a fresh snapshot")
                return
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        api.live_open[who.token_id] -= 1
        if api.live_open[who.token_id] <= 0:
            del api.live_open[who.token_id]
            api.feeds_closing.pop(who.token_id, None)
        hosted.live.feed.leave(queue)
        gone.cancel()
        signed_out.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await gone
        if not hosted.live.feed.subscribers:  # a learner left her run: it waits for her
            with contextlib.suppress(RefusedError):
                await pause_when_alone(api, hosted.row.id)


CALLS = {
    "relative": {"called_relative"},
    "doctor": {"called_doctor"},
    "resident": {"talked", "called_resident", "reminded", "arrived", "unlocked", "left"},
}
"""Actions of other roles that a role without sensors hears of: the phone ringing (and, for
the resident, who speaks to her and who comes in)."""


def without_sensors(frame: Frame, role: str) -> Frame | None:
    """What a role that sees no sensors (the relative) is shown of a frame (None: nothing)."""
    if frame.type in ("message", "alarm", "case"):
        return None
    if isinstance(frame, ActionFrame) and not told(role, frame):
        return None
    if isinstance(frame, SnapshotFrame):
        actions = [a for a in frame.actions if told(role, a)]
        return frame.model_copy(update={"home": {}, "cases": [], "actions": actions})
    return frame


def told(role: str, frame: ActionFrame) -> bool:
    """Whether a role that sees no sensors (the relative) hears of an action: its own, and
    the calls made to it; not the alarm centre's cases and what the devices said."""
    return frame.role == role or frame.action in CALLS.get(role, set())
