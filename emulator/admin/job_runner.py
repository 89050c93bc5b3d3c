"""The transform job runner: one background thread per serving process, with an event loop of its own, that finds
the jobs in progress in the store and runs them (emulator/transform/job_run.py). No request waits for it, and the
serving loop never runs a job's work.

Ownership lives in each job's row (its status and `state`, emulator/resources/transform_job.py), changed only by
compare-and-set, so every process on one database may run this and no job runs twice at once:
- every SCAN seconds (at once when a request of this process wakes it) the runner reads the jobs InProgress or
  Stopping in every account and region: one indexed read, nothing when there are none;
- it claims a job nobody holds, or whose holder's lease has expired, by writing its owner id and a lease expiry;
  the database lets one claimant through;
- while it runs a job it reads the row every tick and renews the lease; it stops the work when the job is
  Stopping (and writes Stopped), or when another runner holds it (the lease ran out: this one was stalled);
- it records each written output object, so whoever takes a job over (after a restart, or a process killed) goes on
  after it; at the end it writes Completed or Failed;
- stopping cleanly, it releases its jobs' leases, so another process, or this one restarted, takes them at once.
A job Stopping that nobody holds is written Stopped by whichever runner sees it (docs/decisions.md: Batch transform).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

import orjson

from emulator.model_data.s3 import S3Reader
from emulator.operations.context import Deps
from emulator.operations.transform_jobs import TRANSFORM_JOB
from emulator.resources.transform_job import IN_PROGRESS, LIVE, STOPPING, JobState
from emulator.running_loop import running_loop
from emulator.runtime.http_client import HttpClient
from emulator.store.records import LifecycleChange, Scope

log = logging.getLogger("emulator.transform")
# Jobs read per scan: more wait for the next one.
SCAN_LIMIT = 100
# Compare-and-set rounds before a write gives up (each lost round: another writer changed the row meanwhile).
_ROUNDS = 20


class Lost(Exception):
    """The job is no longer this runner's: another holds it, or it is gone."""


class Stopped(Exception):
    """The job is being stopped: its work ends here."""


def _wall_ms() -> int:
    # Leases are compared across processes (and replicas' machines): the wall clock, as heartbeats are.
    return int(time.time() * 1000)


class Held:
    """A job this runner holds: the status and state last written or read, which the next compare-and-set expects."""

    def __init__(self, *, scope: Scope, name: str, status: str, text: str, modified_ms: int, runner: JobRunner) -> None:
        self.scope = scope
        self.name = name
        self.status = status
        self.text = text
        self.state = JobState.loads(text)
        self.modified_ms = modified_ms
        self.runner = runner
        self.poke = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def update(self, change: Callable[[str, JobState], tuple[str, JobState]]) -> None:
        """Writes change(status, state) over what is stored, re-reading after a lost round; Lost when the job is
        not this runner's any more. `change` may raise (Stopped) on what it finds."""
        async with self._lock:
            for _ in range(_ROUNDS):
                status, state = change(self.status, replace(self.state))
                text = state.dumps()
                now = self.runner.clock_ms()
                modified = now if status != self.status else self.modified_ms
                written = LifecycleChange(
                    scope=self.scope,
                    name=self.name,
                    expect_status=self.status,
                    expect_state=self.text,
                    status=status,
                    state=text,
                    modified_ms=modified,
                )
                if await self.runner.deps.store.change_lifecycle(written):
                    self.status, self.text, self.state, self.modified_ms = status, text, state, modified
                    return
                await self._reread()
            raise Lost()

    async def refresh(self) -> None:
        async with self._lock:
            await self._reread()

    async def _reread(self) -> None:
        stored = await self.runner.deps.store.get(self.scope, self.name)
        if stored is None or stored.status is None:
            raise Lost()
        state = JobState.loads(stored.state)
        if state.owner != self.runner.owner:
            raise Lost()
        self.status, self.text, self.state = stored.status, stored.state or "", state
        self.modified_ms = stored.modified_ms or stored.creation_ms


