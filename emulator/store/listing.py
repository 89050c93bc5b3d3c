"""ListModels and ListTags pages in the database: filters and a keyset cursor on an index, so every page costs the
same.

One SQL text per listing serves both stores: SQLite runs it on the driver's connection (named parameters are
sqlite3's own style), PostgreSQL through SQLAlchemy's text() (emulator/store/sql_store.py).
"""

from __future__ import annotations

from typing import Any

from emulator.store.records import ListedModel, ModelMissing, ModelQuery, StoredTag, TagQuery

# A model's tags after a position, in the order they were first added. One statement (one snapshot) tells a
# missing model (no row) from a model without more tags (one row of NULLs).
LIST_TAGS_SQL = (
    'SELECT t."key", t.value, t.position FROM models m'
    " LEFT JOIN model_tags t ON t.model_id = m.id AND t.position > :after"
    " WHERE m.account_id = :account_id AND m.region = :region AND m.name_lower = :name_lower"
    " ORDER BY t.position LIMIT :limit"
)


def list_models_sql(query: ModelQuery) -> tuple[str, dict[str, Any]]:
    """The page's SELECT, one row more than the page to tell whether more follow. Keys are (name, id) or
    (creation_ms, id), walked by the scope's index on them."""
    key = "name" if query.by_name else "creation_ms"
    where = ["account_id = :account_id", "region = :region"]
    params: dict[str, Any] = {"account_id": query.account_id, "region": query.region, "limit": query.limit + 1}
    if query.name_contains:
        # The input pattern [a-zA-Z0-9-]+ holds no LIKE wildcards, so no escaping is needed.
        where.append("name_lower LIKE :contains")
        params["contains"] = f"%{query.name_contains.lower()}%"
    if query.before_ms is not None:
        where.append("creation_ms < :before_ms")
        params["before_ms"] = query.before_ms
    if query.from_ms is not None:
        where.append("creation_ms >= :from_ms")
        params["from_ms"] = query.from_ms
    if query.after is not None:
        where.append(f"({key}, id) {'<' if query.descending else '>'} (:after_key, :after_id)")
        params["after_key"], params["after_id"] = query.after
    order = "DESC" if query.descending else "ASC"
    sql = (
        f"SELECT id, name, creation_ms FROM models WHERE {' AND '.join(where)}"
        f" ORDER BY {key} {order}, id {order} LIMIT :limit"
    )
    return sql, params


def page_of(rows: list[Any], limit: int) -> tuple[list[ListedModel], bool]:
    """(id, name, creation_ms) rows of list_models_sql: the page, and whether more follow."""
    return [ListedModel(id=r[0], name=r[1], creation_ms=r[2]) for r in rows[:limit]], len(rows) > limit


def list_tags_params(query: TagQuery) -> dict[str, Any]:
    return {
        "account_id": query.account_id,
        "region": query.region,
        "name_lower": query.name.lower(),
        "after": -1 if query.after_position is None else query.after_position,  # positions start at 0
        "limit": query.limit + 1,
    }


def tags_page(rows: list[Any], query: TagQuery) -> tuple[list[StoredTag], bool]:
    """Rows of LIST_TAGS_SQL: the page, and whether more follow. Raises ModelMissing."""
    if not rows:
        raise ModelMissing(query.name)
    tags = [StoredTag(key=r[0], value=r[1], position=r[2]) for r in rows if r[0] is not None]
    return tags[: query.limit], len(tags) > query.limit
