"""Baseline: the app's tables as the lab kept them in SQLite before migrations, for SQLite
and PostgreSQL alike.

A database made by an older version of the lab (its tables created as the lab first needed
them, columns added since by hand) is brought to the schema: each table missing is made, each
column missing is added with its default, and scenarios uploaded before their versions were
kept become their first version. A new database is simply made.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from mewet.exercises.migrations.steps import ensure_schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_schema()
    op.execute(
        "INSERT INTO scenario_versions (id, version, yaml, title, org, owner, created) "
        "SELECT id, version, yaml, title, org, owner, created FROM scenarios WHERE 1 = 1 "
        "ON CONFLICT DO NOTHING"  # (the WHERE: SQLite reads ON after FROM as a join's)
    )


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: restore the backup instead")
