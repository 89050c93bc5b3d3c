"""One background thread per process that keeps its copies of what is shared through the store up to date: every
POLL_SECONDS it runs each kept thing's `poll` on an event loop of its own (the store's methods are coroutines), so
no request ever reads the shared thing from the database. Fault rules (emulator/faults/fault_sync.py) and the
runtime's canned answers and model server table (emulator/runtime/runtime_sync.py) are kept this way, by one thread
with one database connection. The thread also keeps this process's row among the live processes
(emulator/admin/processes.py): registered before its first poll, written after a round that applied a new version
(which an admin change made in another process waits for) and as a heartbeat, deleted when it stops."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from typing import Protocol

from emulator.admin.processes import Processes

log = logging.getLogger("emulator.processes")
# How long another process takes to apply a change, so how long an admin change waits for it (processes.py). A SQLite
# read of one row costs tens of µs, a PostgreSQL round trip about a millisecond: ten a second per process is nothing
# next to any request load.
POLL_SECONDS = 0.1


class Kept(Protocol):
    """Something a process keeps a copy of: `poll` brings the copy up to date; `what` names it in log lines;
    `applied` is the stored version the copy is, reported in this process's row under `column`."""

    what: str
    log: logging.Logger
    column: str

    @property
    def applied(self) -> int: ...

    async def poll(self) -> None: ...


class Poller:
    def __init__(
        self, kept: Sequence[Kept], *, interval: float = POLL_SECONDS, processes: Processes | None = None
    ) -> None:
        self.interval = interval
        self.processes = processes
        self._beat_failing = False
        self._kept = list(kept)
        self._failing = [False] * len(self._kept)
        self._stop = threading.Event()
        self._polled = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, *, wait: float = 0.0) -> None:
        """Starts polling; with `wait`, returns once the first round of polls has ended or after that many seconds."""
        self._thread = threading.Thread(target=self._run, name="emulator-sync", daemon=True)
        self._thread.start()
        if wait:
            self._polled.wait(wait)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        # Between rounds the thread sleeps on the stop event, so close() ends it at once.
        with asyncio.Runner() as runner:
            # Registered before the first poll: a change stored after this waits for us; one stored before, the
            # first poll reads.
            self._beat(runner)
            while True:
                for i, kept in enumerate(self._kept):
                    try:
                        runner.run(kept.poll())
                        if self._failing[i]:
                            kept.log.info("%s: the database answers again", kept.what)
                        self._failing[i] = False
                    except Exception as exc:  # noqa: BLE001 - the database is away; the next poll tries again
                        if not self._failing[i]:
                            kept.log.warning("%s: cannot read them from the database: %s", kept.what, exc)
                        self._failing[i] = True
                self._beat(runner)  # acknowledges what the round applied: start-up returns once it is written
                self._polled.set()
                if self._stop.wait(self.interval):
                    self._leave(runner)
                    return

    def _beat(self, runner: asyncio.Runner) -> None:
        if self.processes is None:
            return
        try:
            runner.run(self.processes.beat({kept.column: kept.applied for kept in self._kept}))
            self._beat_failing = False
        except Exception as exc:  # noqa: BLE001 - the database is away; the next round tries again
            if not self._beat_failing:
                log.warning("live processes: cannot write this one's heartbeat: %s", exc)
            self._beat_failing = True

    def _leave(self, runner: asyncio.Runner) -> None:
        if self.processes is None:
            return
        try:
            runner.run(self.processes.leave())
        except Exception as exc:  # noqa: BLE001 - its heartbeat goes stale instead
            log.warning("live processes: cannot remove this one's row: %s", exc)
