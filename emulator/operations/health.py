"""The ping health check SageMaker runs when it deploys: every container of every variant must answer `GET /ping`
with 200, or the endpoint ends Failed. Only containers with a model server configured are pinged; the echo is
always healthy."""

from __future__ import annotations

from typing import Any

from emulator.operations.context import Deps
from emulator.resources.endpoint import failure_reason


async def ping_failure(variants: list[dict[str, Any]], *, deps: Deps) -> str | None:
    """AWS's FailureReason for the first variant whose model server does not answer /ping, or None."""
    for variant in variants:
        for image in dict.fromkeys(d["SpecifiedImage"] for d in variant.get("DeployedImages", [])):
            url = deps.model_servers.url_for(image)
            if url is not None and not await deps.model_servers.ping(url):
                return failure_reason(variant["VariantName"])
    return None
