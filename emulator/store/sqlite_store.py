"""The store on SQLite: driver SQL only (SQLAlchemy is never imported to serve a request).

Reads take microseconds: they run on the event loop, on a connection of the loop's thread. Writes join the grouped
commit (emulator/store/transactions.py): on the loop when the write lock is free, else on the writer thread.
Whatever fails there with a database error (a busy file, a vanished schema, a broken disk) runs again on a thread
through the retrying path, which waits, migrates or answers 503 (emulator/store/retry.py).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from emulator.errors import ServiceUnavailable
from emulator.store.database import Database, driver_error
from emulator.store.reads import READY_SQL
from emulator.store.retry import retrying
from emulator.store.statements import DriverStatements, Params, Statements
from emulator.store.store import Store
from emulator.store.store_base import background_loop
from emulator.store.transactions import Transactions

T = TypeVar("T")
log = logging.getLogger("emulator.store")


class DatabaseFileGone(ServiceUnavailable):
    """The database path no longer names the file the server opened (deleted, or replaced by another file): writes
    would go into a file nobody can open again, and be lost on restart."""

    def __init__(self) -> None:
        super().__init__(
            "The service is unavailable because its database file was deleted or replaced while it ran;"
            " restart it to open the file now at its path."
        )


class FileIdentity:
    """Whether a path still names the file first seen there (same device and inode)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._reported = False

    def check(self) -> None:
        """Raises DatabaseFileGone once the path names no file, or another one. One stat (a few µs) per call."""
        try:
            stat = os.stat(self.path)
            identity = (stat.st_dev, stat.st_ino)
        except FileNotFoundError:
            identity = None
        if self._seen is None and identity is not None:
            self._seen = identity
        if identity is None or identity != self._seen:
            if not self._reported:
                self._reported = True
                log.error("database file %s was deleted or replaced: writes answer 503 until a restart", self.path)
            raise DatabaseFileGone()


class SqliteStore(Store):
    def __init__(self, database: Database) -> None:
        super().__init__(database)
        # A plain file's identity, checked once per write batch and by readiness; None for URLs SQLAlchemy opens.
        self.file = FileIdentity(database.sqlite_file) if database.sqlite_file is not None else None
        self.transactions = Transactions(database, before_batch=self._check_file)
        self._readers = threading.local()
        # Every reader connection, so close() can close them all: a connection left to the garbage collector keeps
        # the file's -shm mapped, and one still open after the file was replaced can fault (SIGBUS) on that mapping.
        self._opened: list[sqlite3.Connection] = []

    def _check_file(self) -> None:
        if self.file is not None:
            self.file.check()

    async def _rows(self, sql: str, params: Params) -> list[Any]:
        if self.schema.ready:
            conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
            try:
                if conn is None:
                    conn = self._readers.conn = self.database.connect_sqlite()
                    self._opened.append(conn)
                return conn.execute(sql, params).fetchall()
            except sqlite3.Error:
                self._readers.conn = None
                if conn is not None:
                    self._opened.remove(conn)
                    conn.close()
        return await self._in_thread(self._rows_retrying, sql, params)

    @retrying
    def _rows_retrying(self, sql: str, params: Params) -> list[Any]:
        conn = self.database.connect_sqlite()
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    async def _write(self, work: Callable[[Statements], T], *, heavy: bool = False) -> T:
        def raw(conn: sqlite3.Connection) -> T:
            return work(DriverStatements(conn))

        if self.schema.ready:
            try:
                return await self.transactions.submit(raw, on_loop=not heavy and not background_loop.get())
            except Exception as exc:
                if driver_error(exc) is None:
                    raise
        return await self._in_thread(self._write_retrying, raw)

    @retrying
    def _write_retrying(self, raw: Callable[[sqlite3.Connection], T]) -> T:
        return self.transactions.run(raw)

    def _check(self) -> None:
        self._check_file()
        conn = self.database.connect_sqlite()
        try:
            conn.execute(READY_SQL).fetchall()
        finally:
            conn.close()

    def close(self) -> None:
        self.transactions.close()
        super().close()
        while self._opened:
            self._opened.pop().close()
