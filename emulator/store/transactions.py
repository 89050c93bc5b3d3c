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
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")
Work = Callable[[Connection], Any]

MAX_BATCH = 64
# How long the writer may wait for the jobs it expects: about one disk flush here.
GATHER_SECONDS = 0.0005


class _Job:
    """One caller's work, and how to wake the caller: a thread waits on an Event, a coroutine awaits a future."""

    __slots__ = ("done", "error", "future", "result", "work")

    def __init__(self, work: Work, future: asyncio.Future[Any] | None = None) -> None:
        self.work = work
        self.future = future
        self.done = threading.Event() if future is None else None
        self.result: Any = None
        self.error: BaseException | None = None


_STOP = _Job(lambda conn: None)  # tells the writer to finish


def _settle_all(jobs: list[_Job]) -> None:
    """On the event loop: hand each awaiting coroutine its result."""
    for job in jobs:
        future = job.future
        assert future is not None
        if future.cancelled():
            continue
        if job.error is not None:
            future.set_exception(job.error)
        else:
            future.set_result(job.result)


def _wake(batch: list[_Job]) -> None:
    """Wakes every caller of a batch: threads through their Event, coroutines with one call per event loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
    for job in batch:
        if job.done is not None:
            job.done.set()
        else:
            assert job.future is not None
            by_loop.setdefault(job.future.get_loop(), []).append(job)
    for loop, jobs in by_loop.items():
        loop.call_soon_threadsafe(_settle_all, jobs)


class Transactions:
    """run(work) executes work(conn) in a write transaction and returns its result once it is committed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.grouped = engine.dialect.name == "sqlite"
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._conn: Connection | None = None  # the writer thread's own, kept across batches
        self._last_batch = 1
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

    def close(self) -> None:
        """Stops the writer (after the batches queued before this call) and closes its connection."""
        writer = self._writer
        if writer is not None:
            self._queue.put(_STOP)
            writer.join(timeout=10)
            self._writer = None

    def _write_batches(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                self._discard_connection()
                return
            batch = [first]
            # Concurrency seen in the last batch is likely still there: wait a moment for that many jobs, as
            # PostgreSQL's commit_delay does, rather than spend a disk flush on each. One client alone never waits.
            deadline = time.monotonic() + GATHER_SECONDS
            while len(batch) < MAX_BATCH:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    remaining = deadline - time.monotonic()
                    if len(batch) >= self._last_batch or remaining <= 0:
                        break
                    try:
                        job = self._queue.get(timeout=remaining)
                    except queue.Empty:
                        break
                if job is _STOP:
                    self._queue.put(job)  # after this batch
                    break
                batch.append(job)
            self._last_batch = len(batch)
            self._commit(batch)

    def _commit(self, batch: list[_Job]) -> None:
        try:
            if self._conn is None:
                self._conn = self.engine.connect().execution_options(write=True)
            conn = self._conn
            with conn.begin():
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
            self._discard_connection()
        finally:
            _wake(batch)

    def _discard_connection(self) -> None:
        """After a failed batch, start the next one on a fresh connection."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped either way
                pass
