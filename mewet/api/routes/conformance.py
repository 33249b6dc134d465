"""Conformance runs of companies' devices through the API: started, listed, their reports.

On a secured lab (`mewet up --secure-broker`) a run may pull the device's plug at the devices'
door (`transport.gate`), so the Last Will, the reconnect back-off and the persistent session are
tested from a company's CI, without a person beside the device."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Response, status

from mewet.api.company_models import ConformanceCreate, ConformanceSeen
from mewet.api.deps import Current, KnownQuery, State
from mewet.api.models import ERRORS
from mewet.api.refusals import too_many
from mewet.api.routes.devices import company_org, own_device, paced
from mewet.conformance.jobs import BusyError, RunSeen
from mewet.errors import MewetError
from mewet.texts import said

router = APIRouter(
    prefix="/api/devices", tags=["devices"], responses=ERRORS, dependencies=[KnownQuery]
)


@router.post("/{home}/{device}/conformance", status_code=status.HTTP_202_ACCEPTED)
async def start_conformance(
    api: State, who: Current, home: str, device: str, body: ConformanceCreate
) -> ConformanceSeen:
    """Test your device against the contract now: the lab watches it for `watch_s`, sends each
    command it declares (and one again with the same id), then keeps the report. With `unplug`
    the lab then pulls the device's plug at its door, keeps it out 20 s and puts it back. One run
    per device at a time (409), a few in the lab (429)."""
    account = own_device(api, who, home, device)
    paced(api, who)
    commands = api.commands
    if commands is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "this lab has no broker connection now")
    try:
        run = api.conformance.start(
            home,
            device,
            commands.link.url,
            body.watch_s,
            body.answer_s,
            body.strict,
            org=company_org(who),
            unplug=account.user if body.unplug else None,
        )
    except BusyError as exc:
        if exc.lab_full:
            raise too_many(60, said("as_written", text=str(exc))) from None
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except MewetError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return _conformance_seen(home, device, run)


@router.get("/{home}/{device}/conformance")
async def list_conformance(
    api: State, who: Current, home: str, device: str
) -> list[ConformanceSeen]:
    """Your device's conformance runs, newest first."""
    own_device(api, who, home, device)
    runs = await asyncio.to_thread(api.conformance.runs, home, device)
    return [_conformance_seen(home, device, r) for r in runs]


@router.get("/{home}/{device}/conformance/{number}")
async def show_conformance(
    api: State, who: Current, home: str, device: str, number: int
) -> dict[str, Any]:
    """One finished run's whole report: every check with its verdict, clause and evidence."""
    own_device(api, who, home, device)
    found = await asyncio.to_thread(api.conformance.report, home, device, number)
    if found is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no finished conformance run {number} of {home}/{device}"
        )
    return found


@router.get(
    "/{home}/{device}/conformance/{number}/report.{form}",
    responses={
        200: {"description": "The report.", "content": {"text/html": {}, "application/xml": {}}}
    },
)
async def conformance_file(
    api: State, who: Current, home: str, device: str, number: int, form: Literal["html", "xml"]
) -> Response:
    """The report as a page (html) or as JUnit XML for your CI (xml), as a download."""
    own_device(api, who, home, device)
    path = api.conformance.device_folder(home, device) / str(number) / f"report.{form}"
    if not await asyncio.to_thread(path.is_file):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no finished conformance run {number} of {home}/{device}"
        )
    body = await asyncio.to_thread(path.read_text, encoding="utf-8")
    name = f"conformance-{home}-{device}-{number}.{form}"
    return Response(
        body,
        media_type="text/html" if form == "html" else "application/xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _conformance_seen(home: str, device: str, run: RunSeen) -> ConformanceSeen:
    done = run.status == "done"
    where = f"/api/devices/{home}/{device}/conformance/{run.id}"
    return ConformanceSeen(
        id=run.id,
        status=run.status,
        started=run.started,
        verdict=run.verdict if done else None,
        counts=run.counts,
        error=run.error,
        report=where if done else None,
    )
