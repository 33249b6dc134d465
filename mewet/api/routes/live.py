"""The live feed: the clock, the home's messages, alarms, actions and notes over a WebSocket.

Connect to `/api/exercises/{id}/live?token=<bearer token>`. The first frame is a snapshot of
the current state (clock, every device, open cases, actions and notes so far); live frames
follow. A role the scenario keeps from the sensors (the relative) gets no device messages.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect

from mewet.api.deps import ApiState, principal_of, sees_sensors, visible
from mewet.exercises.frames import LaggingFrame, SnapshotFrame

router = APIRouter(prefix="/api/exercises", tags=["live"])
CLOSE_CODES = {401: 4401, 403: 4403, 404: 4404}


@router.websocket("/{exercise_id}/live")
async def live(ws: WebSocket, exercise_id: int, token: str | None = None) -> None:
    """Stream the exercise to one participant until they leave."""
    api: ApiState = ws.app.state.api
    await ws.accept()
    try:
        who = principal_of(token, api)
        hosted = visible(who, api, exercise_id)
    except HTTPException as exc:
        await ws.close(CLOSE_CODES.get(exc.status_code, 4400), str(exc.detail)[:120])
        return
    sensors = sees_sensors(who, hosted)
    queue = hosted.live.subscribe()
    gone = asyncio.create_task(_until_closed(ws))
    try:
        while not gone.done():
            get = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({get, gone}, return_when=asyncio.FIRST_COMPLETED)
            if get not in done:
                get.cancel()
                break
            frame = get.result()
            if not sensors and frame.type in ("message", "alarm"):
                continue
            if not sensors and isinstance(frame, SnapshotFrame):
                frame = frame.model_copy(update={"home": {}, "cases": []})
            await ws.send_text(frame.model_dump_json())
            if isinstance(frame, LaggingFrame):
                await ws.close(4408, "too slow for the live feed: reconnect for a fresh snapshot")
                break
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hosted.live.subscribers.discard(queue)
        gone.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await gone


async def _until_closed(ws: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await ws.receive_text()  # participants send nothing; this notices them leave
