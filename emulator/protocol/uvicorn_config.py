"""The one uvicorn configuration, for the CLI, workers, tests and the bench's floor.

It imports uvicorn and the HTTP protocol only, so the floor (bench/floor.py) starts as fast as a bare uvicorn app
can, and its start-up is the machine's baseline for ours.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import uvicorn

from emulator.timeouts import DEFAULT_HEADER_TIMEOUT, DEFAULT_KEEP_ALIVE_TIMEOUT


def fastest_protocol() -> type[asyncio.Protocol]:
    """httptools (C, several times faster than h11) when installed, else h11; both with the header deadline."""
    try:
        from emulator.protocol.deadline_httptools import DeadlineHttpToolsProtocol
    except ImportError:
        from emulator.protocol.deadline_h11 import DeadlineH11Protocol

        return DeadlineH11Protocol
    return DeadlineHttpToolsProtocol


def uvicorn_config(
    app: Any,
    *,
    keep_alive_timeout: int = DEFAULT_KEEP_ALIVE_TIMEOUT,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    lifespan: Literal["on", "off"] = "off",
    **options: Any,
) -> uvicorn.Config:
    """httptools (h11 where it is missing) with a header deadline, uvloop where installed, our keep-alive.
    lifespan "on": the app is told when the server stops (the CLI's servers, emulator/entry.py)."""
    config = uvicorn.Config(
        app,
        http=fastest_protocol(),
        loop="auto",
        timeout_keep_alive=keep_alive_timeout,
        # Our handler on the root logger formats uvicorn's lines too (JSON when asked).
        log_config=None,
        access_log=False,
        lifespan=lifespan,
        # No X-Forwarded-* rewriting (nothing reads the client address) and no `server: uvicorn` header (AWS
        # sends none): both are work per request.
        proxy_headers=False,
        server_header=False,
        **options,
    )
    config.header_timeout = header_timeout  # type: ignore[attr-defined]  # read by the protocol
    return config
