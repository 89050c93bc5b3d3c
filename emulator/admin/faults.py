"""/_emulator/faults: read, replace or clear the fault-injection rules of a running server."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from emulator.faults import FaultConfig, FaultInjector


def faults_router(injector: FaultInjector) -> APIRouter:
    router = APIRouter(tags=["faults"])

    def current() -> dict[str, Any]:
        return {**injector.config.model_dump(exclude_none=True), "counters": injector.counters()}

    @router.get("/faults")
    async def get_faults() -> dict[str, Any]:
        return current()

    # async: runs on the event loop, between two AWS requests, never beside one in a worker thread.
    @router.put("/faults")
    async def put_faults(config: FaultConfig) -> dict[str, Any]:
        injector.configure(config)
        return current()

    @router.delete("/faults")
    async def delete_faults() -> dict[str, Any]:
        injector.configure(FaultConfig())
        return current()

    return router
