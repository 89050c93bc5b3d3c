"""Reads and writes of models. Each public method is one transaction; a failed one leaves nothing behind."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from emulator.store.listing import ModelListing
from emulator.store.retry import SchemaGate, retrying
from emulator.store.tables import ModelCountRow, ModelRow, TagRow
from emulator.store.tags import ModelMissing, TagStore, model_id


class ModelExists(Exception):
    pass


class ModelLimitReached(Exception):
    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current


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

    @retrying
    def insert_model(
        self,
        *,
        account_id: str,
        region: str,
        name: str,
        creation_ms: int,
        definition: str,
        tags: list[tuple[str, str]],
        max_models: int | None,
    ) -> None:
        """Raises ModelExists (the unique constraint decided) or ModelLimitReached (the count row decided)."""
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            try:
                model_id = conn.execute(
                    insert(ModelRow).returning(ModelRow.id),
                    {
                        "account_id": account_id,
                        "region": region,
                        "name": name,
                        "name_lower": name.lower(),
                        "creation_ms": creation_ms,
                        "definition": definition,
                    },
                ).scalar_one()
            except IntegrityError as exc:
                raise ModelExists(name) from exc
            self._count_one_more(conn, account_id=account_id, region=region, max_models=max_models)
            if tags:
                conn.execute(
                    insert(TagRow),
                    [{"model_id": model_id, "key": k, "value": v, "position": i} for i, (k, v) in enumerate(tags)],
                )

    @staticmethod
    def _count_one_more(conn: Connection, *, account_id: str, region: str, max_models: int | None) -> None:
        scope = (ModelCountRow.account_id == account_id) & (ModelCountRow.region == region)
        stmt = update(ModelCountRow).where(scope).values(count=ModelCountRow.count + 1)
        if max_models is not None:
            # A conditional increment: concurrent creates queue on the row lock, so none passes the last slot twice.
            stmt = stmt.where(ModelCountRow.count < max_models)
        while conn.execute(stmt).rowcount != 1:
            current = conn.execute(select(ModelCountRow.count).where(scope)).scalar_one_or_none()
            if current is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(ModelCountRow), {"account_id": account_id, "region": region, "count": 0})
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
                select(ModelRow.name, ModelRow.creation_ms, ModelRow.definition).where(
                    ModelRow.account_id == account_id,
                    ModelRow.region == region,
                    ModelRow.name_lower == name.lower(),
                )
            ).first()
        return (
            None if row is None else StoredModel(name=row.name, creation_ms=row.creation_ms, definition=row.definition)
        )

    @retrying
    def delete_model(self, *, account_id: str, region: str, name: str) -> bool:
        """Removes the model, its tags and one from the scope's count, together; False if there was no model."""
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            try:
                mid = model_id(conn, account_id=account_id, region=region, name=name, lock=True)
            except ModelMissing:
                return False
            # Tags first: correct whether or not the database enforces ON DELETE CASCADE.
            conn.execute(delete(TagRow).where(TagRow.model_id == mid))
            conn.execute(delete(ModelRow).where(ModelRow.id == mid))
            conn.execute(
                update(ModelCountRow)
                .where(ModelCountRow.account_id == account_id, ModelCountRow.region == region)
                .values(count=ModelCountRow.count - 1)
            )
        return True
