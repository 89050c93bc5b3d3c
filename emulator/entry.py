"""The entry object: `Emulator`, the plain ASGI app every request reaches first, built by `build_emulator(settings)`.
AWS requests (awsJson1.1 on POST /) and SageMaker Runtime's (/endpoints/...) are answered without FastAPI; admin
requests under /_emulator are guarded and read, then handed to the admin API. The rest of the top: emulator/app.py
(create_app: the FastAPI application, this object in front of its routes) and emulator/server.py (uvicorn).

The admin API is FastAPI (emulator/app.py). It is loaded on the first admin request, on a worker thread: importing
FastAPI and building its routes costs about 0.25 s, which a server's start-up and an SDK's first call need not wait
for, and which must not stall the requests served meanwhile."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from emulator.admin.guard import ADMIN_PREFIX, AdminGuard
from emulator.admin.job_runner import JobRunner
from emulator.admin.poller import Poller
from emulator.admin.processes import Processes
from emulator.containers.commands import ModelCommands
from emulator.containers.directory import ContainerDirectory
from emulator.containers.local import LocalRuntime
from emulator.containers.supervisor import Supervisor
from emulator.errors import AwsError
from emulator.faults.fault_sync import FIRST_POLL_WAIT_SECONDS, FaultSync
from emulator.faults.rules import FaultInjector
from emulator.model_data.s3 import S3Reader
from emulator.operations import KINDS, handlers_for
from emulator.operations.context import Deps
from emulator.operations.tokens import PageTokens
from emulator.protocol.asgi import ASGIApp, Message, Receive, Scope, Send
from emulator.protocol.auth import make_caller_resolver
from emulator.protocol.limits import ClientDisconnected, RequestLimits
from emulator.protocol.wire import AwsJsonApp, error_body
from emulator.resources.kind import ResourceKind
from emulator.runtime.async_invoke import AsyncQueue
from emulator.runtime.async_worker import AsyncWorker
from emulator.runtime.canned import CannedStore
from emulator.runtime.model_servers import ModelServers
from emulator.runtime.rest_json import RUNTIME_OPERATIONS, RUNTIME_PREFIX, RuntimeApp
from emulator.runtime.runtime_sync import RuntimeSync
from emulator.settings import AdminMode, Settings
from emulator.shapes.validate import RequestValidator
from emulator.store import open_store
from emulator.store.database import Database, DatabaseError, sqlalchemy_errors

if TYPE_CHECKING:
    from emulator.model_data.checks import ModelDataChecks


class Emulator:
    """Everything a server answers: the one object every request reaches, whichever way it is served. `load_admin` returns the handler of admitted admin requests (ones that passed the
    guard, with their body read); whoever serves the admin API sets it (emulator/app.py)."""

    def __init__(
        self,
        *,
        aws: AwsJsonApp,
        runtime: RuntimeApp,
        guard: AdminGuard,
        fault_sync: FaultSync,
        runtime_sync: RuntimeSync,
        poller: Poller,
        jobs: JobRunner,
        supervisor: Supervisor,
        async_worker: AsyncWorker,
        settings: Settings,
        validator: RequestValidator,
        admin_mode: AdminMode,
    ) -> None:
        self.aws = aws
        self.runtime = runtime
        self.guard = guard
        self.fault_sync = fault_sync
        self.runtime_sync = runtime_sync
        self.poller = poller
        self.jobs = jobs
        self.supervisor = supervisor
        self.async_worker = async_worker
        self.settings = settings
        self.validator = validator
        self.admin_mode = admin_mode
        self.deps = aws.deps
        self.operations = sorted(aws.handlers)
        self.runtime_operations = RUNTIME_OPERATIONS
        self.load_admin: Callable[[], ASGIApp] | None = None
        self._admin: ASGIApp | None = None
        self._admin_lock = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(ADMIN_PREFIX):
            # SageMaker Runtime shares the port: its paths are /endpoints/..., SageMaker's is /.
            if scope["path"].startswith(RUNTIME_PREFIX):
                await self.runtime(scope, receive, send)
            else:
                await self.aws(scope, receive, send)
            return
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        # Everything else reaches the admin API, whatever its type: it passes the guard first.
        if scope["type"] == "http":
            admitted = await self.admit(scope, receive, send)
            if admitted is None:
                return
            receive = admitted
        elif scope["type"] == "websocket":
            # No route takes a WebSocket; the guard answers first all the same, so one added later is guarded.
            refusal = self.guard.refusal(scope)
            if refusal is not None:
                await refuse_websocket(scope, send, refusal)
                return
        else:  # a type no server sends yet: nothing to serve
            return
        await (self._admin or await self._loaded_admin())(scope, receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        """The CLI's servers (lifespan on): when the server stops, this process leaves the live processes, so admin
        changes elsewhere stop waiting for it at once. It must happen here: once uvicorn's run() returns it raises
        the signal that stopped it again, and the process ends before any code after run()."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(self.async_worker.close)
                # The transform jobs this process runs are released first, for another process to take at once.
                await asyncio.to_thread(self.jobs.close)
                await asyncio.to_thread(self.supervisor.close)
                await asyncio.to_thread(self.poller.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def admit(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """An admin request passes the guard on its head (a refused client's body is never read), then its body is
        read under the AWS request limits (size, time). Returns a receive replaying the body, or None once answered."""
        refusal = self.guard.refusal(scope)
        if refusal is not None:
            await send_error(send, refusal, close=True)
            return None
        try:
            self.aws.limits.check_content_length(scope["headers"])
            body = await self.aws.limits.read_body(receive)
        except AwsError as error:
            await send_error(send, error, close=True)
            return None
        except ClientDisconnected:
            return None
        if body:
            as_json(scope)
        return replay(body, receive)

    async def _loaded_admin(self) -> ASGIApp:
        async with self._admin_lock:  # concurrent first admin requests build it once
            if self._admin is None:
                if self.load_admin is None:
                    raise RuntimeError("this service serves no admin API")
                self._admin = await asyncio.to_thread(self.load_admin)
        return self._admin

    def close(self) -> None:
        """Releases threads and database connections, for servers that stop inside a longer-lived process."""
        self.async_worker.close()
        self.jobs.close()
        self.supervisor.close()
        self.poller.close()
        self.deps.model_servers.close()
        self.deps.store.close()


def as_json(scope: Scope) -> None:
    """Marks an admin request's body as JSON, the only kind the admin API takes, whatever Content-Type it came with:
    FastAPI parses a body only when it is labelled JSON, and `curl -d` labels it application/x-www-form-urlencoded."""
    headers = [(name, value) for name, value in scope["headers"] if name != b"content-type"]
    scope["headers"] = [*headers, (b"content-type", b"application/json")]


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the admin API the body already read, then waits on the connection (for a disconnect)."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive_again() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return receive_again


async def send_error(send: Send, error: AwsError, *, close: bool = False) -> None:
    payload = error_body(error)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def refuse_websocket(scope: Scope, send: Send, error: AwsError) -> None:
    """A refused WebSocket handshake: the AWS error as an HTTP answer where the server lets the app send one (the
    ASGI websocket.http.response extension), else a close before accepting, which servers answer with a 403."""
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    payload = error_body(error)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "websocket.http.response.start", "status": error.status, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": payload})


def database_failure(exc: Exception) -> str | None:
    """The first line of a database error, worded as SQLAlchemy words the driver's; None for other errors."""
    if isinstance(exc, sqlite3.Error):
        return f"({type(exc).__module__}.{type(exc).__name__}) {exc}"
    errors = sqlalchemy_errors()  # loaded if the schema went through Alembic
    if errors is not None and isinstance(exc, errors.SQLAlchemyError):
        return str(exc).splitlines()[0]
    return None


def model_data_checks(settings: Settings, s3: S3Reader) -> ModelDataChecks | None:
    """CreateModel's model data checks when asked for; their modules are loaded only then (start-up is measured)."""
    if not settings.check_model_data:
        return None
    from emulator.model_data.checks import ModelDataChecks

    return ModelDataChecks(s3)


def build_emulator(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    kinds: Sequence[ResourceKind] = KINDS,
    validator: RequestValidator | None = None,
) -> Emulator:
    """clock: the time source of creation times. kinds and validator: the resources served and the API model their
    requests are checked against (the generated one by default; a test may serve a kind of its own)."""
    # Configuration errors first, before anything touches the database.
    credentials = settings.credentials()
    limits = settings.limits()  # a bad limits file fails before a database file is created
    faults = FaultInjector(settings.fault_config())
    database = Database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout,
    )
    store = open_store(database)
    if database.dialect == "sqlite":
        # A local file that cannot be opened is a configuration error, not an outage: fail at start-up.
        try:
            store.schema.ensure()
        except Exception as exc:
            reason = database_failure(exc)
            if reason is None:
                raise
            raise DatabaseError(f"cannot open database {settings.database_url}: {reason}") from exc
    else:
        # An unreachable server does not stop ours: requests answer 503 until it is back, then it migrates.
        store.schema.try_now()
    # S3 as the user's stack has it: model data, transform jobs' input and output (boto3 loaded on first use).
    s3 = S3Reader.from_environment(setting=settings.s3_endpoint_url)
    # How containers run here: for endpoints (the supervisor below) and for transform jobs.
    local = LocalRuntime(
        host=settings.container_host,
        cache_root=settings.model_data_directory,
        s3_endpoint_url=settings.s3_endpoint_url,
        max_bytes=settings.model_data_max_bytes,
    )
    deps = Deps(
        store=store,
        shared=store,
        limits=limits,
        clock=clock,
        tokens=PageTokens(settings.token_key),
        faults=faults,
        kinds={kind.arn_type: kind for kind in kinds},
        endpoint_timing=settings.endpoint_timing(),
        model_servers=ModelServers(settings.model_servers, timeout=settings.model_server_timeout),
        model_commands=ModelCommands(settings.model_commands),
        canned=CannedStore(default_account=settings.account_id, default_region=settings.region),
        model_data=model_data_checks(settings, s3),
        s3=s3,
        containers=ContainerDirectory(
            startup_timeout=settings.container_startup_timeout,
            describe_wait=settings.container_describe_wait,
            runtime=local,
        ),
    )
    validator = validator or RequestValidator()
    resolve_caller = make_caller_resolver(
        # Signatures are checked against the wall clock whatever clock creation times come from.
        credentials,
        default_account=settings.account_id,
        default_region=settings.region,
        clock=time.time,
    )
    aws = AwsJsonApp(
        deps=deps,
        default_region=settings.region,
        default_account=settings.account_id,
        resolve_caller=resolve_caller,
        request_limits=RequestLimits(
            max_body_bytes=settings.max_request_bytes,
            max_json_depth=settings.max_json_depth,
            body_timeout=settings.request_body_timeout,
        ),
        handlers=handlers_for(kinds),
        validator=validator,
        check_answers=settings.check_answers,
    )
    token = settings.admin_token.get_secret_value() if settings.admin_token is not None else None
    admin_mode = settings.admin_mode(strict_auth=credentials.strict)
    # Rules set at run time reach every process on the database through the store.
    faults.shared = store
    # A change of either returns once every live process on the database applied it (emulator/admin/processes.py).
    processes = Processes(store=store)
    fault_sync = FaultSync(store=store, injector=faults, startup=faults.config, processes=processes)
    # The runtime's model server and model command tables and canned answers too (emulator/runtime/runtime_sync.py).
    runtime_sync = RuntimeSync(
        store=store,
        servers=deps.model_servers,
        commands=deps.model_commands,
        canned=deps.canned,
        startup=settings.model_servers,
        startup_commands=settings.model_commands,
        processes=processes,
    )
    poller = Poller([fault_sync, runtime_sync], processes=processes)
    poller.start(wait=FIRST_POLL_WAIT_SECONDS)
    jobs = JobRunner(
        deps=deps,
        s3=s3,
        scan_seconds=settings.transform_scan_seconds,
        lease_seconds=settings.transform_lease_seconds,
    )
    jobs.start()
    # Containers run for endpoints, owned under this process's id among the live processes.
    supervisor = Supervisor(store=store, directory=deps.containers, owner=processes.id, runtime=local)
    supervisor.start()
    # InvokeEndpointAsync's requests, done in the background by any process on the database.
    async_queue = AsyncQueue(s3=s3)
    async_worker = AsyncWorker(deps=deps, queue=async_queue, owner=processes.id)
    async_worker.start()
    runtime = RuntimeApp(
        deps=deps,
        async_queue=async_queue,
        resolve_caller=resolve_caller,
        request_ids=aws.request_ids,
        body_timeout=settings.request_body_timeout,
        check_answers=settings.check_answers,
    )
    return Emulator(
        aws=aws,
        runtime=runtime,
        guard=AdminGuard(mode=admin_mode, token=token, prefix=ADMIN_PREFIX),
        fault_sync=fault_sync,
        runtime_sync=runtime_sync,
        poller=poller,
        jobs=jobs,
        supervisor=supervisor,
        async_worker=async_worker,
        settings=settings,
        validator=validator,
        admin_mode=admin_mode,
    )
