"""Every store operation as SQLAlchemy statements: all of them on PostgreSQL, and on SQLite all but the hot paths
of emulator/store/repository.py, which loads this module (and SQLAlchemy) on first use."""

from __future__ import annotations

import sqlite3

from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from emulator.store.listing import list_models_sql, page_of
from emulator.store.records import (
    ListedModel,
    ModelExists,
    ModelLimitReached,
    ModelMissing,
    ModelQuery,
    NewModel,
    StoredModel,
)
from emulator.store.repository import insert_sqlite
from emulator.store.retry import retrying
from emulator.store.schema import SchemaGate
from emulator.store.tables import model_counts, model_tags, models
from emulator.store.tags import TagStore, model_id
from emulator.store.transactions import Transactions


class SqlStore(TagStore):
    """Public methods that touch the database are @retrying: transient errors are retried, an unreachable
    database is a 503, and the schema is created or upgraded on first use if start-up could not do it."""

    def __init__(self, *, engine: Engine, schema: SchemaGate, transactions: Transactions) -> None:
        self.engine = engine
        self.schema = schema
        self.transactions = transactions
        self.sqlite = engine.dialect.name == "sqlite"

    @retrying
    def insert_model(self, model: NewModel, *, max_models: int | None) -> None:
        """Raises ModelExists (the unique constraint decided) or ModelLimitReached (the count row decided)."""

        def write(conn: Connection) -> None:
            if self.sqlite:
                raw = conn.connection.driver_connection
                assert isinstance(raw, sqlite3.Connection)
                return insert_sqlite(raw, model, max_models)
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

    @retrying
    def get_model(self, *, account_id: str, region: str, name: str) -> StoredModel | None:
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
    def list_models(self, query: ModelQuery) -> tuple[list[ListedModel], bool]:
        sql, params = list_models_sql(query)
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), params).all()
        return page_of(list(rows), query.limit)

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
