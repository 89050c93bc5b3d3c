"""Tags of models: ordered by first addition, at most a fixed number per model, changed in one transaction."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, text, update

from emulator.store.listing import LIST_TAGS_SQL, list_tags_params, tags_page
from emulator.store.records import ModelMissing, StoredTag, TagLimitReached, TagQuery
from emulator.store.retry import retrying
from emulator.store.schema import SchemaGate
from emulator.store.tables import model_tags, models
from emulator.store.transactions import Transactions


def model_id(conn: Connection, *, account_id: str, region: str, name: str, lock: bool = False) -> int:
    stmt = select(models.c.id).where(
        models.c.account_id == account_id, models.c.region == region, models.c.name_lower == name.lower()
    )
    # FOR UPDATE (PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes writers): concurrent AddTags on one
    # model queue here, so none counts tags another is about to add, and a concurrent delete waits.
    found = conn.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if found is None:
        raise ModelMissing(name)
    return int(found)


class TagStore:
    engine: Engine
    schema: SchemaGate
    transactions: Transactions

    @retrying
    def add_tags(self, *, account_id: str, region: str, name: str, tags: list[tuple[str, str]], max_tags: int) -> None:
        """Adds or overwrites by key (keys must be distinct). Raises ModelMissing or TagLimitReached."""

        def write(conn: Connection) -> None:
            mid = model_id(conn, account_id=account_id, region=region, name=name, lock=True)
            existing = {
                r.key: (r.value, r.position)
                for r in conn.execute(
                    select(model_tags.c.key, model_tags.c.value, model_tags.c.position).where(
                        model_tags.c.model_id == mid
                    )
                )
            }
            new = [(k, v) for k, v in tags if k not in existing]
            if len(existing) + len(new) > max_tags:
                raise TagLimitReached(len(existing), len(new))
            changed = [{"k": k, "v": v} for k, v in tags if k in existing and existing[k][0] != v]
            if changed:
                conn.execute(
                    update(model_tags)
                    .where(model_tags.c.model_id == mid, model_tags.c.key == bindparam("k"))
                    .values(value=bindparam("v")),
                    changed,
                )
            if new:
                start = max((p for _, p in existing.values()), default=-1) + 1
                conn.execute(
                    insert(model_tags),
                    [{"model_id": mid, "key": k, "value": v, "position": start + i} for i, (k, v) in enumerate(new)],
                )

        self.transactions.run(write)

    @retrying
    def list_tags(self, query: TagQuery) -> tuple[list[StoredTag], bool]:
        """One page of tags in the order they were first added, and whether more follow. Raises ModelMissing."""
        with self.engine.connect() as conn:
            rows = conn.execute(text(LIST_TAGS_SQL), list_tags_params(query)).all()
        return tags_page(list(rows), query)

    @retrying
    def delete_tags(self, *, account_id: str, region: str, name: str, keys: list[str]) -> None:
        """Removes the keys the model has; others are ignored. Raises ModelMissing."""

        def write(conn: Connection) -> None:
            mid = model_id(conn, account_id=account_id, region=region, name=name, lock=True)
            conn.execute(delete(model_tags).where(model_tags.c.model_id == mid, model_tags.c.key.in_(keys)))

        self.transactions.run(write)
