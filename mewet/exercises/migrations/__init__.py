"""The app database's migrations (Alembic): each brings a database to its version of
`mewet.exercises.schema`, SQLite and PostgreSQL alike. The lab runs them itself when it
opens its database; see docs/deploy.md, Upgrades."""
