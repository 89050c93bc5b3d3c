"""The store's SQLAlchemy side: PostgreSQL's statements, and SQLite's full path when driver SQL could not run (no
schema yet, or a database error to retry). emulator/store/repository.py loads this module on first use, and
retries around every call into it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from emulator.store.records import ModelExists, ModelLimitReached, NewModel, StoredModel
from emulator.store.statements import Params
from emulator.store.tables import model_counts, model_tags, models
from emulator.store.transactions import Transactions


class CoreStatements:
    """SQL text (emulator/store/statements.py) on a SQLAlchemy connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.locks_rows = conn.dialect.name == "postgresql"

    def rows(self, sql: str, params: Params) -> list[Any]:
        return list(self.conn.execute(text(sql), params).all())

    def run(self, sql: str, params: Params | list[Params]) -> None:
        self.conn.execute(text(sql), params)


class SqlStore:
    def __init__(self, *, engine: Engine, transactions: Transactions) -> None:
        self.engine = engine
        self.transactions = transactions

    def insert_model(self, model: NewModel, *, max_models: int | None) -> None:
        """PostgreSQL. Raises ModelExists (the unique constraint decided) or ModelLimitReached (the count row)."""

        def write(conn: Connection) -> None:
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

    def get_model(self, *, account_id: str, region: str, name: str) -> StoredModel | None:
        # A statement of its own, not rows() with the SQLite text: that text binds by position, which DescribeModel's
        # hot path needs (2.5 µs a lookup here, 4.6 µs with named parameters), and text() takes names only.
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

    def rows(self, sql: str, params: Params) -> list[Any]:
        """A read of SQL text (emulator/store/listing.py) in a transaction of its own."""
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())
