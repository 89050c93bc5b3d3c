"""Making sure the schema is at head before a store uses it: once at start-up, and again after it vanished."""

from __future__ import annotations

import logging
import threading

from emulator.store.database import Database
from emulator.store.sqlite_schema import ensure_at_head

log = logging.getLogger("emulator.store")


class SchemaGate:
    """Migrates once when first needed; until a migration succeeds every use tries again."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.ready = False
        self._lock = threading.Lock()

    def ensure(self) -> None:
        """Upgrade to head through SQLAlchemy (and Alembic, if scripts must run); errors are SQLAlchemy's."""
        if self.ready:
            return
        with self._lock:
            if not self.ready:
                from emulator.store.migrate import upgrade

                upgrade(self.database.engine)
                self.ready = True

    def ensure_at_start(self) -> None:
        """ensure() at start-up, without SQLAlchemy on a plain SQLite file whose schema is at head or that is
        empty (then errors are sqlite3's). An older schema goes to ensure() and Alembic."""
        if self.database.sqlite_file is not None:
            conn = self.database.connect_sqlite()
            try:
                self.ready = ensure_at_head(conn)
            finally:
                conn.close()
        self.ensure()

    def try_now(self) -> bool:
        """At start-up: migrate, or log why not and leave it to the first request."""
        from sqlalchemy.exc import OperationalError
        from sqlalchemy.exc import TimeoutError as PoolTimeout

        try:
            self.ensure()
        except (OperationalError, PoolTimeout) as exc:
            log.error("database unavailable, will retry on the next request: %s", str(exc).splitlines()[0])
        return self.ready
