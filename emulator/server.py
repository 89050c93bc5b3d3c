"""Running the app under uvicorn: one process, or --workers N processes sharing one port and one database."""

from __future__ import annotations

import logging
import os
from typing import Any

import uvicorn

from emulator.app import create_app
from emulator.protocol.deadline import deadline_protocol
from emulator.protocol.wire import AwsJsonApp
from emulator.settings import Settings
from emulator.store.engine import make_engine
from emulator.store.retry import SchemaGate

# Workers are fresh interpreters: the parent's resolved settings reach them as JSON in this env var.
WORKER_SETTINGS_ENV = "SAGEMAKER_EMULATOR_WORKER_SETTINGS"


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Migration progress is not news at INFO: the schema is either current or upgraded silently.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))


def app_factory() -> AwsJsonApp:
    """The app of one worker process (uvicorn calls this by its import string)."""
    settings = Settings.model_validate_json(os.environ[WORKER_SETTINGS_ENV])
    configure_logging(settings)
    return create_app(settings)


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
    configure_logging(settings)
    if settings.workers > 1:
        return serve_workers(settings)
    app = create_app(settings)
    config = uvicorn_config(app, settings, host=settings.host, port=settings.port, log_level=settings.log_level)
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 2


def serve_workers(settings: Settings) -> int:
    # Migrate once here, so the workers start against a ready schema (they would wait on the lock otherwise).
    engine = make_engine(settings.database_url)
    SchemaGate(engine).try_now()
    engine.dispose()
    os.environ[WORKER_SETTINGS_ENV] = settings.model_dump_json()
    uvicorn.run(
        "emulator.server:app_factory",
        factory=True,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        lifespan="off",
    )
    return 0
