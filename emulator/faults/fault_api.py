"""/_emulator/faults: read, replace or clear the fault-injection rules of every process on the database."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from emulator.faults.fault_sync import FaultSync
from emulator.faults.rules import FaultConfig


def faults_router(sync: FaultSync) -> APIRouter:
    router = APIRouter(tags=["faults"])

    @router.get("/faults")
    async def get_faults() -> dict[str, Any]:
        return await sync.view()

    @router.put("/faults")
    async def put_faults(config: FaultConfig) -> dict[str, Any]:
        await sync.replace(config)
        return await sync.view()

    @router.delete("/faults")
    async def delete_faults() -> dict[str, Any]:
        await sync.replace(FaultConfig())
        return await sync.view()

    return router
