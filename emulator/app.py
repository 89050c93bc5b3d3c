"""create_app(settings) builds everything: engine, schema, store, the AWS wire app and the admin API."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from emulator import __version__
from emulator.operations.context import Deps
from emulator.protocol.wire import ADMIN_PREFIX, AwsJsonApp
from emulator.settings import Settings
from emulator.store.engine import create_schema, make_engine
from emulator.store.repository import Store


def create_admin_api(store: Store) -> FastAPI:
    admin = FastAPI(
        title="sagemaker-emulator admin", version=__version__, docs_url=None, redoc_url=None, openapi_url=None
    )

    async def not_found(_request: Request, exc: Exception) -> JSONResponse:
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        return JSONResponse({"__type": "ValidationException", "message": str(exc)}, status_code=status)

    # FastAPI's own 404/422 bodies never reach a client.
    admin.add_exception_handler(HTTPException, not_found)
    admin.add_exception_handler(RequestValidationError, not_found)

    @admin.get(f"{ADMIN_PREFIX}/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return admin


def create_app(settings: Settings) -> AwsJsonApp:
    engine = make_engine(settings.database_url)
    create_schema(engine)
    store = Store(engine)
    deps = Deps(store=store, limits=settings.limits())
    return AwsJsonApp(
        deps=deps,
        default_region=settings.region,
        default_account=settings.account_id,
        fallback=create_admin_api(store),
    )
