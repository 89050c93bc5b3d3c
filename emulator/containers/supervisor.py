"""The supervisor: one thread per process, with an event loop of its own, that runs the containers of endpoints'
deployments as local processes, from the operator's model command (emulator/containers/commands.py).

Every TICK it reads the container rows (emulator/store/container_rows.py). A container nobody runs (new, released,
or whose owner's lease ran out: a process that was killed) it takes over by compare-and-set, so each has one owner
among every process on the database; the others proxy invocations to the URL the owner records. For each container
it owns it downloads the model data into the cache (emulator/model_data/cache.py), starts the command on a port of
its own, pings `/ping` until 200 (then the row is Healthy, with its URL) or until the startup timeout passes or the
process exits (then Failed, with AWS's FailureReason: the endpoint ends Failed). A container that was healthy and
exits is started again. A retired container (its endpoint deleted, updated away or failed) is stopped after DRAIN
seconds, for the invocations already routed to it, and its row deleted. The owner renews its lease every RENEW
seconds and checks every RECONCILE seconds that each endpoint still wants its containers (an endpoint deleted by a
reset, or whose process died between its write and the containers'). A process that stops stops its containers and
releases their rows, so another process takes them over at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.containers.directory import ANSWERING, ContainerDirectory
from emulator.containers.local import STOP_GRACE, DownloadFailed, LocalRuntime
from emulator.containers.specs import ContainerSpec
from emulator.resources.endpoint import EndpointState, container_keys, failure_reason
from emulator.runtime.model_servers import ModelServers
from emulator.store.container_rows import ContainerRow
from emulator.store.records import Scope
from emulator.store.store import Store

if TYPE_CHECKING:
    pass

log = logging.getLogger("emulator.containers")

# How often the rows are read while the process runs containers or some are wanted, and while none are.
TICK = 0.2
IDLE_TICK = 0.5
# A lease lasts LEASE seconds and is renewed every RENEW: a killed owner's containers move within LEASE.
LEASE = 7.0
RENEW = 2.0
RECONCILE = 2.0
# A retired container keeps answering what was routed to it this long before it is stopped.
DRAIN = 3.0
# A restart waits RETRY, doubled each time up to RETRY_MAX.
RETRY = 0.5
RETRY_MAX = 30.0


@dataclass
class Run:
    spec: ContainerSpec
    row: ContainerRow
    task: asyncio.Task[None] | None = None
    stopping: bool = False
    retired_at: float | None = None


class Supervisor:
    def __init__(self, *, store: Store, directory: ContainerDirectory, owner: str, runtime: LocalRuntime) -> None:
        self.store = store
        self.directory = directory
        self.owner = owner
        self.runtime = runtime
        self.runs: dict[str, Run] = {}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._renewed = 0.0
        self._reconciled = 0.0
        self._failing = False

    # The thread.
    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="emulator-containers", daemon=True)
        self._thread.start()
        self._started.wait(5)

    def close(self) -> None:
        """Stops every container this process runs and hands their rows over; returns once done."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop ended already
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout=STOP_GRACE + 10)
            self._thread = None

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake, self._stop = asyncio.Event(), asyncio.Event()
        wake = self._wake
        loop = self._loop

        def wake_up() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has ended
                loop.call_soon_threadsafe(wake.set)

        self.directory.wake = wake_up
        self.servers = ModelServers()  # its own pool, on this loop
        self._started.set()
        try:
            while not self._stop.is_set():
                try:
                    await self.tick()
                    if self._failing:
                        log.info("containers: the database answers again")
                    self._failing = False
                except Exception as exc:  # noqa: BLE001 - the database is away; the next tick tries again
                    if not self._failing:
                        log.warning("containers: cannot read them from the database: %s", exc)
                    self._failing = True
                self._wake.clear()
                idle = not self.runs
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(IDLE_TICK if idle else TICK):
                        await _first(self._wake.wait(), self._stop.wait())
        finally:
            await self._shutdown()

    async def _shutdown(self) -> None:
        runs = list(self.runs.values())
        for run in runs:
            run.stopping = True
            if run.task is not None:
                run.task.cancel()
        await asyncio.gather(*(r.task for r in runs if r.task is not None), return_exceptions=True)
        self.runs.clear()
        if runs:
            try:
                await self.store.release_containers(owner=self.owner, now_ms=_now_ms())
            except Exception as exc:  # noqa: BLE001 - their leases run out instead
                log.warning("containers: cannot hand this process's containers over: %s", exc)
        self.servers.close()

    # One look at the rows.
    async def tick(self) -> None:
        now = _now_ms()
        rows = await self.store.container_rows()
        self.directory.urls = {r.key: r.url for r in rows if r.url is not None and r.status in ANSWERING}
        present = {r.key: r for r in rows}
        for row in rows:
            run = self.runs.get(row.key)
            if row.status == "Retired":
                if run is not None and not row.served:  # it never answered: nothing to drain
                    self._stop_run(run, delete=True)
                elif run is not None:
                    self._retire(run)
                elif row.owner is None or row.owner == self.owner or row.lease_ms < now:
                    await self.store.delete_container(row.key, owner=self.owner, now_ms=now)
                continue
            if row.status == "Failed":
                if run is not None:
                    self._stop_run(run)
                continue
            if run is not None:
                if row.owner != self.owner:  # taken over: this process's lease had run out
                    log.warning("containers: %s was taken over by another process", _name(row))
                    self._stop_run(run)
                continue
            if (row.owner is None or row.lease_ms < now) and await self.store.claim_container(
                row.key, owner=self.owner, lease_ms=now + int(LEASE * 1000), now_ms=now
            ):
                self._begin(row)
        for key, run in list(self.runs.items()):
            if key not in present and not run.stopping:
                self._stop_run(run)
        mono = time.monotonic()
        if self.runs and mono - self._renewed >= RENEW:
            await self.store.renew_containers(owner=self.owner, lease_ms=_now_ms() + int(LEASE * 1000))
            self._renewed = mono
        if self.runs and mono - self._reconciled >= RECONCILE:
            self._reconciled = mono
            await self.reconcile([r for r in rows if r.owner == self.owner and r.status != "Retired"])

    async def reconcile(self, rows: list[ContainerRow]) -> None:
        """Retires the containers whose endpoint no longer runs them (deleted by a reset or an import, or left by a
        process that died between an endpoint's write and its containers')."""
        wanted: dict[tuple[str, str, str], set[str]] = {}
        for row in rows:
            where = (row.account_id, row.region, row.endpoint_name)
            if where not in wanted:
                stored = await self.store.get(Scope(kind="endpoint", account_id=where[0], region=where[1]), where[2])
                keys: set[str] = set()
                if stored is not None and stored.state is not None and stored.status != "Deleting":
                    with contextlib.suppress(ValueError):
                        keys = container_keys(EndpointState.loads(stored.state))
                wanted[where] = keys
        unwanted = [row.key for row in rows if row.key not in wanted[(row.account_id, row.region, row.endpoint_name)]]
        if unwanted:
            log.info("containers: %d no longer wanted by their endpoints, stopping them", len(unwanted))
            await self.store.retire_containers(unwanted, now_ms=_now_ms(), heavy=True)

    def _begin(self, row: ContainerRow) -> None:
        run = Run(spec=ContainerSpec.loads(row.spec), row=row)
        self.runs[row.key] = run
        run.task = asyncio.get_running_loop().create_task(self._run(run))

    def _retire(self, run: Run) -> None:
        if run.retired_at is None:
            run.retired_at = time.monotonic()
        elif time.monotonic() - run.retired_at >= DRAIN:
            self._stop_run(run, delete=True)

    def _stop_run(self, run: Run, *, delete: bool = False) -> None:
        if run.stopping:
            return
        run.stopping = True
        if run.task is not None:
            run.task.cancel()

        async def stopped() -> None:
            if run.task is not None:
                with contextlib.suppress(BaseException):
                    await run.task
            self.runs.pop(run.row.key, None)
            log.info("containers: %s: stopped", _name(run.row))
            if delete:
                with contextlib.suppress(Exception):
                    await self.store.delete_container(run.row.key, owner=self.owner, now_ms=_now_ms())

        asyncio.get_running_loop().create_task(stopped())

    # One container, for as long as this process owns it.
    async def _run(self, run: Run) -> None:
        spec, served, wait = run.spec, run.row.served, RETRY
        name = _name(run.row)
        while True:
            try:
                model_dir = await self.runtime.model_dir(spec, region=run.row.region)
            except DownloadFailed as exc:
                if not served:
                    await self._report(run, status="Failed", reason=exc.reason, served=False)
                    return
                log.warning("containers: %s: model data cannot be downloaded (%s); trying again", name, exc.detail)
            else:
                outcome = await self._start_once(run, model_dir)
                if outcome == "lost":
                    return  # retired or taken over meanwhile: the tick ends the run
                healthy = outcome == "exited"
                served = served or healthy
                if not served:
                    await self._report(run, status="Failed", reason=failure_reason(spec.variant), served=False)
                    return
                if healthy:
                    wait = RETRY
                await self._report(run, status="Starting", reason=None, served=True)
            await asyncio.sleep(wait)
            wait = min(wait * 2, RETRY_MAX)

    async def _start_once(self, run: Run, model_dir: Path) -> str:
        """Starts the container and returns once it ended: "exited" after it was healthy, "unhealthy" when it exited
        (or was stopped) before answering /ping within the startup timeout, "lost" when its row was retired or taken
        over as it became healthy."""
        name = _name(run.row)
        started = await self.runtime.start(run.spec, model_dir=model_dir, name=name)
        if started is None:
            return "unhealthy"
        try:
            if not await started.healthy(servers=self.servers, timeout=run.spec.startup_timeout):
                return "unhealthy"
            if not await self._report(run, status="Healthy", url=started.url, reason=None, served=True):
                return "lost"
            await asyncio.shield(started.exited)  # a stop cancels this wait, not the process's watch
            log.warning("containers: %s: exited with code %s; starting it again", name, started.proc.returncode)
            return "exited"
        finally:
            await started.stop()

    async def _report(self, run: Run, *, status: str, reason: str | None, served: bool, url: str | None = None) -> bool:
        try:
            return await self.store.report_container(
                run.row.key, owner=self.owner, status=status, url=url, reason=reason, served=served, now_ms=_now_ms()
            )
        except Exception as exc:  # noqa: BLE001 - the next report, or a takeover, puts it right
            log.warning("containers: %s: cannot record %s: %s", _name(run.row), status, exc)
            return False


async def _first(*waits: Coroutine[Any, Any, Any]) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def _name(row: ContainerRow) -> str:
    return f"{row.endpoint_name}/{row.key[:8]}"


def _now_ms() -> int:
    return int(time.time() * 1000)
