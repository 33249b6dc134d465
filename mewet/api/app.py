"""The exercise API: FastAPI, everything under /api, OpenAPI at /docs and /openapi.json."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from mewet.api.commands import CommandSender
from mewet.api.deps import ApiState
from mewet.api.routes import auth, devices, exercises, live, scenarios
from mewet.api.security import secret_key
from mewet.config import MqttUrl
from mewet.contract import DEFAULT_ROOT
from mewet.errors import TransportError
from mewet.exercises.db import AppDb
from mewet.exercises.manager import Exercises
from mewet.transport.access import BrokerAccess

log = logging.getLogger(__name__)


def create_app(
    data_dir: Path,
    mqtt: MqttUrl | None,
    *,
    root: str = DEFAULT_ROOT,
    secret: str | None = None,
    tick_s: float = 0.05,
    access: BrokerAccess | None = None,
    broker_host: str | None = None,
) -> FastAPI:
    """The API over the app database in `data_dir`, publishing exercises to `mqtt`; with
    `access`, it gives students and companies' devices their own broker accounts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = AppDb(data_dir / "app.db")
        manager = Exercises(db, mqtt, root, tick_s, access)
        await manager.start()
        commands = None
        if manager.mqtt is not None and access is not None:  # companies' devices: secured only
            sender = CommandSender(manager.mqtt, root, access)
            try:
                await sender.start()
                commands = sender
            except TransportError as exc:
                log.error("no commands to devices: %s", exc)
        app.state.api = ApiState(
            db,
            manager,
            secret_key(data_dir, secret),
            access=access,
            broker_host=broker_host,
            commands=commands,
        )
        try:
            yield
        finally:
            if commands is not None:
                commands.close()
            await manager.stop()
            db.close()

    app = FastAPI(
        title="MeWeT exercise API",
        version="1",
        description="Teachers launch and steer care scenarios; students act in roles; "
        "everyone meets in the debrief.",
        lifespan=lifespan,
    )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        """422 with each problem in plain words: where, and what was wrong."""
        problems = [
            {
                "where": ".".join(str(p) for p in e.get("loc", ())),
                "problem": str(e.get("msg", "")),
            }
            for e in exc.errors()
        ]
        text = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
        return JSONResponse({"detail": text, "problems": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Errors as {"detail": ...}; a 405 lists every method the path has in `Allow`
        (Starlette names only those of the first route that matched the path)."""
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            scope = {"type": "http", "path": request.url.path, "root_path": "", "method": ""}
            methods: set[str] = set()
            for route in app.router.routes:
                if isinstance(route, APIRoute) and route.matches(scope)[0] is not Match.NONE:
                    methods |= route.methods or set()
            headers["Allow"] = ", ".join(sorted(methods))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    for router in (auth.router, scenarios.router, exercises.router, devices.router, live.router):
        app.include_router(router)
    return app
