"""/_emulator/containers: the containers run for endpoints, across every process on the database, and which process
this one is: where each answers, who runs it, why one failed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from emulator.containers.specs import ContainerSpec
from emulator.store.shared_config import SharedConfig


def containers_router(shared: SharedConfig, *, process_id: str) -> APIRouter:
    router = APIRouter(tags=["containers"])

    @router.get("/containers")
    async def get_containers() -> dict[str, Any]:
        """Every container row, ordered by endpoint, variant and position; `process` is this process's id (a row's
        `owner` is the process running it)."""
        listed = []
        for row in await shared.container_rows():
            spec = ContainerSpec.loads(row.spec)
            listed.append(
                {
                    "account_id": row.account_id,
                    "region": row.region,
                    "endpoint_name": row.endpoint_name,
                    "variant_name": spec.variant,
                    "position": spec.position,
                    "image": spec.image,
                    "status": row.status,
                    "owner": row.owner,
                    "url": row.url,
                    "served": row.served,
                    "failure_reason": row.reason,
                }
            )
        listed.sort(key=lambda c: (c["account_id"], c["region"], c["endpoint_name"], c["variant_name"], c["position"]))
        return {"process": process_id, "containers": listed}

    return router
