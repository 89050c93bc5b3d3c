"""Every process serving on one database (`serve --workers N`, replicas) and what it has applied: what lets an admin
change of the shared configuration (fault rules, canned answers, the model server table) return only once every
live process honours it.

Each process has a row (emulator/store/process_rows.py): a heartbeat and, per configuration, the version it applied.
Its poller thread (emulator/admin/poller.py) writes the row after a poll that applied a new version (the
acknowledgement) and at least every HEARTBEAT_SECONDS; a process that stops deletes it. An admin change stores the
new version, applies it in its own process, then waits (polling the rows, asleep on the event loop in between) until
every other process whose heartbeat is younger than STALE_SECONDS has applied it, or ACK_WAIT_SECONDS have passed
(logged: a process is stuck, or the clocks of replicas' machines disagree). A process killed without leaving is
waited for until its heartbeat is stale. No request reads any of this: the AWS path is unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable

from emulator.store.shared_config import SharedConfig

log = logging.getLogger("emulator.processes")

# A live process writes its row at least this often, even when nothing changed.
HEARTBEAT_SECONDS = 2.0
# A heartbeat older than this is a process that is gone: changes stop waiting for it. Several heartbeats, so a slow
# beat (a busy database) does not drop a live process.
STALE_SECONDS = 7.0
# An admin change waits at most this long for the other processes; then it answers anyway, and logs which lag.
ACK_WAIT_SECONDS = 5.0
# How often a waiting change reads the rows: a one-row read on a small table.
ACK_CHECK_SECONDS = 0.01
# Rows of processes killed without leaving are deleted once their heartbeat is this old.
PRUNE_SECONDS = 600.0


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


class Processes:
    def __init__(self, *, store: SharedConfig, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock  # wall clock: heartbeats are compared across processes, and machines for replicas
        self.id = uuid.uuid4().hex
        self._beaten: dict[str, int] | None = None  # the versions of the last beat written; None: none yet
        self._beaten_at = 0.0

    async def beat(self, versions: dict[str, int]) -> None:
        """From the poller, after each round: writes this process's row when what it applied changed, or when the
        last heartbeat is HEARTBEAT_SECONDS old."""
        now = self.clock()
        if versions == self._beaten and now - self._beaten_at < HEARTBEAT_SECONDS:
            return
        first = self._beaten is None
        prune = _ms(now - PRUNE_SECONDS) if first else None
        await self.store.beat_process(self.id, heartbeat_ms=_ms(now), versions=versions, prune_before=prune)
        self._beaten, self._beaten_at = dict(versions), now

    async def leave(self) -> None:
        """The process stops: changes stop waiting for it at once."""
        if self._beaten is not None:
            await self.store.leave_process(self.id)
            self._beaten = None

    async def others_settled(self, column: str) -> list[str]:
        """The other processes with a fresh heartbeat that have applied a version of the configuration of `column`
        (that were serving before this one started, or started alongside and settled first)."""
        return await self.store.settled_processes(column, fresh_ms=_ms(self.clock() - STALE_SECONDS), me=self.id)

    async def wait_applied(self, column: str, version: int, *, what: str) -> None:
        """Returns once every other live process has applied `version` of the configuration of `column`, or after
        ACK_WAIT_SECONDS (logged)."""
        deadline = time.monotonic() + ACK_WAIT_SECONDS
        while True:
            fresh = _ms(self.clock() - STALE_SECONDS)
            lagging = await self.store.lagging_processes(column, version, fresh_ms=fresh, me=self.id)
            if not lagging:
                return
            if time.monotonic() >= deadline:
                log.warning(
                    "%s: %d process(es) did not apply version %d within %gs (stuck, or their clock differs): %s",
                    what,
                    len(lagging),
                    version,
                    ACK_WAIT_SECONDS,
                    ", ".join(lagging),
                )
                return
            await asyncio.sleep(ACK_CHECK_SECONDS)
