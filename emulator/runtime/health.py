"""The ping health check SageMaker runs when it deploys: every container of every variant must answer `GET /ping`
with 200, or the endpoint ends Failed. Only containers with a model server configured are pinged; the echo is
always healthy.

AWS answers CreateEndpoint and UpdateEndpoint at once and checks health while the endpoint is Creating or Updating:
here the check runs when the change ends (the look at the endpoint that moves it on, emulator/operations/
endpoints.py), every model server at once, each within the contract's 2 s for its whole answer."""

from __future__ import annotations

import asyncio
from typing import Any

from emulator.operations.context import Deps
from emulator.resources.endpoint import failure_reason


async def ping_failure(variants: list[dict[str, Any]], *, deps: Deps) -> str | None:
    """AWS's FailureReason for the first variant whose model server does not answer /ping, or None."""
    urls: dict[str, list[str]] = {}  # model server -> the variants that deploy it, in order
    for variant in variants:
        for image in dict.fromkeys(d["SpecifiedImage"] for d in variant.get("DeployedImages", [])):
            url = deps.model_servers.url_for(image)
            if url is not None:
                urls.setdefault(url, []).append(variant["VariantName"])
    if not urls:
        return None
    answers = await asyncio.gather(*(deps.model_servers.ping(url) for url in urls))
    failing = {name for healthy, names in zip(answers, urls.values(), strict=True) if not healthy for name in names}
    for variant in variants:
        if variant["VariantName"] in failing:
            return failure_reason(variant["VariantName"])
    return None
