"""create_app(settings): the FastAPI application, with the Emulator (emulator/entry.py) in front of its routes. AWS
requests go straight to the awsJson1.1 app (the hot path never
enters FastAPI's routing); the admin API under /_emulator is ordinary FastAPI routes, with its OpenAPI schema at
/_emulator/openapi.json (no docs page: Swagger UI would load its scripts from a CDN, blank offline). The CLI's server serves the same Emulator, with
this admin API loaded on its first request (admin_app)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from emulator import __version__
from emulator.admin.guard import ADMIN_PREFIX
from emulator.admin.routes import admin_router
from emulator.entry import Emulator, build_emulator
from emulator.errors import AwsError, InternalFailure
from emulator.operations import KINDS
from emulator.protocol.asgi import ASGIApp, Receive, Scope, Send
from emulator.protocol.wire import error_body
from emulator.resources.kind import ResourceKind
from emulator.settings import Settings
from emulator.shapes.validate import RequestValidator


class FastApiApp(FastAPI):
    """The FastAPI application create_app returns, with the Emulator in front of its routing: every request outside the admin prefix is
    answered by the AWS or runtime app before FastAPI sees it, and an admin request reaches FastAPI once the guard
    has passed it and its body is read (emulator/entry.py). The admin routes are added on the first admin request,
    on a worker thread: FastAPI spends about 80 ms building them (it imports pydantic.v1 to inspect parameters)."""

    def __init__(self, *, service: Emulator) -> None:
        super().__init__(
            title="sagemaker-emulator admin API",
            version=__version__,
            openapi_url=f"{ADMIN_PREFIX}/openapi.json",
            docs_url=None,  # Swagger UI's page loads its scripts from a CDN: blank offline (docs/decisions.md)
            redoc_url=None,
        )
        self.service = service
        self.add_exception_handler(AwsError, aws_error)
        self.add_exception_handler(RequestValidationError, invalid_request)
        self.add_exception_handler(Exception, internal_error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.service(scope, receive, send)

    def admin(self) -> ASGIApp:
        """Adds the admin routes; returns FastAPI's own handling, for the requests the service has admitted."""
        service = self.service
        self.include_router(
            admin_router(
                service.deps,
                settings=service.settings,
                validator=service.validator,
                operations=service.operations,
                runtime_operations=service.runtime_operations,
                admin_mode=service.admin_mode,
                fault_sync=service.fault_sync,
                runtime_sync=service.runtime_sync,
                process_id=service.supervisor.owner,
            )
        )
        return super().__call__

    def close(self) -> None:
        self.service.close()


async def aws_error(_request: Request, exc: Exception) -> Response:
    """Admin errors in the AWS shape, serialized as the wire does."""
    assert isinstance(exc, AwsError)
    return Response(error_body(exc), status_code=exc.status, media_type="application/json")


async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    """A bad admin request: the first problem in one line, never pydantic's dump with the server's internals."""
    assert isinstance(exc, RequestValidationError)
    first: dict[str, Any] = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":  # its loc is the character where parsing stopped
        context = first.get("ctx") or {}
        message = f"The body is not valid JSON: {context.get('error', first['msg'])}."
    elif first.get("type") == "missing" and tuple(first.get("loc", ())) == ("body",):
        message = "This request needs a JSON body."
    else:
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = f"{where}: {first['msg']}" if where else str(first["msg"])
    return JSONResponse({"__type": "ValidationException", "message": message}, status_code=400)


async def internal_error(_request: Request, exc: Exception) -> Response:
    """An admin request that failed inside: AWS's short InternalFailure. Starlette raises the exception on after this
    answer, so the server logs its traceback once."""
    failure = InternalFailure("We encountered an internal error. Please try again.")
    return Response(error_body(failure), status_code=failure.status, media_type="application/json")


def admin_app(service: Emulator) -> ASGIApp:
    """The admin API of a service served without FastAPI at the top (the CLI's server, which answers AWS requests
    before FastAPI is even imported): built on its first admin request."""
    return FastApiApp(service=service).admin()


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    kinds: Sequence[ResourceKind] = KINDS,
    validator: RequestValidator | None = None,
) -> FastApiApp:
    """The FastAPI application serving `settings`. clock: the time source of creation times. kinds and validator: the
    resources served and the API model their requests are checked against (a test may serve a kind of its own)."""
    app = FastApiApp(service=build_emulator(settings, clock=clock, kinds=kinds, validator=validator))
    app.service.load_admin = app.admin
    return app
