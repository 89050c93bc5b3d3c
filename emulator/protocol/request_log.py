"""The one line logged per AWS request. Called only when INFO is enabled for the request logger."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from emulator.logs import escape_field

# handle() leaves the request's context in the ASGI scope under this key once it knows the account and region.
CONTEXT_KEY = "emulator.context"
TARGET_PREFIX = "SageMaker."

log = logging.getLogger("emulator.request")


def log_request(
    scope: MutableMapping[str, Any],
    *,
    request_id: str,
    status: int,
    error: str | None,
    seconds: float,
    operation: str | None = None,
) -> None:
    """operation: the runtime's, known from the path; else the X-Amz-Target header names it."""
    target = TARGET_PREFIX + operation if operation is not None else ""
    for name, value in scope["headers"] if operation is None else ():
        if name == b"x-amz-target":
            target = value.decode("latin-1")[:100]
            break
    ctx = scope.get(CONTEXT_KEY)
    # Every text field escaped (emulator/logs.py), the target cut short: a line stays one line of key=value pairs
    # whatever a client sends. Only the target is the client's own text today, but that may not stay so.
    fields = {
        "request_id": escape_field(request_id),
        "operation": escape_field(target.removeprefix(TARGET_PREFIX)) or "-",
        "status": status,
        "error": escape_field(error) if error else "-",
        "latency_ms": round(seconds * 1000, 3),
        "account_id": escape_field(ctx.account_id) if ctx else "-",
        "region": escape_field(ctx.region) if ctx else "-",
    }
    log.info(
        "request_id=%s operation=%s status=%s error=%s latency_ms=%.3f account_id=%s region=%s",
        *fields.values(),
        extra={"request": fields},
    )
