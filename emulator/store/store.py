"""The store: one object per process, with two sides the rest of the code uses apart. ResourceStore
(emulator/store/resource_store.py) keeps the resources; SharedConfig (emulator/store/shared_config.py) keeps what every
process applies alike. StoreBase (emulator/store/store_base.py) runs their SQL on SQLite or PostgreSQL."""

from __future__ import annotations

from emulator.store.resource_store import ResourceStore
from emulator.store.shared_config import SharedConfig


class Store(ResourceStore, SharedConfig):
    """Both sides on one database: SqliteStore and PostgresStore implement how its SQL runs."""
