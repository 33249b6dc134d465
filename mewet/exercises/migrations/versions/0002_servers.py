"""Several servers on one database: the servers and their leases on exercises.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from mewet.exercises.migrations.steps import ensure_schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_schema(["servers", "leases"])


def downgrade() -> None:
    raise NotImplementedError("restore the backup instead")
