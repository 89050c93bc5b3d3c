"""Readiness, version and the settings in force: what an orchestrator or a puzzled developer asks first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from emulator import __version__
from emulator.admin.snapshot import VERSION as SNAPSHOT_VERSION
from emulator.operations.context import Deps
from emulator.settings import AdminMode, Settings
from emulator.shapes.generated import BOTOCORE_VERSION

# Setting names that could hold a credential: shown as "***" whatever their value.
_SECRET_WORDS = ("secret", "password", "token", "credential")


def settings_in_force(settings: Settings, deps: Deps, *, admin_mode: AdminMode) -> dict[str, Any]:
    shown: dict[str, Any] = settings.model_dump(mode="json")
    for name in shown:
        if any(word in name for word in _SECRET_WORDS) and shown[name] is not None:
            shown[name] = "***"
    from sqlalchemy.engine import make_url  # here: a server on a SQLite file does not load SQLAlchemy to start

    shown["database_url"] = make_url(settings.database_url).render_as_string(hide_password=True)
    shown["admin_access"] = admin_mode  # the mode in force, whether set or derived
    shown["limits"] = deps.limits.model_dump()
    return shown


def info_router(
    deps: Deps, settings: Settings, operations: list[str], *, runtime_operations: list[str], admin_mode: AdminMode
) -> APIRouter:
    router = APIRouter(tags=["info"])

    @router.get("/ready")
    async def ready() -> JSONResponse:
        """200 once the database answers a query on our schema; 503 (AWS-shaped) while it does not."""
        error = await deps.store.check()
        if error is not None:
            message = f"The database is not available: {error}."
            return JSONResponse({"__type": "ServiceUnavailable", "message": message}, status_code=503)
        return JSONResponse({"status": "ready"})

    @router.get("/version")
    def version() -> dict[str, Any]:
        return {
            "version": __version__,
            "api_model": f"botocore {BOTOCORE_VERSION}, sagemaker 2017-07-24",
            "operations": operations,
            "runtime_operations": runtime_operations,
            "snapshot_version": SNAPSHOT_VERSION,
        }

    @router.get("/settings")
    def settings_view() -> dict[str, Any]:
        return settings_in_force(settings, deps, admin_mode=admin_mode)

    return router
