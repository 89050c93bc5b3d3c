"""The store the operations use. Each public method is one transaction; a failed one leaves nothing behind.

On SQLite every operation runs driver SQL: reads and CreateModel on the event loop, the other writes on the
writer thread. PostgreSQL, and SQLite's fallback when driver SQL could not run, go through SQLAlchemy
(emulator/store/sql_store.py), which this module loads on first use: a server on a SQLite file never imports it
to serve the AWS operations.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from emulator.store import writes
from emulator.store.database import Database, Once, driver_error
from emulator.store.listing import LIST_TAGS_SQL, list_models_sql, list_tags_params, page_of, tags_page
from emulator.store.records import (
    ListedModel,
    ModelExists,
    ModelLimitReached,
    ModelQuery,
    NewModel,
    StoredModel,
    StoredTag,
    TagQuery,
)
from emulator.store.retry import retrying
from emulator.store.schema import SchemaGate
from emulator.store.statements import DriverStatements, Params, Statements
from emulator.store.transactions import Transactions

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from emulator.store.sql_store import SqlStore

T = TypeVar("T")
# The hot paths on SQLite, run on the driver's connection: SQLAlchemy's per-call work is 40x these queries.
INSERT_MODEL_SQL = (
    "INSERT INTO models (account_id, region, name, name_lower, creation_ms, definition) VALUES (?, ?, ?, ?, ?, ?)"
)
# A limit of -1 is no limit.
COUNT_ONE_MORE_SQL = (
    "UPDATE model_counts SET count = count + 1 WHERE account_id = ? AND region = ? AND (? < 0 OR count < ?)"
)
COUNT_ONE_LESS_SQL = "UPDATE model_counts SET count = count - 1 WHERE account_id = ? AND region = ?"
COUNT_SQL = "SELECT count FROM model_counts WHERE account_id = ? AND region = ?"
MODEL_EXISTS_SQL = "SELECT 1 FROM models WHERE account_id = ? AND region = ? AND name_lower = ?"
INSERT_COUNT_SQL = "INSERT INTO model_counts (account_id, region, count) VALUES (?, ?, 1)"
INSERT_TAG_SQL = "INSERT INTO model_tags (model_id, key, value, position) VALUES (?, ?, ?, ?)"
GET_MODEL_SQL = (
    "SELECT name, creation_ms, definition FROM models WHERE account_id = ? AND region = ? AND name_lower = ?"
)


def insert_sqlite(raw: sqlite3.Connection, model: NewModel, max_models: int | None) -> None:
    """insert_model's writes as driver SQL, the hot path of CreateModel on SQLite. Atomic without a savepoint:
    it raises ModelLimitReached before writing and undoes its count before raising ModelExists. SQLite has one
    writer at a time, so if the conditional increment changed nothing, either the scope has no count row yet
    (its first model) or the limit is reached."""
    scope = (model.account_id, model.region)
    limit = -1 if max_models is None else max_models
    if raw.execute(COUNT_ONE_MORE_SQL, (*scope, limit, limit)).rowcount != 1:
        current = raw.execute(COUNT_SQL, scope).fetchone()
        if current is not None or limit == 0:
            if raw.execute(MODEL_EXISTS_SQL, (*scope, model.name.lower())).fetchone() is not None:
                raise ModelExists(model.name)  # AWS reports a duplicate before the limit
            raise ModelLimitReached(0 if current is None else current[0])
        raw.execute(INSERT_COUNT_SQL, scope)
    try:
        model_id = raw.execute(
            INSERT_MODEL_SQL, (*scope, model.name, model.name.lower(), model.creation_ms, model.definition)
        ).lastrowid
    except sqlite3.IntegrityError as exc:
        raw.execute(COUNT_ONE_LESS_SQL, scope)
        raise ModelExists(model.name) from exc
    if model.tags:  # distinct keys of a new model: nothing here can conflict
        raw.executemany(INSERT_TAG_SQL, [(model_id, k, v, i) for i, (k, v) in enumerate(model.tags)])


class Store:
    """Every public method is one whole transaction. The full paths are @retrying: transient errors are retried, an
    unreachable database is a 503, and the schema is created or upgraded on first use if start-up could not do it.
    The SQLite reads before them (_read_inline) and CreateModel's loop-side write fall back to them on any
    database error."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.schema = SchemaGate(database)
        self.transactions = Transactions(database)
        # SQLite reads take microseconds: run them on the event loop. Everything else goes to a thread.
        self.inline_reads = database.dialect == "sqlite"
        self._readers = threading.local()
        self._sql = Once(self._load_sql)  # on first use, by any thread

    @property
    def engine(self) -> Engine:
        return self.database.engine

    @property
    def sql(self) -> SqlStore:
        """The SQLAlchemy side."""
        return self._sql.get()

    def _load_sql(self) -> SqlStore:
        from emulator.store.sql_store import SqlStore

        return SqlStore(engine=self.engine, transactions=self.transactions)

    def close(self) -> None:
        """Stops the writer thread and closes every pooled connection (the process stays up, e.g. a test run)."""
        self.transactions.close()
        self.database.dispose()

    async def insert_model_async(self, model: NewModel, *, max_models: int | None) -> None:
        """insert_model for the event loop. On SQLite the loop hands the writes to the grouped commit and awaits it;
        any database error there (nothing of the failed batch is stored) falls back to insert_model on a thread,
        which retries, migrates or answers 503. Elsewhere insert_model runs on a thread."""
        if self.transactions.grouped and self.schema.ready:
            try:
                return await self.transactions.submit(lambda raw: insert_sqlite(raw, model, max_models))
            except Exception as exc:
                if driver_error(exc) is None:
                    raise
        await asyncio.to_thread(self.insert_model, model, max_models=max_models)

    @retrying
    def insert_model(self, model: NewModel, *, max_models: int | None) -> None:
        """Raises ModelExists (the unique constraint decided) or ModelLimitReached (the count row decided)."""
        if self.transactions.grouped:
            self.transactions.run(lambda raw: insert_sqlite(raw, model, max_models))
        else:
            self.sql.insert_model(model, max_models=max_models)

    def get_model(self, *, account_id: str, region: str, name: str) -> StoredModel | None:
        rows = self._read_inline(GET_MODEL_SQL, (account_id, region, name.lower()))
        if rows is None:
            return self._get_model(account_id=account_id, region=region, name=name)
        return StoredModel(name=rows[0][0], creation_ms=rows[0][1], definition=rows[0][2]) if rows else None

    @retrying
    def _get_model(self, *, account_id: str, region: str, name: str) -> StoredModel | None:
        return self.sql.get_model(account_id=account_id, region=region, name=name)

    def list_models(self, query: ModelQuery) -> tuple[list[ListedModel], bool]:
        """One page and whether more follow (emulator/store/listing.py)."""
        return page_of(self._read(*list_models_sql(query)), query.limit)

    def list_tags(self, query: TagQuery) -> tuple[list[StoredTag], bool]:
        """One page of tags in the order they were first added, and whether more follow. Raises ModelMissing."""
        return tags_page(self._read(LIST_TAGS_SQL, list_tags_params(query)), query)

    def _read(self, sql: str, params: Params) -> list[Any]:
        """SQL text's rows: inline on SQLite, else (or on a database error there) on the retrying full path."""
        rows = self._read_inline(sql, params)
        return self._read_full(sql, params) if rows is None else rows

    @retrying
    def _read_full(self, sql: str, params: Params) -> list[Any]:
        return self.sql.rows(sql, params)

    def _read_inline(self, sql: str, params: Any) -> list[Any] | None:
        """A read on SQLite as driver SQL, on this thread's own connection: its rows, or None where the full path
        must run it (not SQLite, no schema yet, or a database error, which the full path retries, migrates or
        answers with a 503)."""
        if not (self.inline_reads and self.schema.ready):
            return None
        conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
        try:
            if conn is None:
                conn = self._readers.conn = self.database.connect_sqlite()
            rows: list[Any] = conn.execute(sql, params).fetchall()
        except sqlite3.Error:
            self._readers.conn = None
            return None
        return rows

    def _write(self, work: Callable[[Statements], T]) -> T:
        """work in a write transaction: on SQLite's driver connection (grouped with others), else SQLAlchemy's."""
        if self.transactions.grouped:
            return self.transactions.run(lambda raw: work(DriverStatements(raw)))
        from emulator.store.sql_store import CoreStatements

        return self.transactions.run(lambda conn: work(CoreStatements(conn)))

    @retrying
    def delete_model(self, *, account_id: str, region: str, name: str) -> bool:
        """Removes the model, its tags and one from the scope's count, together; False if there was no model."""
        return self._write(lambda db: writes.delete_model(db, account_id=account_id, region=region, name=name))

    @retrying
    def add_tags(self, *, account_id: str, region: str, name: str, tags: list[tuple[str, str]], max_tags: int) -> None:
        """Adds or overwrites by key (keys must be distinct). Raises ModelMissing or TagLimitReached."""
        self._write(
            lambda db: writes.add_tags(
                db, account_id=account_id, region=region, name=name, tags=tags, max_tags=max_tags
            )
        )

    @retrying
    def delete_tags(self, *, account_id: str, region: str, name: str, keys: list[str]) -> None:
        """Removes the keys the model has; others are ignored. Raises ModelMissing."""
        self._write(lambda db: writes.delete_tags(db, account_id=account_id, region=region, name=name, keys=keys))
