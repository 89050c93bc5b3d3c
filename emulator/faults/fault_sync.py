"""The fault-injection rules of every process on one database kept the same: `serve --workers N` and replicas.

The rules live in the store (one versioned row, emulator/store/fault_rules.py). Each process keeps its
FaultInjector on them: the process's poller thread (emulator/admin/poller.py) reads the version every POLL_SECONDS
and reloads the rules when it changed. The AWS path still reads only `injector.active`: no request reads the
database for rules.
A change made through this process's admin API applies here at once, and the call returns once every other live
process has applied it too (emulator/admin/processes.py).

At start-up a process with rules in its settings (file, env) stores them unless the store already holds the same
(workers and replicas started alike keep one set of counters); a process without adopts what is stored. Until
then, or while the database cannot be reached, it applies its settings' rules on its own counters.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from emulator.admin.processes import Processes
from emulator.faults.rules import FaultConfig, FaultInjector
from emulator.store.shared_config import SharedConfig

# Start-up waits this long for the first poll (the database may be away): start-up rules are then stored before the
# first request counts them (a request counted on the process's own counters before that would be counted again on
# the stored ones), and the process serves what is stored from its first request.
FIRST_POLL_WAIT_SECONDS = 2.0


class FaultSync:
    what = "fault rules"
    log = logging.getLogger("emulator.faults.rules")
    column = "fault_version"

    def __init__(
        self, *, store: SharedConfig, injector: FaultInjector, startup: FaultConfig, processes: Processes | None = None
    ) -> None:
        self.store = store
        self.processes = processes
        self.injector = injector
        self.startup = startup
        self._settled = False  # start-up rules stored or stored rules adopted (or an admin change made since)
        self._lock = threading.Lock()  # the poller thread and the event loop both apply rules

    @property
    def applied(self) -> int:
        """The stored version in force here; -1 until start-up settled (nothing applied yet)."""
        return self.injector.version if self._settled else -1

    async def replace(self, config: FaultConfig) -> None:
        """The admin API's change: stored for every process, applied here at once; returns once every live process
        applied it."""
        version = await self.store.replace_fault_rules(config.model_dump_json(), rules=len(config.rules))
        self._settled = True  # supersedes start-up rules not yet stored
        self._apply(config, version)
        if self.processes is not None:
            await self.processes.wait_applied(self.column, version, what=self.what)

    async def view(self) -> dict[str, Any]:
        """The rules in force with their counters: the stored ones, else (none stored) this process's own."""
        version, stored, counters = await self.store.fault_rules()
        if stored is None or version == 0:
            config, shown = self.injector.config, self.injector.counters()
        else:
            config = FaultConfig.model_validate_json(stored)
            shown = [{"matched": m, "injected": i} for m, i in counters]
        return {**config.model_dump(exclude_none=True), "counters": shown}

    def _apply(self, config: FaultConfig, version: int) -> None:
        with self._lock:
            if version > self.injector.version:  # never back to older rules read before a newer change
                self.injector.configure(config, version=version)

    async def poll(self) -> None:
        if not self._settled:
            await self._settle()
            return
        if await self.store.fault_version() > self.injector.version:
            version, stored, _ = await self.store.fault_rules()
            if stored is not None:
                self._apply(FaultConfig.model_validate_json(stored), version)

    async def _settle(self) -> None:
        version, stored, _ = await self.store.fault_rules()
        wanted = self.startup.model_dump_json()
        if self.startup.rules and stored != wanted:
            version = await self.store.replace_fault_rules(wanted, rules=len(self.startup.rules))
            stored = wanted
        if not self._settled and stored is not None and version:
            self._apply(FaultConfig.model_validate_json(stored), version)
        self._settled = True
