"""Making sure the schema is at head before a store uses it: once at start-up, and again after it vanished.

A server usually starts on a database at head or on an empty file. On a plain SQLite file both are handled here with
driver SQL, in one BEGIN IMMEDIATE transaction (the file's write lock, so processes starting together build it
once), from the DDL generated from tables.py (emulator/store/sqlite_ddl.py). Anything else, an older schema or
another database, goes to Alembic (emulator/store/migrate.py).
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from emulator.store.database import Database
from emulator.store.sqlite_ddl import HEAD, SCHEMA

log = logging.getLogger("emulator.store")

# As SQLAlchemy's inspector lists a SQLite file's tables.
_TABLES_SQL = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' ESCAPE '~'"


def ensure_at_head(conn: sqlite3.Connection) -> bool:
    """True when the schema is at head afterwards: it was, or the file was empty and now holds it. False (nothing
    changed) for a schema that Alembic's scripts must upgrade. conn is in autocommit mode (isolation_level None)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        tables = {row[0] for row in conn.execute(_TABLES_SQL)}
        if "alembic_version" in tables:
            stamped = conn.execute("SELECT version_num FROM alembic_version").fetchall()
            at_head = stamped == [(HEAD,)]
        elif not tables:
            for statement in SCHEMA:
                conn.execute(statement)
            conn.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (HEAD,))
            at_head = True
        else:
            at_head = False
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT" if at_head else "ROLLBACK")
    return at_head


class SchemaGate:
    """Migrates once when first needed; until a migration succeeds every use tries again."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.ready = False
        self._lock = threading.Lock()

    def ensure(self) -> None:
        """Upgrade to head: on a plain SQLite file at head or empty without SQLAlchemy (errors are sqlite3's),
        otherwise through SQLAlchemy and Alembic (errors are SQLAlchemy's)."""
        if self.ready:
            return
        with self._lock:
            if self.ready:
                return
            if self.database.sqlite_file is not None:
                conn = self.database.connect_sqlite()
                try:
                    self.ready = ensure_at_head(conn)
                finally:
                    conn.close()
            if not self.ready:
                from emulator.store.migrate import upgrade

                upgrade(self.database.engine)
                self.ready = True

    def try_now(self) -> bool:
        """At start-up on a database server: migrate, or log why not and leave it to the first request."""
        from sqlalchemy.exc import OperationalError
        from sqlalchemy.exc import TimeoutError as PoolTimeout

        try:
            self.ensure()
        except (OperationalError, PoolTimeout, sqlite3.OperationalError) as exc:
            log.error("database unavailable, will retry on the next request: %s", str(exc).splitlines()[0])
        return self.ready
