"""Where resources are kept: one Store interface (store.py), on SQLite or PostgreSQL."""

from __future__ import annotations

from emulator.store.database import Database
from emulator.store.store import Store


def open_store(database: Database) -> Store:
    """The store for the database's dialect (PostgreSQL's imports SQLAlchemy, so only when it is used)."""
    if database.dialect == "sqlite":
        from emulator.store.sqlite_store import SqliteStore

        return SqliteStore(database)
    from emulator.store.postgres_store import PostgresStore

    return PostgresStore(database)
