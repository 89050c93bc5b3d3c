"""SQL text that runs on either store: on a sqlite3 connection as it is (named parameters are sqlite3's own
style), on a SQLAlchemy connection through text() (emulator/store/sql_store.py's CoreStatements)."""

from __future__ import annotations

import sqlite3
from typing import Any, Protocol

Params = dict[str, Any]


class Statements(Protocol):
    # PostgreSQL: lock the rows a write reads (SELECT ... FOR UPDATE). SQLite's BEGIN IMMEDIATE already holds the
    # whole file's write lock.
    locks_rows: bool

    def rows(self, sql: str, params: Params) -> list[Any]: ...

    def run(self, sql: str, params: Params | list[Params]) -> None: ...


class DriverStatements:
    """On SQLite's driver connection, inside the transaction its caller opened."""

    locks_rows = False

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, sql: str, params: Params) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    def run(self, sql: str, params: Params | list[Params]) -> None:
        if isinstance(params, list):
            self.conn.executemany(sql, params)
        else:
            self.conn.execute(sql, params)
