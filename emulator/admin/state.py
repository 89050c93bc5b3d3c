"""Reset, export and import of the stored state: test isolation and seeding a stack from a file. All of it goes
through the store's write path, so it never blocks the event loop and a database outage is a 503 like anywhere."""

from __future__ import annotations

import time
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response

from emulator.admin.snapshot import from_document, to_document, unserved_message
from emulator.errors import ValidationException
from emulator.operations.context import Deps
from emulator.regions import MAX_REGION_LENGTH, REGION
from emulator.runtime.runtime_sync import RuntimeSync
from emulator.settings import Settings
from emulator.shapes.validate import RequestValidator
from emulator.store.records import UnservedKinds

# What a scope to reset may be: a request's account and region. Anything else holds nothing, and PostgreSQL refuses
# some of it (a NUL) with an error that would be a 500.
Account = Annotated[str | None, Query(pattern=r"^[0-9]{12}$")]
Region = Annotated[str | None, Query(pattern=f"^{REGION.pattern}$", max_length=MAX_REGION_LENGTH)]


def state_router(deps: Deps, settings: Settings, validator: RequestValidator, runtime: RuntimeSync) -> APIRouter:
    router = APIRouter(tags=["state"])

    @router.post("/reset")
    async def reset(account_id: Account = None, region: Region = None) -> dict[str, int]:
        """Deletes every resource of one account and/or region, or of every scope when neither is given; how many of
        each kind (`deleted_models`, ...)."""
        try:
            deleted = await deps.store.reset(account_id=account_id, region=region, served=tuple(deps.kinds))
        except UnservedKinds as refused:
            raise ValidationException(unserved_message("reset", refused.counts)) from None
        await runtime.clear_answers(account_id=account_id, region=region)  # answers of endpoints that are gone
        return {f"deleted_{kind.snake}s": deleted.get(kind.arn_type, 0) for kind in deps.kinds.values()}

    @router.get("/state")
    async def export_state() -> Response:
        """The whole state as a snapshot document (README: Admin API)."""
        document = to_document(await deps.store.export(), kinds=deps.kinds)
        return Response(orjson.dumps(document), media_type="application/json")

    @router.put("/state")
    async def import_state(request: Request) -> dict[str, int]:
        """Replaces the whole state with a snapshot; nothing changes if any resource in it is invalid."""
        try:
            document = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise ValidationException("The snapshot is not valid JSON.") from None
        resources = from_document(
            document,
            deps=deps,
            validator=validator,
            default_account=settings.account_id,
            default_region=settings.region,
            now=time.time(),
        )
        try:
            await deps.store.replace_all(resources, served=tuple(deps.kinds))
        except UnservedKinds as refused:
            raise ValidationException(unserved_message("replace", refused.counts)) from None
        imported = {kind.arn_type: 0 for kind in deps.kinds.values()}
        for resource in resources:
            imported[resource.scope.kind] += 1
        return {f"imported_{kind.snake}s": imported[kind.arn_type] for kind in deps.kinds.values()}

    return router
