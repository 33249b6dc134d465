"""The lab's app state in SQLite: accounts, shared scenarios, exercises and their inputs.

An exercise is kept as its inputs (scenario text, seed, start, roles, and the timed log of
actions, controls, injections and notes) plus where its clock stood, which is all a
restarted server needs to rebuild it by replaying.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from mewet.errors import MewetError
from mewet.exercises.inputs import Input

Role = Literal["admin", "teacher", "student", "company"]
ROLES: tuple[Role, ...] = ("admin", "teacher", "student", "company")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL,
    org TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scenarios (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    yaml TEXT NOT NULL,
    org TEXT NOT NULL,
    owner INTEGER NOT NULL REFERENCES users(id),
    shared INTEGER NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scenario_versions (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    yaml TEXT NOT NULL,
    title TEXT NOT NULL,
    org TEXT NOT NULL,
    owner INTEGER NOT NULL REFERENCES users(id),
    created TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE TABLE IF NOT EXISTS exercises (
    id INTEGER PRIMARY KEY,
    teacher INTEGER NOT NULL REFERENCES users(id),
    org TEXT NOT NULL,
    title TEXT NOT NULL,
    scenario_yaml TEXT NOT NULL,
    seed INTEGER NOT NULL,
    start TEXT NOT NULL,
    speed REAL NOT NULL,
    roles TEXT NOT NULL,
    join_code TEXT NOT NULL,
    home_tag TEXT NOT NULL,
    phase TEXT NOT NULL,
    sim_s REAL NOT NULL,
    created TEXT NOT NULL,
    group_name TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS inputs (
    exercise INTEGER NOT NULL REFERENCES exercises(id),
    n INTEGER NOT NULL,
    sim_s REAL NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT,
    args TEXT NOT NULL,
    by TEXT NOT NULL,
    wall TEXT NOT NULL,
    PRIMARY KEY (exercise, n)
);
CREATE TABLE IF NOT EXISTS revoked (
    jti TEXT PRIMARY KEY,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS homes (
    home TEXT PRIMARY KEY,
    org TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS participants (
    id INTEGER PRIMARY KEY,
    exercise INTEGER NOT NULL REFERENCES exercises(id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    joined TEXT NOT NULL
);
"""
COLUMNS_ADDED = (
    ("exercises", "group_name", "TEXT NOT NULL DEFAULT ''"),
    ("scenarios", "version", "INTEGER NOT NULL DEFAULT 1"),
    ("exercises", "scenario_version", "INTEGER NOT NULL DEFAULT 0"),
)
"""Columns added since the first schema: an older database gets them on opening."""


class AccountError(MewetError):
    """An account cannot be created (the email is taken, the role is unknown)."""


@dataclass(frozen=True, slots=True)
class User:
    """A person with an account."""

    id: int
    email: str
    role: Role
    org: str
    password_hash: str


