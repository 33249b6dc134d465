"""The debrief of an exercise: its timeline and KPIs (JSON, CSV, a printable HTML report) and
its charts, for the teacher at any time and for the participants once it has ended."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse, PlainTextResponse

from mewet.api.deps import ApiState, Current, KnownQuery, Language, State, Visible, person
from mewet.api.models import ERRORS
from mewet.api.refusals import refused, too_many, within
from mewet.api.security import Principal
from mewet.exercises import debrief as debriefs
from mewet.exercises.hosted import Hosted
from mewet.exercises.replays import ADMIT, BusyError
from mewet.texts import said

router = APIRouter(
    prefix="/api/exercises", tags=["exercises"], responses=ERRORS, dependencies=[KnownQuery]
)
T = TypeVar("T")


def _debrief_allowed(who: Principal, hosted: Hosted) -> None:
    if who.kind == "participant" and hosted.live.phase != "ended":
        raise refused(409, "debrief_not_yet")


DEBRIEF_TYPES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The debrief as JSON, CSV (the timeline) or a printable HTML report.",
        "content": {"application/json": {}, "text/csv": {}, "text/html": {}},
    }
}
CHART_TYPES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The chart.", "content": {"image/png": {}, "image/svg+xml": {}}}
}


@router.get(
    "/{exercise_id}/debrief", response_model=None, responses={**DEBRIEF_TYPES, 429: ERRORS[429]}
)
async def debrief(
    api: State,
    who: Current,
    hosted: Visible,
    lang: Language,
    format: Literal["json", "csv", "html"] = "json",
    until_min: Annotated[float | None, Query(ge=0, le=3660 * 1440)] = None,
) -> dict[str, Any] | Response:
    """One timeline of sensor events, alarms, actions and notes, with the KPIs against their
    targets; as JSON, CSV or a printable HTML report, in your language (each entry's
    message in `said`, its words in `text`). `until_min`: up to that moment."""
    _debrief_allowed(who, hosted)
    if format == "html":
        report = await replayed(
            api, who, api.exercises.replayed.chart(hosted, "report", "html", lang)
        )
        return HTMLResponse(report, headers={"Content-Language": lang})
    until = None if until_min is None else until_min * 60
    found = await replayed(api, who, api.exercises.replayed.debrief(hosted, until))
    found = debriefs.in_language(found, lang, hosted.title(lang))
    if format == "csv":
        return PlainTextResponse(
            debriefs.to_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Language": lang,
                "Content-Disposition": f'attachment; filename="{_file_name(hosted, lang)}.csv"',
            },
        )
    return found


def _file_name(hosted: Hosted, lang: str) -> str:
    """An export's file name: the debrief of this exercise, in plain letters."""
    words = {"fi": "jalkipuinti", "en": "debrief"}[lang]
    return f"{words}-{hosted.row.id}"


@router.get(
    "/{exercise_id}/debrief/{chart}.{fmt}",
    response_class=Response,
    responses={**CHART_TYPES, 429: ERRORS[429]},
)
async def chart(
    api: State,
    who: Current,
    hosted: Visible,
    chart: Literal["timeline", "vitals"],
    fmt: Literal["png", "svg"],
    lang: Language,
) -> Response:
    """The timeline chart, or the vitals around the incident, as PNG or SVG, in your
    language."""
    _debrief_allowed(who, hosted)
    body = await replayed(api, who, api.exercises.replayed.chart(hosted, chart, fmt, lang))
    return Response(body, media_type="image/png" if fmt == "png" else "image/svg+xml")


REPLAYS_WAITING = 2
"""New replays one person may wait for at once: one student cannot queue the lab's replays
up ahead of a teacher's debrief."""


async def replayed(api: ApiState, who: Principal, job: Coroutine[Any, Any, T]) -> T:
    """A replay's answer, for `who`; 429 when too many replays are waiting in the lab, or
    when the answer is not kept yet and they still wait for two, or (a student) asked for
    too many this minute. Answers kept, and replays someone else asked for already, cost
    nothing; a teacher going through her groups' debriefs is not counted by the minute."""
    key = person(who)
    admitted = 0

    def admit() -> None:
        nonlocal admitted
        if api.replaying[key] >= REPLAYS_WAITING:
            raise too_many(5, said("replay_waiting"))
        if who.kind == "participant":
            within(api.replays_asked, key, said("too_many_replays"))
        api.replaying[key] += 1
        admitted += 1

    context = ADMIT.set(admit)
    try:
        return await job
    except BusyError:
        raise too_many(5, said("replays_busy")) from None
    finally:
        ADMIT.reset(context)
        api.replaying[key] -= admitted
        if api.replaying[key] <= 0:
            del api.replaying[key]
