"""Whole-state operations for the admin API: reset, export and import, each one transaction.

model_counts must always equal the number of models per scope (the model limit relies on it), so every function
here that removes or adds models rewrites the count rows of the scopes it touched in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Engine, Table, and_, delete, insert, select, true

from emulator.store.tables import model_counts, model_tags, models


@dataclass(frozen=True, slots=True)
class SnapshotModel:
    account_id: str
    region: str
    name: str
    creation_ms: int
    definition: str  # JSON text, as stored in models.definition
    tags: list[tuple[str, str]]


def _scope(table: Table, account_id: str | None, region: str | None) -> ColumnElement[bool]:
    conditions = []
    if account_id is not None:
        conditions.append(table.c.account_id == account_id)
    if region is not None:
        conditions.append(table.c.region == region)
    return and_(true(), *conditions)


def _delete(conn: Connection, *, account_id: str | None, region: str | None) -> int:
    # Lock the count rows first: a concurrent create in the scope then waits for us and recreates its count row
    # after we commit, so its model and its count stay in step (PostgreSQL; SQLite writers are serialized anyway).
    conn.execute(select(model_counts.c.account_id).where(_scope(model_counts, account_id, region)).with_for_update())
    ids = select(models.c.id).where(_scope(models, account_id, region)).scalar_subquery()
    conn.execute(delete(model_tags).where(model_tags.c.model_id.in_(ids)))
    deleted = conn.execute(delete(models).where(_scope(models, account_id, region))).rowcount
    conn.execute(delete(model_counts).where(_scope(model_counts, account_id, region)))
    return int(deleted)


def reset(engine: Engine, *, account_id: str | None = None, region: str | None = None) -> int:
    """Deletes every model (with its tags and count) of the scope; None matches all. Returns how many."""
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        return _delete(conn, account_id=account_id, region=region)


def export_models(engine: Engine) -> list[SnapshotModel]:
    """Every model in a stable order: scope, creation time, then insertion order."""
    with engine.connect() as conn:
        tags: dict[int, list[tuple[str, str]]] = {}
        for row in conn.execute(
            select(model_tags.c.model_id, model_tags.c.key, model_tags.c.value).order_by(
                model_tags.c.model_id, model_tags.c.position
            )
        ):
            tags.setdefault(row.model_id, []).append((row.key, row.value))
        rows = conn.execute(
            select(
                models.c.id,
                models.c.account_id,
                models.c.region,
                models.c.name,
                models.c.creation_ms,
                models.c.definition,
            ).order_by(models.c.account_id, models.c.region, models.c.creation_ms, models.c.id)
        ).all()
    return [
        SnapshotModel(
            account_id=r.account_id,
            region=r.region,
            name=r.name,
            creation_ms=r.creation_ms,
            definition=r.definition,
            tags=tags.get(r.id, []),
        )
        for r in rows
    ]


def replace_all(engine: Engine, snapshot: list[SnapshotModel]) -> None:
    """Replaces the whole state with the snapshot's models atomically: on any failure nothing changes.

    Names must already be unique per scope (case-insensitively); the unique constraint still guards it.
    """
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        _delete(conn, account_id=None, region=None)
        if not snapshot:
            return
        ids = conn.scalars(
            insert(models).returning(models.c.id, sort_by_parameter_order=True),
            [
                {
                    "account_id": m.account_id,
                    "region": m.region,
                    "name": m.name,
                    "name_lower": m.name.lower(),
                    "creation_ms": m.creation_ms,
                    "definition": m.definition,
                }
                for m in snapshot
            ],
        ).all()
        tag_rows = [
            {"model_id": model_id, "key": k, "value": v, "position": i}
            for model_id, m in zip(ids, snapshot, strict=True)
            for i, (k, v) in enumerate(m.tags)
        ]
        if tag_rows:
            conn.execute(insert(model_tags), tag_rows)
        counts = Counter((m.account_id, m.region) for m in snapshot)
        conn.execute(
            insert(model_counts),
            [{"account_id": a, "region": r, "count": n} for (a, r), n in counts.items()],
        )
