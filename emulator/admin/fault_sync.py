"""The fault-injection rules of every process on one database kept the same: `serve --workers N` and replicas.

The rules live in the store (one versioned row, emulator/store/fault_rules.py). Each process keeps its
FaultInjector on them: the process's poller thread (emulator/admin/poller.py) reads the version every POLL_SECONDS
and reloads the rules when it changed. The AWS path still reads only `injector.active`: no request reads the
database for rules.
A change made through this process's admin API applies here at once, in the others within one poll.

At start-up a process with rules in its settings (file, env) stores them unless the store already holds the same
(workers and replicas started alike keep one set of counters); a process without adopts what is stored. Until
then, or while the database cannot be reached, it applies its settings' rules on its own counters.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from emulator.faults import FaultConfig, FaultInjector
from emulator.store.store import Store

# Start-up waits this long for the first poll, so start-up rules are stored before the first request counts them (a
# request counted on the process's own counters before that would be counted again on the stored ones).
FIRST_POLL_WAIT_SECONDS = 2.0


class FaultSync:
    what = "fault rules"
    log = logging.getLogger("emulator.faults")

    def __init__(self, *, store: Store, injector: FaultInjector, startup: FaultConfig) -> None:
        self.store = store
        self.injector = injector
        self.startup = startup
        self._settled = False  # start-up rules stored or stored rules adopted (or an admin change made since)
        self._lock = threading.Lock()  # the poller thread and the event loop both apply rules

    @property
    def first_poll_wait(self) -> float:
        """How long start-up waits for the first poll: with start-up rules, until it has stored them (at most
        FIRST_POLL_WAIT_SECONDS: the database may be away); without, not at all (start-up never waits on the
        database)."""
        return FIRST_POLL_WAIT_SECONDS if self.startup.rules else 0.0

    async def replace(self, config: FaultConfig) -> None:
        """The admin API's change: stored for every process, applied here at once."""
        version = await self.store.replace_fault_rules(config.model_dump_json(), rules=len(config.rules))
        self._settled = True  # supersedes start-up rules not yet stored
        self._apply(config, version)

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
