"""Running the Emulator (emulator/entry.py) under uvicorn: the CLI's server (one process, or --workers N processes sharing one port and one
database), and a server inside another Python process (a test session: uvicorn in a thread on a port the OS picks)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import uvicorn
from pydantic import SecretStr
from uvicorn.supervisors import Multiprocess

from emulator.entry import Emulator, build_emulator
from emulator.logs import configure_logging
from emulator.protocol import uvicorn_config as protocol_config
from emulator.protocol.asgi import ASGIApp, Receive, Scope, Send
from emulator.settings import AdminMode, Settings
from emulator.store.database import Database, plain_sqlite_file
from emulator.store.schema import SchemaGate

# Workers are fresh interpreters: the parent's resolved settings reach them as JSON in this env var.
WORKER_SETTINGS_ENV = "SAGEMAKER_EMULATOR_WORKER_SETTINGS"
log = logging.getLogger("emulator")
# How long a stop waits for the tasks it cancelled once the grace period is over (each answers or is cut at once).
CANCELLED_GRACE_SECONDS = 2.0


def cli_emulator(settings: Settings) -> Emulator:
    """What the CLI serves: the service of create_app's application, with the FastAPI admin API loaded on the first
    admin request, so that the server answers AWS requests without waiting to import FastAPI."""
    service = build_emulator(settings)

    def load_admin() -> ASGIApp:
        from emulator.app import admin_app  # FastAPI is imported here, on that request's worker thread

        return admin_app(service)

    service.load_admin = load_admin
    return service


def app_factory() -> Emulator:
    """The app of one worker process (uvicorn calls this by its import string)."""
    settings = Settings.model_validate_json(os.environ[WORKER_SETTINGS_ENV])
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    return cli_emulator(settings)


def worker_settings_json(settings: Settings) -> str:
    """The settings as JSON a worker reads back unchanged. model_dump_json masks every SecretStr as `**********`:
    workers would check signatures and sign NextTokens with the mask."""
    dumped = json.loads(settings.model_dump_json())
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            dumped[name] = value.get_secret_value()
        elif isinstance(value, dict):
            dumped[name] = {
                k: v.get_secret_value() if isinstance(v, SecretStr) else dumped[name][k] for k, v in value.items()
            }
    return json.dumps(dumped)


def uvicorn_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """The one uvicorn configuration (emulator/protocol/uvicorn_config.py) with the settings' timeouts."""
    return protocol_config.uvicorn_config(
        app,
        keep_alive_timeout=settings.keep_alive_timeout,
        header_timeout=settings.request_header_timeout,
        # Without it uvicorn waits for every request in flight, however long: a model trickling its answer held a
        # SIGTERM off for minutes.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        **options,
    )


class PortInUse(OSError):
    pass


