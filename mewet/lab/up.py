"""`mewet up`: the whole lab from one command, on its embedded defaults.

The broker is Mosquitto run as a child process: no Python broker speaks MQTT 5 (the lab's
persistent sessions, manual acks and shared subscriptions need it), and it is the same broker
the tests and production use. Ingest runs as a child process too (`mewet ingest`), so that
writing every home's messages never competes with the API's answers for one interpreter.
The live home and the exercise API (uvicorn, on 127.0.0.1) run in this process, on one
asyncio loop; the exercises' homes on a thread of their own (`exercises/runner.py`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mewet.api.app import create_app, settle
from mewet.api.public import lan_address, loopback
from mewet.api.serving import serving
from mewet.config import MqttUrl, Settings
from mewet.contract import root_filter
from mewet.devices.homes import load_home
from mewet.errors import MewetError
from mewet.exercises.db import AppDb
from mewet.lab.livehome import LiveHome
from mewet.lab.supervise import Part, Supervisor, stop_child
from mewet.lab.workers import default_workers, plan_workers, worker_parts
from mewet.servers import Server, free_port, mosquitto, port_free
from mewet.store.base import open_store
from mewet.transport.access import BrokerAccess
from mewet.transport.held import held_messages

FOREVER = 10 * 365 * 86400.0


def _url(url: MqttUrl) -> str:
    """The URL with its password, for a child process's environment."""
    login = f"{quote(url.username)}:{quote(url.password or '')}@" if url.username else ""
    return f"{'mqtts' if url.tls else 'mqtt'}://{login}{url.host}:{url.port}"


def _started(broker: Server) -> subprocess.Popen[bytes]:
    """The broker started (again) on its ports; Mosquitto reads its sessions back from disk."""
    proc = broker.start().proc
    assert proc is not None  # start() made it
    return proc


def _farewell(held: int | None) -> str:
    """The last line of `mewet up`: what is in the store and what still waits in the broker."""
    said = "the lab has stopped; everything acknowledged is in the store"
    if held:
        said += (
            f"\n{held} messages still wait in the broker's sessions (kept on disk): "
            "ingest writes them at the next `mewet up`"
        )
    return said


