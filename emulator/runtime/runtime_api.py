"""/_emulator/answers, /_emulator/modelservers and /_emulator/modelcommands: what answers InvokeEndpoint and what runs
a model's container, changed on a running server. All are kept in the store, so every worker and replica on the
database serves the same (emulator/runtime/runtime_sync.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import RootModel, field_validator

from emulator.containers.commands import checked_commands
from emulator.runtime.canned import NAME_PATTERN, CannedAnswers
from emulator.runtime.model_servers import checked_urls
from emulator.runtime.runtime_sync import RuntimeSync


class ModelServerTable(RootModel[dict[str, str]]):
    """Container image (or `*`) -> model server URL."""

    @field_validator("root")
    @classmethod
    def _urls(cls, value: dict[str, str]) -> dict[str, str]:
        return checked_urls(value)


class ModelCommandTable(RootModel[dict[str, str]]):
    """Container image (or `*`) -> the command that runs its container (emulator/containers/commands.py)."""

    @field_validator("root")
    @classmethod
    def _commands(cls, value: dict[str, str]) -> dict[str, str]:
        return checked_commands(value)


def runtime_router(sync: RuntimeSync) -> APIRouter:
    router = APIRouter(tags=["runtime"])

    @router.get("/answers")
    async def get_answers() -> list[dict[str, Any]]:
        """The canned answers in force, with how many each has given and has left (across every process)."""
        return await sync.listed_answers()

    @router.put("/answers")
    async def put_answers(answers: CannedAnswers) -> list[dict[str, Any]]:
        """Replaces the answers of one endpoint (one variant's, with variant_name)."""
        await sync.put_answers(answers)
        return await sync.listed_answers()

    @router.delete("/answers")
    async def delete_answers(
        endpoint_name: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
    ) -> list[dict[str, Any]]:
        """Clears every canned answer, or one endpoint's."""
        await sync.clear_answers(endpoint_name=endpoint_name)
        return await sync.listed_answers()

    @router.get("/modelservers")
    async def get_model_servers() -> dict[str, str]:
        return await sync.model_servers()

    @router.put("/modelservers")
    async def put_model_servers(table: ModelServerTable) -> dict[str, str]:
        """Replaces the image -> model server table; the next invocation uses it, in every process."""
        return await sync.replace_model_servers(table.root)

    @router.get("/modelcommands")
    async def get_model_commands() -> dict[str, str]:
        return await sync.model_commands()

    @router.put("/modelcommands")
    async def put_model_commands(table: ModelCommandTable) -> dict[str, str]:
        """Replaces the image -> model command table; the next container started uses it, in every process."""
        return await sync.replace_model_commands(table.root)

    return router
