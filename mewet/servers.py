"""Real servers run as child processes: Mosquitto (for `mewet up`) and influxd (tests, bench).

Each gets a free port on 127.0.0.1, its own config and data folder, and is stopped by PID.
"""

from __future__ import annotations

import getpass
import os
import random
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from mewet.errors import MewetError

SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")


OUTGOING = Path("/proc/sys/net/ipv4/ip_local_port_range")
"""Where Linux says which ports it hands to outgoing connections."""


def free_port(count: int = 1) -> int:
    """A TCP port nobody uses right now (the first of `count` in a row), below the ports the
    system hands to outgoing connections: there, no client's socket can take it between this
    choice and its server binding it (the ports of 0 would be among them)."""
    try:
        low = int(OUTGOING.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768  # Linux's own default
    first_ok = max(1024, low - 12000)
    while True:
        first = random.randrange(first_ok, low - count + 1)
        if all(_bindable(port) for port in range(first, first + count)):
            return first


def _bindable(port: int) -> bool:
    """Whether a server could bind `port` on every interface now."""
    with socket.socket() as s:
        try:
            s.bind(("", port))
        except OSError:
            return False
        return True


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on `port` yet."""
    with socket.socket() as s:
        return s.connect_ex((host, port)) != 0


def find_program(name: str, package: str) -> str:
    """Path of a server program, looking in the sbin folders a user's PATH may lack."""
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))
    if not found:
        raise MewetError(
            f"{name} is not installed. Install the Debian package: sudo apt-get install {package} "
            "(`make test` and `make run` do this for you)"
        )
    return found


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise MewetError(f"{log.stem} exited at start (code {proc.returncode}): {_tail(log)}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise MewetError(
        f"{log.stem} did not listen on port {port} within {timeout_s:.0f} s: {_tail(log)}"
    )


def _tail(log: Path) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").strip().splitlines()[-5:])
    except OSError:
        return "(no log)"


@dataclass
class Server:
    """A server child process with its own folder."""

    name: str
    folder: Path
    port: int
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    clients_port: int | None = None
    """Mosquitto, secured: the listener for students' and companies' clients, where each
    client's id is its user name (so nobody can take over another's connection)."""

    @property
    def pid(self) -> int | None:
        """Process id while running."""
        return self.proc.pid if self.proc else None

    def start(self, timeout_s: float = 30.0) -> Self:
        """Start and wait until the port answers."""
        log = self.folder / f"{self.name}.log"
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        _wait_port(self.port, self.proc, log, timeout_s)
        return self

    def reload(self) -> None:
        """Ask the server to read its configuration again (SIGHUP): Mosquitto's password and
        ACL files."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGHUP)

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 20.0) -> None:
        """Stop by PID (SIGTERM, then SIGKILL if it lingers)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout_s)


# What the lab needs of any Mosquitto it runs on (broker/mosquitto.conf carries the same):
# a persistent ingest session must not lose QoS 1 messages while its store is down, and a
# window of 1000 unacknowledged messages per client keeps throughput up. Mosquitto's queue
# limits hold for every client alike: they are set so that ingest rides out a long store
# outage (docs/deploy.md, Security) while no session can take the server's memory.
MAX_PACKET_BYTES = 1024 * 1024
"""The largest MQTT packet the lab's broker takes (Mosquitto's default is 256 MB: three such
messages took the server's memory). A payload over the contract's 64 KiB but under this still
reaches ingest and is a dead letter with its reason; a larger one the broker refuses before
reading it, and disconnects its sender."""
QUEUED_MESSAGES = 1_000_000
QUEUED_BYTES = 256 * 1024 * 1024
"""What the broker queues for one client that is away or slow, whichever comes first."""
LAB_BROKER_SETTINGS = (
    "persistence true",
    f"max_queued_messages {QUEUED_MESSAGES}",
    f"max_queued_bytes {QUEUED_BYTES}",
    "persistent_client_expiration 7d",  # as long as ingest's own session lasts
    "max_inflight_messages 1000",
    "set_tcp_nodelay true",
    f"max_packet_size {MAX_PACKET_BYTES}",
    "sys_interval 1",  # what it holds for sessions, fresh each second (`transport.held`)
)


