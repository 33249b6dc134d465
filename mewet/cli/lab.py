"""Running the lab: up, api, the broker's first accounts, the API's accounts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from mewet.cli.common import (
    app,
    broker_app,
    check_speed,
    console,
    err,
    private_files,
    quiet_ctrl_c,
    user_app,
)
from mewet.config import Settings, load_settings
from mewet.errors import MewetError

WorkersOpt = Annotated[
    int | None,
    typer.Option(
        min=0,
        max=64,
        help="Worker processes that run the exercises (default a core but one, from 3 up; "
        "MEWET_WORKERS); 0: in the API's own process.",
    ),
]
"""`--workers`, for `mewet up` and `mewet api` alike."""


@app.command()
def up(
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the lab keeps its data (default ./mewet-data).")
    ] = None,
    mqtt_port: Annotated[
        int | None, typer.Option(help="Port of the embedded broker (default 1883).")
    ] = None,
    device_port: Annotated[
        int | None,
        typer.Option(
            help="With --secure-broker: the port companies' devices and students connect to "
            "(default 1884, MEWET_DEVICE_PORT), the same at every start."
        ),
    ] = None,
    home: Annotated[str, typer.Option(help="Home to simulate live.")] = "default",
    speed: Annotated[float, typer.Option(help="Sim speed of the live home.")] = 1.0,
    seed: Annotated[int, typer.Option(min=0, help="Random seed of the live home.")] = 1,
    api_port: Annotated[
        int | None, typer.Option(help="Port of the web app and the API (default 8000).")
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(
            help="Where the web app and the API listen (default 127.0.0.1: this computer "
            "only); 0.0.0.0 opens them to the school network, for the class's phones "
            "(MEWET_HOST)."
        ),
    ] = None,
    secure_broker: Annotated[
        bool,
        typer.Option(
            help="Embedded broker with accounts only: students and companies' devices get "
            "their own, limited to their topics."
        ),
    ] = False,
    workers: WorkersOpt = None,
) -> None:
    """Run the lab: broker, store, ingest, the exercise API (with a worker per core for the
    exercises) and a home live, until Ctrl-C."""
    from mewet.lab.up import Lab

    check_speed(speed)
    settings = load_settings(
        data_dir=data_dir,
        mqtt_port=mqtt_port,
        api_port=api_port,
        host=host,
        device_port=device_port,
        workers=workers,
    )
    if secure_broker and settings.mqtt_url is not None:
        raise MewetError("--secure-broker secures the embedded broker; MEWET_MQTT_URL is set")
    private_files()
    lab = Lab(settings, home=home, speed=speed, seed=seed, secure=secure_broker, say=err.print)
    lab.run()


@app.command("api")
def api_serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (default 127.0.0.1; MEWET_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the app database is (default ./mewet-data).")
    ] = None,
    workers: WorkersOpt = None,
) -> None:
    """Serve the exercise API alone, on the broker of MEWET_MQTT_URL (a deployment's API).

    With MEWET_BROKER_ACCESS_DIR (and MEWET_BROKER_PID_FILE to reload it), students and
    companies' devices get their own broker accounts. With MEWET_DB_URL and MEWET_SERVER_URL,
    one of several servers on one database (docs/deploy.md)."""
    import os

    from mewet.exercises.db import AppDb
    from mewet.lab.supervise import Supervisor
    from mewet.lab.workers import default_workers, plan_workers, worker_parts

    settings = load_settings(data_dir=data_dir, api_port=port, host=host, workers=workers)
    private_files()
    count = default_workers() if settings.workers is None else settings.workers
    if not count:
        _serve(settings, settings.host, settings.api_port)
        return
    AppDb(settings.data_dir / "app.db", settings.db_url).close()  # migrated before the workers
    plans = plan_workers(count, settings.server_url, settings.host, settings.api_port)
    env = {**os.environ, "MEWET_DATA_DIR": str(settings.data_dir), "MEWET_WORKERS": "0"}
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    started = worker_parts(plans, env, settings.data_dir, err.print)
    supervisor = Supervisor(*started).start()
    try:
        _serve(
            settings,
            settings.host,
            settings.api_port,
            workers=[p.url for p in plans],
            parts=lambda: [part.as_json() for part in supervisor.health()],
        )
    finally:
        supervisor.halt()
        for part in started:
            part.stop()


@app.command(hidden=True)
def worker(
    host: Annotated[str, typer.Option(help="Interface to listen on.")],
    port: Annotated[int, typer.Option(help="Port.")],
) -> None:
    """A worker that runs exercises for its front (`mewet api`, `mewet up`), on the settings
    of its environment; it stops when its front has gone."""
    import os

    settings = load_settings(workers=0)
    private_files()
    front = os.getppid()
    _serve(settings, host, port, orphaned=lambda: os.getppid() != front)


def _serve(
    settings: Settings,
    host: str,
    port: int,
    workers: list[str] | None = None,
    parts: Callable[[], list[dict[str, Any]]] | None = None,
    orphaned: Callable[[], bool] | None = None,
) -> None:
    """The API on host:port until Ctrl-C: a front when its `workers` run its exercises; a
    worker that stops once `orphaned` says its front has gone."""
    import threading
    import time

    import uvicorn

    from mewet.api.app import create_app, settle
    from mewet.api.serving import serving
    from mewet.transport.access import BrokerAccess, signal_reload

    if settings.mqtt_url is None:
        raise MewetError("set MEWET_MQTT_URL: the API publishes its exercises on that broker")
    access = None
    if settings.broker_access_dir is not None:
        pid = settings.broker_pid_file
        access = BrokerAccess(
            settings.broker_access_dir,
            settings.topic_root,
            signal_reload(pid) if pid is not None else None,
        )
    api = create_app(
        settings.data_dir,
        settings.mqtt(),
        root=settings.topic_root,
        secret=settings.secret_key,
        access=access,
        broker_host=settings.broker_host,
        broker_port=settings.broker_port,
        limits=settings.limits,
        store=settings.store(),
        public_url=settings.public_url,
        listen_host=settings.host,
        parts=parts,
        db_url=settings.db_url,
        server_url=settings.server_url,
        workers=workers,
    )
    settle()
    server = uvicorn.Server(
        uvicorn.Config(
            api,
            host=host,
            port=port,
            log_level="info",
            **{
                **serving(
                    per_address=settings.limits.connections_per_address,
                    header_s=settings.limits.header_timeout_s,
                ),
                "proxy_headers": bool(settings.trusted_proxies),
                "forwarded_allow_ips": settings.trusted_proxies or None,
            },
        )
    )
    if orphaned is not None:

        def watch() -> None:
            while not orphaned():
                time.sleep(1.0)
            api.state.orphaned = True  # its front was killed: its exercises run on elsewhere
            server.should_exit = True

        threading.Thread(target=watch, name="mewet-front-watch", daemon=True).start()
    server.run()


@broker_app.command("init")
def broker_init(
    access_dir: Annotated[Path, typer.Option(help="Where the passwd and acl files go.")],
) -> None:
    """Write the broker's passwd and acl files with the lab's own accounts, before the broker
    starts (a deployment's first step): `mewet-ingest` and `mewet-lab`, with the passwords in
    MEWET_INGEST_PASSWORD and MEWET_LAB_PASSWORD. Accounts already there are kept."""
    import os

    from mewet.transport.access import BrokerAccess

    passwords = {}
    for user, var in (
        ("mewet-ingest", "MEWET_INGEST_PASSWORD"),
        ("mewet-lab", "MEWET_LAB_PASSWORD"),
    ):
        value = os.environ.get(var, "")
        if len(value) < 12:
            raise MewetError(f"set {var} to a password of at least 12 characters")
        passwords[user] = value
    settings = load_settings()
    access = BrokerAccess(access_dir, settings.topic_root)
    access.grant("mewet-ingest", "ingest", password=passwords["mewet-ingest"], apply=False)
    access.grant("mewet-lab", "lab", password=passwords["mewet-lab"], apply=False)
    access.apply()
    console.print(f"wrote {access.password_file} and {access.acl_file}")


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Option(help="The person's email: their sign-in name.")],
    role: Annotated[str, typer.Option(help="admin, teacher, student or company.")],
    org: Annotated[str, typer.Option(help="School or company.")],
    password: Annotated[
        str | None, typer.Option(help="Asked for (twice, hidden) when not given.")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the lab keeps its data (default ./mewet-data).")
    ] = None,
) -> None:
    """Create an account for the exercise API."""
    from mewet.api.security import hash_password
    from mewet.exercises.db import AppDb

    if "@" not in email or len(email) > 200:
        raise MewetError(f"{email!r} does not look like an email address")
    if not org.strip():
        raise MewetError("--org: give the school or company")
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise MewetError("the password needs at least 8 characters")
    settings = load_settings(data_dir=data_dir)
    db = AppDb(settings.data_dir / "app.db", settings.db_url)
    try:
        user = db.add_user(email, role, org.strip(), hash_password(password))
    finally:
        db.close()
    where = "the database of MEWET_DB_URL" if settings.db_url else settings.data_dir / "app.db"
    console.print(
        f"account {user.email} ({user.role}, {user.org}) created in {where}; the lab must run "
        f"with the same data folder (mewet up --data-dir {settings.data_dir}) to find it"
    )


@app.command(hidden=True)
def gate(
    listen: Annotated[str, typer.Option(help="HOST:PORT devices connect to.")],
    broker: Annotated[str, typer.Option(help="HOST:PORT of the broker's clients' listener.")],
    access: Annotated[Path, typer.Option(help="The broker's access folder (access.json).")],
    control: Annotated[Path, typer.Option(help="The Unix socket the lab asks the gate on.")],
    root: Annotated[
        str | None, typer.Option(help="The topic root (default MEWET_TOPIC_ROOT).")
    ] = None,
) -> None:
    """The devices' door in front of the broker (`mewet up --secure-broker` runs it): it lets
    the lab pull a device's plug, notes refused publishes and paces a flooding client."""
    import asyncio

    from mewet.transport.gate import Gate, Writes

    settings = load_settings()
    limits = settings.limits
    host, _, port = listen.rpartition(":")
    up_host, _, up_port = broker.rpartition(":")
    door = Gate(
        (up_host, int(up_port)),
        Writes(access / "access.json", root or settings.topic_root),
        publishes_per_s=limits.device_messages_per_second,
        burst=limits.device_message_burst,
        per_address=limits.door_connections_per_address,
        connect_s=limits.header_timeout_s,
    )
    with quiet_ctrl_c():
        asyncio.run(door.serve(host.strip("[]"), int(port), control))
