"""SQLite's write transactions, grouped into one commit per batch.

A durable SQLite commit waits for the disk (fsync). Writes that arrive together therefore share one transaction
and one commit, and every caller gets its answer only after the commit that holds its writes has reached the disk;
a request that fails (a duplicate name, a limit) leaves nothing of its own behind. (PostgreSQL groups concurrent
commits itself: emulator/store/postgres.py gives each write a transaction of its own.)

Writes from the event loop run their statements and the COMMIT on the loop itself (LoopWriter) when they can take
the write lock at once; a write is atomic by itself (emulator/store/writes.py). Otherwise, and for calls from
threads and heavy work (admin imports), they queue for one writer thread, which runs each in a savepoint. Statements take microseconds, but the sqlite3 module releases the GIL around each
one, and a writer thread that gives the GIL up a dozen times per request to a busy event loop spends more on
getting it back than on the writes.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from emulator.running_loop import running_loop
from emulator.store.database import Database
from emulator.store.records import CleanFailure

T = TypeVar("T")
# Driver SQL on the sqlite3 connection, inside a transaction it must not end.
Work = Callable[[sqlite3.Connection], Any]
RawWork = Callable[[sqlite3.Connection], T]

MAX_BATCH = 64
# Loop iterations a loop-side batch waits for more creates before its COMMIT (LoopWriter).
GATHER_MIN_ITERATIONS = 2
GATHER_MAX_ITERATIONS = 8
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


def _no_check() -> None:
    pass


class Transactions:
    """run(work) executes work(conn) in a write transaction and returns its result once it is committed.

    before_batch runs before each batch takes the write lock; what it raises fails the whole batch, unwritten."""

    def __init__(self, database: Database, *, before_batch: Callable[[], None] = _no_check) -> None:
        self.database = database
        self.before_batch = before_batch
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None  # the writer thread's own, kept across batches
        self._last_batch = 1
        self._start_lock = threading.Lock()
        self._loop_writer: LoopWriter | None = None
        # Jobs queued for the writer thread or running there: while there are any, the loop's writes queue behind
        # them, so the loop, which takes the lock without waiting, cannot starve the thread that waits for it.
        self._threaded_jobs = 0

    def run(self, work: RawWork[T]) -> T:
        """From a thread: work in the writer thread's next batch; its result once committed."""
        job = _Job(work)
        self._ensure_writer()
        with self._start_lock:
            self._threaded_jobs += 1
        try:
            self._queue.put(job)
            assert job.done is not None
            job.done.wait()
        finally:
            with self._start_lock:
                self._threaded_jobs -= 1
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[no-any-return]

    async def submit(self, work: RawWork[T], *, on_loop: bool = True) -> T:
        """run() for a coroutine on the event loop: no thread waits for the commit. On the loop's own connection when
        it can take the write lock at once (and on_loop: work of microseconds), else queued for the writer thread."""
        loop = running_loop()
        if on_loop and self._loop_writer is None:
            with self._start_lock:
                if self._loop_writer is None:
                    self._loop_writer = LoopWriter(self.database, loop, before_batch=self.before_batch)
        writer = self._loop_writer
        if on_loop and writer is not None and writer.loop is loop and not self._threaded_jobs:
            done, result = await writer.run(work)
            if done:
                return cast(T, result)
        future: asyncio.Future[T] = loop.create_future()
        self._ensure_writer()
        with self._start_lock:
            self._threaded_jobs += 1  # the loop's own writes queue behind this one too, so it is not starved
        try:
            self._queue.put(_Job(work, future))
            return await future
        finally:
            with self._start_lock:
                self._threaded_jobs -= 1

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
        if self._loop_writer is not None:
            self._loop_writer.close()
            self._loop_writer = None

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
                self._conn = self.database.connect_sqlite()
            conn = self._conn
            self.before_batch()
            conn.execute("BEGIN IMMEDIATE")  # waits for the write lock (busy_timeout)
            try:
                for job in batch:
                    conn.execute("SAVEPOINT job")
                    try:
                        job.result = job.work(conn)
                    except Exception as exc:  # noqa: BLE001 - the job's own failure, handed to its caller
                        job.error = exc
                        conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
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
            except sqlite3.Error:
                pass  # a broken connection may fail to close; it is dropped either way


