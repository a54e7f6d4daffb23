"""Alembic environment: always run with a connection handed over by ``upgrade_to_head``."""

from __future__ import annotations

from alembic import context

from etagere.storage.metadata.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through etagere (etagere.storage.metadata.migrate)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
