"""The admin API under /_emulator: a path no AWS target can reach. Each concern is a router of its own."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from emulator import __version__
from emulator.admin.faults import faults_router
from emulator.admin.info import info_router
from emulator.admin.state import state_router
from emulator.errors import AwsError
from emulator.operations.context import Deps
from emulator.protocol.wire import ADMIN_PREFIX
from emulator.settings import Settings


def health_router() -> APIRouter:
    router = APIRouter()

    @router.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return router


def create_admin_api(deps: Deps, *, settings: Settings) -> FastAPI:
    admin = FastAPI(
        title="sagemaker-emulator admin", version=__version__, docs_url=None, redoc_url=None, openapi_url=None
    )

    async def error(_request: Request, exc: Exception) -> JSONResponse:
        # FastAPI's own 404/422 bodies never reach a client: errors keep the AWS shape here too.
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        detail = exc.detail if isinstance(exc, HTTPException) else str(exc)
        return JSONResponse({"__type": "ValidationException", "message": str(detail)}, status_code=status)

    async def aws_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AwsError)
        body = {"__type": exc.code} if exc.message is None else {"__type": exc.code, "message": exc.message}
        return JSONResponse(body, status_code=exc.status)

    admin.add_exception_handler(HTTPException, error)
    admin.add_exception_handler(RequestValidationError, error)
    admin.add_exception_handler(AwsError, aws_error)
    admin.include_router(health_router(), prefix=ADMIN_PREFIX)
    admin.include_router(faults_router(deps.faults), prefix=ADMIN_PREFIX)
    admin.include_router(info_router(deps, settings), prefix=ADMIN_PREFIX)
    admin.include_router(state_router(deps, settings), prefix=ADMIN_PREFIX)
    return admin
