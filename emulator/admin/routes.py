"""The admin API's routes under /_emulator, a path no AWS target can reach: a router per concern."""

from __future__ import annotations

from fastapi import APIRouter

from emulator import __version__
from emulator.admin.guard import ADMIN_PREFIX
from emulator.admin.info import info_router
from emulator.admin.state import state_router
from emulator.containers.containers_api import containers_router
from emulator.faults.fault_api import faults_router
from emulator.faults.fault_sync import FaultSync
from emulator.operations.context import Deps
from emulator.runtime.runtime_api import runtime_router
from emulator.runtime.runtime_sync import RuntimeSync
from emulator.settings import AdminMode, Settings
from emulator.shapes.validate import RequestValidator


def admin_router(
    deps: Deps,
    *,
    settings: Settings,
    validator: RequestValidator,
    operations: list[str],
    runtime_operations: list[str],
    admin_mode: AdminMode,
    fault_sync: FaultSync,
    runtime_sync: RuntimeSync,
    process_id: str,
) -> APIRouter:
    router = APIRouter(prefix=ADMIN_PREFIX)

    @router.get("/health", tags=["info"])
    async def health() -> dict[str, str]:
        """200 while the process serves requests (readiness, which asks the database, is /ready)."""
        return {"status": "ok", "version": __version__}

    router.include_router(faults_router(fault_sync))
    router.include_router(runtime_router(runtime_sync))
    router.include_router(containers_router(deps.shared, process_id=process_id))
    router.include_router(
        info_router(deps, settings, operations, runtime_operations=runtime_operations, admin_mode=admin_mode)
    )
    router.include_router(state_router(deps, settings, validator, runtime_sync))
    return router
