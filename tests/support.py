"""Running a real server for tests: on 127.0.0.1, on a port the OS picks, stopped by whoever started it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.app import create_app
from emulator.operations import KINDS
from emulator.server import serving
from emulator.settings import Settings


def counted(verb: str, **counts: int) -> dict[str, int]:
    """What reset (verb "deleted") or import ("imported") answers: a count for every kind served, 0 unless given by
    its snapshot list's name (models=2, endpoint_configs=1, ...)."""
    lists = {f"{kind.snake}s" for kind in KINDS}
    assert set(counts) <= lists, f"no kind lists {set(counts) - lists}"
    return {f"{verb}_{kind.snake}s": counts.get(f"{kind.snake}s", 0) for kind in KINDS}


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def free_port() -> int:
    with free_socket() as sock:
        return int(sock.getsockname()[1])


@contextmanager
def running_server(settings: Settings, *, clock: Callable[[], float] | None = None) -> Iterator[str]:
    """The app from create_app(settings) under uvicorn in a thread on 127.0.0.1; yields its endpoint URL.

    `clock` replaces the server's time source (creation times), for tests that need equal or exact times.
    """
    app = create_app(settings) if clock is None else create_app(settings, clock=clock)
    with serving(app, settings.model_copy(update={"host": "127.0.0.1", "port": 0})) as url:
        yield url


@contextmanager
def server_process(
    *args: str, env: dict[str, str] | None = None, cwd: str | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m emulator serve --port <free> ...` as a child process; yields (endpoint, process)."""
    port = free_port()
    cmd = [sys.executable, "-m", "emulator", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        yield url, proc
    finally:
        stop_server(proc)


def stop_server(proc: subprocess.Popen[bytes], *, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout`; closes its output pipe."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout:
        proc.stdout.close()


def wait_ready(
    url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 20, *, path: str = "/_emulator/health"
) -> None:
    """Until GET `url+path` answers 200; raises with the process's output if it exits first, or after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            raise RuntimeError(f"server exited with {proc.returncode}: {out}")
        try:
            if http().get(f"{url}{path}", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server at {url} did not become ready")


def sagemaker_client(
    endpoint: str,
    *,
    region: str = "us-east-1",
    validate: bool = False,
    service: str = "sagemaker",
    access_key: str = "AKIDEXAMPLE",
    secret: str = "secret",
    **config: Any,
) -> Any:
    """A boto3 client of `service` (SageMaker, or sagemaker-runtime) for the emulator; client-side validation off so
    bad input reaches the server."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        config=Config(
            **{"parameter_validation": validate, "retries": {"max_attempts": 1, "mode": "standard"}, **config}
        ),
    )


_HTTP: list[httpx.Client] = []


def http() -> httpx.Client:
    """One shared client: building an httpx client (its TLS context) costs more than a request."""
    if not _HTTP:
        _HTTP.append(httpx.Client(timeout=30))
    return _HTTP[0]


def aws_post(
    endpoint: str, operation: str | None, body: bytes | str | dict[str, Any], **headers: str
) -> httpx.Response:
    """A raw awsJson1.1 request."""
    import json

    content = body if isinstance(body, bytes | str) else json.dumps(body)
    sent = {"Content-Type": "application/x-amz-json-1.1"}
    if operation is not None:
        sent["X-Amz-Target"] = f"SageMaker.{operation}"
    sent.update(headers)
    return http().post(endpoint + "/", content=content, headers=sent)


def error_of(call: Callable[..., Any], **request: Any) -> tuple[str, str]:
    """The (code, message) of the ClientError that `call(**request)` raises, its status checked to be 400."""
    with pytest.raises(ClientError) as raised:
        call(**request)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def as_described(container: dict[str, Any]) -> dict[str, Any]:
    """A container as DescribeModel shows it: AWS fills in Mode and Environment when they were not sent."""
    return {"Mode": "SingleModel", "Environment": {}, **container}


def aws_cli(endpoint: str, cwd: Path, *, service: str = "sagemaker") -> Callable[..., subprocess.CompletedProcess[str]]:
    """`aws <service> <args>` of this venv's AWS CLI against the emulator, with test credentials and no user config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="t", AWS_SECRET_ACCESS_KEY="t", AWS_DEFAULT_REGION="us-east-1")
    aws = [str(Path(sys.executable).parent / "aws"), "--endpoint-url", endpoint, service]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*aws, *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd)

    return cli


def record_calls(target: Any, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """Wraps those methods of `target` (a store) to record each call as (thread name, method name), in order."""
    calls: list[tuple[str, str]] = []
    for name in names:
        original = getattr(target, name)

        def counted(*args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            calls.append((threading.current_thread().name, _name))
            return _original(*args, **kwargs)

        setattr(target, name, counted)
    return calls


def open_descriptors() -> list[str]:
    """What this process's file descriptors name (Linux: /proc/self/fd): file paths, `socket:[<inode>]`, ..."""
    named = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            named.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue  # closed meanwhile
    return named
