"""The app database of a test's lab: SQLite in its data folder, or, when the suite runs on
PostgreSQL (`MEWET_TEST_DB=postgresql`, `make test-pg`), a database of its own on the
session's PostgreSQL server."""

from __future__ import annotations

import hashlib
from pathlib import Path

from mewet.servers import PostgresServer

SERVER: PostgresServer | None = None
"""The session's PostgreSQL, while the suite runs on it (tests/conftest.py sets it)."""


def fresh_database(server: PostgresServer, name: str) -> str:
    """A new, empty database on `server` (made again if it was there); its URL."""
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    return server.url(name)


def app_db_url(data_dir: Path) -> str | None:
    """The app database of a lab whose data folder is `data_dir`: None (SQLite in it) unless
    the suite runs on PostgreSQL. The same folder is the same database, so a lab started
    again on it finds its state, as it would in its SQLite file."""
    if SERVER is None:
        return None
    import psycopg

    name = "t_" + hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:24]
    with psycopg.connect(SERVER.url(), autocommit=True) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            c.execute(f'CREATE DATABASE "{name}"')
    return SERVER.url(name)
