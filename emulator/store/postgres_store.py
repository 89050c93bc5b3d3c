"""The store on PostgreSQL: the same SQL text through SQLAlchemy's text(), every call on a thread, each write its
own transaction (PostgreSQL groups concurrent commits itself). Retries, migration on first use and 503s come from
emulator/store/retry.py."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, TextClause, text

from emulator.running_loop import running_loop
from emulator.store.reads import READY_SQL
from emulator.store.retry import DatabaseUnavailable, retrying
from emulator.store.statements import Params, Statements
from emulator.store.store import Store

T = TypeVar("T")
log = logging.getLogger("emulator.store")
# No request waits on the database longer than this; then it is answered 503 as for a database that cannot be
# reached. The driver's bounds (emulator/store/database.py) end most stalls sooner, but none sees a path that keeps
# TCP alive and forwards nothing (a frozen proxy). Above the default pool wait (30 s) plus a statement's bound (10 s)
# and a connect's (5 s), below botocore's 60 s read timeout, so the SDK gets the 503 and retries.
DATABASE_DEADLINE_SECONDS = 45.0


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

    def insert(self, sql: str, params: Params) -> int | None:
        found = self.conn.execute(_text(sql + " RETURNING id"), params).first()
        return None if found is None else int(found[0])


class PostgresStore(Store):
    async def _in_thread(self, call: Callable[..., T], *args: Any) -> T:
        pending = running_loop().run_in_executor(self.executor, call, *args)
        try:
            return await asyncio.wait_for(pending, DATABASE_DEADLINE_SECONDS)
        except TimeoutError:
            # The thread stays blocked until the driver's own bounds end the call; the client is free.
            log.error("the database did not answer within %gs", DATABASE_DEADLINE_SECONDS)
            raise DatabaseUnavailable() from None

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
