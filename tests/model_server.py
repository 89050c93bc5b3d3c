"""The example model server (examples/model_server/server.py) as a real process for a test: on 127.0.0.1, on a port
the OS picks (or a given one, to bring a killed server back where it was), stopped by the test."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import stop_server

SERVER = Path(__file__).resolve().parent.parent / "examples" / "model_server" / "server.py"


def start_model_server(*, port: int = 0, env: dict[str, str] | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    """(URL, process) once it listens; it prints its URL when ready."""
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if not line.startswith("listening on "):
        stop_server(proc)
        raise RuntimeError(f"the model server did not start: {line}")
    return line.removeprefix("listening on ").strip(), proc


@contextmanager
def model_server(*, port: int = 0) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    url, proc = start_model_server(port=port)
    try:
        yield url, proc
    finally:
        stop_server(proc)
