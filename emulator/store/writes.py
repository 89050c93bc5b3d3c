"""The store's writes as SQL text, each written once for both databases and run inside one write transaction of
its caller (emulator/store/transactions.py on SQLite, emulator/store/postgres.py).

A refusal (ResourceExists, LimitReached, ...) is raised before the write has changed anything, or after it undid
what it changed: on SQLite other writes of the same transaction commit all the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from emulator.store.reads import BY_NAME, IN_SCOPE, named, scope_params
from emulator.store.records import (
    DefinitionChange,
    LifecycleChange,
    LimitReached,
    NewResource,
    ResourceExists,
    ResourceInUse,
    ResourceMissing,
    Scope,
    TagLimitReached,
    UnservedKinds,
)
from emulator.store.statements import Params, Statements

# A duplicate name inserts nothing: the unique constraint decides, without an error that would abort a PostgreSQL
# transaction.
INSERT_SQL = (
    "INSERT INTO resources"
    " (kind, account_id, region, name, name_lower, creation_ms, status, modified_ms, definition, state)"
    " VALUES (:kind, :account_id, :region, :name, :name_lower, :creation_ms, :status, :modified_ms, :definition, :state)"
    " ON CONFLICT DO NOTHING"
)
# A member of a parent (a group's version): named '<parent>/<n>', n one more than the highest of the parent's
# members, computed in the statement. Of two inserts that computed the same n the unique constraint keeps one out;
# the other runs again and sees it. (WHERE TRUE: SQLite's parser needs a WHERE before ON CONFLICT after a SELECT.)
INSERT_MEMBER_SQL = (
    "INSERT INTO resources"
    " (kind, account_id, region, name, name_lower, creation_ms, status, modified_ms, definition, state)"
    " SELECT :kind, :account_id, :region, :prefix || CAST(n AS TEXT), :prefix_lower || CAST(n AS TEXT),"
    " :creation_ms, :status, :modified_ms, :definition, :state"
    " FROM (SELECT COALESCE(MAX(CAST(SUBSTR(name_lower, :skip) AS INTEGER)), 0) + 1 AS n FROM resources"
    f" WHERE {IN_SCOPE} AND name_lower LIKE :members) AS next WHERE TRUE"
    " ON CONFLICT DO NOTHING"
)
NAME_OF_SQL = "SELECT name FROM resources WHERE id = :id"
PARENT_SQL = f"SELECT name FROM resources WHERE {BY_NAME}"
ANY_MEMBER_SQL = f"SELECT id FROM resources WHERE {IN_SCOPE} AND name_lower LIKE :members LIMIT 1"
CHANGE_DEFINITION_SQL = (
    "UPDATE resources SET definition = :definition, status = :status, modified_ms = :modified_ms"
    f" WHERE {BY_NAME} AND definition = :expect_definition"
)
# The rounds a member's insert may lose to concurrent inserts of the same parent's next number.
_MEMBER_ROUNDS = 1000
INSERT_TAG_SQL = 'INSERT INTO tags (resource_id, "key", value, position) VALUES (:id, :k, :v, :p)'
# A conditional increment (a limit of -1 is none): concurrent creates queue on the row's lock, so none passes the
# last slot twice.
COUNT_ONE_MORE_SQL = f"UPDATE resource_counts SET count = count + 1 WHERE {IN_SCOPE} AND (:limit < 0 OR count < :limit)"
COUNT_ONE_LESS_SQL = f"UPDATE resource_counts SET count = count - 1 WHERE {IN_SCOPE}"
COUNT_SQL = f"SELECT count FROM resource_counts WHERE {IN_SCOPE}"
# Every write that changes a scope's count locks its count row before any resource row (PostgreSQL): a reset, which
# locks the count rows and then deletes resources, and a delete, which deleted its resource and then waited for the
# count row, each held what the other waited for, until PostgreSQL's deadlock check (1 s) failed one and it retried.
LOCK_COUNT_SQL = COUNT_SQL + " FOR UPDATE"
NEW_COUNT_SQL = (
    "INSERT INTO resource_counts (kind, account_id, region, count) VALUES (:kind, :account_id, :region, 0)"
    " ON CONFLICT DO NOTHING"
)
ID_SQL = f"SELECT id FROM resources WHERE {BY_NAME}"
# A lifecycle's compare-and-set: the row changes only if status and state are what the caller read. Two changes
# that read the same row race here, and the database lets one through (the other's WHERE no longer holds).
SAME_LIFECYCLE = "status = :expect_status AND state = :expect_state"
CHANGE_LIFECYCLE_SQL = (
    "UPDATE resources SET status = :status, state = :state, modified_ms = :modified_ms"
    f" WHERE {BY_NAME} AND {SAME_LIFECYCLE}"
)
DELETE_SQL = "DELETE FROM resources WHERE id = :id"
TAGS_OF_SQL = 'SELECT "key", value, position FROM tags WHERE resource_id = :id'
DELETE_TAGS_OF_SQL = "DELETE FROM tags WHERE resource_id = :id"
# The rounds a create may wait for a count row that concurrent writers are making or changing (PostgreSQL).
_COUNT_ROUNDS = 100


def insert_params(resource: NewResource, *, limit: int | None, **naming: object) -> Params:
    """An insert's parameters: the resource's scope and columns, the scope's limit (-1: none), and `naming` (its name,
    or what its statement makes the name from)."""
    scope = resource.scope
    return {
        "kind": scope.kind,
        "account_id": scope.account_id,
        "region": scope.region,
        **naming,
        "creation_ms": resource.creation_ms,
        "status": resource.status,
        "modified_ms": resource.creation_ms if resource.modified_ms is None else resource.modified_ms,
        "definition": resource.definition,
        "state": resource.state,
        "limit": -1 if limit is None else limit,
    }


def insert(db: Statements, resource: NewResource, *, limit: int | None) -> None:
    """Raises ResourceExists (the unique constraint decided) or LimitReached (the count row decided); AWS reports a
    duplicate before the limit."""
    # One mapping serves every statement (each reads the names it needs): this is CreateModel's hot path.
    params = insert_params(resource, limit=limit, name=resource.name, name_lower=resource.name.lower())
    rid = db.insert(INSERT_SQL, params)
    if rid is None:
        raise ResourceExists(resource.name)
    counted(db, rid, params, resource)


def counted(db: Statements, rid: int, params: Params, resource: NewResource) -> None:
    """A just-inserted resource counted against its scope's limit (removed again if that is reached), with its
    tags."""
    try:
        count_one_more(db, params)
    except LimitReached:
        db.run(DELETE_SQL, {"id": rid})
        raise
    if resource.tags:  # distinct keys of a new resource: nothing here can conflict
        db.run_many(INSERT_TAG_SQL, [{"id": rid, "k": k, "v": v, "p": i} for i, (k, v) in enumerate(resource.tags)])


def insert_member(db: Statements, resource: NewResource, *, parent: Scope, parent_name: str, limit: int | None) -> str:
    """Inserts `resource` as the next member of a parent (its name is ignored): '<parent's stored name>/<n>', n one
    more than the parent's highest. The parent's row is locked first (where the database locks rows), so a
    concurrent delete of the parent waits and then sees this member. Raises ResourceMissing (no parent) or
    LimitReached; returns the name stored."""
    if db.locks_rows:
        db.rows(LOCK_COUNT_SQL, scope_params(resource.scope))  # the count row first (LOCK_COUNT_SQL)
    found = db.rows(PARENT_SQL + (" FOR UPDATE" if db.locks_rows else ""), named(parent, parent_name))
    if not found:
        raise ResourceMissing(parent_name)
    prefix = f"{found[0][0]}/"
    params = insert_params(
        resource,
        limit=limit,
        prefix=prefix,
        prefix_lower=prefix.lower(),
        skip=len(prefix) + 1,
        members=f"{prefix.lower()}%",
    )
    for _ in range(_MEMBER_ROUNDS):
        rid = db.insert(INSERT_MEMBER_SQL, params)
        if rid is not None:
            counted(db, rid, params, resource)
            return str(db.rows(NAME_OF_SQL, {"id": rid})[0][0])
        # Another writer took this number and committed (each statement sees a new snapshot at READ COMMITTED).
    raise RuntimeError("the parent's next number kept being taken under this insert")


def compare_and_set(db: Statements, sql: str, change: DefinitionChange | LifecycleChange) -> bool:
    """Runs `sql` (an UPDATE of the resource by its name, on the condition that it still holds the change's expect_*
    values) with the change's fields as its parameters; False if no row matched."""
    params = named(change.scope, change.name)
    params.update((f.name, getattr(change, f.name)) for f in fields(change) if f.name not in ("scope", "name"))
    return db.run(sql, params) == 1