class Lab:
    """Broker (unless MEWET_MQTT_URL is set), store, ingest, and one home simulated live."""

    def __init__(
        self,
        settings: Settings,
        *,
        home: str,
        speed: float,
        seed: int,
        secure: bool = False,
        say: Callable[[str], Any] = print,
    ) -> None:
        self.settings = settings
        self.home = load_home(home)
        self.speed = speed
        self.seed = seed
        self.say = say
        self.broker: Server | None = None
        self.access: BrokerAccess | None = None
        self.secure = secure
        self._ingest_url: MqttUrl | None = None
        self.supervisor: Supervisor | None = None
        self.workers: list[str] | None = None
        """The worker processes that run the exercises (None: this process runs them)."""

    def run(self) -> None:
        """Start everything, run until Ctrl-C or SIGTERM, then stop in order, losing nothing."""
        s = self.settings
        s.data_dir.mkdir(parents=True, exist_ok=True)
        s.data_dir.chmod(0o700)  # also a folder an older lab made open to every user
        if not port_free(s.api_port):
            raise MewetError(
                f"port {s.api_port} for the exercise API is taken: use --api-port N "
                "(or MEWET_API_PORT)"
            )
        if s.mqtt_url is None:
            self._start_broker()
            s = self.settings  # the broker may have had to take another port
        open_store(s.store()).close()  # a store URL that does not work is said at once
        ingest_url = self._ingest_url or s.mqtt()
        ingest = Part("ingest", lambda: self._ingest(ingest_url), stop_child, self.say).start()
        parts = [ingest]
        door = Part("gate", self._gate, stop_child, self.say).start() if self.secure else None
        if door is not None:
            parts.append(door)
            try:
                self._wait_gate()
            except MewetError:
                door.stop()
                ingest.stop()
                if self.broker is not None:
                    self.broker.stop()
                raise
        if self.broker is not None:
            broker = self.broker  # started already: its port decided where the others go
            watched = Part(
                "broker", lambda: self._started(broker), lambda _: broker.stop(), self.say
            )
            parts.insert(0, watched.adopt(broker.proc))
        AppDb(s.data_dir / "app.db", s.db_url).close()  # migrated once, before the workers
        count = default_workers() if s.workers is None else s.workers
        plans = plan_workers(count, s.server_url, s.host, s.api_port)
        workers = worker_parts(plans, self._worker_env(), s.data_dir, self.say)
        parts += workers
        self.workers = [p.url for p in plans] if plans else None
        self.supervisor = Supervisor(*parts).start()
        live = LiveHome(s, self.home, self.seed, datetime.now(UTC).replace(microsecond=0))
        try:
            live.connect()
            self._banner()
            asyncio.run(self._live(live))
        finally:
            live.close()
            self.supervisor.halt()
            for worker in workers:  # the exercises' clocks kept while the broker is there
                worker.stop()
            self._drain(ingest)
            ingest.stop()  # it writes and acknowledges what it holds, then exits
            if door is not None:
                door.stop()
            held = held_messages(self.settings.mqtt()) if self.broker is not None else None
            if self.broker is not None:
                self.broker.stop()
            self.say(_farewell(held))

    def _drain(self, ingest: Part, within_s: float = 10.0) -> None:
        """Give a running ingest a few seconds to take what the broker still holds for it."""
        if self.broker is None or not ingest.running:
            return
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline and ingest.running:
            if not held_messages(self.settings.mqtt()):
                return
            time.sleep(1.0)

    def _ingest(self, url: MqttUrl) -> subprocess.Popen[bytes]:
        """Ingest in a process of its own (`mewet ingest`): writing every message of every
        home into the store is steady work that would otherwise share one interpreter with
        the API's answers. Its URLs go in its environment, not its command line (which any
        user of the machine can read)."""
        s = self.settings
        env = {
            **os.environ,
            "MEWET_MQTT_URL": _url(url),
            "MEWET_STORE_URL": str(s.store_url or f"sqlite:///{s.data_dir / 'mewet.db'}"),
            "MEWET_TOPIC_ROOT": s.topic_root,
        }
        argv = [sys.executable, "-m", "mewet", "ingest", "--client-id", "mewet-up-ingest"]
        with (s.data_dir / "ingest.log").open("ab") as log:  # its totals, every few seconds
            return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log)

    @property
    def gate_socket(self) -> Path:
        """Where the devices' door is asked to pull a plug (`transport.gate`)."""
        return self.settings.data_dir / "gate.sock"

    def _gate(self) -> subprocess.Popen[bytes]:
        """The devices' door in a process of its own, on the devices' port, in front of the
        broker's clients' listener (which listens on this computer only)."""
        s = self.settings
        assert self.broker is not None
        assert self.broker.clients_port is not None
        self.gate_socket.unlink(missing_ok=True)  # one a door killed before left behind
        argv = [sys.executable, "-m", "mewet", "gate", "--listen", f"{s.host}:{s.device_port}"]
        argv += ["--broker", f"127.0.0.1:{self.broker.clients_port}"]
        argv += ["--access", str(s.data_dir / "broker-access"), "--control", str(self.gate_socket)]
        argv += ["--root", s.topic_root]
        with (s.data_dir / "gate.log").open("ab") as log:
            return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log)

    def _wait_gate(self, within_s: float = 15.0) -> None:
        """Until the door takes devices (its first start is said, not retried, if it fails)."""
        deadline = time.monotonic() + within_s
        s = self.settings
        probe = "127.0.0.1" if s.host in ("0.0.0.0", "::") else s.host
        while not self.gate_socket.exists() or port_free(s.device_port, probe):
            if time.monotonic() > deadline:
                log = s.data_dir / "gate.log"
                raise MewetError(
                    f"the devices' door did not listen on port {s.device_port} "
                    f"within {within_s:g} s (its log: {log})"
                )
            time.sleep(0.1)

    def _start_broker(self) -> None:
        """Mosquitto on the configured port; if that is only the default and it is taken (a
        Debian mosquitto service listens on 1883 once the package is installed), a free one."""
        s = self.settings
        port = s.mqtt_port
        if "mqtt_port" not in s.model_fields_set and not port_free(port):
            port = free_port()
            self.say(
                f"port {s.mqtt_port} is taken (by another broker?); the lab's broker uses {port}"
            )
            self.settings = s = s.model_copy(update={"mqtt_port": port})
        secured = s.data_dir / "broker-access" if self.secure else None
        devices = s.device_port
        if (
            secured is not None
            and "device_port" not in s.model_fields_set
            and not port_free(devices)
        ):
            devices = free_port()
            self.say(
                f"port {s.device_port} for devices is taken; the lab's devices port is {devices}"
            )
            self.settings = s = s.model_copy(update={"device_port": devices})
        self.broker = mosquitto(
            s.data_dir / "broker",
            port=port,
            secured=secured,
            # devices come through the door (`_gate`), from the network the lab is open to
            clients_host="127.0.0.1",
        )
        if secured is not None:
            # accounts for this run's own clients, with fresh passwords each time
            self.access = BrokerAccess(secured, s.topic_root, self.broker.reload)
            ingest_pw = self.access.grant("mewet-ingest", "ingest", apply=False)
            lab_pw = self.access.grant("mewet-lab", "lab", homes=(self.home.id,), apply=False)
            self.access.apply()
            self._ingest_url = MqttUrl("127.0.0.1", port, "mewet-ingest", ingest_pw)
            lab_url = f"mqtt://mewet-lab:{lab_pw}@127.0.0.1:{port}"
            self.settings = s = s.model_copy(update={"mqtt_url": lab_url})
        try:
            self._started(self.broker)
        except MewetError as exc:
            raise MewetError(
                f"the embedded broker could not start on port {port}: {exc}. "
                "Is another broker using it? Use --mqtt-port N or MEWET_MQTT_URL."
            ) from None

    async def _live(self, live: LiveHome) -> None:
        import uvicorn

        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        # uvicorn takes SIGINT/SIGTERM while it serves and raises them again once it has
        # shut down; these handlers then stop the rest of the lab
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        task = asyncio.create_task(live.run(self.speed, FOREVER))
        s = self.settings
        api = create_app(
            s.data_dir,
            s.mqtt(),
            root=s.topic_root,
            secret=s.secret_key,
            access=self.access,
            broker_host=s.broker_host or self._device_host(),
            broker_port=s.broker_port or (s.device_port if self.secure else None),
            limits=s.limits,
            store=s.store(),
            public_url=s.public_url,
            listen_host=s.host,
            parts=self._parts,
            gate=self.gate_socket if self.secure else None,
            db_url=s.db_url,
            server_url=s.server_url,
            workers=self.workers,
        )
        config = uvicorn.Config(
            api,
            host=s.host,
            port=s.api_port,
            log_level="warning",
            lifespan="on",
            **serving(
                per_address=s.limits.connections_per_address, header_s=s.limits.header_timeout_s
            ),
        )
        settle()
        server = uvicorn.Server(config)
        serves = asyncio.create_task(server.serve())
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({serves, stopped}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        try:
            await serves
        except SystemExit:  # uvicorn's way of saying it could not start
            stop.set()
        task.cancel()
        stopped.cancel()
        if not server.started:
            raise MewetError(
                f"the exercise API could not listen on {s.host}:{s.api_port}: is the port "
                "taken, or is that not an address of this computer? Use --api-port N or "
                "--host ADDRESS"
            )

    def _started(self, broker: Server) -> subprocess.Popen[bytes]:
        """The broker started (again) on its ports (Mosquitto reads its sessions back from
        disk), its PID where the workers find it to have it read its accounts again."""
        proc = _started(broker)
        self._broker_pid.write_text(str(proc.pid))
        return proc

    @property
    def _broker_pid(self) -> Path:
        return self.settings.data_dir / "broker.pid"

    def _worker_env(self) -> dict[str, str]:
        """The settings of the workers, which run the exercises (`lab/workers.py`): this
        lab's broker, database and folder."""
        s = self.settings
        env = {
            **os.environ,
            "MEWET_DATA_DIR": str(s.data_dir),
            "MEWET_MQTT_URL": _url(s.mqtt()),
            "MEWET_TOPIC_ROOT": s.topic_root,
            "MEWET_HOST": s.host,
            "MEWET_WORKERS": "0",
        }
        named = {
            "MEWET_DB_URL": s.db_url,
            "MEWET_PUBLIC_URL": s.public_url,
            "MEWET_SECRET_KEY": s.secret_key,
            "MEWET_BROKER_HOST": s.broker_host or self._device_host(),
            "MEWET_BROKER_PORT": str(s.broker_port or s.device_port) if self.secure else None,
        }
        env |= {k: v for k, v in named.items() if v}
        if self.secure:  # students' broker accounts: the workers let them in
            env["MEWET_BROKER_ACCESS_DIR"] = str(s.data_dir / "broker-access")
            env["MEWET_BROKER_PID_FILE"] = str(self._broker_pid)
        return env

    def _parts(self) -> list[dict[str, Any]]:
        """The lab's own processes, for the health endpoint."""
        if self.supervisor is None:
            return []
        return [part.as_json() for part in self.supervisor.health()]

    def _device_host(self) -> str | None:
        """Where devices reach a secured lab's broker: this computer's address on the school
        network when the lab is open to it, else the address it listens on."""
        if self.broker is None or self.broker.clients_port is None:
            return None
        host = self.settings.host
        return (lan_address() or "127.0.0.1") if host in ("0.0.0.0", "::") else host

    def _banner(self) -> None:
        s = self.settings
        mqtt = s.mqtt()
        where = "embedded Mosquitto" if self.broker else "external broker"
        if self.access is not None:
            where += ", secured: accounts only, students get theirs when they join"
        login = f" -u {mqtt.username} -P '<password>'" if mqtt.username else ""
        self.say(
            f"MeWeT lab is up\n"
            f"  broker   {mqtt} ({where})\n"
            f"{self._devices_line()}"
            f"  store    {s.store()}\n"
            f"  home     {self.home.id}: {len(self.home.devices)} devices, "
            f"live at speed {self.speed:g}\n"
            f"  web app  http://127.0.0.1:{s.api_port}/ (API: /docs; accounts: mewet user add)\n"
            f"{self._class_line()}"
            f"watch it:  mosquitto_sub -h {mqtt.host} -p {mqtt.port}{login} "
            f"-t '{root_filter(s.topic_root)}' -v\n"
            f"totals:    mewet ingest stats --store {s.store()} "
            f"(ingest's log: {s.data_dir / 'ingest.log'})\n"
            f"stop:      Ctrl-C"
        )
        if not self._has_accounts():
            self.say(
                "no API accounts yet: create a teacher with\n"
                f"  mewet user add --data-dir {s.data_dir} --email you@school --role teacher "
                '--org "Your school"'
            )

    def _devices_line(self) -> str:
        """A secured lab's address for companies' devices: the same port at every start."""
        if self.broker is None or self.broker.clients_port is None:
            return ""
        host = self.settings.broker_host or self._device_host()
        port = self.settings.broker_port or self.settings.device_port
        return f"  devices  mqtt://{host}:{port} (companies' devices and students, accounts only)\n"

    def _class_line(self) -> str:
        """Where the class's phones open the lab, or why they cannot."""
        s = self.settings
        if s.public_url:
            return f"  class    {s.public_url.rstrip('/')}/join (MEWET_PUBLIC_URL)\n"
        if loopback(s.host):
            return (
                "  class    this computer only: to open the lab to the school network, "
                "run `mewet up --host 0.0.0.0` (README: For a class)\n"
            )
        lan = lan_address() if s.host in ("0.0.0.0", "::") else s.host
        where = f"http://{lan}:{s.api_port}/join" if lan else f"port {s.api_port}, every address"
        return f"  class    {where} (open to the network: listening on {s.host})\n"

    def _has_accounts(self) -> bool:
        db = AppDb(self.settings.data_dir / "app.db", self.settings.db_url)
        try:
            return db.has_users()
        finally:
            db.close()