def mosquitto(
    folder: Path,
    port: int | None = None,
    host: str = "127.0.0.1",
    secured: Path | None = None,
    clients_port: int | None = None,
    clients_host: str | None = None,
) -> Server:
    """A Mosquitto broker with persistence and no per-client queue limit (nothing is dropped).

    `secured`: a folder with the lab's `passwd`, `passwd-lab` and `acl` files (see
    transport.access): no anonymous clients, and each account only its topics. The lab's own
    listener (`port`) takes only the lab's own accounts. A second listener (`clients_port`,
    free if not given; on `clients_host`, default `host`) is for everyone else: there a
    client's id is replaced by its user name (`use_username_as_clientid`), so a student or a
    device cannot connect with the id of the simulator or ingest and knock it off.
    """
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    conf = folder / "mosquitto.conf"
    auth = ["allow_anonymous true"]
    clients: list[str] = []
    if secured is not None:
        # each listener its own accounts: the lab's own clients alone on the lab's listener
        auth = ["per_listener_settings true"]
        lab = [
            "allow_anonymous false",
            f"password_file {secured / 'passwd-lab'}",
            f"acl_file {secured / 'acl'}",
        ]
        clients_port = clients_port or free_port()
        clients = [
            f"listener {clients_port} {clients_host or host}",
            "allow_anonymous false",
            f"password_file {secured / 'passwd'}",
            f"acl_file {secured / 'acl'}",
            "use_username_as_clientid true",
        ]
    else:
        lab = []
    conf.write_text(
        "\n".join(
            [
                *auth,
                f"listener {port} {host}",
                *lab,
                *clients,
                # started as root, mosquitto would become user `mosquitto` and could not
                # write its persistence file into our folder
                f"user {getpass.getuser()}",
                *LAB_BROKER_SETTINGS,
                f"persistence_location {folder}/",
                "autosave_interval 60",
                "log_type error",
                "log_type warning",
                "log_type notice",
                "log_dest stderr",
                "",
            ]
        )
    )
    return Server(
        "mosquitto",
        folder,
        port,
        [find_program("mosquitto", "mosquitto"), "-c", str(conf)],
        clients_port=clients_port if secured is not None else None,
    )


@dataclass
class InfluxServer(Server):
    """influxd 1.x with its own meta, data and WAL folders."""

    def start(self, timeout_s: float = 60.0) -> InfluxServer:
        """Start and wait until /ping answers."""
        super().start(timeout_s)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ping", timeout=2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise MewetError(f"influxd on port {self.port} did not answer /ping")

    @property
    def url(self) -> str:
        """The store URL of this server, database `mewet`."""
        return f"influxdb://127.0.0.1:{self.port}/mewet"


def influxd(folder: Path, port: int | None = None) -> InfluxServer:
    """An influxd on a free port, reporting and monitoring off."""
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    rpc = free_port()
    conf = folder / "influxdb.conf"
    conf.write_text(
        f"""reporting-disabled = true
bind-address = "127.0.0.1:{rpc}"
[meta]
  dir = "{folder}/meta"
[data]
  dir = "{folder}/data"
  wal-dir = "{folder}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:{port}"
  log-enabled = false
  auth-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[logging]
  level = "warn"
"""
    )
    argv = [find_program("influxd", "influxdb"), "run", "-config", str(conf)]
    return InfluxServer("influxd", folder, port, argv)


PG_FOLDERS = ("/usr/lib/postgresql",)
"""Where Debian's `postgresql` package keeps its programs (one folder per major version)."""


def _pg_program(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for root in PG_FOLDERS:
        for version in sorted(Path(root).glob("*/bin"), reverse=True):
            if (version / name).exists():
                return str(version / name)
    return find_program(name, "postgresql")


@dataclass
class PostgresServer(Server):
    """A PostgreSQL server: its URL for user `mewet` (trust on 127.0.0.1 only)."""

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://mewet@127.0.0.1:{self.port}/{database}"

    def stop(self, sig: int = signal.SIGINT, timeout_s: float = 20.0) -> None:
        """Stop by PID: a fast shutdown (SIGINT), which does not wait for clients."""
        super().stop(sig, timeout_s)


def postgres(folder: Path, port: int | None = None) -> PostgresServer:
    """A PostgreSQL server (Debian's `postgresql`) on a free port, its cluster made in
    `folder` for the tests: user `mewet` trusted on 127.0.0.1, no fsync. Started as root, it
    runs as the package's user `postgres` (PostgreSQL refuses root), and `folder` is given to
    that user."""
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    data = folder / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = [find_program("runuser", "util-linux"), "-u", "postgres", "--"]
        shutil.chown(folder, "postgres", "postgres")
    made = subprocess.run(
        [*as_user, _pg_program("initdb"), "-D", str(data), "-U", "mewet", "--auth=trust",
         "-E", "UTF8", "--no-locale", "--no-sync"],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    if made.returncode != 0:
        raise MewetError(f"initdb failed: {made.stderr.strip()[-500:]}")
    argv = [
        *as_user,
        _pg_program("postgres"),
        "-D", str(data), "-p", str(port), "-h", "127.0.0.1", "-k", str(folder),
        "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        "-c", "max_connections=500",
    ]  # fmt: skip
    return PostgresServer("postgres", folder, port, argv)
