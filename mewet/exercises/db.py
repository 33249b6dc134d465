"""The lab's app state: accounts, shared scenarios, exercises and their inputs (and the
tables of self-study, knowledge checks, courses and certificates), in SQLite (the embedded
default, `app.db` in the data folder) or PostgreSQL (`MEWET_DB_URL=postgresql://...`, for
several servers). One schema for both (`schema.py`), made and kept up to date by the
migrations (Alembic) when the database is opened.

An exercise is kept as its inputs (scenario text, seed, start, roles, and the timed log of
actions, controls, injections and notes) plus where its clock stood, which is all a
restarted server needs to rebuild it by replaying.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, TextClause, create_engine, event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from mewet.errors import MewetError
from mewet.exercises.inputs import Input

Role = Literal["admin", "teacher", "student", "company"]
ROLES: tuple[Role, ...] = ("admin", "teacher", "student", "company")


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


Row = Mapping[str, Any]
"""A row by its columns' names."""
MIGRATIONS = resources.files("mewet.exercises") / "migrations"


def database_url(url: str | None, path: Path) -> str:
    """SQLAlchemy's URL of the app database: `url` (postgresql://... is taken with the psycopg
    driver), else SQLite at `path`."""
    if not url:
        return f"sqlite:///{path}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class AppDb:
    """The app database. SQLite: one connection (WAL), guarded by a lock; PostgreSQL: a pool.
    Statements are written with `?` for their values, as both take them."""

    def __init__(self, path: Path, url: str | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if url:
            self.engine = create_engine(database_url(url, path), pool_pre_ping=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                # password hashes and join codes: readable by the lab's own user only (SQLite
                # gives its -wal and -shm files the database file's permissions)
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            self.engine = create_engine(
                database_url(None, path),
                connect_args={"check_same_thread": False},
                poolclass=StaticPool,
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.migrate()

    def migrate(self) -> None:
        """Bring the database to this version's schema (Alembic, head)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._lock, self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":  # servers starting at once: in turn
                connection.execute(text("SELECT pg_advisory_xact_lock(7261531)"))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        """Close the database."""
        self.engine.dispose()

    def one(self, sql: str, args: tuple[Any, ...]) -> Row | None:
        """One row of a query, or None (for the modules that keep tables here: `study`)."""
        if _nul(args):
            return None
        with self._lock, self.engine.connect() as connection:
            row = connection.execute(*bound(sql, args)).mappings().first()
            return dict(row) if row is not None else None

    def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[Row]:
        """Every row of a query."""
        if _nul(args):
            return []
        with self._lock, self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(*bound(sql, args)).mappings()]

    def write(self, sql: str, args: tuple[Any, ...]) -> int:
        """Run a statement; for an INSERT into a table with an `id`, the new row's id (the
        statement then ends in `RETURNING id`, which both databases take)."""
        with self._lock, self.engine.begin() as connection:
            done = connection.execute(*bound(sql, args))
            return int(done.scalar_one()) if done.returns_rows else 0

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Statements that are all kept or none (`connection.execute(*bound(sql, args))`)."""
        with self._lock, self.engine.begin() as connection:
            yield connection

    # -- accounts ----------------------------------------------------------------------

    def add_user(self, email: str, role: str, org: str, password_hash: str) -> User:
        """Create an account; AccountError when the email is taken or the role unknown."""
        if role not in ROLES:
            raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
        try:
            uid = self.write(
                "INSERT INTO users (email, role, org, password_hash, created) VALUES (?,?,?,?,?)"
                " RETURNING id",
                (email, role, org, password_hash, _now()),
            )
        except IntegrityError:
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
        row = self.one("SELECT * FROM users WHERE lower(email) = lower(?)", (email,))
        return _user(row) if row else None

    # -- scenarios ---------------------------------------------------------------------

    def put_scenario(
        self, sid: str, title: str, yaml_text: str, org: str, owner: int, shared: bool
    ) -> int:
        """Add an uploaded scenario, or its next version (every version is kept: an exercise
        runs the one it was created from); the version number."""
        with self.transaction() as c:
            kept = c.execute(
                *bound("SELECT MAX(version) FROM scenario_versions WHERE id = ?", (sid,))
            ).scalar()
            version = (kept or 0) + 1
            now = _now()
            c.execute(
                *bound(
                    "INSERT INTO scenario_versions (id, version, yaml, title, org, owner,"
                    " created) VALUES (?,?,?,?,?,?,?)",
                    (sid, version, yaml_text, title, org, owner, now),
                )
            )
            c.execute(
                *bound(
                    "INSERT INTO scenarios (id, title, yaml, org, owner, shared, created,"
                    " version) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET"
                    " title = excluded.title, yaml = excluded.yaml, org = excluded.org,"
                    " owner = excluded.owner, shared = excluded.shared,"
                    " created = excluded.created, version = excluded.version",
                    (sid, title, yaml_text, org, owner, int(shared), now, version),
                )
            )
        return version

    def scenario_versions(self, sid: str) -> list[Row]:
        """Every version of an uploaded scenario, newest first."""
        return self.rows(
            "SELECT v.version, v.created, v.title, u.email AS author FROM scenario_versions v "
            "LEFT JOIN users u ON u.id = v.owner WHERE v.id = ? ORDER BY v.version DESC",
            (sid,),
        )

    def scenario_version(self, sid: str, version: int) -> Row | None:
        """One version of an uploaded scenario."""
        return self.one(
            "SELECT * FROM scenario_versions WHERE id = ? AND version = ?", (sid, version)
        )

    def scenarios(self) -> list[Row]:
        """Every uploaded scenario."""
        return self.rows("SELECT * FROM scenarios ORDER BY id")

    def scenario(self, sid: str) -> Row | None:
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
            " VALUES (?,?,?,?,?,?,?,?,?,?,'created',0,?,?,?) RETURNING id",
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

    def exercise(self, exercise: int) -> ExerciseRow | None:
        """One exercise by id."""
        row = self.one("SELECT * FROM exercises WHERE id = ?", (exercise,))
        return None if row is None else _exercise(row)

    def with_code(self, code: str) -> list[int]:
        """The exercises with a join code, those that have not ended first, newest first."""
        rows = self.rows(
            "SELECT id FROM exercises WHERE join_code = ?"
            " ORDER BY CASE WHEN phase = 'ended' THEN 1 ELSE 0 END, id DESC",
            (code,),
        )
        return [int(r["id"]) for r in rows]

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
        self.write(
            "INSERT INTO revoked (jti, expires) VALUES (?,?)"
            " ON CONFLICT (jti) DO UPDATE SET expires = excluded.expires",
            (jti, expires),
        )

    def revoked(self) -> set[str]:
        """The ids of tokens signed out that have not expired yet (older ones are dropped)."""
        self.write("DELETE FROM revoked WHERE expires < ?", (time.time(),))
        return {r["jti"] for r in self.rows("SELECT jti FROM revoked")}

    def claim_home(self, home: str, org: str) -> str:
        """Give a home to a company, unless another has it; returns the home's owner."""
        self.write(
            "INSERT INTO homes (home, org, created) VALUES (?,?,?) ON CONFLICT DO NOTHING",
            (home, org, _now()),
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
            "INSERT INTO participants (exercise, name, role, joined) VALUES (?,?,?,?) RETURNING id",
            (exercise, name, role, _now()),
        )

    def participants(self, exercise: int) -> list[Row]:
        """Who joined an exercise, in which role."""
        return self.rows("SELECT * FROM participants WHERE exercise = ? ORDER BY id", (exercise,))


def _user(row: Row) -> User:
    return User(row["id"], row["email"], row["role"], row["org"], row["password_hash"])


def _exercise(r: Row) -> ExerciseRow:
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


def _nul(args: tuple[Any, ...]) -> bool:
    """Whether a value asked for holds a NUL character: the lab keeps none (texts are cleaned
    of control characters first), and PostgreSQL refuses to compare with one, so a query for
    it finds nothing rather than failing (a sign-in with `%00` in the email, a code in a
    path)."""
    return any(isinstance(a, str) and "\x00" in a for a in args)


def bound(sql: str, args: tuple[Any, ...]) -> tuple[TextClause, dict[str, Any]]:
    """A statement written with `?` for its values (the lab's statements have no `?` of their
    own) as SQLAlchemy takes it for any database: `:p0, :p1...` and their values."""
    statement, count = _named(sql)
    if count != len(args):
        raise ValueError(f"{count} values in the statement, {len(args)} given")
    return statement, {f"p{i}": v for i, v in enumerate(args)}


@functools.lru_cache(maxsize=512)
def _named(sql: str) -> tuple[TextClause, int]:
    """A statement made once (the lab has a few hundred), and how many values it takes."""
    parts = sql.split("?")
    named = parts[0] + "".join(f":p{i}{rest}" for i, rest in enumerate(parts[1:]))
    return text(named), len(parts) - 1


def _sqlite_pragmas(connection: Any, _: Any) -> None:
    cur = connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # WAL with NORMAL sync: safe against a crash of the lab, one fsync per checkpoint
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
