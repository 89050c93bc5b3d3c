"""create_app(settings): the FastAPI application. AWS requests go straight to the awsJson1.1 app (the hot path never
enters FastAPI's routing); the admin API under /_emulator is ordinary FastAPI routes, with its OpenAPI schema at
/_emulator/openapi.json and docs at /_emulator/docs."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from emulator import __version__
from emulator.admin import ADMIN_PREFIX, admin_router
from emulator.admin.fault_sync import FaultSync
from emulator.admin.guard import AdminGuard
from emulator.canned import CannedStore
from emulator.errors import AwsError, InternalFailure
from emulator.faults import FaultInjector
from emulator.model_servers import ModelServers
from emulator.operations import handlers_for
from emulator.operations.context import Deps
from emulator.operations.tokens import PageTokens
from emulator.protocol.asgi import Message, Receive, Scope, Send
from emulator.protocol.auth import make_caller_resolver
from emulator.protocol.limits import ClientDisconnected, RequestLimits
from emulator.protocol.runtime import RUNTIME_PREFIX, RuntimeApp
from emulator.protocol.wire import AwsJsonApp, error_body
from emulator.resources import KINDS
from emulator.resources.kind import ResourceKind
from emulator.settings import Settings
from emulator.shapes.validate import RequestValidator
from emulator.store import open_store
from emulator.store.database import Database, DatabaseError, sqlalchemy_errors


class EmulatorApp(FastAPI):
    """FastAPI, with every request outside the admin prefix answered by the AWS app before FastAPI sees it.

    The admin routes are added on the first request that is not an AWS one: building them costs FastAPI about
    80 ms (it imports pydantic.v1 to inspect every parameter), which a server's start-up, and an SDK's first call,
    need not wait for. An admin request passes the guard on its head, then its body is read under the AWS request
    limits (size, time), and only then does FastAPI see it."""

    def __init__(
        self,
        *,
        aws: AwsJsonApp,
        runtime: RuntimeApp,
        admin: Callable[[], APIRouter],
        guard: AdminGuard,
        fault_sync: FaultSync,
    ) -> None:
        super().__init__(
            title="sagemaker-emulator admin API",
            version=__version__,
            openapi_url=f"{ADMIN_PREFIX}/openapi.json",
            docs_url=f"{ADMIN_PREFIX}/docs",
            redoc_url=None,
        )
        self.aws = aws
        self.runtime = runtime
        self._admin: Callable[[], APIRouter] | None = admin
        self.guard = guard
        self.fault_sync = fault_sync

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(ADMIN_PREFIX):
            # SageMaker Runtime shares the port: its paths are /endpoints/..., SageMaker's is /.
            if scope["path"].startswith(RUNTIME_PREFIX):
                await self.runtime(scope, receive, send)
            else:
                await self.aws(scope, receive, send)
            return
        if scope["type"] == "http":
            refusal = self.guard.refusal(scope)
            if refusal is not None:
                await send_error(send, refusal, close=True)  # the body, if any, is never read
                return
            limits = self.aws.limits
            try:
                limits.check_content_length(scope["headers"])
                body = await limits.read_body(receive)
            except AwsError as error:
                await send_error(send, error, close=True)
                return
            except ClientDisconnected:
                return
            receive = replay(body, receive)
            if self._admin is not None:
                self.include_router(self._admin())
                self._admin = None
        await super().__call__(scope, receive, send)

    def close(self) -> None:
        """Releases threads and database connections, for servers that stop inside a longer-lived process."""
        self.fault_sync.close()
        self.aws.deps.store.close()


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands FastAPI the body already read, then waits on the connection (for a disconnect)."""
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


async def aws_error(_request: Request, exc: Exception) -> Response:
    """Admin errors in the AWS shape, serialized as the wire does."""
    assert isinstance(exc, AwsError)
    return Response(error_body(exc), status_code=exc.status, media_type="application/json")


async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    """A bad admin request: the first problem in one line, never pydantic's dump with the server's internals."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    message = f"{where}: {first['msg']}" if where else str(first["msg"])
    return JSONResponse({"__type": "ValidationException", "message": message}, status_code=400)


async def internal_error(_request: Request, exc: Exception) -> Response:
    """An admin request that failed inside: AWS's short InternalFailure. Starlette raises the exception on after this
    answer, so the server logs its traceback once."""
    failure = InternalFailure("We encountered an internal error. Please try again.")
    return Response(error_body(failure), status_code=failure.status, media_type="application/json")


def database_failure(exc: Exception) -> str | None:
    """The first line of a database error, worded as SQLAlchemy words the driver's; None for other errors."""
    if isinstance(exc, sqlite3.Error):
        return f"({type(exc).__module__}.{type(exc).__name__}) {exc}"
    errors = sqlalchemy_errors()  # loaded if the schema went through Alembic
    if errors is not None and isinstance(exc, errors.SQLAlchemyError):
        return str(exc).splitlines()[0]
    return None


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    kinds: Sequence[ResourceKind] = KINDS,
    validator: RequestValidator | None = None,
) -> EmulatorApp:
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
    deps = Deps(
        store=store,
        limits=limits,
        clock=clock,
        tokens=PageTokens(settings.token_key),
        faults=faults,
        kinds={kind.arn_type: kind for kind in kinds},
        endpoint_timing=settings.endpoint_timing(),
        model_servers=ModelServers(settings.model_servers, timeout=settings.model_server_timeout),
        canned=CannedStore(default_account=settings.account_id, default_region=settings.region),
    )
    validator = validator or RequestValidator()
    handlers = handlers_for(kinds)
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
        handlers=handlers,
        validator=validator,
    )
    token = settings.admin_token.get_secret_value() if settings.admin_token is not None else None
    admin_mode = settings.admin_mode(strict_auth=credentials.strict)
    # Rules set at run time reach every process on the database through the store.
    faults.shared = store
    fault_sync = FaultSync(store=store, injector=faults, startup=faults.config)
    fault_sync.start()
    runtime = RuntimeApp(
        deps=deps,
        resolve_caller=resolve_caller,
        request_ids=aws.request_ids,
        body_timeout=settings.request_body_timeout,
    )
    app = EmulatorApp(
        aws=aws,
        runtime=runtime,
        admin=lambda: admin_router(
            deps,
            settings=settings,
            validator=validator,
            operations=sorted(handlers),
            admin_mode=admin_mode,
            fault_sync=fault_sync,
        ),
        guard=AdminGuard(mode=admin_mode, token=token, prefix=ADMIN_PREFIX),
        fault_sync=fault_sync,
    )
    app.add_exception_handler(AwsError, aws_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, internal_error)
    return app
