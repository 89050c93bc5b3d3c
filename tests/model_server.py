"""The example model server (examples/model_server/server.py) as a real process for a test: on 127.0.0.1, on a port
the OS picks (or a given one, to bring a killed server back where it was), stopped by the test."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support import open_descriptors, stop_server

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
def model_server(*, port: int = 0, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    url, proc = start_model_server(port=port, env=env)
    try:
        yield url, proc
    finally:
        stop_server(proc)


# Tests that count a process's connections to a model server read them from Linux's /proc.
linux_sockets = pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="reads sockets from /proc")


def connections_to(port: int) -> int:
    """How many TCP connections this process holds open to 127.0.0.1:port (Linux: its fds' socket inodes, looked up
    in /proc/net/tcp, state 01 ESTABLISHED)."""
    inodes = {named[len("socket:[") : -1] for named in open_descriptors() if named.startswith("socket:[")}
    with open("/proc/self/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(1 for row in rows if row[2].endswith(f":{port:04X}") and row[3] == "01" and row[9] in inodes)
