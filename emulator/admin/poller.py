"""A background thread that keeps one process's copy of something shared through the store up to date: it runs
`_poll` every POLL_SECONDS on an event loop of its own (the store's methods are coroutines), so no request ever
reads the shared thing from the database. Fault rules (emulator/admin/fault_sync.py) and the runtime's canned
answers and model server table (emulator/admin/runtime_sync.py) are kept this way."""

from __future__ import annotations

import asyncio
import logging
import threading

# How stale another process's view may be. A SQLite read of one row costs tens of µs, a PostgreSQL round trip about
# a millisecond: five a second per process is nothing next to any request load.
POLL_SECONDS = 0.2


class Poller:
    def __init__(self, *, name: str, what: str, log: logging.Logger, interval: float = POLL_SECONDS) -> None:
        self.interval = interval
        self._name = name  # the thread's
        self._what = what  # as the log lines name it
        self._log = log
        self._stop = threading.Event()
        self._polled = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def start(self, *, wait: float = 0.0) -> None:
        """Starts polling; with `wait`, returns once the first poll has ended or after that many seconds."""
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        if wait:
            self._polled.wait(wait)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    async def _poll(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        # Between polls the thread sleeps on the stop event, so close() ends it at once.
        with asyncio.Runner() as runner:
            while True:
                try:
                    runner.run(self._poll())
                    if self._failing:
                        self._log.info("%s: the database answers again", self._what)
                    self._failing = False
                except Exception as exc:  # noqa: BLE001 - the database is away; the next poll tries again
                    if not self._failing:
                        self._log.warning("%s: cannot read them from the database: %s", self._what, exc)
                    self._failing = True
                self._polled.set()
                if self._stop.wait(self.interval):
                    return
