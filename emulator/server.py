"""Running the app under uvicorn."""

from __future__ import annotations

import logging
from typing import Any

import uvicorn

from emulator.app import create_app
from emulator.protocol.deadline import deadline_protocol
from emulator.settings import Settings


def uvicorn_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """The one uvicorn configuration, for the CLI and for tests: h11 with a header deadline, our keep-alive."""
    return uvicorn.Config(
        app,
        http=deadline_protocol(settings.request_header_timeout),
        timeout_keep_alive=settings.keep_alive_timeout,
        access_log=False,
        lifespan="off",
        **options,
    )


def serve(settings: Settings) -> int:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(settings)
    config = uvicorn_config(app, settings, host=settings.host, port=settings.port, log_level=settings.log_level)
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 2
