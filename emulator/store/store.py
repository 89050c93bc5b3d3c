"""The store: the one interface the operations and the admin API use, for every kind of resource.

Each method is one whole transaction; a failed one leaves nothing behind. Every method is a coroutine: the store
decides where its SQL runs, so no caller can block the event loop on the database by running it in the wrong
place. The SQL is written once (emulator/store/reads.py, writes.py); the two databases differ only in how it runs:
SqliteStore (emulator/store/sqlite_store.py) and PostgresStore (emulator/store/postgres_store.py) implement
`_rows` and `_write`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import emulator.store.fault_rules as fault_rules
import emulator.store.reads as reads
import emulator.store.runtime_config as runtime_config
import emulator.store.writes as writes
from emulator.running_loop import running_loop
from emulator.store.database import Database
from emulator.store.records import (
    DefinitionChange,
    LifecycleChange,
    ListedResource,
    ListQuery,
    NewResource,
    Scope,
    StoredResource,
    StoredTag,
    TagQuery,
)
from emulator.store.runtime_config import CannedKey, RuntimeView
from emulator.store.schema import SchemaGate
from emulator.store.statements import Params, Statements

T = TypeVar("T")
# Threads for the database work that does not run on the event loop; more than the connection pool, so a request
# waiting for a connection never holds up one that has its answer.
THREADS = 64


class Store:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.schema = SchemaGate(database)
        self.executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="emulator-store")

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

    # Fault-injection rules shared by every process on the database (emulator/admin/fault_sync.py). Changing them is heavy
    # (a thread), so a process's background poller never becomes the loop that SQLite's loop-side writes bind to.
    async def fault_version(self) -> int:
        """The version of the shared rules; 0 while none were ever stored."""
        rows = await self._rows(fault_rules.VERSION_SQL, {})
        return int(rows[0][0]) if rows else 0

    async def fault_rules(self) -> tuple[int, str | None, list[tuple[int, int]]]:
        """The shared rules' version, their FaultConfig JSON (None: never stored) and each rule's (matched,
        injected). Two reads: counters are kept per version, so a change between them shows no counters, never
        another version's."""
        found = await self._rows(fault_rules.CONFIG_SQL, {})
        if not found:
            return 0, None, []
        version, config = int(found[0][0]), str(found[0][1])
        counters = await self._rows(fault_rules.COUNTERS_SQL, {"version": version})
        return version, config, [(int(m), int(i)) for m, i in counters]

    async def replace_fault_rules(self, config: str, *, rules: int) -> int:
        """Stores config (FaultConfig JSON of `rules` rules) as the next version, counters at 0; that version."""
        return await self._write(functools.partial(fault_rules.replace, config=config, rules=rules), heavy=True)

    async def count_fault(self, *, version: int, position: int, decide: Callable[[int, int], bool]) -> bool | None:
        """Counts a match of rule `position`; whether it fires, as decide(matched, injected) says (counted too).
        None when `version` is no longer in force."""
        return await self._write(
            functools.partial(fault_rules.count, version=version, position=position, decide=decide)
        )

    # SageMaker Runtime's model server table and canned answers, shared the same way (emulator/admin/runtime_sync.py).
    # Changes are heavy for the same reason; taking an answer is an invocation's write, on the loop.
    async def runtime_version(self) -> int:
        """The version of the runtime's shared configuration; 0 while nothing was ever stored."""
        rows = await self._rows(runtime_config.VERSION_SQL, {})
        return int(rows[0][0]) if rows else 0

    async def runtime_view(self) -> RuntimeView:
        """The shared configuration as the poller reloads it. Two reads: what they return is at least as new as the
        version they carry, never older, so a change between them costs one more reload."""
        config = await self._rows(runtime_config.CONFIG_SQL, {})
        return runtime_config.as_view(config, await self._rows(runtime_config.KEYS_SQL, {}))

    async def replace_model_servers(self, table: str) -> RuntimeView:
        """Stores the image -> URL table (JSON) for every process; the view as of this change."""
        return await self._write(functools.partial(runtime_config.replace_model_servers, table=table), heavy=True)

    async def put_canned(self, key: CannedKey, *, mode: str, answers: list[str]) -> RuntimeView:
        """Replaces the canned answers (CannedAnswer JSON each) of one endpoint or variant; the view after."""
        work = functools.partial(runtime_config.put_canned, key=key, mode=mode, answers=answers)
        return await self._write(work, heavy=True)

    async def clear_canned(
        self, *, account_id: str | None, region: str | None, endpoint_name: str | None = None
    ) -> RuntimeView | None:
        """Removes the canned answers of an account, region and/or endpoint (None matches all); the view after, or
        None when there were none."""
        work = functools.partial(
            runtime_config.clear_canned, account_id=account_id, region=region, endpoint_name=endpoint_name
        )
        return await self._write(work, heavy=True)

    async def take_canned(self, keys: list[CannedKey]) -> str | None:
        """The next canned answer (JSON) of the first of `keys` that has one left, counted as given; None if none."""
        return await self._write(functools.partial(runtime_config.take_canned, keys=keys))

    async def canned_listed(self) -> list[tuple[CannedKey, str, int, int]]:
        """Every endpoint and variant with canned answers: its key, mode, number of answers and how many given."""
        rows = await self._rows(runtime_config.LIST_SQL, {})
        return [((str(a), str(r), str(e), str(v)), str(m), int(n), int(g)) for a, r, e, v, m, n, g in rows]

    async def check(self) -> str | None:
        """None when the database answers a query on our schema; else the name of the error it gave."""
        try:
            await self._in_thread(self._check)
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; its name is the answer
            return type(getattr(exc, "orig", None) or exc).__name__
        return None

    def close(self) -> None:
        """Releases threads and connections (the process stays up, e.g. a test run)."""
        self.executor.shutdown(wait=True)
        self.database.dispose()

    async def _in_thread(self, call: Callable[..., T], *args: Any) -> T:
        return await running_loop().run_in_executor(self.executor, call, *args)

    # What each database implements.
    async def _rows(self, sql: str, params: Params) -> list[Any]:
        """The rows of one read."""
        raise NotImplementedError

    async def _write(self, work: Callable[[Statements], T], *, heavy: bool = False) -> T:
        """work in a write transaction; its result once committed. heavy: may take long (never on the loop)."""
        raise NotImplementedError

    def _check(self) -> None:
        raise NotImplementedError


def _export(db: Statements) -> list[NewResource]:
    return reads.exported(db.rows(reads.EXPORT_SQL, {}), db.rows(reads.EXPORT_TAGS_SQL, {}))
