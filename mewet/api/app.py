"""The exercise API: FastAPI, everything under /api, OpenAPI at /docs and /openapi.json."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from mewet.api.commands import CommandSender
from mewet.api.deps import ApiState, language_of
from mewet.api.forward import ELSEWHERE, PEER_LIMITS, PEER_TIMEOUT, Forwarder
from mewet.api.guard import Guard
from mewet.api.refusals import Refusal
from mewet.api.routes import (
    auth,
    benchmarks,
    certificates,
    conformance,
    courses,
    debriefs,
    devices,
    exercises,
    explore,
    health,
    join,
    knowledge,
    live,
    scenarios,
    study,
    verifications,
)
from mewet.api.security import secret_key
from mewet.benchmark.jobs import Benchmarks
from mewet.benchmark.live import Broker
from mewet.config import Limits, MqttUrl, StoreUrl
from mewet.conformance.jobs import ConformanceRuns
from mewet.contract import DEFAULT_ROOT
from mewet.errors import TransportError
from mewet.exercises.db import AppDb
from mewet.exercises.errors import ElsewhereError, InvalidInputError, NoWorkerError
from mewet.exercises.leases import RENEW_S
from mewet.exercises.manager import Exercises
from mewet.pages import router as pages
from mewet.texts import Said, problem, said, say
from mewet.transport.access import BrokerAccess
from mewet.transport.gate import GateControl
from mewet.transport.sessions import EndSessions
from mewet.yamlfile import FileError

log = logging.getLogger(__name__)


FULL_PASS_EVERY = 1000
"""Collections of the middle generation between two full passes of the garbage collector
(Python's default: 10)."""


def settle() -> None:
    """Before serving, keep the garbage collector's full passes out of the answers' way.

    A full pass walks every object the collector tracks with every thread stopped. Under load
    (a) (20 exercises at speed 3600 after a class of 30) they came every second or two and
    took 55-140 ms each: they walked the modules and classes loaded once (150,000 objects,
    now frozen out of its way) and the homes of every exercise, which live as long as their
    exercise. A full pass now comes after 1,000 collections of the middle generation instead
    of 10: two passes over 50 ms in that whole run instead of 42. Cycles that outlive the
    younger generations are freed later; everything else as usual (by reference counts)."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_PASS_EVERY)


# /docs is Swagger UI served by the lab itself (a school network may not reach a CDN); its
# page starts the UI with an inline script, allowed on that page only
_DOCS = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
)
# ReDoc renders in a web worker it makes from a blob
DOCS_CSP = {"/docs": _DOCS, "/redoc": _DOCS + "; worker-src 'self' blob:"}
# Swagger UI and ReDoc as the fastapi-offline package bundles them (a Swagger UI that reads
# FastAPI's OpenAPI 3.1: the swagger-ui-bundle package's older one could not)
DOCS_FILES = Path(fastapi_offline.__file__).parent / "static"
DOCS_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
    "redoc.standalone.js": "text/javascript",
}
ALLOWABLE = ("GET", "POST", "PUT", "PATCH", "DELETE")


async def _signed_out_elsewhere(api: ApiState) -> None:
    """Tokens signed out on the other servers are refused here too (within seconds)."""
    while True:
        await asyncio.sleep(RENEW_S)
        if api.exercises.leases.url:  # one of several servers
            with contextlib.suppress(Exception):  # the database away: next time
                revoked = await asyncio.to_thread(api.db.revoked)
                for token_id in revoked - api.revoked:  # its live feeds here close too
                    if (closing := api.feeds_closing.get(token_id)) is not None:
                        closing.set()
                api.revoked |= revoked


def create_app(
    data_dir: Path,
    mqtt: MqttUrl | None,
    *,
    root: str = DEFAULT_ROOT,
    secret: str | None = None,
    access: BrokerAccess | None = None,
    broker_host: str | None = None,
    limits: Limits | None = None,
    broker_port: int | None = None,
    store: StoreUrl | None = None,
    public_url: str | None = None,
    listen_host: str = "127.0.0.1",
    parts: Callable[[], list[dict[str, Any]]] | None = None,
    gate: Path | None = None,
    db_url: str | None = None,
    server_url: str = "",
    workers: list[str] | None = None,
) -> FastAPI:
    """The API over the app database in `data_dir`, publishing exercises to `mqtt`; with
    `access`, it gives students and companies' devices their own broker accounts; with
    `store`, it shows companies what the lab received from their devices. The join link is
    `public_url`, else found from where the teacher's browser came and where the API
    listens (`listen_host`). `parts` says how the lab's own processes are (`mewet up`);
    `gate` is the control socket of the devices' door, where the lab pulls a device's plug;
    `db_url` the app database when it is not SQLite in `data_dir` (PostgreSQL);
    `server_url` where the other servers on that database reach this one (several servers,
    docs/deploy.md); `workers` the addresses of the worker processes that run this server's
    exercises (None: it runs them itself)."""

    the_limits = limits or Limits()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = AppDb(data_dir / "app.db", db_url)
        manager = Exercises(
            db, mqtt, root, access, the_limits.replays, server_url, workers, the_limits.put_away_s
        )
        await manager.start()
        app.state.peers = httpx.AsyncClient(timeout=PEER_TIMEOUT, limits=PEER_LIMITS)
        if access is not None and mqtt is not None:
            access.ended = EndSessions(mqtt, gone=lambda user: user not in access.accounts)
        key = secret_key(data_dir, secret)
        commands = None
        if manager.mqtt is not None and access is not None:  # companies' devices: secured only
            sender = CommandSender(manager.mqtt, root, access, key)
            try:
                await sender.start()
                commands = sender
            except TransportError as exc:
                log.error("no commands to devices: %s", exc)
        app.state.api = ApiState(
            db,
            manager,
            key,
            limits=the_limits,
            access=access,
            broker_host=broker_host,
            broker_port=broker_port,
            commands=commands,
            store=store,
            public_url=public_url,
            listen_host=listen_host,
            revoked=db.revoked(),
            parts=parts or (lambda: []),
            gate=GateControl(gate) if gate is not None else None,
            benchmarks=Benchmarks(
                data_dir / "benchmarks",
                Broker(manager.mqtt, root) if manager.mqtt is not None else None,
                the_limits.benchmarks,
            ),
            conformance=ConformanceRuns(
                data_dir / "conformance",
                manager.mqtt,
                root,
                the_limits.conformance_runs,
                key,
                the_limits.conformance_runs_per_company,
                gate=gate,
            ),
        )
        study = app.state.api.study
        manager.alone = lambda exercise: study.run(exercise) is not None  # paused: put away
        signed_out = asyncio.create_task(_signed_out_elsewhere(app.state.api))
        try:
            yield
        finally:
            signed_out.cancel()
            await app.state.peers.aclose()
            app.state.api.benchmarks.close()
            app.state.api.conformance.close()
            if commands is not None:
                commands.close()
            await manager.stop(paused=not getattr(app.state, "orphaned", False))
            db.close()

    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        title="MeWeT exercise API",
        version="1",
        description="Teachers launch and steer care scenarios; students act in roles; "
        "everyone meets in the debrief.",
        lifespan=lifespan,
    )

    def unprocessable(request: Request, problems: list[tuple[str, Said]]) -> JSONResponse:
        """422 with each problem in plain words, in the asker's language: where, and what
        was wrong."""
        lang = language_of(request)
        said = [{"where": where, "problem": say(p, lang)} for where, p in problems]
        text = "; ".join(f"{p['where']}: {p['problem']}" for p in said)
        return JSONResponse({"detail": text, "problems": said}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        """A request that does not validate, by pydantic's error types."""
        problems = [(".".join(str(p) for p in e.get("loc", ())), problem(e)) for e in exc.errors()]
        return unprocessable(request, problems)

    @app.exception_handler(InvalidInputError)
    async def invalid_input(request: Request, exc: InvalidInputError) -> JSONResponse:
        """422 for values that are wrong whenever they come (a control's speed, an incident's
        room), in the same shape as a request that does not validate."""
        return unprocessable(request, exc.problems)

    @app.exception_handler(FileError)
    async def bad_file(request: Request, exc: FileError) -> JSONResponse:
        """422 for a file (a scenario) with every problem at its line, in the asker's
        language: what the editor page shows beside each line."""
        lang = language_of(request)
        problems = [
            {"where": p.field, "line": p.line, "problem": say(p.said, lang)} for p in exc.problems
        ]
        return JSONResponse({"detail": exc.say(lang), "problems": problems}, status_code=422)

    @app.exception_handler(ElsewhereError)
    async def elsewhere(request: Request, exc: ElsewhereError) -> JSONResponse:
        """Another server runs the exercise: `Forwarder` answers with its answer (503 if it
        cannot be reached, or the request came from another server already)."""
        message = said("exercise_moving", exercise=exc.exercise)
        body = {"detail": say(message, language_of(request)), "said": message.as_json()}
        headers = {ELSEWHERE: exc.url, "Retry-After": "3"}
        return JSONResponse(body, status_code=503, headers=headers)

    @app.exception_handler(NoWorkerError)
    async def no_worker(request: Request, exc: NoWorkerError) -> JSONResponse:
        """The workers that run exercises are (re)starting: 503, in a few seconds again."""
        body = {"detail": say(exc.said, language_of(request)), "said": exc.said.as_json()}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "3"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Errors as {"detail": ...}; a 405 lists every method the path has in `Allow`
        (Starlette names only those of the first route that matched the path)."""
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            path = request.url.path
            headers["Allow"] = ", ".join(
                method
                for method in ALLOWABLE
                if any(
                    route.matches(
                        {"type": "http", "path": path, "root_path": "", "method": method}
                    )[0]
                    is Match.FULL
                    for route in app.router.routes
                )
            )
        if isinstance(exc, Refusal):
            body = {"detail": say(exc.said, language_of(request)), "said": exc.said.as_json()}
            return JSONResponse(body, status_code=exc.status_code, headers=headers)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    routers = (auth, join, scenarios, exercises, debriefs, devices, conformance, benchmarks, live)
    for router in (r.router for r in routers):
        app.include_router(router)
    app.include_router(scenarios.editing)
    app.include_router(verifications.router)
    app.include_router(health.router)
    app.include_router(explore.router)
    app.include_router(study.router)
    app.include_router(knowledge.router)
    app.include_router(certificates.router)
    app.include_router(courses.router)
    app.include_router(pages.router)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        """The API's reference, Swagger UI served from the lab's own origin."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="MeWeT exercise API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        """The API's reference as one long page, ReDoc served from the lab's own origin."""
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="MeWeT exercise API",
            redoc_js_url="/docs-assets/redoc.standalone.js",
            redoc_favicon_url="/docs-assets/favicon.png",
            with_google_fonts=False,
        )

    @app.get("/docs-assets/{name}", include_in_schema=False)
    async def docs_assets(name: str) -> Response:
        """Swagger UI's and ReDoc's files, from the lab's own origin."""
        if name not in DOCS_TYPES:
            return Response("not found", status_code=404, media_type="text/plain")
        body = await asyncio.to_thread((DOCS_FILES / name).read_bytes)
        return Response(body, media_type=DOCS_TYPES[name])

    app.add_middleware(Forwarder)  # inside Guard: the body is bounded, the headers added
    app.add_middleware(Guard, body_bytes=the_limits.body_bytes, page_csp=DOCS_CSP)
    return app
