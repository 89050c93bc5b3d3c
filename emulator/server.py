"""Running the app under uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from emulator.app import create_app
from emulator.settings import Settings


def serve(settings: Settings) -> int:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 2
