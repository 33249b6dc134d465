"""Alembic's entry: the lab hands it the open connection (`AppDb` runs the migrations when it
opens the database), so there is no alembic.ini and no URL here."""

from __future__ import annotations

from alembic import context

from mewet.exercises.schema import METADATA

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=METADATA,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
)
with context.begin_transaction():
    context.run_migrations()
