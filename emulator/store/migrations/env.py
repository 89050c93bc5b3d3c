"""Alembic's entry point: migrate on the connection emulator.store.migrate passes in (online mode only)."""

from __future__ import annotations

from alembic import context

from emulator.store.tables import metadata

if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run `sagemaker-emulator migrate`")

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata,
    # SQLite alters tables by copying them; batch mode makes future ALTERs work on both dialects.
    render_as_batch=True,
)
# The caller's transaction (already holding the migration lock) is used; alembic opens none of its own.
with context.begin_transaction():
    context.run_migrations()
