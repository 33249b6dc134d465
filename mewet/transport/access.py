"""Who may use which topics: Mosquitto's password and ACL files, written by the lab.

Least privilege, one kind of account per job:

- `ingest` reads everything under the root;
- `lab` (the simulator and the API) writes the device topics (`meta`, `status`, `state`,
  `telemetry`, `event`) of the homes it runs (each added as an exercise is created) and reads
  everything (its homes' commands, the live feed);
- `commands` (the API's command sender, a password of its own made at each start) writes
  `cmd` topics and nothing else: it reads nothing;
- `student` reads the one home of their exercise;
- `device` (a company's) writes its own device topics and reads its own `cmd` topics.

The lab's own listener takes only the lab's own accounts (`passwd-lab`); everyone else signs
in on the clients' listener, where a client's id is its user name. The lab keeps the accounts
(password hashes only) in `access.json` next to the files,
rewrites both files atomically when students join or exercises end and when companies'
devices come and go, and asks Mosquitto to reload them (SIGHUP). Passwords are hashed the
way `mosquitto_passwd` does (`$7$`: PBKDF2-SHA512, 101 iterations, 12-byte salt).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

from mewet.contract import (
    DEFAULT_ROOT,
    Kind,
    Topic,
    all_commands,
    check_id,
    device_base,
    device_commands,
    discovery_filter,
    home_filter,
    kind_of_home,
    root_filter,
)

HEALTH_TOPICS = (
    "$SYS/broker/uptime",
    "$SYS/broker/store/messages/count",
    "$SYS/broker/retained messages/count",
)
"""What the lab reads of the broker's own topics: that it is up, and what it holds for
sessions (`transport.held`)."""
AccountKind = Literal["ingest", "lab", "commands", "student", "device", "analytics", "tester"]
LAB_KINDS: tuple[AccountKind, ...] = ("ingest", "lab", "commands")
"""The lab's own clients: only they may sign in on the lab's own listener."""
DEVICE_KINDS = tuple(k for k in Kind if k is not Kind.CMD)
ITERATIONS = 101


def hash_password(password: str, salt: bytes | None = None) -> str:
    """The password as Mosquitto's password file keeps it (`mosquitto_passwd`'s `$7$`)."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS)
    return f"$7${ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


@dataclass(frozen=True, slots=True)
class Account:
    """One broker account and what it may do."""

    user: str
    password_hash: str
    kind: AccountKind
    home: str | None = None
    device: str | None = None
    group: str = ""  # what it belongs to (an exercise, a company), to revoke all at once
    homes: tuple[str, ...] = ()  # the homes a lab account runs


def rules(account: Account, root: str) -> list[str]:
    """The account's ACL lines."""
    if account.kind == "ingest":
        return [f"topic read {root_filter(root)}"]
    if account.kind == "lab":
        reads = [f"topic read {root_filter(root)}", *(f"topic read {t}" for t in HEALTH_TOPICS)]
        discovery = [f"topic write {discovery_filter()}"]  # Home Assistant
        writes = [
            f"topic write {kind_of_home(h, k, root)}" for h in account.homes for k in DEVICE_KINDS
        ]
        return reads + discovery + writes
    if account.kind == "commands":
        return [f"topic write {all_commands(root)}"]
    if account.kind == "analytics":  # a company's analytics in a benchmark: its homes, read only
        return [f"topic read {home_filter(h, root)}" for h in account.homes]
    assert account.home is not None  # `grant` checks a student and a device have one
    if account.kind == "student":
        return [f"topic read {home_filter(account.home, root)}"]
    assert account.device is not None
    if account.kind == "tester":  # a company's conformance tool: watch its device, command it
        return [
            f"topic read {device_base(account.home, account.device, root)}/#",
            f"topic write {device_commands(account.home, account.device, root)}",
        ]
    writes = [
        f"topic write {Topic(account.home, account.device, k, root=root)}" for k in DEVICE_KINDS
    ]
    return [*writes, f"topic read {device_commands(account.home, account.device, root)}"]


def student_user(participant: int, exercise: int) -> str:
    """The broker account of a student who joined an exercise."""
    return f"s{participant}-ex{exercise}"


def tester_user(home: str, device: str) -> str:
    """The broker account a company's conformance tool uses to test one of its devices."""
    return f"t.{check_id(home, 'home id')}.{check_id(device, 'device id')}"


def device_user(home: str, device: str) -> str:
    """The broker account of a company's device: ids never hold a dot, so no two (home,
    device) pairs share one (with '-', ('acme-lab', 'bed') and ('acme', 'lab-bed') did)."""
    return f"d.{check_id(home, 'home id')}.{check_id(device, 'device id')}"


