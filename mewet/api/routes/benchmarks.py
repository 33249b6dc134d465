"""Companies' benchmark runs: their fall detector against the library's falls, played live.

A run plays in a worker process (`mewet.benchmark.jobs`) and lasts minutes; the API starts
it, says where to listen and publish, and shows the figures when it is done.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import HTMLResponse

from mewet.api.company_models import BenchmarkCreate, BenchmarkSeen
from mewet.api.deps import ApiState, Current, KnownQuery, State
from mewet.api.models import ERRORS, MqttAccess
from mewet.api.routes.devices import company_org, own_device
from mewet.api.security import Principal
from mewet.benchmark.campaign import parse_seeds
from mewet.benchmark.jobs import BusyError, Job
from mewet.contract import Kind, Topic, home_filter
from mewet.errors import ConfigError
from mewet.scenarios.scenario import library, load_scenario

router = APIRouter(
    prefix="/api/benchmarks", tags=["benchmarks"], responses=ERRORS, dependencies=[KnownQuery]
)
MAX_SEEDS = 5
MAX_HOURS = 2.0


def _unprocessable(where: str, problem: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{where}: {problem}")


def _checked(body: BenchmarkCreate) -> list[int]:
    """The seeds, once the request is something the lab can play in reasonable time."""
    try:
        seeds = parse_seeds(body.seeds)
    except ConfigError as exc:
        raise _unprocessable("seeds", str(exc).removeprefix("--seeds ")) from None
    if len(seeds) > MAX_SEEDS:
        raise _unprocessable("seeds", f"at most {MAX_SEEDS} seeds in a benchmark run here")
    known = library()
    for name in body.scenarios:
        if name not in known:
            raise _unprocessable(
                "scenarios", f"{name!r} is not in the library ({', '.join(sorted(known))})"
            )
    days = max(load_scenario(name).days for name in body.scenarios)
    hours = days * 86400 / body.speed / 3600
    if hours > MAX_HOURS:
        raise _unprocessable(
            "speed",
            f"at speed {body.speed:g} the longest scenario ({days:g} days) takes "
            f"{hours:.1f} h; runs here take at most {MAX_HOURS:g} h: raise the speed",
        )
    return seeds


def _seen(api: ApiState, job: Job, access: MqttAccess | None = None) -> BenchmarkSeen:
    home, _, device = job.detector.partition("/")
    root = api.exercises.root
    return BenchmarkSeen(
        id=job.id,
        status=job.status,
        detector=job.detector,
        homes=job.homes,
        publish_to=str(Topic(home, device, Kind.EVENT, root=root)),
        speed=job.speed,
        window_s=job.window_s,
        started=job.started,
        ends_about=job.ends_about,
        error=job.error,
        mqtt=access,
        report=job.result,
    )


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def start_benchmark(api: State, who: Current, body: BenchmarkCreate) -> BenchmarkSeen:
    """Play the scenarios live to your analytics: subscribe to each of `homes`, publish
    detections as events of your detector device (`publish_to`) with `data.home` naming the
    home. Delays are measured from when a detection reaches the lab (in the home's time at
    the run's speed), not from the `ts` it carries. The truth stays in the lab until the run
    ends (a held-out run's, for good); then `GET /api/benchmarks/{id}` has the figures. One
    run at a time per company; when the lab's workers are busy the run is `queued` and starts
    in turn (first come, first served); `DELETE` cancels it."""
    org = company_org(who)
    if api.access is not None:
        own_device(api, who, body.home, body.device)
    if api.benchmarks.broker is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "this lab has no broker to play on")
    seeds = [] if body.held_out else await asyncio.to_thread(_checked, body)
    if body.held_out and 86400 / body.speed / 3600 > MAX_HOURS:
        raise _unprocessable("speed", f"a held-out day takes at most {MAX_HOURS:g} h: raise it")
    granted: list[MqttAccess] = []

    def before(job: Job) -> None:
        if api.access is None:
            return
        lab = api.exercises.mqtt.username if api.exercises.mqtt is not None else None
        if lab:
            api.access.run_home(lab, *job.homes)
        user = f"a.{job.id}"
        password = api.access.grant(
            user, "analytics", homes=tuple(job.homes), group=f"benchmark-{job.id}"
        )
        read = [home_filter(h, api.access.root) for h in job.homes]
        granted.append(
            MqttAccess(
                host=api.broker_host,
                port=api.broker_port,
                username=user,
                password=password,
                read=read,
            )
        )

    def after(job: Job) -> None:
        if api.access is not None:
            api.access.revoke(group=f"benchmark-{job.id}")

    try:
        job = await asyncio.to_thread(
            api.benchmarks.start,
            org,
            f"{body.home}/{body.device}",
            body.scenarios,
            seeds,
            body.speed,
            body.window_s,
            before,
            after,
            body.held_out or 0,
        )
    except BusyError as exc:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, str(exc), headers={"Retry-After": "60"}
        ) from None
    return _seen(api, job, granted[0] if granted else None)


def _job(api: ApiState, who: Principal, number: int) -> Job:
    org = company_org(who)
    job = api.benchmarks.jobs.get(number)
    if job is None or (job.org != org and who.role != "admin"):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no benchmark {number} of yours")
    return job


@router.get("")
async def list_benchmarks(api: State, who: Current) -> list[BenchmarkSeen]:
    """Your benchmark runs (every company's, for an admin), newest first, without figures."""
    org = company_org(who)
    jobs = [j for j in api.benchmarks.jobs.values() if who.role == "admin" or j.org == org]
    return [
        _seen(api, j).model_copy(update={"report": None}) for j in sorted(jobs, key=lambda j: -j.id)
    ]


@router.get("/{number}")
async def show_benchmark(api: State, who: Current, number: int) -> BenchmarkSeen:
    """One run: running, done (with the figures) or failed (with the reason)."""
    return _seen(api, _job(api, who, number))


@router.delete("/{number}")
async def cancel_benchmark(api: State, who: Current, number: int) -> BenchmarkSeen:
    """Cancel your run, waiting or running: it stops now, its broker account goes, and the
    next run in line starts. A run that has ended is answered as it is."""
    job = _job(api, who, number)
    return _seen(api, await asyncio.to_thread(api.benchmarks.cancel, job.id))


@router.get(
    "/{number}/report.html",
    responses={200: {"description": "The report page.", "content": {"text/html": {}}}},
)
async def benchmark_report(api: State, who: Current, number: int) -> HTMLResponse:
    """The run's report as a page to keep (a download: it carries its own style)."""
    job = _job(api, who, number)
    if job.status != "done":
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"benchmark {number} is {job.status}: no report yet"
        )
    page = await asyncio.to_thread((job.folder / "report.html").read_text, encoding="utf-8")
    return HTMLResponse(
        page,
        headers={"Content-Disposition": f'attachment; filename="benchmark-{number}.html"'},
    )
