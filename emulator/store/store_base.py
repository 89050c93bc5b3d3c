"""How the store runs SQL, for both of its sides (emulator/store/resource_store.py, shared_config.py): each method is
one whole transaction, and a failed one leaves nothing behind. Every method is a coroutine: the store decides where
its SQL runs, so no caller can block the event loop on the database by running it in the wrong place. The two
databases differ only in how SQL runs: SqliteStore (emulator/store/sqlite_store.py) and PostgresStore
(emulator/store/postgres_store.py) implement `_rows` and `_write`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from emulator.running_loop import running_loop
from emulator.store.database import Database
from emulator.store.schema import SchemaGate
from emulator.store.statements import Params, Statements

T = TypeVar("T")
# Threads for the database work that does not run on the event loop; more than the connection pool, so a request
# waiting for a connection never holds up one that has its answer.
THREADS = 64
# True in the event loop of a background thread (emulator/runtime/async_worker.py): its writes are all heavy. SQLite's
# loop-side writer belongs to the first loop that writes, which must be the serving loop, and a loop that ends with
# a write's COMMIT still scheduled on it would hold the database's write lock for good.
background_loop: contextvars.ContextVar[bool] = contextvars.ContextVar("background_loop", default=False)


class StoreBase:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.schema = SchemaGate(database)
        self.executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="emulator-store")

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
