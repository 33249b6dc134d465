"""The self-study tables in the lab's app database."""

from __future__ import annotations

from pathlib import Path

from mewet.exercises.db import AppDb
from mewet.exercises.study import Study


def test_a_database_kept_before_student_numbers_gets_their_column(tmp_path: Path) -> None:
    """A lab's app database with self-study runs from before learners gave a student number:
    opened again, the column is added and the runs are still there."""
    db = AppDb(tmp_path / "app.db")
    db.tables(
        "CREATE TABLE study_runs (exercise INTEGER PRIMARY KEY, assignment INTEGER NOT NULL, "
        "participant INTEGER NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, "
        "resume_hash TEXT NOT NULL UNIQUE, created TEXT NOT NULL);"
        "INSERT INTO study_runs VALUES (7, 1, 1, 'Ada', 'alarm_centre', 'h', "
        "'2026-12-01T10:00:00+00:00');"
    )
    run = Study(db).run(7)
    assert run is not None and (run.name, run.id_number) == ("Ada", "")
    db.close()