class BrokerAccess:
    """The broker's accounts, kept in `folder` as `access.json`, `passwd` and `acl`."""

    def __init__(
        self, folder: Path, root: str = DEFAULT_ROOT, reload: Callable[[], None] | None = None
    ) -> None:
        self.folder = folder
        self.root = root
        self.reload = reload
        self.ended: Callable[[list[str]], None] | None = None
        """Told the accounts `revoke` removed, to end their connections and sessions (a
        revoked password does not close a connection that is open)."""
        self._lock = threading.Lock()
        folder.mkdir(parents=True, exist_ok=True)
        self.accounts: dict[str, Account] = {}
        self._load()

    def _load(self) -> None:
        kept = self.folder / "access.json"
        if kept.exists():
            self.accounts = {}
            for raw in json.loads(kept.read_text()):
                raw["homes"] = tuple(raw.get("homes", ()))
                self.accounts[raw["user"]] = Account(**raw)

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """Change the accounts as they are on disk now, and write them: several processes
        (an API's workers, several API servers on one folder) change them, one at a time
        (an exclusive lock on the folder's `.lock` file)."""
        with self._lock, (self.folder / ".lock").open("a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            try:
                self._load()
                yield
                self._write()
            finally:
                fcntl.flock(held, fcntl.LOCK_UN)
        if self.reload is not None:
            self.reload()

    @property
    def password_file(self) -> Path:
        """Mosquitto's `password_file`."""
        return self.folder / "passwd"

    @property
    def lab_password_file(self) -> Path:
        """The lab's own listener's `password_file`: the lab's own accounts only, so no
        student, device or company account can sign in there (where client ids are free)."""
        return self.folder / "passwd-lab"

    @property
    def acl_file(self) -> Path:
        """Mosquitto's `acl_file`."""
        return self.folder / "acl"

    def grant(
        self,
        user: str,
        kind: AccountKind,
        *,
        home: str | None = None,
        device: str | None = None,
        group: str = "",
        homes: tuple[str, ...] = (),
        password: str | None = None,
        apply: bool = True,
    ) -> str:
        """Create (or replace) an account; returns its password (a new random one if none)."""
        for part in user.split("."):  # a device's account is d.<home>.<device>
            check_id(part.replace("_", "-").lower(), "broker user")
        if kind in ("student", "device") and home is None:
            raise ValueError(f"a {kind} account needs its home")
        if kind in ("device", "tester") and device is None:
            raise ValueError(f"a {kind} account needs its device id")
        password = password or secrets.token_urlsafe(18)
        account = Account(user, hash_password(password), kind, home, device, group, homes)
        if apply:
            with self._changing():
                self.accounts[user] = account
        else:  # written by the next `apply`
            with self._lock:
                self.accounts[user] = account
        return password

    def run_home(self, user: str, *homes: str) -> None:
        """Let a lab account write the device topics of more homes (a new exercise, a
        benchmark's homes)."""
        account = self.accounts.get(user)
        if account is None or account.kind != "lab":
            return
        if all(h in account.homes for h in homes):
            return  # nothing new (as this process knows it: no other removes a home)
        with self._changing():
            account = self.accounts.get(user)
            if account is not None:
                new = tuple(h for h in dict.fromkeys(homes) if h not in account.homes)
                self.accounts[user] = replace(account, homes=(*account.homes, *new))

    def lab_homes(self) -> set[str]:
        """The homes the lab's own accounts run (simulated live, exercises)."""
        return {h for a in self.accounts.values() if a.kind == "lab" for h in a.homes}

    def revoke(self, user: str | None = None, group: str | None = None) -> int:
        """Remove one account, or every account of a group; returns how many went."""
        with self._changing():
            gone = [
                u
                for u, a in self.accounts.items()
                if u == user or (group is not None and a.group == group)
            ]
            for u in gone:
                del self.accounts[u]
        if gone and self.ended is not None:
            self.ended(gone)
        return len(gone)

    def apply(self) -> None:
        """Write the files with the accounts as this process has them (after `grant`s with
        `apply=False`, before anyone else changes them), then have the broker reload."""
        with self._lock, (self.folder / ".lock").open("a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            try:
                self._write()
            finally:
                fcntl.flock(held, fcntl.LOCK_UN)
        if self.reload is not None:
            self.reload()

    def _write(self) -> None:
        """The files (each whole or not at all), from the accounts as they are here."""
        accounts = sorted(self.accounts.values(), key=lambda a: a.user)
        passwd = "".join(f"{a.user}:{a.password_hash}\n" for a in accounts)
        lab = "".join(f"{a.user}:{a.password_hash}\n" for a in accounts if a.kind in LAB_KINDS)
        acl = ["# written by the MeWeT lab; changes here are overwritten", ""]
        for a in accounts:
            acl += [f"# {a.kind}" + (f" of {a.group}" if a.group else ""), f"user {a.user}"]
            acl += [*rules(a, self.root), ""]
        _write(self.folder / "access.json", json.dumps([asdict(a) for a in accounts]))
        _write(self.password_file, passwd)
        _write(self.lab_password_file, lab)
        _write(self.acl_file, "\n".join(acl))


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.chmod(tmp, 0o640)
    os.replace(tmp, path)


def signal_reload(pid_file: Path) -> Callable[[], None]:
    """A reload that sends SIGHUP to the broker whose PID is in `pid_file`."""
    import signal

    def reload() -> None:
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGHUP)
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"cannot reload the broker (pid file {pid_file}): {exc}") from exc

    return reload
