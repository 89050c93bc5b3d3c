"""SageMaker Runtime's run-time configuration, the same in every process on one database: `serve --workers N` and
replicas. The model server table, the model command table and the canned answers live in the store
(emulator/store/runtime_config.py), as fault rules do (emulator/faults/fault_sync.py), and each process keeps its copy
current the same way: its poller thread (emulator/admin/poller.py) reads the version every POLL_SECONDS and reloads
the tables and the index of canned answers when it grew. An invocation reads only `canned.active` (and the table)
while no answer is set; it asks the store for an answer only for an endpoint that has some. A change made through
this process's admin API applies here at once, and the call returns once every other live process has applied it
too (emulator/admin/processes.py).

At start-up, for each table, a process with one in its settings (`--model-server`, `--model-command`, env) stores it
unless the store already holds the same table; a process without adopts the stored one while another process that
serves on the database has it, and drops it (stores none) when none does: a table is the wiring of servers that
run, and one left by a server that stopped would send a later plain `serve`'s invocations to a model server that is
gone, or run its containers with commands nobody configured. Until then, or while the database cannot be reached, a
process uses its settings' tables. The tables in force are logged.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator.admin.processes import Processes
from emulator.containers.commands import ModelCommands
from emulator.runtime.canned import CannedAnswers, CannedStore
from emulator.runtime.model_servers import ModelServers
from emulator.store.runtime_config import RuntimeView
from emulator.store.shared_config import SharedConfig


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """One image -> value table kept in the store: its column, how log lines name it, the setting's flag and the
    admin route that set it, the process's copy (configure, current) and the settings' table."""

    column: str
    what: str
    flag: str
    route: str
    configure: Callable[[Mapping[str, str]], None]
    current: Callable[[], dict[str, str]]
    startup: dict[str, str]

    def stored(self, view: RuntimeView) -> dict[str, str] | None:
        text: str | None = getattr(view, self.column)
        return None if text is None else dict(json.loads(text))


class RuntimeSync:
    what = "runtime configuration"
    log = logging.getLogger("emulator.runtime")
    column = "runtime_version"

    def __init__(
        self,
        *,
        store: SharedConfig,
        servers: ModelServers,
        canned: CannedStore,
        startup: Mapping[str, str],
        commands: ModelCommands,
        startup_commands: Mapping[str, str],
        processes: Processes | None = None,
    ) -> None:
        self.store = store
        self.processes = processes
        self.servers = servers
        self.commands = commands
        self.canned = canned
        self.servers_table = Table(
            column="model_servers",
            what="model servers",
            flag="--model-server",
            route="/_emulator/modelservers",
            configure=servers.configure,
            current=lambda: dict(self.servers.urls),
            startup=dict(startup),
        )
        self.commands_table = Table(
            column="model_commands",
            what="model commands",
            flag="--model-command",
            route="/_emulator/modelcommands",
            configure=self.commands.configure,
            current=lambda: dict(self.commands.table),
            startup=dict(startup_commands),
        )
        self.tables = (self.servers_table, self.commands_table)
        self.version = 0  # of the stored configuration this process serves; 0: none applied yet
        self._settled = False  # start-up table stored or the stored one adopted (or an admin change made since)
        self._lock = threading.Lock()  # the poller thread and the event loop both apply views

    @property
    def applied(self) -> int:
        """The stored version in force here; -1 until start-up settled (nothing applied yet)."""
        return self.version if self._settled else -1

    async def put_answers(self, answers: CannedAnswers) -> None:
        """The admin API's change: stored for every process, applied here at once; returns once every live process
        applied it (as every change below)."""
        key = self.canned.key(answers)
        stored = [answer.model_dump_json() for answer in answers.answers]
        await self._changed(await self.store.put_canned(key, mode=answers.mode, answers=stored))

    async def clear_answers(
        self, *, account_id: str | None = None, region: str | None = None, endpoint_name: str | None = None
    ) -> None:
        """Clears the answers of an account, region and/or endpoint (None matches every one), everywhere."""
        view = await self.store.clear_canned(account_id=account_id, region=region, endpoint_name=endpoint_name)
        if view is not None:
            await self._changed(view)

    async def listed_answers(self) -> list[dict[str, Any]]:
        """Every endpoint's answers with how many each gave and has left, counted across every process."""
        return [
            {
                "account_id": account,
                "region": region,
                "endpoint_name": endpoint,
                "variant_name": variant or None,
                "mode": mode,
                "remaining": 1 if mode == "fixed" else answers - given,
                "given": given,
            }
            for (account, region, endpoint, variant), mode, answers, given in await self.store.canned_listed()
        ]

    async def replace_model_servers(self, table: Mapping[str, str]) -> dict[str, str]:
        """The admin API's change of the image -> URL table; the table now in force."""
        return await self._replace(self.servers_table, table)

    async def model_servers(self) -> dict[str, str]:
        """The table in force: the stored one, read now (this process takes it too), else its settings'."""
        return await self._current(self.servers_table)

    async def replace_model_commands(self, table: Mapping[str, str]) -> dict[str, str]:
        """The admin API's change of the image -> model command table; the table now in force."""
        return await self._replace(self.commands_table, table)

    async def model_commands(self) -> dict[str, str]:
        """The model command table in force, as model_servers."""
        return await self._current(self.commands_table)

    async def _replace(self, table: Table, value: Mapping[str, str]) -> dict[str, str]:
        view = await self.store.replace_runtime_tables({table.column: json.dumps(dict(value))})
        self._settled = True  # supersedes a start-up table not yet stored
        await self._changed(view)
        return table.current()

    async def _current(self, table: Table) -> dict[str, str]:
        self._apply(await self.store.runtime_view())
        return table.current()

    async def _changed(self, view: RuntimeView) -> None:
        """Applies this process's own change at once, then waits until every other live process applied it."""
        self._apply(view)
        if self.processes is not None:
            await self.processes.wait_applied(self.column, view.version, what=self.what)

    def _apply(self, view: RuntimeView) -> None:
        with self._lock:
            if view.version <= self.version:  # never back to an older view read before a newer change
                return
            for table in self.tables:
                stored = table.stored(view)
                table.configure(table.startup if stored is None else stored)  # none stored: the settings' table
            self.canned.index(view.canned)
            self.version = view.version

    async def poll(self) -> None:
        if not self._settled:
            await self._settle()
        elif await self.store.runtime_version() > self.version:
            self._apply(await self.store.runtime_view())

    async def _settle(self) -> None:
        view = await self.store.runtime_view()
        if not self._settled:
            changes = await self._start_up_changes(view)
            if changes and not self._settled:  # an admin change made meanwhile supersedes the start-up tables
                view = await self.store.replace_runtime_tables(changes)
        self._settled = True
        self._apply(view)

    async def _start_up_changes(self, view: RuntimeView) -> dict[str, str | None]:
        """What start-up stores, by column: the settings' table where the stored one differs, none where a table
        stored by a server that is gone would otherwise be adopted. Logs the table in force."""
        changes: dict[str, str | None] = {}
        others: bool | None = None  # whether another process serves on the database; asked once, if needed
        for table in self.tables:
            stored = table.stored(view)
            if table.startup and stored != table.startup:
                changes[table.column] = json.dumps(table.startup)
                self.log.info(
                    "%s: %s, from this server's settings (stored for every process)", table.what, table.startup
                )
            elif table.startup:
                self.log.info("%s: %s, from this server's settings (as stored)", table.what, table.startup)
            elif stored:
                if others is None:
                    others = await self._others_serving()
                if not others:
                    # Left by a server that is gone (a `serve --model-server` run earlier on this database): its
                    # URLs would answer this server's invocations, or fail them, with nothing said; its commands
                    # would run containers nobody configured here.
                    changes[table.column] = None
                    self.log.info(
                        "%s: none; the table %s stored by a server no longer running is dropped (set one with %s or"
                        " PUT %s)",
                        table.what,
                        stored,
                        table.flag,
                        table.route,
                    )
                else:
                    self.log.info("%s: %s, stored by another process serving on the database", table.what, stored)
        return changes

    async def _others_serving(self) -> bool:
        """Whether another live process serves on the database (without a registry, assume one does)."""
        return self.processes is None or bool(await self.processes.others_settled(self.column))