def change_definition(db: Statements, change: DefinitionChange) -> bool:
    """False if the definition is no longer the expected one (or the resource is gone)."""
    return compare_and_set(db, CHANGE_DEFINITION_SQL, change)


def count_one_more(db: Statements, params: Params) -> None:
    """One more in the scope's count, unless it is at params["limit"] (-1: none)."""
    limit = params["limit"]
    for _ in range(_COUNT_ROUNDS):
        if db.run(COUNT_ONE_MORE_SQL, params) == 1:
            return
        current = db.rows(COUNT_SQL, params)
        if not current:
            db.run(NEW_COUNT_SQL, params)  # the scope's first: another writer may make the row first, either will do
        elif 0 <= limit <= current[0][0]:
            raise LimitReached(current[0][0])
        # Otherwise another writer committed the row between the UPDATE and the SELECT (each statement sees its own
        # snapshot at READ COMMITTED): the UPDATE finds it now.
    raise RuntimeError("the count row kept changing under this create")


def resource_id(db: Statements, scope: Scope, name: str) -> int:
    """The resource's id, its row locked where the database locks rows: concurrent AddTags on one resource queue
    here, so none counts tags another is about to add, and a concurrent delete waits. Raises ResourceMissing."""
    found = db.rows(ID_SQL + " FOR UPDATE" if db.locks_rows else ID_SQL, named(scope, name))
    if not found:
        raise ResourceMissing(name)
    return int(found[0][0])


