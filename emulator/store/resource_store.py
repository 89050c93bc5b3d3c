"""The resources' side of the store: every kind of SageMaker resource, its tags and counts, reset, export and import,
the SQL written once in emulator/store/reads.py and writes.py."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import emulator.store.reads as reads
import emulator.store.writes as writes
from emulator.store.records import (
    DefinitionChange,
    LifecycleChange,
    ListedResource,
    ListQuery,
    LiveResource,
    NewResource,
    Scope,
    StoredResource,
    StoredTag,
    TagQuery,
)
from emulator.store.statements import Statements
from emulator.store.store_base import StoreBase


class ResourceStore(StoreBase):
    async def create(self, resource: NewResource, *, limit: int | None) -> None:
        """Raises ResourceExists or LimitReached (at most `limit` of the kind per scope; None: no limit)."""
        await self._write(functools.partial(writes.insert, resource=resource, limit=limit))

    async def create_member(self, resource: NewResource, *, parent: Scope, parent_name: str, limit: int | None) -> str:
        """Inserts the next member of a parent ('<parent>/<n>', numbered by the database); the name stored. Raises
        ResourceMissing (no such parent) or LimitReached."""
        work = functools.partial(
            writes.insert_member, resource=resource, parent=parent, parent_name=parent_name, limit=limit
        )
        return await self._write(work)

    async def change_definition(self, change: DefinitionChange) -> bool:
        """Sets definition, status and modified time if the definition is still the expected one; False if not."""
        return await self._write(functools.partial(writes.change_definition, change=change))

    async def get(self, scope: Scope, name: str) -> StoredResource | None:
        return reads.stored(await self._rows(reads.GET_SQL, reads.named(scope, name)))

    async def list_page(self, query: ListQuery) -> tuple[list[ListedResource], bool]:
        """One page and whether more follow."""
        sql, params = reads.list_sql(query)
        return reads.list_page(await self._rows(sql, params), query.limit)

    async def live(self, kind: str, statuses: tuple[str, ...], *, limit: int) -> list[LiveResource]:
        """Up to `limit` resources of a kind in any of these statuses, in every account and region, oldest first."""
        rows = await self._rows(reads.live_sql(len(statuses)), reads.live_params(kind, statuses, limit))
        return [
            LiveResource(
                scope=Scope(kind=kind, account_id=r[0], region=r[1]),
                name=r[2],
                status=r[3],
                state=r[4],
                modified_ms=r[5],
            )
            for r in rows
        ]

    async def delete(
        self,
        scope: Scope,
        name: str,
        *,
        expect: tuple[str, str] | None = None,
        unless_members: Scope | None = None,
    ) -> bool:
        """Removes the resource and its tags; False if there was none, or if `expect` (status, state) no longer
        holds (a lifecycle that ends in deletion). Raises ResourceInUse while `unless_members` holds members of it."""
        work = functools.partial(writes.delete, scope=scope, name=name, expect=expect, unless_members=unless_members)
        return await self._write(work)

    async def change_lifecycle(self, change: LifecycleChange) -> bool:
        """Sets status, state and modified time if status and state are still the expected ones; False if not."""
        return await self._write(functools.partial(writes.change_lifecycle, change=change))

    async def list_tags(self, query: TagQuery) -> tuple[list[StoredTag], bool]:
        """One page of tags in the order they were first added, and whether more follow. Raises ResourceMissing."""
        return reads.tags_page(await self._rows(reads.LIST_TAGS_SQL, reads.list_tags_params(query)), query)

    async def add_tags(self, scope: Scope, name: str, tags: list[tuple[str, str]], *, max_tags: int) -> None:
        """Adds or overwrites by key (keys must be distinct). Raises ResourceMissing or TagLimitReached."""
        await self._write(functools.partial(writes.add_tags, scope=scope, name=name, tags=tags, max_tags=max_tags))

    async def delete_tags(self, scope: Scope, name: str, keys: list[str]) -> None:
        """Removes the keys the resource has; others are ignored. Raises ResourceMissing."""
        await self._write(functools.partial(writes.delete_tags, scope=scope, name=name, keys=keys))

    async def reset(self, *, account_id: str | None, region: str | None, served: Sequence[str]) -> dict[str, int]:
        """Deletes everything of an account and/or region (None matches all); how many of each kind. Raises
        UnservedKinds, deleting nothing, if the scope holds kinds other than `served` (ARN resource types)."""
        work = functools.partial(writes.reset, account_id=account_id, region=region, served=served)
        return await self._write(work, heavy=True)

    async def export(self) -> list[NewResource]:
        """Every resource with its tags, read in one transaction (the write path's, so it is one snapshot)."""
        return await self._write(_export, heavy=True)

    async def replace_all(self, resources: list[NewResource], *, served: Sequence[str]) -> None:
        """Replaces the whole state atomically: on any failure nothing changes. Raises UnservedKinds as reset."""
        await self._write(functools.partial(writes.replace_all, resources=resources, served=served), heavy=True)


def _export(db: Statements) -> list[NewResource]:
    return reads.exported(db.rows(reads.EXPORT_SQL, {}), db.rows(reads.EXPORT_TAGS_SQL, {}))
