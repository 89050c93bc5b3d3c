"""The async worker: one thread per process, with an event loop of its own, that does InvokeEndpointAsync's requests
(emulator/runtime/async_invoke.py queues them in the store).

It takes the oldest waiting requests by compare-and-set on their rows (emulator/store/async_rows.py), at most the
endpoint's concurrency across every process on the database, so any process may do a request and one does it at a
time. Each is done by InvokeEndpoint's own path (emulator/runtime/invoke.py: canned answer, run container, model
server or echo) under its InvocationTimeoutSeconds; the answer is written to the output location, a failure (the
model's message, or ours) to the failure location, and only then is the row deleted. A process that dies between
the two leaves the row to be taken again once its lease runs out: the next owner finds the object written (it looks
before doing a request taken before) and only deletes the row. A request still waiting RequestTTLSeconds after it
was made fails as expired.

A local InvokeEndpointAsync wakes the worker at once; otherwise it polls every POLL seconds (TICK while it works).
S3 runs on threads, never on an event loop; the database's writes from here are heavy (background_loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Coroutine
from typing import Any

from emulator.errors import AwsError, ModelError
from emulator.model_data.s3 import S3Denied, S3Missing, S3Reader
from emulator.operations.context import Deps, RequestContext
from emulator.runtime.async_invoke import (
    MAX_ASYNC_BYTES,
    AsyncQueue,
    QueuedRequest,
    input_denied,
    input_missing,
    s3_location,
)
from emulator.runtime.invoke import Invocation, invoke_endpoint
from emulator.runtime.model_servers import ModelServers
from emulator.store.async_rows import AsyncRow
from emulator.store.shared_config import SharedConfig
from emulator.store.store_base import background_loop

log = logging.getLogger("emulator.async")

# How often the rows are read while none are waiting here, and while this process works on some.
POLL = 1.0
TICK = 0.2
# A request held is the owner's for LEASE seconds, renewed every RENEW: a killed owner's requests move within LEASE.
LEASE = 30.0
RENEW = 5.0
# At most this many requests in flight per process (each endpoint's concurrency bounds its own).
MAX_IN_FLIGHT = 64
# A request whose work failed for a reason of ours (S3 unreachable) is tried again this much later.
RETRY_SECONDS = 5.0
# How long a stopping process lets its requests in flight finish before it hands them over.
DRAIN_SECONDS = 10.0


def expired(ttl_seconds: int) -> str:
    """The failure of a request not started within its RequestTTLSeconds [I: AWS's text was not found]."""
    return f"The request expired: it was not processed within its RequestTTLSeconds ({ttl_seconds} seconds)."


class AsyncWorker:
    def __init__(self, *, deps: Deps, queue: AsyncQueue, owner: str) -> None:
        self.shared: SharedConfig = deps.shared
        self.main_servers = deps.model_servers
        self.deps = deps
        self.queue = queue
        self.s3: S3Reader = queue.s3
        self.owner = owner
        self.running: dict[str, asyncio.Task[None]] = {}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._renewed = 0.0
        self._failing = False

    # The thread.
    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="emulator-async", daemon=True)
        self._thread.start()
        self._started.wait(5)

    def close(self) -> None:
        """Lets the requests in flight finish (DRAIN_SECONDS at most), hands the others over; returns once done."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop ended already
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout=DRAIN_SECONDS + 10)
            self._thread = None

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        background_loop.set(True)
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._wake, self._stop = asyncio.Event(), asyncio.Event()
        wake = self._wake

        def wake_up() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has ended
                loop.call_soon_threadsafe(wake.set)

        self.queue.wake = wake_up
        # Its own connection pool, on this loop; the image -> URL table stays the serving loop's (set per request).
        self.servers = ModelServers(timeout=self.main_servers.timeout)
        self.deps = dataclasses.replace(self.deps, model_servers=self.servers)
        self._started.set()
        try:
            while not self._stop.is_set():
                try:
                    await self.tick()
                    if self._failing:
                        log.info("async: the database answers again")
                    self._failing = False
                except Exception as exc:  # noqa: BLE001 - the database is away; the next tick tries again
                    if not self._failing:
                        log.warning("async: cannot read the requests from the database: %s", exc)
                    self._failing = True
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(TICK if self.running else POLL):
                        await _first(self._wake.wait(), self._stop.wait())
        finally:
            self.queue.wake = lambda: None
            await self._shutdown()

    async def _shutdown(self) -> None:
        tasks = list(self.running.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=DRAIN_SECONDS)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            try:
                await self.shared.release_async_invocations(owner=self.owner)
            except Exception as exc:  # noqa: BLE001 - their leases run out instead
                log.warning("async: cannot hand this process's requests over: %s", exc)
        self.servers.close()

    # One look at the rows.
    async def tick(self) -> None:
        mono = time.monotonic()
        if self.running and mono - self._renewed >= RENEW:
            await self.shared.renew_async_invocations(owner=self.owner, lease_ms=_now_ms() + int(LEASE * 1000))
            self._renewed = mono
        free = MAX_IN_FLIGHT - len(self.running)
        if free <= 0:
            return
        now = _now_ms()
        # More than free: the oldest may belong to endpoints already running their most.
        full: set[tuple[str, str, str]] = set()
        for waiting in await self.shared.waiting_async_invocations(now_ms=now, limit=free + MAX_IN_FLIGHT):
            endpoint = waiting[1:4]
            if waiting[0] in self.running or endpoint in full:
                continue
            row = await self.shared.claim_async_invocation(
                waiting, owner=self.owner, lease_ms=_now_ms() + int(LEASE * 1000), now_ms=_now_ms()
            )
            if row is None:
                # Its endpoint runs its most (or another process took this one): each try is a write, so the
                # endpoint's other requests wait for the next tick.
                full.add(endpoint)
                continue
            self.running[row.id] = asyncio.get_running_loop().create_task(self._run(row))
            if len(self.running) >= MAX_IN_FLIGHT or (self._stop is not None and self._stop.is_set()):
                break

    # One request.
    async def _run(self, row: AsyncRow) -> None:
        try:
            request = QueuedRequest.loads(row.request)
            ctx = RequestContext(account_id=row.account_id, region=row.region, request_id=row.id)
            if row.attempts > 1 and await self._written(request, region=row.region):
                log.info("async: %s was done by a process that stopped before recording it", row.id)
            else:
                await self._do(row, request, ctx)
            if not await self.shared.finish_async_invocation(row.id, owner=self.owner):
                log.warning("async: %s was taken over by another process as it ended", row.id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("async: %s failed; trying it again in %gs", row.id, RETRY_SECONDS)
            with contextlib.suppress(Exception):
                after = _now_ms() + int(RETRY_SECONDS * 1000)
                await self.shared.release_async_invocation(row.id, owner=self.owner, after_ms=after)
        finally:
            self.running.pop(row.id, None)
            if self._wake is not None:
                self._wake.set()  # room for the next one

    async def _do(self, row: AsyncRow, request: QueuedRequest, ctx: RequestContext) -> None:
        """Runs the request and writes its output or failure object."""
        if _now_ms() > row.expires_ms:
            await self._fail(request, expired((row.expires_ms - row.created_ms) // 1000), region=row.region)
            return
        body = request.body
        if body is None:
            assert request.input_location is not None
            location = s3_location(request.input_location)
            try:
                if location is None or not location.key:
                    raise S3Missing(request.input_location)
                body = await asyncio.to_thread(self.s3.read, location.bucket, location.key, region=row.region)
            except S3Missing:  # deleted since it was accepted
                await self._fail(request, str(input_missing(request.input_location).message), region=row.region)
                return
            except S3Denied:
                denied = input_denied(request.input_location, row.region)
                await self._fail(request, str(denied.message), region=row.region)
                return
        invocation = Invocation(
            endpoint_name=row.endpoint_name,
            body=body,
            content_type=request.content_type,
            accept=request.accept,
            custom_attributes=request.custom_attributes,
            inference_id=request.inference_id,
        )
        self.servers.urls = self.main_servers.urls  # the table as the serving loop has it now
        try:
            answer = await invoke_endpoint(
                request=invocation,
                ctx=ctx,
                deps=self.deps,
                asynchronous=True,
                timeout=float(request.invocation_timeout_seconds),
                max_answer=MAX_ASYNC_BYTES,
            )
        except ModelError as error:  # the container's own message, as AWS writes it [R: spec part B]
            await self._fail(request, error.original_message, region=row.region)
            return
        except AwsError as error:  # the endpoint is gone, no longer async, ...
            await self._fail(request, error.message or error.code, region=row.region)
            return
        if request.output_location is not None:
            await self._write(request.output_location, answer.body, content_type=answer.content_type, region=row.region)

    async def _fail(self, request: QueuedRequest, message: str, *, region: str) -> None:
        log.info("async: %s failed: %s", request.inference_id, message)
        if request.failure_location is not None:
            await self._write(request.failure_location, message.encode(), content_type="text/plain", region=region)

    async def _write(self, uri: str, body: bytes, *, content_type: str | None, region: str) -> None:
        location = s3_location(uri)
        if location is None:
            raise ValueError(f"not an S3 location: {uri}")
        # Shielded: a stop that cancels the request lets the write it started end, so the object is whole or absent.
        try:
            await asyncio.shield(
                asyncio.to_thread(
                    self.s3.write, location.bucket, location.key, body, region=region, content_type=content_type
                )
            )
        except (S3Missing, S3Denied) as exc:
            # A bucket that is missing or refuses stays so: the answer is lost, as on AWS, rather than retried forever
            # (S3 unreachable is retried: _run).
            log.warning("async: cannot write %s: %s", uri, exc)

    async def _written(self, request: QueuedRequest, *, region: str) -> bool:
        """Whether a previous owner wrote the request's output or failure object already."""
        for uri in (request.output_location, request.failure_location):
            location = s3_location(uri) if uri is not None else None
            if location is not None and await asyncio.to_thread(self.s3.exists, location, region=region):
                return True
        return False


async def _first(*waits: Coroutine[Any, Any, Any]) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def _now_ms() -> int:
    return int(time.time() * 1000)