@dataclass(frozen=True, slots=True)
class ExerciseRow:
    """An exercise as kept."""

    id: int
    teacher: int
    org: str
    title: str
    scenario_yaml: str
    seed: int
    start: datetime
    speed: float
    roles: list[str]
    join_code: str
    home_tag: str
    phase: str
    sim_s: float
    created: str = ""
    """When it was created (UTC, ISO)."""
    group: str = ""
    """The group (class) it is for, as the teacher named it."""
    scenario_version: int = 0
    """The version of an uploaded scenario it runs (0: a library scenario)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AppDb:
    """SQLite with WAL, one connection guarded by a lock (the API calls it from one loop)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # password hashes and join codes: readable by the lab's own user only (SQLite
            # gives its -wal and -shm files the database file's permissions)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self.path = path
        self._lock = threading.Lock()
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL sync: safe against a crash of the lab, one fsync per checkpoint
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.executescript(SCHEMA)
        for table, column, kind in COLUMNS_ADDED:
            have = {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        # scenarios uploaded before versions were kept: what they are now is their version
        self.conn.execute(
            "INSERT OR IGNORE INTO scenario_versions "
            "SELECT id, version, yaml, title, org, owner, created FROM scenarios"
        )

    def close(self) -> None:
        """Close the database."""
        self.conn.close()

    def one(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Row | None:
        """One row of a query, or None (for the modules that keep tables here: `study`)."""
        with self._lock:
            cur = self.conn.execute(sql, args)
            cur.row_factory = sqlite3.Row
            row: sqlite3.Row | None = cur.fetchone()
            return row

    def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Every row of a query."""
        with self._lock:
            cur = self.conn.execute(sql, args)
            cur.row_factory = sqlite3.Row
            return list(cur.fetchall())

    def tables(self, schema: str) -> None:
        """Create a module's own tables (`study`, `quizzes`) if they are not there yet."""
        with self._lock:
            self.conn.executescript(schema)

    def write(self, sql: str, args: tuple[Any, ...]) -> int:
        """Run a statement; the new row's id."""
        with self._lock:
            cur = self.conn.execute(sql, args)
            return int(cur.lastrowid or 0)

    # -- accounts ----------------------------------------------------------------------

    def add_user(self, email: str, role: str, org: str, password_hash: str) -> User:
        """Create an account; AccountError when the email is taken or the role unknown."""
        if role not in ROLES:
            raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
        try:
            uid = self.write(
                "INSERT INTO users (email, role, org, password_hash, created) VALUES (?,?,?,?,?)",
                (email, role, org, password_hash, _now()),
            )
        except sqlite3.IntegrityError:
            raise AccountError(f"there is already an account for {email}") from None
        user = self.user(uid)
        assert user is not None
        return user

    def has_users(self) -> bool:
        """Whether any account exists yet."""
        return self.one("SELECT 1 FROM users LIMIT 1", ()) is not None

    def user(self, uid: int) -> User | None:
        """An account by id."""
        row = self.one("SELECT * FROM users WHERE id = ?", (uid,))
        return _user(row) if row else None

    def user_by_email(self, email: str) -> User | None:
        """An account by email (case-insensitive)."""
        row = self.one("SELECT * FROM users WHERE email = ?", (email,))
        return _user(row) if row else None

    # -- scenarios ---------------------------------------------------------------------

    def put_scenario(
        self, sid: str, title: str, yaml_text: str, org: str, owner: int, shared: bool
    ) -> int:
        """Add an uploaded scenario, or its next version (every version is kept: an exercise
        runs the one it was created from); the version number."""
        with self._lock:
            kept = self.conn.execute(
                "SELECT MAX(version) FROM scenario_versions WHERE id = ?", (sid,)
            ).fetchone()[0]
            version = (kept or 0) + 1
            now = _now()
            self.conn.execute("BEGIN")  # both or neither
            try:
                self.conn.execute(
                    "INSERT INTO scenario_versions (id, version, yaml, title, org, owner, created)"
                    " VALUES (?,?,?,?,?,?,?)",
                    (sid, version, yaml_text, title, org, owner, now),
                )
                self.conn.execute(
                    "INSERT OR REPLACE INTO scenarios (id, title, yaml, org, owner, shared,"
                    " created, version) VALUES (?,?,?,?,?,?,?,?)",
                    (sid, title, yaml_text, org, owner, int(shared), now, version),
                )
            except sqlite3.Error:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        return version

    def scenario_versions(self, sid: str) -> list[sqlite3.Row]:
        """Every version of an uploaded scenario, newest first."""
        return self.rows(
            "SELECT v.version, v.created, v.title, u.email AS author FROM scenario_versions v "
            "LEFT JOIN users u ON u.id = v.owner WHERE v.id = ? ORDER BY v.version DESC",
            (sid,),
        )

    def scenario_version(self, sid: str, version: int) -> sqlite3.Row | None:
        """One version of an uploaded scenario."""
        return self.one(
            "SELECT * FROM scenario_versions WHERE id = ? AND version = ?", (sid, version)
        )

    def scenarios(self) -> list[sqlite3.Row]:
        """Every uploaded scenario."""
        return self.rows("SELECT * FROM scenarios ORDER BY id")

    def scenario(self, sid: str) -> sqlite3.Row | None:
        """One uploaded scenario."""
        return self.one("SELECT * FROM scenarios WHERE id = ?", (sid,))

    # -- exercises ---------------------------------------------------------------------

    def add_exercise(
        self,
        teacher: User,
        title: str,
        scenario_yaml: str,
        seed: int,
        start: datetime,
        speed: float,
        roles: list[str],
        join_code: str,
        home_tag: str,
        group: str = "",
        scenario_version: int = 0,
    ) -> int:
        """Keep a new exercise; returns its id. An empty title: the scenario's, in the
        reader's language."""
        return self.write(
            "INSERT INTO exercises (teacher, org, title, scenario_yaml, seed, start, speed, roles,"
            " join_code, home_tag, phase, sim_s, created, group_name, scenario_version)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,'created',0,?,?,?)",
            (
                teacher.id,
                teacher.org,
                title,
                scenario_yaml,
                seed,
                start.isoformat(),
                speed,
                json.dumps(roles),
                join_code,
                home_tag,
                _now(),
                group,
                scenario_version,
            ),
        )

    def exercises(self) -> list[ExerciseRow]:
        """Every exercise, oldest first."""
        return [_exercise(r) for r in self.rows("SELECT * FROM exercises ORDER BY id")]

    def set_clock(self, exercise: int, phase: str, sim_s: float, speed: float) -> None:
        """Where an exercise's clock stands."""
        self.write(
            "UPDATE exercises SET phase = ?, sim_s = ?, speed = ? WHERE id = ?",
            (phase, sim_s, speed, exercise),
        )

    def add_input(self, exercise: int, entry: Input) -> None:
        """Keep one input of an exercise."""
        self.write(
            "INSERT INTO inputs (exercise, n, sim_s, kind, name, role, args, by, wall)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (
                exercise,
                entry.n,
                entry.sim_s,
                entry.kind,
                entry.name,
                entry.role,
                json.dumps(entry.args),
                entry.by,
                _now(),
            ),
        )

    def inputs(self, exercise: int) -> list[Input]:
        """An exercise's inputs in order."""
        rows = self.rows("SELECT * FROM inputs WHERE exercise = ? ORDER BY n", (exercise,))
        return [
            Input(
                r["n"], r["sim_s"], r["kind"], r["name"], r["role"], json.loads(r["args"]), r["by"]
            )
            for r in rows
        ]

    # -- signed-out tokens and companies' homes -------------------------------------------

    def revoke(self, jti: str, expires: float) -> None:
        """A token signed out: refused from now until it would have expired."""
        self.write("INSERT OR REPLACE INTO revoked (jti, expires) VALUES (?,?)", (jti, expires))

    def revoked(self) -> set[str]:
        """The ids of tokens signed out that have not expired yet (older ones are dropped)."""
        self.write("DELETE FROM revoked WHERE expires < ?", (time.time(),))
        return {r["jti"] for r in self.rows("SELECT jti FROM revoked")}

    def claim_home(self, home: str, org: str) -> str:
        """Give a home to a company, unless another has it; returns the home's owner."""
        self.write(
            "INSERT OR IGNORE INTO homes (home, org, created) VALUES (?,?,?)", (home, org, _now())
        )
        row = self.one("SELECT org FROM homes WHERE home = ?", (home,))
        assert row is not None
        return str(row["org"])

    def uploads_since(self, owner: int, since: str) -> int:
        """How many scenarios an account has uploaded since an ISO time."""
        row = self.one(
            "SELECT COUNT(*) AS n FROM scenario_versions WHERE owner = ? AND created >= ?",
            (owner, since),
        )
        return int(row["n"]) if row is not None else 0

    def add_participant(self, exercise: int, name: str, role: str) -> int:
        """A student joined an exercise in a role; the same name in the same role again (a
        reload, another phone) is the same participant."""
        row = self.one(
            "SELECT id FROM participants WHERE exercise = ? AND name = ? AND role = ?",
            (exercise, name, role),
        )
        if row is not None:
            return int(row["id"])
        return self.write(
            "INSERT INTO participants (exercise, name, role, joined) VALUES (?,?,?,?)",
            (exercise, name, role, _now()),
        )

    def participants(self, exercise: int) -> list[sqlite3.Row]:
        """Who joined an exercise, in which role."""
        return self.rows("SELECT * FROM participants WHERE exercise = ? ORDER BY id", (exercise,))


def _user(row: sqlite3.Row) -> User:
    return User(row["id"], row["email"], row["role"], row["org"], row["password_hash"])


def _exercise(r: sqlite3.Row) -> ExerciseRow:
    return ExerciseRow(
        r["id"],
        r["teacher"],
        r["org"],
        r["title"],
        r["scenario_yaml"],
        r["seed"],
        datetime.fromisoformat(r["start"]),
        r["speed"],
        json.loads(r["roles"]),
        r["join_code"],
        r["home_tag"],
        r["phase"],
        r["sim_s"],
        r["created"],
        r["group_name"],
        r["scenario_version"],
    )
