"""The store on SQLite: driver SQL only (SQLAlchemy is never imported to serve a request).

Reads take microseconds: they run on the event loop, on a connection of the loop's thread. Writes join the grouped
commit (emulator/store/transactions.py): on the loop when the write lock is free, else on the writer thread.
Whatever fails there with a database error (a busy file, a vanished schema, a broken disk) runs again on a thread
through the retrying path, which waits, migrates or answers 503 (emulator/store/retry.py).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from emulator.store.database import Database, driver_error
from emulator.store.reads import READY_SQL
from emulator.store.retry import retrying
from emulator.store.statements import DriverStatements, Params, Statements
from emulator.store.store import Store
from emulator.store.transactions import Transactions

T = TypeVar("T")


class SqliteStore(Store):
    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.transactions = Transactions(database)
        self._readers = threading.local()

    async def _rows(self, sql: str, params: Params) -> list[Any]:
        if self.schema.ready:
            conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
            try:
                if conn is None:
                    conn = self._readers.conn = self.database.connect_sqlite()
                return conn.execute(sql, params).fetchall()
            except sqlite3.Error:
                self._readers.conn = None
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
                return await self.transactions.submit(raw, on_loop=not heavy)
            except Exception as exc:
                if driver_error(exc) is None:
                    raise
        return await self._in_thread(self._write_retrying, raw)

    @retrying
    def _write_retrying(self, raw: Callable[[sqlite3.Connection], T]) -> T:
        return self.transactions.run(raw)

    def _check(self) -> None:
        conn = self.database.connect_sqlite()
        try:
            conn.execute(READY_SQL).fetchall()
        finally:
            conn.close()

    def close(self) -> None:
        self.transactions.close()
        super().close()
