"""The store's reads as SQL text, each written once for both databases: filters and a keyset cursor on an index,
so every page costs the same."""

from __future__ import annotations

from typing import Any

from emulator.store.records import (
    ListedResource,
    ListQuery,
    NewResource,
    ResourceMissing,
    Scope,
    StoredResource,
    StoredTag,
    TagQuery,
)
from emulator.store.statements import Params

# A scope's rows, and one resource by name: every statement that finds a resource by name uses this condition.
IN_SCOPE = "kind = :kind AND account_id = :account_id AND region = :region"
BY_NAME = IN_SCOPE + " AND name_lower = :name_lower"

GET_SQL = f"SELECT name, creation_ms, definition, status, modified_ms, state FROM resources WHERE {BY_NAME}"
# A resource's tags after a position, in the order they were first added. One statement (one snapshot) tells a
# missing resource (no row) from one without more tags (one row of NULLs).
LIST_TAGS_SQL = (
    'SELECT t."key", t.value, t.position FROM resources r'
    " LEFT JOIN tags t ON t.resource_id = r.id AND t.position > :after"
    " WHERE r.kind = :kind AND r.account_id = :account_id AND r.region = :region AND r.name_lower = :name_lower"
    " ORDER BY t.position LIMIT :limit"
)
# Everything, for a snapshot: in a stable order (kind, scope, creation time, insertion), tags in theirs.
EXPORT_SQL = (
    "SELECT id, kind, account_id, region, name, creation_ms, definition, status, modified_ms, state FROM resources"
    " ORDER BY kind, account_id, region, creation_ms, id"
)
EXPORT_TAGS_SQL = 'SELECT resource_id, "key", value FROM tags ORDER BY resource_id, position'
# Readiness: the database answers a query on our schema.
READY_SQL = "SELECT count FROM resource_counts LIMIT 1"


def scope_params(scope: Scope) -> Params:
    return {"kind": scope.kind, "account_id": scope.account_id, "region": scope.region}


def named(scope: Scope, name: str) -> Params:
    return {"kind": scope.kind, "account_id": scope.account_id, "region": scope.region, "name_lower": name.lower()}


def stored(rows: list[Any]) -> StoredResource | None:
    if not rows:
        return None
    name, creation_ms, definition, status, modified_ms, state = rows[0]
    return StoredResource(
        name=name, creation_ms=creation_ms, definition=definition, status=status, modified_ms=modified_ms, state=state
    )


def list_sql(query: ListQuery) -> tuple[str, Params]:
    """The page's SELECT, one row more than the page to tell whether more follow. Keys are (sort column, id),
    walked by the scope's index on them."""
    key = query.sort
    where = [IN_SCOPE]
    params = scope_params(query.scope)
    params["limit"] = query.limit + 1
    if query.name_contains:
        # Name patterns ([a-zA-Z0-9-]+) hold no LIKE wildcards, so no escaping is needed.
        params["contains"] = f"%{query.name_contains.lower()}%"
        if query.contains_before_slash:
            # A name holds at most one '/' and a filter none: '%x%/%' finds x in a version's group name only.
            where.append(
                "(name_lower LIKE :contains_group OR (name_lower NOT LIKE '%/%' AND name_lower LIKE :contains))"
            )
            params["contains_group"] = f"%{query.name_contains.lower()}%/%"
        else:
            where.append("name_lower LIKE :contains")
    if query.name_prefix:
        # Prefixes are names of the API model's patterns and a '/', no LIKE wildcards either.
        where.append("name_lower LIKE :prefix")
        params["prefix"] = f"{query.name_prefix.lower()}%"
    if query.nested is not None:
        where.append("name_lower LIKE :nested" if query.nested else "name_lower NOT LIKE :nested")
        params["nested"] = "%/%"
    for condition, value in (
        ("creation_ms < :before_ms", query.before_ms),
        ("creation_ms >= :from_ms", query.from_ms),
        ("modified_ms < :modified_before_ms", query.modified_before_ms),
        ("modified_ms >= :modified_from_ms", query.modified_from_ms),
        ("status = :status", query.status),
    ):
        if value is not None:
            where.append(condition)
            params[condition.rsplit(":", 1)[1]] = value
    if query.after is not None:
        where.append(f"({key}, id) {'<' if query.descending else '>'} (:after_key, :after_id)")
        params["after_key"], params["after_id"] = query.after
    order = "DESC" if query.descending else "ASC"
    columns = "id, name, creation_ms, status, modified_ms, " + LISTED_EXTRAS[query.with_definition, query.with_state]
    sql = f"SELECT {columns} FROM resources WHERE {' AND '.join(where)} ORDER BY {key} {order}, id {order} LIMIT :limit"
    return sql, params


# The columns a page reads beyond the keys, by (with_definition, with_state): NULL for one not asked for, so every
# row has the same shape.
LISTED_EXTRAS = {
    (False, False): "NULL, NULL",
    (True, False): "definition, NULL",
    (False, True): "NULL, state",
    (True, True): "definition, state",
}


def list_page(rows: list[Any], limit: int) -> tuple[list[ListedResource], bool]:
    """Rows of list_sql: the page, and whether more follow."""
    return [
        ListedResource(id=r[0], name=r[1], creation_ms=r[2], status=r[3], modified_ms=r[4], definition=r[5], state=r[6])
        for r in rows[:limit]
    ], len(rows) > limit


# The resources of a kind in any of some statuses, in every scope: what a background runner has to look at (the
# transform jobs in progress). By the scope index's leading column; a kind with none reads nothing.
def live_sql(statuses: int) -> str:
    marks = ", ".join(f":status{i}" for i in range(statuses))
    return (
        "SELECT account_id, region, name, status, state, modified_ms FROM resources"
        f" WHERE kind = :kind AND status IN ({marks}) ORDER BY id LIMIT :limit"
    )


def live_params(kind: str, statuses: tuple[str, ...], limit: int) -> Params:
    params: Params = {"kind": kind, "limit": limit}
    params.update((f"status{i}", status) for i, status in enumerate(statuses))
    return params


def list_tags_params(query: TagQuery) -> Params:
    params = named(query.scope, query.name)
    params["after"] = -1 if query.after_position is None else query.after_position  # positions start at 0
    params["limit"] = query.limit + 1
    return params


def tags_page(rows: list[Any], query: TagQuery) -> tuple[list[StoredTag], bool]:
    """Rows of LIST_TAGS_SQL: the page, and whether more follow. Raises ResourceMissing."""
    if not rows:
        raise ResourceMissing(query.name)
    tags = [StoredTag(key=r[0], value=r[1], position=r[2]) for r in rows if r[0] is not None]
    return tags[: query.limit], len(tags) > query.limit


def exported(resources: list[Any], tags: list[Any]) -> list[NewResource]:
    """Rows of EXPORT_SQL and EXPORT_TAGS_SQL, read in one transaction."""
    by_resource: dict[int, list[tuple[str, str]]] = {}
    for resource_id, key, value in tags:
        by_resource.setdefault(resource_id, []).append((key, value))
    return [
        NewResource(
            scope=Scope(kind=kind, account_id=account_id, region=region),
            name=name,
            creation_ms=creation_ms,
            definition=definition,
            tags=by_resource.get(resource_id, []),
            status=status,
            modified_ms=modified_ms,
            state=state,
        )
        for resource_id, kind, account_id, region, name, creation_ms, definition, status, modified_ms, state in resources
    ]
