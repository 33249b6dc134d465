"""The self-study tables of a lab's app database made by an earlier version (SQLite, as
every lab before PostgreSQL kept it): opened by this one, they are brought to its schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mewet.exercises.db import AppDb
from mewet.exercises.study import Study


def test_a_database_kept_before_student_numbers_gets_their_column(tmp_path: Path) -> None:
    """A lab's app database with self-study runs from before learners gave a student number:
    opened again, the column is added and the runs are still there."""
    with sqlite3.connect(tmp_path / "app.db") as made:  # as that version of the lab left it
        made.executescript(
            "CREATE TABLE study_runs (exercise INTEGER PRIMARY KEY, assignment INTEGER NOT NULL, "
            "participant INTEGER NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, "
            "resume_hash TEXT NOT NULL UNIQUE, created TEXT NOT NULL);"
            "INSERT INTO study_runs VALUES (7, 1, 1, 'Ada', 'alarm_centre', 'h', "
            "'2026-12-01T10:00:00+00:00');"
        )
    db = AppDb(tmp_path / "app.db")
    run = Study(db).run(7)
    assert run is not None and (run.name, run.id_number, run.learner) == ("Ada", "", 0)
    db.close()


def test_a_database_kept_before_courses_gets_their_columns(tmp_path: Path) -> None:
    """Assignments from before courses: opened again, each is its own (no course), and a
    teacher's list still shows it."""
    with sqlite3.connect(tmp_path / "app.db") as made:
        made.executescript(
            "CREATE TABLE assignments (id INTEGER PRIMARY KEY, teacher INTEGER NOT NULL, "
            "org TEXT NOT NULL, title TEXT NOT NULL, scenario TEXT NOT NULL, "
            "scenario_yaml TEXT NOT NULL, scenario_version INTEGER NOT NULL, roles TEXT NOT NULL, "
            "code TEXT NOT NULL UNIQUE, opens TEXT NOT NULL, closes TEXT NOT NULL, "
            "created TEXT NOT NULL, quiz TEXT NOT NULL DEFAULT '');"
            "INSERT INTO assignments VALUES (1, 5, 'north', 'Yö', 'night-fall', 'x', 0, "
            "'[\"alarm_centre\"]', 'ABCDEFGH', '2026-12-01T10:00:00+00:00', "
            "'2026-12-31T10:00:00+00:00', '2026-12-01T10:00:00+00:00', '');"
        )
    db = AppDb(tmp_path / "app.db")
    [kept] = Study(db).of_teacher(5)
    assert (kept.code, kept.title) == ("ABCDEFGH", "Yö")
    db.close()
