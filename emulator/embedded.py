"""The emulator inside another Python process (a test session): uvicorn in a thread on a port the OS picks."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from emulator.app import EmulatorApp, create_app
from emulator.server import uvicorn_config
from emulator.settings import Settings


@contextmanager
def serving(app: EmulatorApp, settings: Settings, *, start_timeout: float = 10) -> Iterator[str]:
    """Serves `app` on settings.host and settings.port (0: a free one) until the block ends; yields the URL.

    On exit the server stops and the app's database connections are closed, so nothing outlives the block.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    server = uvicorn.Server(uvicorn_config(app, settings, log_level="warning"))
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
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.close()


@contextmanager
def running_emulator(settings: Settings, *, start_timeout: float = 10) -> Iterator[str]:
    """create_app(settings) served on settings.host and a free port until the block ends; yields the endpoint URL."""
    with serving(create_app(settings), settings, start_timeout=start_timeout) as url:
        yield url
