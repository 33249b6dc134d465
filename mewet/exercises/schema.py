"""The app's state, one schema for SQLite (the embedded default) and PostgreSQL (several
servers: `MEWET_DB_URL`): accounts, shared scenarios, exercises and their inputs, self-study,
knowledge checks, courses and certificates.

The migrations in `mewet/migrations/` make a database this schema (and bring one from an
older version of the lab to it); a test checks that they and this agree. Times are ISO text
(UTC), lists and plans JSON text: both databases sort and compare them alike.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)

METADATA = MetaData()


def _text(name: str, default: str | None = None) -> Column[str]:
    return Column(name, Text, nullable=False, server_default=default)


def _int(name: str, default: str | None = None) -> Column[int]:
    return Column(name, Integer, nullable=False, server_default=default)


users = Table(
    "users",
    METADATA,
    Column("id", Integer, primary_key=True),
    _text("email"),
    _text("role"),
    _text("org"),
    _text("password_hash"),
    _text("created"),
)
Index("users_email", func.lower(users.c.email), unique=True)
"""An email is one account whatever its case."""

Table(
    "scenarios",
    METADATA,
    Column("id", Text, primary_key=True),
    _text("title"),
    _text("yaml"),
    _text("org"),
    Column("owner", Integer, ForeignKey("users.id"), nullable=False),
    _int("shared"),
    _text("created"),
    _int("version", "1"),
)
Table(
    "scenario_versions",
    METADATA,
    _text("id"),
    _int("version"),
    _text("yaml"),
    _text("title"),
    _text("org"),
    Column("owner", Integer, ForeignKey("users.id"), nullable=False),
    _text("created"),
    PrimaryKeyConstraint("id", "version"),
)
Table(
    "exercises",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("teacher", Integer, ForeignKey("users.id"), nullable=False),
    _text("org"),
    _text("title"),
    _text("scenario_yaml"),
    Column("seed", BigInteger, nullable=False),
    _text("start"),
    Column("speed", Float, nullable=False),
    _text("roles"),
    _text("join_code"),
    _text("home_tag"),
    _text("phase"),
    Column("sim_s", Float, nullable=False),
    _text("created"),
    _text("group_name", ""),
    _int("scenario_version", "0"),
)
Table(
    "inputs",
    METADATA,
    Column("exercise", Integer, ForeignKey("exercises.id"), nullable=False),
    _int("n"),
    Column("sim_s", Float, nullable=False),
    _text("kind"),
    _text("name"),
    Column("role", Text),
    _text("args"),
    _text("by"),
    _text("wall"),
    PrimaryKeyConstraint("exercise", "n"),
)
Table(
    "revoked",
    METADATA,
    Column("jti", Text, primary_key=True),
    Column("expires", Float, nullable=False),
)
Table(
    "homes",
    METADATA,
    Column("home", Text, primary_key=True),
    _text("org"),
    _text("created"),
)
Table(
    "participants",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("exercise", Integer, ForeignKey("exercises.id"), nullable=False),
    _text("name"),
    _text("role"),
    _text("joined"),
)

# -- self-study --------------------------------------------------------------------------

Table(
    "assignments",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("teacher", Integer, ForeignKey("users.id"), nullable=False),
    _text("org"),
    _text("title"),
    _text("scenario"),
    _text("scenario_yaml"),
    _int("scenario_version"),
    _text("roles"),
    Column("code", Text, nullable=False, unique=True),
    _text("opens"),
    _text("closes"),
    _text("created"),
    _text("quiz", ""),
    _int("course", "0"),
)
Table(
    "study_runs",
    METADATA,
    Column("exercise", Integer, ForeignKey("exercises.id"), primary_key=True),
    Column("assignment", Integer, ForeignKey("assignments.id"), nullable=False),
    Column("participant", Integer, ForeignKey("participants.id"), nullable=False),
    _text("name"),
    _text("role"),
    Column("resume_hash", Text, nullable=False, unique=True),
    _text("created"),
    _text("id_number", ""),
    _int("learner", "0"),
)

# -- knowledge checks, courses, certificates ---------------------------------------------

Table(
    "school_banks",
    METADATA,
    _text("org"),
    _text("id"),
    _text("body"),
    _text("created"),
    PrimaryKeyConstraint("org", "id"),
)


def _attempts(name: str, holder: str, of: str) -> Table:
    """A test's attempts: a self-study run's (by its exercise), a course learner's."""
    return Table(
        name,
        METADATA,
        Column(holder, Integer, ForeignKey(of), nullable=False),
        _int("n"),
        _text("asked"),
        _text("started"),
        Column("deadline", Text),
        Column("answers", Text),
        Column("percent", Float),
        PrimaryKeyConstraint(holder, "n"),
    )


def _certificates(name: str, holder: str, of: str) -> Table:
    """The certificates issued: a run's (by its exercise), a course learner's; one each."""
    return Table(
        name,
        METADATA,
        Column("code", Text, primary_key=True),
        Column(holder, Integer, ForeignKey(of), nullable=False, unique=True),
        _text("name"),
        _text("title"),
        Column("percent", Float, nullable=False),
        _text("issued"),
    )


_attempts("quiz_attempts", "exercise", "exercises.id")
Table(
    "courses",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("teacher", Integer, ForeignKey("users.id"), nullable=False),
    _text("org"),
    _text("title"),
    Column("code", Text, nullable=False, unique=True),
    _text("opens"),
    _text("closes"),
    _text("created"),
    _text("plan"),
)
Table(
    "course_learners",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("course", Integer, ForeignKey("courses.id"), nullable=False),
    _text("name"),
    _text("id_number"),
    Column("key_hash", Text, nullable=False, unique=True),
    _text("created"),
    _text("read", "[]"),
)
_attempts("course_attempts", "learner", "course_learners.id")
_certificates("certificates", "exercise", "exercises.id")
_certificates("course_certificates", "learner", "course_learners.id")
Table(
    "servers",
    METADATA,
    Column("id", Text, primary_key=True),
    _text("url"),
    Column("seen", Float, nullable=False),
    _int("hosts", "1"),
)
"""The API servers sharing this database: where the others reach each, when it last said it
was alive (Unix seconds), and whether it runs exercises (a front whose workers run them does
not)."""
Table(
    "leases",
    METADATA,
    Column("exercise", Integer, ForeignKey("exercises.id"), primary_key=True),
    _text("server"),
    Column("until", Float, nullable=False),
)
"""Which server runs each exercise, until when (Unix seconds) unless it says so again."""
