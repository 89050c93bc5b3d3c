"""How the store's SQL text runs: one protocol, and its implementation on SQLite's driver connection.

The SQL of every operation is written once (emulator/store/reads.py and writes.py) with named parameters: sqlite3's
own style, and SQLAlchemy text()'s, which PostgreSQL's implementation uses (emulator/store/postgres.py)."""

from __future__ import annotations

import sqlite3
from typing import Any, Protocol

Params = dict[str, Any]


class Statements(Protocol):
    # PostgreSQL: lock the rows a write reads (SELECT ... FOR UPDATE). SQLite's BEGIN IMMEDIATE already holds the
    # whole file's write lock.
    locks_rows: bool

    def rows(self, sql: str, params: Params) -> list[Any]: ...

    def run(self, sql: str, params: Params) -> int:
        """Runs one statement; the number of rows it changed."""
        ...

    def run_many(self, sql: str, params: list[Params]) -> None: ...

    def insert(self, sql: str, params: Params) -> int | None:
        """Runs an `INSERT ... ON CONFLICT DO NOTHING` of one row: the new row's id, or None if a unique constraint
        kept it out."""
        ...


class DriverStatements:
    """On SQLite's driver connection, inside the transaction its caller opened."""

    locks_rows = False
    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, sql: str, params: Params) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    def run(self, sql: str, params: Params) -> int:
        return self.conn.execute(sql, params).rowcount

    def run_many(self, sql: str, params: list[Params]) -> None:
        self.conn.executemany(sql, params)

    def insert(self, sql: str, params: Params) -> int | None:
        cursor = self.conn.execute(sql, params)
        return cursor.lastrowid if cursor.rowcount == 1 else None