def change_lifecycle(db: Statements, change: LifecycleChange) -> bool:
    """False if the status or state was no longer the expected one (or the resource is gone)."""
    return compare_and_set(db, CHANGE_LIFECYCLE_SQL, change)


def delete(
    db: Statements,
    scope: Scope,
    name: str,
    *,
    expect: tuple[str, str] | None = None,
    unless_members: Scope | None = None,
) -> bool:
    """Removes the resource, its tags and one from the scope's count, together; False if there was none, or if
    `expect` (status, state) no longer holds. Raises ResourceInUse while `unless_members` (a kind in the scope)
    holds members of it, named '<name>/...': its row is locked first, so a member being inserted is seen."""
    if db.locks_rows:
        db.rows(LOCK_COUNT_SQL, scope_params(scope))  # the count row first (LOCK_COUNT_SQL)
    try:
        rid = resource_id(db, scope, name)
    except ResourceMissing:
        return False
    if unless_members is not None:
        members = {**scope_params(unless_members), "members": f"{name.lower()}/%"}
        if db.rows(ANY_MEMBER_SQL, members):
            raise ResourceInUse(name)
    if expect is not None:
        held = db.rows(
            f"SELECT id FROM resources WHERE id = :id AND {SAME_LIFECYCLE}",
            {"id": rid, "expect_status": expect[0], "expect_state": expect[1]},
        )
        if not held:
            return False
    # Tags first: correct whether or not the database enforces ON DELETE CASCADE.
    db.run(DELETE_TAGS_OF_SQL, {"id": rid})
    db.run(DELETE_SQL, {"id": rid})
    db.run(COUNT_ONE_LESS_SQL, scope_params(scope))
    return True


