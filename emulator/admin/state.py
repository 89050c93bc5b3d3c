"""Reset, export and import of the stored state: test isolation and seeding a stack from a file."""

from __future__ import annotations

import time

import orjson
from fastapi import APIRouter, Depends, Request, Response

from emulator.admin.snapshot_format import from_document, to_document
from emulator.errors import AccessDeniedException, ValidationException
from emulator.operations.context import Deps
from emulator.settings import Settings
from emulator.store import snapshot

WRITES_DISABLED = (
    "Reset and import are disabled on this listener (it is not a loopback address);"
    " set SAGEMAKER_EMULATOR_ADMIN_WRITES=true to allow them."
)


def state_router(deps: Deps, settings: Settings) -> APIRouter:
    writes_allowed = settings.admin_writes_allowed()

    def require_writes() -> None:
        if not writes_allowed:
            raise AccessDeniedException(WRITES_DISABLED)

    router = APIRouter()

    @router.post("/reset", dependencies=[Depends(require_writes)])
    def reset(account_id: str | None = None, region: str | None = None) -> dict[str, int]:
        """Deletes the models of one account and/or region, or of every scope when neither is given."""
        return {"deleted_models": snapshot.reset(deps.store.engine, account_id=account_id, region=region)}

    @router.get("/state")
    def export_state() -> Response:
        document = to_document(snapshot.export_models(deps.store.engine))
        return Response(orjson.dumps(document), media_type="application/json")

    @router.put("/state", dependencies=[Depends(require_writes)])
    async def import_state(request: Request) -> dict[str, int]:
        """Replaces the whole state with a snapshot; nothing changes if any model in it is invalid."""
        try:
            document = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise ValidationException("The snapshot is not valid JSON.") from None
        models = from_document(
            document,
            deps=deps,
            default_account=settings.account_id,
            default_region=settings.region,
            now=time.time(),
        )
        snapshot.replace_all(deps.store.engine, models)
        return {"imported_models": len(models)}

    return router