def check_port(host: str, port: int) -> None:
    """A clear error before start-up instead of uvicorn's log line and exit when the port is taken."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is no conflict
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(f"port {port} on {host} is already in use") from None
            raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def log_database(settings: Settings) -> None:
    """Which data this server keeps, and where: a relative SQLite path depends on the working directory."""
    file = plain_sqlite_file(settings.database_url)
    if file is not None:  # without SQLAlchemy, which a server on a plain SQLite file never imports
        log.info("using database sqlite:///%s", Path(file).expanduser().resolve())
    else:
        log.info("using database %s", settings.database_location())


def admin_access_line(settings: Settings, mode: AdminMode) -> tuple[int, str]:
    """The start-up line saying who may use the admin API: a warning when it is off without being asked to be, which
    a server on a wildcard address without a token is, so that its operator learns why /_emulator answers 403."""
    if mode == "loopback":
        return logging.INFO, "admin API open to clients on this machine (admin_access loopback)"
    if mode == "token":
        return logging.INFO, "admin API open to requests with the admin token (admin_access token)"
    if settings.admin_access == "off":
        return logging.INFO, "admin API off (admin_access off): /_emulator answers health, readiness and version only"
    why = f"this server listens on {settings.host}" if not settings.listens_on_loopback() else "strict_auth is on"
    return (
        logging.WARNING,
        f"admin API off: {why} and SAGEMAKER_EMULATOR_ADMIN_TOKEN is not set, so /_emulator answers health, readiness"
        " and version only; set the token to reset, seed or inspect this server (or admin_access, see the README)",
    )


def serve(settings: Settings) -> int:
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    check_port(settings.host, settings.port)
    if settings.workers > 1:
        return serve_workers(settings)
    app = cli_emulator(settings)
    log_database(settings)
    log.log(*admin_access_line(settings, app.admin_mode))
    # lifespan: the service leaves the live processes as the server stops (emulator/admin/processes.py).
    config = uvicorn_config(
        app, settings, host=settings.host, port=settings.port, log_level=settings.log_level, lifespan="on"
    )
    server = StoppingServer(config)
    server.run()
    return 0 if server.started else 2


def serve_workers(settings: Settings) -> int:
    # Migrate once here, so the workers start against a ready schema (they would wait on the lock otherwise).
    database = Database(settings.database_url)
    SchemaGate(database).try_now()
    database.dispose()
    log_database(settings)
    log.log(*admin_access_line(settings, settings.admin_mode(strict_auth=settings.credentials().strict)))
    os.environ[WORKER_SETTINGS_ENV] = worker_settings_json(settings)
    config = uvicorn_config(
        "emulator.server:app_factory",
        settings,
        factory=True,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        lifespan="on",
    )
    # What uvicorn.run does for workers, with our Config (it carries the header timeout to every worker).
    Multiprocess(config, sockets=[config.bind_socket()]).run()
    return 0


class ClosableApp(Protocol):
    """An ASGI app that releases its threads and connections on close(): create_app's, or cli_emulator's."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...

    def close(self) -> None: ...


async def cancelled_tasks_end(server: uvicorn.Server) -> None:
    """Waits, a bounded time, for the request tasks a stop cancelled: each answers or is cut at once."""
    deadline = time.monotonic() + CANCELLED_GRACE_SECONDS
    while server.server_state.tasks and time.monotonic() < deadline:
        await asyncio.sleep(0.005)


class StoppingServer(uvicorn.Server):
    """The CLI's server: once the grace period is over, uvicorn cancels the requests in flight and returns at once,
    and the SIGTERM it raises again then ends the process before they could answer; this one waits for them."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets=sockets)
        await cancelled_tasks_end(self)


class InProcessServer(uvicorn.Server):
    """A uvicorn server that stops at once when another thread asks. uvicorn looks at should_exit every 0.1 s, then
    sleeps 0.1 s for connections to close: 0.2 s per stop, paid by every test's server and every pytest session."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):  # the tick also keeps the Date header current
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    def stop(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                loop.call_soon_threadsafe(wake.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        # Idle keep-alive connections close at once; a request still running gets the grace period, then is ended
        # as uvicorn ends it (emulator/runtime/rest_json.py answers one waiting on a model server).
        deadline = time.monotonic() + grace_seconds(self.config)
        while (self.server_state.connections or self.server_state.tasks) and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        for task in list(self.server_state.tasks):
            task.cancel(msg="the server stops: its grace period is over")
        await cancelled_tasks_end(self)


def grace_seconds(config: uvicorn.Config) -> float:
    grace = config.timeout_graceful_shutdown
    return float(grace) if grace is not None else Settings.model_fields["shutdown_grace_seconds"].default


@contextmanager
def serving(app: ClosableApp, settings: Settings, *, start_timeout: float = 10) -> Iterator[str]:
    """Serves `app` on settings.host and settings.port (0: a free one) until the block ends; yields the URL.

    On exit the server stops and the app's database connections are closed, so nothing outlives the block.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    server = InProcessServer(uvicorn_config(app, settings, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="sagemaker-emulator", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + start_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the SageMaker emulator did not start")
            time.sleep(0.005)
        host, port = sock.getsockname()[:2]
        yield f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    finally:
        server.stop()
        thread.join(timeout=settings.shutdown_grace_seconds + CANCELLED_GRACE_SECONDS + 5)
        sock.close()
        app.close()


@contextmanager
def running_emulator(settings: Settings, *, start_timeout: float = 10) -> Iterator[str]:
    """The CLI's app for `settings` served on settings.host and a free port until the block ends; yields the endpoint URL."""
    with serving(cli_emulator(settings), settings, start_timeout=start_timeout) as url:
        yield url
