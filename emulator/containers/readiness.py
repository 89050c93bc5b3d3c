"""Whether a deployment's containers are ready, as the change that deploys them ends (emulator/operations/
endpoints.py): every one Healthy (the change ends InService), one Failed (it ends Failed with that container's
FailureReason), or some still starting (it goes on: the endpoint stays Creating or Updating). A DescribeEndpoint
waits a little for them (the container_describe_wait setting), so an SDK's waiter, which sleeps 30 s between
describes, sees InService at its first describe when the containers start within that time."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from emulator.containers.directory import ContainerDirectory
from emulator.containers.specs import ContainerSpec
from emulator.store.shared_config import SharedConfig

# How often a waiting describe reads the rows again.
POLL = 0.02


def row_params(
    specs: list[dict[str, Any]], *, account_id: str, region: str, endpoint: str, now_ms: int
) -> list[dict[str, Any]]:
    return [
        {
            "key": spec["key"],
            "account_id": account_id,
            "region": region,
            "endpoint_name": endpoint,
            "spec": ContainerSpec(**spec).dumps(),
            "now": now_ms,
        }
        for spec in specs
    ]


async def restore(
    specs: list[dict[str, Any]],
    *,
    shared: SharedConfig,
    directory: ContainerDirectory,
    account_id: str,
    region: str,
    endpoint: str,
) -> None:
    """Writes the rows of an endpoint's containers that have none (the process that deployed them died before it
    wrote them, or the endpoint came from a snapshot), so a supervisor starts them."""
    if specs:
        now_ms = int(time.time() * 1000)
        await shared.add_containers(
            row_params(specs, account_id=account_id, region=region, endpoint=endpoint, now_ms=now_ms)
        )
        directory.wake()


async def readiness(
    specs: list[dict[str, Any]],
    *,
    shared: SharedConfig,
    directory: ContainerDirectory,
    account_id: str,
    region: str,
    endpoint: str,
    wait: float,
) -> tuple[bool, str | None]:
    """(ended, FailureReason): ended once every container is Healthy (None) or one Failed (its reason); waits up to
    `wait` seconds for that. Rows missing (the process that deployed died before writing them) are written now."""
    deadline = time.monotonic() + wait
    while True:
        rows = [await shared.container_row(spec["key"]) for spec in specs]
        missing = [spec for spec, row in zip(specs, rows, strict=True) if row is None]
        await restore(
            missing, shared=shared, directory=directory, account_id=account_id, region=region, endpoint=endpoint
        )
        for row in rows:
            if row is not None and row.status == "Failed":
                return True, row.reason
        if all(row is not None and row.status == "Healthy" for row in rows):
            return True, None
        if time.monotonic() >= deadline:
            return False, None
        await asyncio.sleep(POLL)
