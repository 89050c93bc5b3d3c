"""ListModels in the database: filters and a keyset cursor on an index, so every page costs the same."""

from __future__ import annotations

from sqlalchemy import Engine, select, tuple_

from emulator.store.records import ListedModel, ModelQuery
from emulator.store.retry import retrying
from emulator.store.schema import SchemaGate
from emulator.store.tables import models


class ModelListing:
    engine: Engine
    schema: SchemaGate

    @retrying
    def list_models(self, query: ModelQuery) -> tuple[list[ListedModel], bool]:
        """One page and whether more follow."""
        key = models.c.name if query.by_name else models.c.creation_ms
        stmt = select(models.c.id, models.c.name, models.c.creation_ms).where(
            models.c.account_id == query.account_id, models.c.region == query.region
        )
        if query.name_contains:
            # The input pattern [a-zA-Z0-9-]+ holds no LIKE wildcards, so no escaping is needed.
            stmt = stmt.where(models.c.name_lower.like(f"%{query.name_contains.lower()}%"))
        if query.before_ms is not None:
            stmt = stmt.where(models.c.creation_ms < query.before_ms)
        if query.from_ms is not None:
            stmt = stmt.where(models.c.creation_ms >= query.from_ms)
        if query.after is not None:
            position = tuple_(key, models.c.id)
            stmt = stmt.where(position < tuple_(*query.after) if query.descending else position > tuple_(*query.after))
        order = (key.desc(), models.c.id.desc()) if query.descending else (key.asc(), models.c.id.asc())
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(*order).limit(query.limit + 1)).all()
        page = [ListedModel(id=r.id, name=r.name, creation_ms=r.creation_ms) for r in rows[: query.limit]]
        return page, len(rows) > query.limit
