"""DeleteModel, AddTags and DeleteTags as SQL text for both stores, each inside one write transaction of its
caller. Tags keep the order they were first added; a model holds at most a fixed number."""

from __future__ import annotations

from emulator.store.records import ModelMissing, TagLimitReached
from emulator.store.statements import Params, Statements

_MODEL_ID_SQL = "SELECT id FROM models WHERE account_id = :account_id AND region = :region AND name_lower = :name_lower"


def model_id(db: Statements, *, account_id: str, region: str, name: str) -> int:
    """The model's id, its row locked where the database locks rows: concurrent AddTags on one model queue here,
    so none counts tags another is about to add, and a concurrent delete waits. Raises ModelMissing."""
    sql = _MODEL_ID_SQL + " FOR UPDATE" if db.locks_rows else _MODEL_ID_SQL
    found = db.rows(sql, {"account_id": account_id, "region": region, "name_lower": name.lower()})
    if not found:
        raise ModelMissing(name)
    return int(found[0][0])


def delete_model(db: Statements, *, account_id: str, region: str, name: str) -> bool:
    """Removes the model, its tags and one from the scope's count, together; False if there was no model."""
    try:
        mid = model_id(db, account_id=account_id, region=region, name=name)
    except ModelMissing:
        return False
    # Tags first: correct whether or not the database enforces ON DELETE CASCADE.
    db.run("DELETE FROM model_tags WHERE model_id = :id", {"id": mid})
    db.run("DELETE FROM models WHERE id = :id", {"id": mid})
    db.run(
        "UPDATE model_counts SET count = count - 1 WHERE account_id = :account_id AND region = :region",
        {"account_id": account_id, "region": region},
    )
    return True


def add_tags(
    db: Statements, *, account_id: str, region: str, name: str, tags: list[tuple[str, str]], max_tags: int
) -> None:
    """Adds or overwrites by key (keys must be distinct). Raises ModelMissing or TagLimitReached."""
    mid = model_id(db, account_id=account_id, region=region, name=name)
    existing = {
        key: (value, position)
        for key, value, position in db.rows(
            'SELECT "key", value, position FROM model_tags WHERE model_id = :id', {"id": mid}
        )
    }
    new = [(k, v) for k, v in tags if k not in existing]
    if len(existing) + len(new) > max_tags:
        raise TagLimitReached(len(existing), len(new))
    changed: list[Params] = [{"id": mid, "k": k, "v": v} for k, v in tags if k in existing and existing[k][0] != v]
    if changed:
        db.run('UPDATE model_tags SET value = :v WHERE model_id = :id AND "key" = :k', changed)
    if new:
        start = max((p for _, p in existing.values()), default=-1) + 1
        db.run(
            'INSERT INTO model_tags (model_id, "key", value, position) VALUES (:id, :k, :v, :p)',
            [{"id": mid, "k": k, "v": v, "p": start + i} for i, (k, v) in enumerate(new)],
        )


def delete_tags(db: Statements, *, account_id: str, region: str, name: str, keys: list[str]) -> None:
    """Removes the keys the model has; others are ignored. Raises ModelMissing."""
    mid = model_id(db, account_id=account_id, region=region, name=name)
    if keys:
        db.run('DELETE FROM model_tags WHERE model_id = :id AND "key" = :k', [{"id": mid, "k": k} for k in keys])
