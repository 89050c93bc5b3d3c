"""Write transactions: one per call on PostgreSQL, grouped into one commit per batch on SQLite.

A durable SQLite commit waits for the disk (fsync). Creates that arrive together are therefore run by one writer
thread in a single transaction, each inside its own savepoint, and committed with one fsync: a request that fails
(a duplicate name, a limit) rolls back its savepoint alone, and every caller gets its answer only after the commit
that holds its writes has reached the disk. PostgreSQL groups concurrent commits itself, so there each call is
simply its own transaction on a pooled connection.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")
Work = Callable[[Connection], Any]

MAX_BATCH = 64


class _Job:
    """One caller's work; `finish` wakes the caller: a thread waiting on an Event, or an awaiting coroutine."""

    __slots__ = ("done", "error", "future", "result", "work")

    def __init__(self, work: Work, future: asyncio.Future[Any] | None = None) -> None:
        self.work = work
        self.future = future
        self.done = threading.Event() if future is None else None
        self.result: Any = None
        self.error: BaseException | None = None

    def finish(self) -> None:
        if self.done is not None:
            self.done.set()
            return
        future = self.future
        assert future is not None
        future.get_loop().call_soon_threadsafe(_settle, future, self.result, self.error)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Transactions:
    """run(work) executes work(conn) in a write transaction and returns its result once it is committed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.grouped = engine.dialect.name == "sqlite"
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def run(self, work: Callable[[Connection], T]) -> T:
        if not self.grouped:
            with self.engine.connect().execution_options(write=True) as conn, conn.begin():
                return work(conn)
        job = _Job(work)
        self._ensure_writer()
        self._queue.put(job)
        assert job.done is not None
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[no-any-return]

    async def submit(self, work: Callable[[Connection], T]) -> T:
        """run() for a coroutine on the event loop (SQLite only): no thread waits, the loop awaits the commit."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._ensure_writer()
        self._queue.put(_Job(work, future))
        return await future

    def _ensure_writer(self) -> None:
        if self._writer is None:
            with self._start_lock:
                if self._writer is None:
                    self._writer = threading.Thread(target=self._write_batches, name="sqlite-writer", daemon=True)
                    self._writer.start()

    def _write_batches(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)

    def _commit(self, batch: list[_Job]) -> None:
        try:
            with self.engine.connect().execution_options(write=True) as conn, conn.begin():
                # Savepoints on the driver connection: SQLAlchemy's nested transactions cost more than the writes.
                raw = conn.connection.driver_connection
                assert raw is not None
                for job in batch:
                    raw.execute("SAVEPOINT job")
                    try:
                        job.result = job.work(conn)
                    except Exception as exc:  # noqa: BLE001 - the job's own failure, handed to its caller
                        job.error = exc
                        raw.execute("ROLLBACK TO job")
                    raw.execute("RELEASE job")
        except BaseException as exc:  # noqa: BLE001 - BEGIN or COMMIT failed: nothing of the batch is stored
            for job in batch:
                job.result, job.error = None, exc
        finally:
            for job in batch:
                job.finish()
