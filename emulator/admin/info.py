"""Readiness, version and the settings in force: what an orchestrator or a puzzled developer asks first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from emulator import __version__
from emulator.admin.snapshot_format import VERSION as SNAPSHOT_VERSION
from emulator.operations import HANDLERS
from emulator.operations.context import Deps
from emulator.settings import Settings
from emulator.shapes.generated import BOTOCORE_VERSION
from emulator.store.tables import model_counts

# Setting names that could hold a credential: shown as "***" whatever their value.
_SECRET_WORDS = ("secret", "password", "token", "credential")


def settings_in_force(settings: Settings, deps: Deps) -> dict[str, Any]:
    shown: dict[str, Any] = settings.model_dump(mode="json")
    for name in shown:
        if any(word in name for word in _SECRET_WORDS) and shown[name] is not None:
            shown[name] = "***"
    shown["database_url"] = make_url(settings.database_url).render_as_string(hide_password=True)
    shown["admin_writes"] = settings.admin_writes_allowed()
    shown["limits"] = deps.limits.model_dump()
    return shown


def info_router(deps: Deps, settings: Settings) -> APIRouter:
    router = APIRouter()

    @router.get("/ready")
    def ready() -> JSONResponse:
        """200 once the database answers a query on our schema; 503 (AWS-shaped) while it does not."""
        try:
            with deps.store.engine.connect() as conn:
                conn.execute(select(model_counts.c.count).limit(1)).all()
        except SQLAlchemyError as exc:
            message = f"The database is not available: {type(getattr(exc, 'orig', None) or exc).__name__}."
            return JSONResponse({"__type": "ServiceUnavailable", "message": message}, status_code=503)
        return JSONResponse({"status": "ready"})

    @router.get("/version")
    def version() -> dict[str, Any]:
        return {
            "version": __version__,
            "api_model": f"botocore {BOTOCORE_VERSION}, sagemaker 2017-07-24",
            "operations": sorted(HANDLERS),
            "snapshot_version": SNAPSHOT_VERSION,
        }

    @router.get("/settings")
    def settings_view() -> dict[str, Any]:
        return settings_in_force(settings, deps)

    return router
