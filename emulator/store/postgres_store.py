"""The store on PostgreSQL: the same SQL text through SQLAlchemy's text(), every call on a thread, each write its
own transaction (PostgreSQL groups concurrent commits itself). Retries, migration on first use and 503s come from
emulator/store/retry.py."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, TextClause, text

from emulator.store.reads import READY_SQL
from emulator.store.retry import retrying
from emulator.store.statements import Params, Statements
from emulator.store.store import Store

T = TypeVar("T")


@functools.lru_cache(maxsize=256)
def _text(sql: str) -> TextClause:
    """Each SQL text parsed for its parameters once (list texts vary with their filters: a few dozen)."""
    return text(sql)


class CoreStatements:
    """SQL text on a SQLAlchemy connection, inside its caller's transaction."""

    locks_rows = True
    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def rows(self, sql: str, params: Params) -> list[Any]:
        return list(self.conn.execute(_text(sql), params).all())

    def run(self, sql: str, params: Params) -> int:
        return int(self.conn.execute(_text(sql), params).rowcount)

    def run_many(self, sql: str, params: list[Params]) -> None:
        self.conn.execute(_text(sql), params)


class PostgresStore(Store):
    async def _rows(self, sql: str, params: Params) -> list[Any]:
        return await self._in_thread(self._rows_retrying, sql, params)

    @retrying
    def _rows_retrying(self, sql: str, params: Params) -> list[Any]:
        with self.database.engine.connect() as conn:
            return CoreStatements(conn).rows(sql, params)

    async def _write(self, work: Callable[[Statements], T], *, heavy: bool = False) -> T:
        return await self._in_thread(self._write_retrying, work)

    @retrying
    def _write_retrying(self, work: Callable[[Statements], T]) -> T:
        with self.database.engine.begin() as conn:
            return work(CoreStatements(conn))

    def _check(self) -> None:
        with self.database.engine.connect() as conn:
            conn.execute(text(READY_SQL)).all()