def add_tags(db: Statements, scope: Scope, name: str, tags: list[tuple[str, str]], *, max_tags: int) -> None:
    """Adds or overwrites by key (keys must be distinct). Raises ResourceMissing or TagLimitReached."""
    rid = resource_id(db, scope, name)
    existing = {key: (value, position) for key, value, position in db.rows(TAGS_OF_SQL, {"id": rid})}
    new = [(k, v) for k, v in tags if k not in existing]
    if len(existing) + len(new) > max_tags:
        raise TagLimitReached(len(existing), len(new))
    changed = [{"id": rid, "k": k, "v": v} for k, v in tags if k in existing and existing[k][0] != v]
    if changed:
        db.run_many('UPDATE tags SET value = :v WHERE resource_id = :id AND "key" = :k', changed)
    if new:
        start = max((p for _, p in existing.values()), default=-1) + 1
        db.run_many(INSERT_TAG_SQL, [{"id": rid, "k": k, "v": v, "p": start + i} for i, (k, v) in enumerate(new)])


def delete_tags(db: Statements, scope: Scope, name: str, keys: list[str]) -> None:
    """Removes the keys the resource has; others are ignored. Raises ResourceMissing."""
    rid = resource_id(db, scope, name)
    if keys:
        db.run_many('DELETE FROM tags WHERE resource_id = :id AND "key" = :k', [{"id": rid, "k": k} for k in keys])


def _where(account_id: str | None, region: str | None) -> tuple[str, Params]:
    conditions, params = ["1 = 1"], {}
    if account_id is not None:
        conditions.append("account_id = :account_id")
        params["account_id"] = account_id
    if region is not None:
        conditions.append("region = :region")
        params["region"] = region
    return " AND ".join(conditions), params


def reset(db: Statements, *, account_id: str | None, region: str | None, served: Sequence[str]) -> dict[str, int]:
    """Deletes every resource (with tags and counts) of an account and/or region, None matching all; how many of
    each kind. Raises UnservedKinds, deleting nothing, when the scope holds kinds not `served`: a release never
    deletes uncounted what a newer one stored. The count rows are locked first: a concurrent create in the scope
    then waits, and recreates its count row after this commits, so its resource and its count stay in step
    (PostgreSQL; SQLite writers take turns)."""
    where, params = _where(account_id, region)
    # Only the served kinds are deleted, so a row of another kind that commits after the check is kept too.
    kinds = {f"served{i}": kind for i, kind in enumerate(served)}
    where_served = f"{where} AND kind IN ({', '.join(f':{key}' for key in kinds) or 'NULL'})"
    params.update(kinds)
    if db.locks_rows:  # in one order, so two resets never hold what the other waits for
        db.rows(f"SELECT kind FROM resource_counts WHERE {where} ORDER BY kind, account_id, region FOR UPDATE", params)
    deleted = {
        kind: n for kind, n in db.rows(f"SELECT kind, COUNT(*) FROM resources WHERE {where} GROUP BY kind", params)
    }
    unserved = {kind: n for kind, n in deleted.items() if kind not in served}
    if unserved:
        raise UnservedKinds(unserved)
    db.run(f"DELETE FROM tags WHERE resource_id IN (SELECT id FROM resources WHERE {where_served})", params)
    db.run(f"DELETE FROM resources WHERE {where_served}", params)
    db.run(f"DELETE FROM resource_counts WHERE {where_served}", params)
    return deleted


def replace_all(db: Statements, resources: list[NewResource], *, served: Sequence[str]) -> None:
    """The whole state becomes these resources (names already unique per kind and scope; the constraint still
    guards it), with counts to match. Raises UnservedKinds, changing nothing, as reset does."""
    reset(db, account_id=None, region=None, served=served)
    for resource in resources:
        insert(db, resource, limit=None)