class RolledBack(sqlite3.OperationalError):
    """What the other jobs of a rolled-back batch get: nothing of theirs is stored, and their caller retries."""


class LoopWriter:
    """Grouped commits for coroutines of one event loop, all on the loop: each write runs its statements in the
    open transaction and awaits the commit. The first write after a commit takes the lock (BEGIN IMMEDIATE, without
    waiting) and schedules the COMMIT a few loop iterations later, so requests that arrive together share it.

    How many: a callback scheduled with call_soon runs in the next iteration, after its I/O poll but before the
    requests that poll read, which are queued behind it. So the COMMIT waits for at least one such poll's requests
    (GATHER_MIN_ITERATIONS), and then for as long as the batch still grew in the last iteration, up to
    GATHER_MAX_ITERATIONS: concurrent clients share one disk flush instead of taking turns with it, while one
    client's write waits only for two polls that find nothing.

    The COMMIT blocks the loop while the disk flushes (the sqlite3 module lets go of the GIL meanwhile): on two
    cores that costs less than handing it to a thread (docs/decisions.md, "Concurrency and the hot path").

    No savepoint per job: each write is atomic itself (emulator/store/writes.py) or fails its batch."""

    def __init__(
        self, database: Database, loop: asyncio.AbstractEventLoop, *, before_batch: Callable[[], None] = _no_check
    ) -> None:
        self.database = database
        self.loop = loop
        self.before_batch = before_batch
        self._conn: sqlite3.Connection | None = None
        # The open transaction's callers, one future each (None: no transaction open). A cancelled caller
        # cancels only its own future; its writes commit with the others'.
        self._jobs: list[asyncio.Future[None]] | None = None
        self._poison: BaseException | None = None  # a job failed midway: the open transaction must not commit
        self._iterations = 0  # loop iterations the open transaction has waited for more jobs
        self._seen = 0  # its jobs at the last of them

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = self.database.connect_sqlite()  # ours alone, with the engine's pragmas
            conn.execute("PRAGMA busy_timeout=0")  # the loop must never sleep on a lock: BUSY sends the job away
            self._conn = conn
        return self._conn

    async def run(self, work: RawWork[T]) -> tuple[bool, T | None]:
        """(True, result) once committed; (False, None) if the write lock is taken (nothing was done)."""
        conn = self._connection()
        jobs = self._jobs
        if jobs is None:
            self.before_batch()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return False, None  # another connection (a thread here, another process) is writing
            jobs = self._jobs = []
            self._iterations = self._seen = 0
            self.loop.call_soon(self._commit_when_gathered)
        done: asyncio.Future[None] = self.loop.create_future()
        jobs.append(done)
        error: BaseException | None = None
        result: T | None = None
        poisoned = False
        try:
            result = work(conn)
        except CleanFailure as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - handed to its caller; the batch is rolled back
            error, poisoned = exc, True
            self._poison = self._poison or RolledBack(f"another write of its batch failed: {exc!r}")
        try:
            await done
        except RolledBack:
            if not poisoned:
                raise  # even a clean failure: what it was decided against is gone, so it is tried again
        if error is not None:
            raise error
        return True, result

    def _commit_when_gathered(self) -> None:
        """Once per loop iteration: wait for one more while the batch grows (see the class), else COMMIT."""
        jobs = self._jobs
        assert jobs is not None
        self._iterations += 1
        growing = len(jobs) > self._seen
        if self._iterations < GATHER_MIN_ITERATIONS or (growing and self._iterations < GATHER_MAX_ITERATIONS):
            self._seen = len(jobs)
            self.loop.call_soon(self._commit_when_gathered)
            return
        self._commit()

    def _commit(self) -> None:
        """COMMIT the open transaction, or ROLLBACK it when a job failed midway; then answer its callers."""
        jobs, self._jobs = self._jobs, None
        poison, self._poison = self._poison, None
        conn = self._conn
        assert jobs is not None and conn is not None
        error: BaseException | None = poison
        if error is None:
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                error = exc
        if error is not None:
            # Nothing of the batch is stored; the next batch starts on a fresh connection.
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # nothing left open, or a broken connection: closing it ends either
            self._discard()
        for done in jobs:
            if done.cancelled():
                continue
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(None)

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass

    def close(self) -> None:
        self._discard()
