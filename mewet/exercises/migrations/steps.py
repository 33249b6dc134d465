"""What the migrations do, written once: make a table that is missing, add the columns a
table lacks (with their defaults), make a missing index. Each is safe to run on a database
that already has it, so a migration brings any earlier database to its version."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mewet.exercises.schema import METADATA


def ensure_schema(tables: list[str] | None = None) -> None:
    """The tables named (all of the schema's, for None) as the schema has them now."""
    have = sa.inspect(op.get_bind())
    for table in METADATA.sorted_tables:
        if tables is not None and table.name not in tables:
            continue
        if not have.has_table(table.name):
            table.create(op.get_bind())  # with its indexes
            continue
        kept = {c["name"] for c in have.get_columns(table.name)}
        for column in table.columns:
            if column.name not in kept:
                op.add_column(
                    table.name,
                    sa.Column(
                        column.name,
                        column.type,
                        nullable=column.nullable,
                        server_default=column.server_default,
                    ),
                )
        indexed = {i["name"] for i in have.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexed:
                index.create(op.get_bind())