class JobRunner:
    def __init__(
        self,
        *,
        deps: Deps,
        s3: S3Reader,
        scan_seconds: float,
        lease_seconds: float,
    ) -> None:
        self.deps = deps
        self.s3 = s3
        self.scan_seconds = scan_seconds
        self.lease_ms = int(lease_seconds * 1000)
        # How often a held job's row is read (a Stop seen, the lease renewed): three times a lease at least.
        self.tick = min(scan_seconds, lease_seconds / 3)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held: dict[tuple[Scope, str], Held] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._woken: asyncio.Event | None = None
        self._failing = False

    def clock_ms(self) -> int:
        """Times the API shows (TransformStartTime, LastModifiedTime): the server's clock, as creation times."""
        return round(self.deps.clock() * 1000)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="emulator-transform", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stops the jobs this process runs, releasing them for another process, and ends the thread."""
        self._stop.set()
        loop, woken = self._loop, self._woken
        if loop is not None and woken is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(woken.set)
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        with asyncio.Runner() as runner:
            runner.run(self._main())

    async def _main(self) -> None:
        self._loop = running_loop()
        self._woken = asyncio.Event()
        self.deps.job_wakeup.attach(self._loop, self._woken)
        self.http = HttpClient()
        try:
            while not self._stop.is_set():
                await self._scan_once()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._woken.wait(), self.scan_seconds)
                self._woken.clear()
                for held in self.held.values():
                    held.poke.set()  # a request of this process may have stopped one: look now, not at the tick
        finally:
            self.deps.job_wakeup.detach()
            tasks = [held.task for held in self.held.values() if held.task is not None]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.http.close()

    async def _scan_once(self) -> None:
        try:
            await self.scan()
            if self._failing:
                log.info("transform jobs: the database answers again")
            self._failing = False
        except Exception as exc:  # noqa: BLE001 - the database is away: the next scan tries again
            if not self._failing:
                log.warning("transform jobs: cannot read them from the database: %s", exc)
            self._failing = True

    async def scan(self) -> None:
        """Claims every job nobody holds, and ends every Stopping one nobody holds."""
        live = await self.deps.store.live(TRANSFORM_JOB.arn_type, LIVE, limit=SCAN_LIMIT)
        now = _wall_ms()
        for row in live:
            key = (row.scope, row.name.lower())
            if key in self.held or self._stop.is_set():
                continue
            try:
                state = JobState.loads(row.state)
            except ValueError:
                continue
            if state.owner is not None and state.lease_ms > now:
                continue  # held by a live runner
            text = row.state or ""
            held = Held(
                scope=row.scope,
                name=row.name,
                status=row.status,
                text=text,
                modified_ms=row.modified_ms or now,
                runner=self,
            )
            try:
                if row.status == STOPPING:
                    await self._end(held, claim=True)
                    continue
                await held.update(self._claim)
            except (Lost, Stopped):
                continue  # another runner was first, or a Stop came meanwhile: the next scan sees which
            held.task = asyncio.create_task(self._hold(held), name=f"transform-job {row.name}")
            self.held[key] = held
            held.task.add_done_callback(functools.partial(self._forget, key))

    def _forget(self, key: tuple[Scope, str], _: asyncio.Task[None]) -> None:
        self.held.pop(key, None)

    def _claim(self, status: str, state: JobState) -> tuple[str, JobState]:
        if status != IN_PROGRESS:
            raise Stopped()
        state.owner, state.lease_ms = self.owner, _wall_ms() + self.lease_ms
        if state.start_ms is None:
            state.start_ms = self.clock_ms()
        return status, state

    def _as_mine(self, status: str, state: JobState) -> tuple[str, JobState]:
        """Another runner's expired hold, taken over for the end."""
        state.owner, state.lease_ms = self.owner, _wall_ms() + self.lease_ms
        return status, state

    async def _end(self, held: Held, *, claim: bool = False) -> None:
        """A Stopping job written Stopped."""
        if claim:
            await held.update(self._as_mine)
        await held.update(lambda status, state: self._ended("Stopped", state))

    def _ended(self, status: str, state: JobState, reason: str | None = None) -> tuple[str, JobState]:
        state.owner, state.lease_ms, state.end_ms, state.reason = None, 0, self.clock_ms(), reason
        return status, state

    async def _hold(self, held: Held) -> None:
        """Runs a held job to its end, reading its row every tick: renews the lease, notices a Stop or a loss."""
        stored = await self.deps.store.get(held.scope, held.name)
        if stored is None:
            return
        # The work's modules load with the first job (start-up is measured; most servers never run one).
        from emulator.transform.job_run import Job

        job = Job(
            scope=held.scope,
            name=held.name,
            definition=orjson.loads(stored.definition),
            deps=self.deps,
            s3=self.s3,
            http=self.http,
        )

        async def progress(done: int) -> None:
            def recorded(status: str, state: JobState) -> tuple[str, JobState]:
                if status != IN_PROGRESS:
                    raise Stopped()
                state.done, state.lease_ms = done, _wall_ms() + self.lease_ms
                return status, state

            await held.update(recorded)

        work = asyncio.create_task(job.run(done=held.state.done, progress=progress))
        try:
            outcome = await self._watch(held, work)
        except asyncio.CancelledError:
            # The runner stops: the job is released for another process (or this one, restarted) to take at once.
            await _cancelled(work)
            with contextlib.suppress(Lost, Exception):
                await asyncio.shield(held.update(self._released))
            raise
        try:
            await self._finish(held, work, outcome)
        except Lost:
            pass
        except Exception:
            log.exception("transform job %s: cannot record its end", held.name)

    def _released(self, status: str, state: JobState) -> tuple[str, JobState]:
        state.owner, state.lease_ms = None, 0
        return status, state

    async def _watch(self, held: Held, work: asyncio.Task[None]) -> str:
        """Until the work ends ("done"), the job is being stopped ("stop") or is another's ("lost")."""
        while True:
            poke = asyncio.ensure_future(held.poke.wait())
            await asyncio.wait({work, poke}, timeout=self.tick, return_when=asyncio.FIRST_COMPLETED)
            poke.cancel()
            held.poke.clear()
            if work.done():
                return "done"
            try:
                await held.refresh()
                if held.status == STOPPING:
                    await _cancelled(work)
                    return "stop"
                if held.state.lease_ms - _wall_ms() < self.lease_ms * 2 // 3:
                    await held.update(self._renewed)
            except Lost:
                await _cancelled(work)
                return "lost"
            except Exception as exc:  # noqa: BLE001 - the database is away: keep working while the lease holds
                log.warning("transform job %s: cannot read its row: %s", held.name, exc)

    def _renewed(self, status: str, state: JobState) -> tuple[str, JobState]:
        state.lease_ms = _wall_ms() + self.lease_ms
        return status, state

    async def _finish(self, held: Held, work: asyncio.Task[None], outcome: str) -> None:
        if outcome == "lost":
            log.warning("transform job %s: another runner holds it now; this one stopped its work", held.name)
            return
        if outcome == "stop":
            await held.update(lambda status, state: self._ended("Stopped", state))
            return
        error = work.exception()
        if isinstance(error, Lost):
            return
        if isinstance(error, Stopped):
            await held.update(lambda status, state: self._ended("Stopped", state))
            return
        from emulator.transform.job_run import JobFailed  # loaded by _hold already

        if error is None:
            final, reason = "Completed", None
        elif isinstance(error, JobFailed):
            final, reason = "Failed", error.reason
        else:
            log.error("transform job %s failed inside the emulator", held.name, exc_info=error)
            final, reason = "Failed", f"InternalServerError: {type(error).__name__}: {error}"[:1024]

        def ended(status: str, state: JobState) -> tuple[str, JobState]:
            # A Stop that came as the work ended wins: the API acknowledged it.
            return self._ended(
                "Stopped" if status == STOPPING else final, state, None if status == STOPPING else reason
            )

        await held.update(ended)


async def _cancelled(work: asyncio.Task[None]) -> None:
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await work
