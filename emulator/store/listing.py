"""ListModels in the database: filters and a keyset cursor on an index, so every page costs the same."""

from __future__ import annotations

from sqlalchemy import Engine, select, tuple_

from emulator.store.records import ListedModel
from emulator.store.retry import retrying
from emulator.store.schema import SchemaGate
from emulator.store.tables import models


class ModelListing:
    engine: Engine
    schema: SchemaGate

    @retrying
    def list_models(
        self,
        *,
        account_id: str,
        region: str,
        by_name: bool,
        descending: bool,
        name_contains: str | None,
        before_ms: int | None,
        from_ms: int | None,
        after: tuple[str | int, int] | None,
        limit: int,
    ) -> tuple[list[ListedModel], bool]:
        """One page and whether more follow. Keys are (name, id) or (creation_ms, id), walked by index.

        before_ms is exclusive, from_ms inclusive; `after` is the key of the last row of the previous page.
        """
        key = models.c.name if by_name else models.c.creation_ms
        stmt = select(models.c.id, models.c.name, models.c.creation_ms).where(
            models.c.account_id == account_id, models.c.region == region
        )
        if name_contains:
            # The input pattern [a-zA-Z0-9-]+ holds no LIKE wildcards, so no escaping is needed.
            stmt = stmt.where(models.c.name_lower.like(f"%{name_contains.lower()}%"))
        if before_ms is not None:
            stmt = stmt.where(models.c.creation_ms < before_ms)
        if from_ms is not None:
            stmt = stmt.where(models.c.creation_ms >= from_ms)
        if after is not None:
            position = tuple_(key, models.c.id)
            stmt = stmt.where(position < tuple_(*after) if descending else position > tuple_(*after))
        order = (key.desc(), models.c.id.desc()) if descending else (key.asc(), models.c.id.asc())
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(*order).limit(limit + 1)).all()
        page = [ListedModel(id=r.id, name=r.name, creation_ms=r.creation_ms) for r in rows[:limit]]
        return page, len(rows) > limit
