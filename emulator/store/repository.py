"""Reads and writes of models. Each public method is one transaction; a failed one leaves nothing behind."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from emulator.store.listing import ModelListing
from emulator.store.retry import SchemaGate, retrying
from emulator.store.tables import model_counts, model_tags, models
from emulator.store.tags import ModelMissing, TagStore, model_id
from emulator.store.transactions import CleanFailure, Transactions

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


class ModelExists(CleanFailure):
    pass


class ModelLimitReached(CleanFailure):
    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current


@dataclass(frozen=True, slots=True)
class NewModel:
    """A model to insert: its scope, name, creation time (ms), definition JSON and tags in order."""

    account_id: str
    region: str
    name: str
    creation_ms: int
    definition: str
    tags: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class StoredModel:
    name: str
    creation_ms: int
    definition: str


class Store(ModelListing, TagStore):
    """Public methods that touch the database are @retrying: transient errors are retried, an unreachable
    database is a 503, and the schema is created or upgraded on first use if start-up could not do it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.schema = SchemaGate(engine)
        self.transactions = Transactions(engine)
        # SQLite reads take microseconds: run them on the event loop. Everything else goes to a thread.
        self.inline_reads = engine.dialect.name == "sqlite"
        self._readers = threading.local()

    def close(self) -> None:
        """Stops the writer thread and closes every pooled connection (the process stays up, e.g. a test run)."""
        self.transactions.close()
        self.engine.dispose()

    async def insert_model_async(self, model: NewModel, *, max_models: int | None) -> None:
        """insert_model for the event loop. On SQLite the loop hands the writes to the grouped commit and awaits it;
        any database error there (nothing of the failed batch is stored) falls back to insert_model on a thread,
        which retries, migrates or answers 503. Elsewhere insert_model runs on a thread."""
        if self.transactions.grouped and self.schema.ready:
            try:
                return await self.transactions.submit(lambda raw: self._insert_sqlite(raw, model, max_models))
            except (DBAPIError, sqlite3.Error):
                pass
        await asyncio.to_thread(self.insert_model, model, max_models=max_models)

    @retrying
    def insert_model(self, model: NewModel, *, max_models: int | None) -> None:
        """Raises ModelExists (the unique constraint decided) or ModelLimitReached (the count row decided)."""

        def write(conn: Connection) -> None:
            if self.inline_reads:
                raw = conn.connection.driver_connection
                assert isinstance(raw, sqlite3.Connection)
                return self._insert_sqlite(raw, model, max_models)
            try:
                model_id = conn.execute(
                    insert(models).returning(models.c.id),
                    {
                        "account_id": model.account_id,
                        "region": model.region,
                        "name": model.name,
                        "name_lower": model.name.lower(),
                        "creation_ms": model.creation_ms,
                        "definition": model.definition,
                    },
                ).scalar_one()
            except IntegrityError as exc:
                raise ModelExists(model.name) from exc
            self._count_one_more(conn, account_id=model.account_id, region=model.region, max_models=max_models)
            if model.tags:
                conn.execute(
                    insert(model_tags),
                    [
                        {"model_id": model_id, "key": k, "value": v, "position": i}
                        for i, (k, v) in enumerate(model.tags)
                    ],
                )

        self.transactions.run(write)

    @staticmethod
    def _insert_sqlite(raw: sqlite3.Connection, model: NewModel, max_models: int | None) -> None:
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

    @staticmethod
    def _count_one_more(conn: Connection, *, account_id: str, region: str, max_models: int | None) -> None:
        scope = (model_counts.c.account_id == account_id) & (model_counts.c.region == region)
        stmt = update(model_counts).where(scope).values(count=model_counts.c.count + 1)
        if max_models is not None:
            # A conditional increment: concurrent creates queue on the row lock, so none passes the last slot twice.
            stmt = stmt.where(model_counts.c.count < max_models)
        while conn.execute(stmt).rowcount != 1:
            current = conn.execute(select(model_counts.c.count).where(scope)).scalar_one_or_none()
            if current is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(model_counts), {"account_id": account_id, "region": region, "count": 0})
                except IntegrityError:
                    pass  # another writer created the row first
            elif max_models is not None and current >= max_models:
                raise ModelLimitReached(current)
            # Otherwise the row was committed by another writer between the UPDATE and the SELECT (each statement
            # sees its own snapshot at READ COMMITTED): the UPDATE will find it now.

    def get_model(self, *, account_id: str, region: str, name: str) -> StoredModel | None:
        if self.inline_reads and self.schema.ready:
            try:
                row = self._reader().execute(GET_MODEL_SQL, (account_id, region, name.lower())).fetchone()
            except sqlite3.Error:
                self._readers.conn = None  # the full path below retries, migrates or answers 503
            else:
                return None if row is None else StoredModel(name=row[0], creation_ms=row[1], definition=row[2])
        return self._get_model(account_id=account_id, region=region, name=name)

    def _reader(self) -> Any:
        """This thread's own SQLite connection, checked out of the pool once (with the engine's pragmas)."""
        conn = getattr(self._readers, "conn", None)
        if conn is None:
            conn = self._readers.conn = self.engine.raw_connection().driver_connection
        return conn

    @retrying
    def _get_model(self, *, account_id: str, region: str, name: str) -> StoredModel | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(models.c.name, models.c.creation_ms, models.c.definition).where(
                    models.c.account_id == account_id,
                    models.c.region == region,
                    models.c.name_lower == name.lower(),
                )
            ).first()
        return (
            None if row is None else StoredModel(name=row.name, creation_ms=row.creation_ms, definition=row.definition)
        )

    @retrying
    def delete_model(self, *, account_id: str, region: str, name: str) -> bool:
        """Removes the model, its tags and one from the scope's count, together; False if there was no model."""

        def write(conn: Connection) -> bool:
            try:
                mid = model_id(conn, account_id=account_id, region=region, name=name, lock=True)
            except ModelMissing:
                return False
            # Tags first: correct whether or not the database enforces ON DELETE CASCADE.
            conn.execute(delete(model_tags).where(model_tags.c.model_id == mid))
            conn.execute(delete(models).where(models.c.id == mid))
            conn.execute(
                update(model_counts)
                .where(model_counts.c.account_id == account_id, model_counts.c.region == region)
                .values(count=model_counts.c.count - 1)
            )
            return True

        return self.transactions.run(write)
