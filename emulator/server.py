"""Running the app under uvicorn."""

from __future__ import annotations

import errno
import socket

import uvicorn

from emulator.app import create_app
from emulator.logs import configure_logging
from emulator.settings import Settings


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


def serve(settings: Settings) -> int:
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    check_port(settings.host, settings.port)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        # Our handler on the root logger formats uvicorn's lines too (JSON when asked).
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 2
