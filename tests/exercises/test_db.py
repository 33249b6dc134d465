"""The app database on SQLite and on PostgreSQL (Debian's, started by the suite): the
migrations make the schema `mewet/exercises/schema.py` declares, on both; what the lab keeps
reads back the same from both; an email is one account whatever its case; a scenario's new
version is kept whole or not at all; a database left by an earlier version of the lab (SQLite,
its tables made as the lab first needed them) is brought to the schema with its rows."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from mewet.exercises.db import AccountError, AppDb
from mewet.exercises.inputs import Input
from mewet.exercises.leases import Holder, Leases
from mewet.exercises.schema import METADATA
from mewet.servers import PostgresServer
from tests.support.appdb import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppDb]:
    """An empty app database on each: the same tests run on both."""
    url = None
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = fresh_database(server, f"db_{abs(hash(request.node.nodeid))}")
    opened = AppDb(tmp_path / "app.db", url)
    yield opened
    opened.close()


@pytest.mark.filterwarnings("ignore:.*expression-based index")  # SQLite's are not read back
def test_the_migrations_make_the_schema_the_lab_declares(db: AppDb) -> None:
    with db.engine.connect() as c:
        differs = compare_metadata(MigrationContext.configure(c), METADATA)
    assert differs == []
    assert db.rows("SELECT version_num FROM alembic_version") == [{"version_num": "0002"}]


def test_what_the_lab_keeps_reads_back_the_same(db: AppDb) -> None:
    teacher = db.add_user("Teacher@North", "teacher", "north", "hash")
    assert db.user_by_email("teacher@north") == teacher  # whatever its case
    with pytest.raises(AccountError, match="already an account"):
        db.add_user("TEACHER@north", "teacher", "north", "hash")
    start = datetime(2026, 11, 23, 18, tzinfo=UTC)
    seed = 2**40 + 7  # seeds are not small
    first = db.add_exercise(teacher, "", "yaml", seed, start, 60.0, ["alarm_centre"], "ABC", "t")
    second = db.add_exercise(teacher, "", "yaml", 1, start, 600.0, [], "DEF", "t", "Ryhmä 2")
    assert second == first + 1
    entry = Input(1, 12.5, "action", "answer", "alarm_centre", {"case": 1}, "Ada")
    db.add_input(first, entry)
    assert db.inputs(first) == [entry]
    db.set_clock(first, "paused", 33_400.25, 600.0)
    kept = db.exercises()[0]
    assert (kept.seed, kept.start, kept.sim_s, kept.phase) == (seed, start, 33_400.25, "paused")
    assert db.exercises()[1].group == "Ryhmä 2"
    ada = db.add_participant(first, "Ada", "alarm_centre")
    assert db.add_participant(first, "Ada", "alarm_centre") == ada  # a reload: the same one
    assert db.claim_home("acme-1", "acme") == "acme"
    assert db.claim_home("acme-1", "beta") == "acme"
    # a NUL in what is asked for (a sign-in with %00 in the email) finds nothing on both
    assert db.user_by_email("teacher@north\x00") is None and db.scenario("yo\x00") is None
    db.revoke("jti-1", 4e9)
    db.revoke("jti-1", 4.1e9)
    assert db.revoked() == {"jti-1"}


def test_a_new_version_of_a_scenario_is_kept_whole_or_not_at_all(db: AppDb) -> None:
    owner = db.add_user("t@north", "teacher", "north", "hash").id
    assert db.put_scenario("yo", "Yö", "v1", "north", owner, True) == 1
    assert db.put_scenario("yo", "Yö 2", "v2", "north", owner, False) == 2
    row = db.scenario("yo")
    assert row is not None and (row["title"], row["version"], row["shared"]) == ("Yö 2", 2, 0)
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        db.put_scenario("yo", "Yö 3", "v3", "north", 999, True)  # nobody's: refused whole
    assert [v["version"] for v in db.scenario_versions("yo")] == [2, 1]
    assert db.scenario("yo")["title"] == "Yö 2"  # type: ignore[index]


def test_a_database_of_an_earlier_lab_is_brought_to_the_schema(tmp_path: Path) -> None:
    """As the lab left it before its migrations: accounts (email unique by NOCASE), an
    uploaded scenario from before versions were kept, an exercise from before groups."""
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as made:
        made.executescript(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE "
            "NOCASE, role TEXT NOT NULL, org TEXT NOT NULL, password_hash TEXT NOT NULL, "
            "created TEXT NOT NULL);"
            "CREATE TABLE scenarios (id TEXT PRIMARY KEY, title TEXT NOT NULL, yaml TEXT NOT "
            "NULL, org TEXT NOT NULL, owner INTEGER NOT NULL REFERENCES users(id), shared "
            "INTEGER NOT NULL, created TEXT NOT NULL);"
            "CREATE TABLE exercises (id INTEGER PRIMARY KEY, teacher INTEGER NOT NULL, org "
            "TEXT NOT NULL, title TEXT NOT NULL, scenario_yaml TEXT NOT NULL, seed INTEGER NOT "
            "NULL, start TEXT NOT NULL, speed REAL NOT NULL, roles TEXT NOT NULL, join_code "
            "TEXT NOT NULL, home_tag TEXT NOT NULL, phase TEXT NOT NULL, sim_s REAL NOT NULL, "
            "created TEXT NOT NULL);"
            "INSERT INTO users VALUES (1, 'T@north', 'teacher', 'north', 'h', '2026-01-01');"
            "INSERT INTO scenarios VALUES ('yo', 'Yö', 'v1', 'north', 1, 1, '2026-01-02');"
            "INSERT INTO exercises VALUES (4, 1, 'north', '', 'y', 1, "
            "'2026-11-23T18:00:00+00:00', 60, '[]', 'ABC', 't', 'paused', 120, '2026-01-03');"
        )
    db = AppDb(path)
    assert db.user_by_email("t@NORTH") is not None
    assert [v["version"] for v in db.scenario_versions("yo")] == [1]
    [kept] = db.exercises()
    assert (kept.id, kept.group, kept.scenario_version, kept.sim_s) == (4, "", 0, 120)
    assert db.add_exercise(db.user(1), "", "y", 1, kept.start, 60, [], "B", "t") == 5  # type: ignore[arg-type]
    db.close()
    assert AppDb(path).user(1) is not None  # opened again: nothing more to do


def test_an_exercise_is_run_by_one_server_at_a_time_and_taken_over_when_it_stops(
    db: AppDb,
) -> None:
    teacher = db.add_user("teacher@north", "teacher", "north", "hash")
    start = datetime(2026, 11, 23, 17, tzinfo=UTC)
    ex = db.add_exercise(teacher, "", "yaml", 1, start, 60.0, [], "ABC", "t")
    a = Leases(db, "http://a:8000", ttl_s=0.5)
    b = Leases(db, "http://b:8000", ttl_s=0.5)
    a.give(ex)
    a.alive()
    b.alive()
    assert not b.claim(ex) and b.free() == []
    assert b.holder(ex) == Holder("http://a:8000", "http://a:8000")
    assert b.peers() == ["http://a:8000"] and a.peers() == ["http://b:8000"]
    assert a.renew() == {ex} and a.claim(ex)  # its own, again
    time.sleep(0.7)  # A says nothing: stopped, or cut off from the database
    assert b.holder(ex) is None and b.free() == [ex]
    taken = b.claim(ex)
    assert taken is not None and taken.server == "http://a:8000" and taken.goes_on
    assert not a.claim(ex)
    assert a.renew() == set()  # A, back, learns that B runs it now
    assert a.holder(ex) == Holder("http://b:8000", "http://b:8000")
    b.release()  # stopped in good order: free at once
    assert a.free() == [ex] and a.peers() == []
    taken = a.claim(ex)
    assert taken is not None and not taken.goes_on  # its running exercises come back paused


def test_an_exercise_put_away_waits_for_whichever_server_is_asked_first(db: AppDb) -> None:
    teacher = db.add_user("teacher@north", "teacher", "north", "hash")
    start = datetime(2026, 11, 23, 17, tzinfo=UTC)
    ex = db.add_exercise(teacher, "", "yaml", 1, start, 60.0, [], "ABC", "t")
    done = db.add_exercise(teacher, "", "yaml", 1, start, 60.0, [], "DEF", "u")
    theirs = db.add_exercise(teacher, "", "yaml", 1, start, 60.0, [], "GHJ", "v")
    a = Leases(db, "http://a:8000")
    b = Leases(db, "http://b:8000")
    for mine in (ex, done, theirs):
        a.give(mine)
    db.set_clock(done, "ended", 600.0, 60.0)
    a.put_away(ex)
    a.put_away(ended=True)  # a restarted server: its ended exercises wait to be asked for
    assert a.held() == {theirs} and a.renew() == {theirs}
    # nobody runs them, and nobody takes them over by themselves
    assert a.holder(ex) is None and b.free() == [] and a.free() == []
    b.alive()
    taken = b.claim(ex)  # asked for it: B opens it, as it was left
    assert taken is not None and not taken.goes_on
    assert a.holder(ex) == Holder("http://b:8000", "http://b:8000")
    assert not a.claim(ex) and a.holder(done) is None
