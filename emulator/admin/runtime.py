"""/_emulator/answers and /_emulator/modelservers: what answers InvokeEndpoint, changed on a running server."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import RootModel, field_validator

from emulator.canned import CannedAnswers, CannedStore
from emulator.model_servers import ModelServers, checked_urls


class ModelServerTable(RootModel[dict[str, str]]):
    """Container image (or `*`) -> model server URL."""

    @field_validator("root")
    @classmethod
    def _urls(cls, value: dict[str, str]) -> dict[str, str]:
        return checked_urls(value)


def runtime_router(servers: ModelServers, canned: CannedStore) -> APIRouter:
    router = APIRouter(tags=["runtime"])

    @router.get("/answers")
    async def get_answers() -> list[dict[str, Any]]:
        """The canned answers in force, with how many each has given and has left."""
        return canned.listed()

    # async: on the event loop, between two invocations, never beside one in a worker thread.
    @router.put("/answers")
    async def put_answers(answers: CannedAnswers) -> list[dict[str, Any]]:
        """Replaces the answers of one endpoint (one variant's, with variant_name)."""
        canned.put(answers)
        return canned.listed()

    @router.delete("/answers")
    async def delete_answers(endpoint_name: str | None = None) -> list[dict[str, Any]]:
        """Clears every canned answer, or one endpoint's."""
        canned.clear(endpoint_name)
        return canned.listed()

    @router.get("/modelservers")
    async def get_model_servers() -> dict[str, str]:
        return dict(servers.urls)

    @router.put("/modelservers")
    async def put_model_servers(table: ModelServerTable) -> dict[str, str]:
        """Replaces the image -> model server table; the next invocation uses it."""
        servers.configure(table.root)
        return dict(servers.urls)

    return router
