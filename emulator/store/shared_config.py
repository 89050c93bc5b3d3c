"""The shared configuration's side of the store: what every process on the database must apply alike (fault rules,
the runtime's model server and model command tables and canned answers) and the processes that apply it. Nothing here is a resource:
a reset, an export or an import of resources never touches it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import emulator.store.async_rows as async_rows
import emulator.store.container_rows as container_rows
import emulator.store.fault_rules as fault_rules
import emulator.store.process_rows as process_rows
import emulator.store.runtime_config as runtime_config
from emulator.store.async_rows import AsyncRow
from emulator.store.container_rows import ContainerRow
from emulator.store.runtime_config import CannedKey, RuntimeView
from emulator.store.statements import Params, Statements
from emulator.store.store_base import StoreBase


class SharedConfig(StoreBase):
    # Fault-injection rules shared by every process on the database (emulator/faults/fault_sync.py). Changing them is heavy
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

    # SageMaker Runtime's model server and model command tables and canned answers, shared the same way (emulator/runtime/runtime_sync.py).
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

    async def replace_runtime_tables(self, tables: Mapping[str, str | None]) -> RuntimeView:
        """Stores the tables named by column, `model_servers` (image -> URL) and/or `model_commands` (image ->
        command), for every process in one change (JSON each; None: none, each process uses its settings'); the
        view as of this change."""
        return await self._write(functools.partial(runtime_config.replace_tables, tables=dict(tables)), heavy=True)

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

    # The processes serving on the database and what each applied (emulator/admin/processes.py). A beat is heavy (a
    # thread) for the reason changes of fault rules are.
    async def beat_process(
        self, process_id: str, *, heartbeat_ms: int, versions: dict[str, int], prune_before: int | None = None
    ) -> None:
        """Records this process's heartbeat and the configuration versions it applied (`versions`, by column);
        with prune_before, first deletes rows whose heartbeat is older (processes that ended without leaving)."""
        work = functools.partial(
            process_rows.beat,
            process_id=process_id,
            heartbeat_ms=heartbeat_ms,
            versions=versions,
            prune_before=prune_before,
        )
        await self._write(work, heavy=True)

    async def leave_process(self, process_id: str) -> None:
        await self._write(functools.partial(_run, sql=process_rows.LEAVE_SQL, params={"id": process_id}), heavy=True)

    async def settled_processes(self, column: str, *, fresh_ms: int, me: str) -> list[str]:
        """The other processes whose heartbeat is at `fresh_ms` or later and that have applied some version of the
        configuration of `column` (past their start-up)."""
        params = {"fresh": fresh_ms, "me": me}
        return [str(row[0]) for row in await self._rows(process_rows.settled_sql(column), params)]

    async def lagging_processes(self, column: str, version: int, *, fresh_ms: int, me: str) -> list[str]:
        """The other live processes that have not applied `version` of the configuration of `column` yet."""
        params = {"fresh": fresh_ms, "me": me, "version": version}
        return [str(row[0]) for row in await self._rows(process_rows.lagging_sql(column), params)]

    # The containers run for endpoints (emulator/containers/). Changes from a supervisor's thread are heavy (never the
    # loop SQLite's loop-side writes bind to); the request path's (adding, retiring) are writes of microseconds.
    async def container_rows(self) -> list[ContainerRow]:
        """Every container row: the supervisors read them all (a handful per endpoint run)."""
        return [container_rows.as_row(tuple(row)) for row in await self._rows(container_rows.ALL_SQL, {})]

    async def container_row(self, key: str) -> ContainerRow | None:
        rows = await self._rows(container_rows.ONE_SQL, {"key": key})
        return container_rows.as_row(tuple(rows[0])) if rows else None

    async def add_containers(self, rows: list[Params], *, heavy: bool = False) -> None:
        """New containers (key, account_id, region, endpoint_name, spec, now), Pending; ones already there stay."""
        if rows:
            await self._write(functools.partial(container_rows.add, rows=rows), heavy=heavy)

    async def retire_containers(self, keys: list[str], *, now_ms: int, heavy: bool = False) -> None:
        """Marks containers to stop: their owners stop them and delete their rows."""
        if keys:
            await self._write(functools.partial(container_rows.retire, keys=keys, now=now_ms), heavy=heavy)

    async def claim_container(self, key: str, *, owner: str, lease_ms: int, now_ms: int) -> bool:
        """Whether `owner` took the container over (nobody ran it, or its owner's lease had run out)."""
        params = {"key": key, "owner": owner, "lease": lease_ms, "now": now_ms}
        return bool(await self._write(functools.partial(_run, sql=container_rows.CLAIM_SQL, params=params), heavy=True))

    async def report_container(
        self, key: str, *, owner: str, status: str, url: str | None, reason: str | None, served: bool, now_ms: int
    ) -> bool:
        """The owner's news of a container; False when it is no longer the owner (or the container was retired)."""
        params = {
            "key": key,
            "owner": owner,
            "status": status,
            "url": url,
            "reason": reason,
            "served": int(served),
            "now": now_ms,
        }
        return bool(
            await self._write(functools.partial(_run, sql=container_rows.REPORT_SQL, params=params), heavy=True)
        )

    async def renew_containers(self, *, owner: str, lease_ms: int) -> None:
        params = {"owner": owner, "lease": lease_ms}
        await self._write(functools.partial(_run, sql=container_rows.RENEW_SQL, params=params), heavy=True)

    async def release_containers(self, *, owner: str, now_ms: int) -> None:
        params = {"owner": owner, "now": now_ms}
        await self._write(functools.partial(_run, sql=container_rows.RELEASE_SQL, params=params), heavy=True)

    async def delete_container(self, key: str, *, owner: str, now_ms: int) -> None:
        params = {"key": key, "owner": owner, "now": now_ms}
        await self._write(functools.partial(_run, sql=container_rows.DELETE_SQL, params=params), heavy=True)

    # InvokeEndpointAsync's pending requests (emulator/runtime/async_worker.py). Adding one is the request's write, on
    # the loop; the worker's, from its own thread, are heavy.
    async def add_async_invocation(self, row: Params) -> None:
        """A new request (id, account_id, region, endpoint_name, request, concurrency, created_ms, expires_ms)."""
        await self._write(functools.partial(async_rows.add, row=row))

    async def waiting_async_invocations(self, *, now_ms: int, limit: int) -> list[tuple[str, str, str, str, int]]:
        """The oldest requests nobody holds: (id, account_id, region, endpoint_name, concurrency) each."""
        rows = await self._rows(async_rows.WAITING_SQL, {"now": now_ms, "limit": limit})
        return [(str(i), str(a), str(r), str(e), int(c)) for i, a, r, e, c in rows]

    async def claim_async_invocation(
        self, waiting: tuple[str, str, str, str, int], *, owner: str, lease_ms: int, now_ms: int
    ) -> AsyncRow | None:
        """The request, now held by `owner`; None when another process took it, or its endpoint runs its most."""
        key, account_id, region, endpoint_name, concurrency = waiting
        params = {
            "id": key,
            "account_id": account_id,
            "region": region,
            "endpoint_name": endpoint_name,
            "concurrency": concurrency,
            "owner": owner,
            "lease": lease_ms,
            "now": now_ms,
        }
        return await self._write(functools.partial(async_rows.claim, params=params), heavy=True)

    async def renew_async_invocations(self, *, owner: str, lease_ms: int) -> None:
        params = {"owner": owner, "lease": lease_ms}
        await self._write(functools.partial(_run, sql=async_rows.RENEW_SQL, params=params), heavy=True)

    async def release_async_invocation(self, key: str, *, owner: str, after_ms: int = 0) -> None:
        """Hands a request back, to be taken again from after_ms on."""
        params = {"id": key, "owner": owner, "after": after_ms}
        await self._write(functools.partial(_run, sql=async_rows.RELEASE_SQL, params=params), heavy=True)

    async def release_async_invocations(self, *, owner: str) -> None:
        params = {"owner": owner}
        await self._write(functools.partial(_run, sql=async_rows.RELEASE_ALL_SQL, params=params), heavy=True)

    async def finish_async_invocation(self, key: str, *, owner: str) -> bool:
        """Deletes a done request; False when `owner` no longer held it (its lease ran out and another took it)."""
        params = {"id": key, "owner": owner}
        return bool(await self._write(functools.partial(_run, sql=async_rows.DONE_SQL, params=params), heavy=True))

    async def pending_async_invocations(self) -> int:
        rows = await self._rows(async_rows.PENDING_SQL, {})
        return int(rows[0][0]) if rows else 0


def _run(db: Statements, *, sql: str, params: Params) -> int:
    return db.run(sql, params)
