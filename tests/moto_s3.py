"""A real S3-protocol server for tests: moto's server mode (`python -m moto.server`) on 127.0.0.1 and a free port,
and boto3 clients of it. Never a mock of the emulator's S3 calls."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from tests.support import free_port, http, stop_server, wait_ready

# moto takes any key; the emulator finds these through the standard credential chain (env vars).
TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@contextmanager
def moto_s3_server() -> Iterator[str]:
    """Starts moto's server; yields its URL; stops it."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, timeout=30, path="/moto-api/")
        # moto logs a line per request: a pipe nobody reads fills after some hundreds, and moto stops answering.
        threading.Thread(target=_drain, args=(proc,), name="moto-output", daemon=True).start()
        yield url
    finally:
        stop_server(proc)


def _drain(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdout is not None
    with contextlib.suppress(ValueError, OSError):  # closed when the server is stopped
        while proc.stdout.read(65536):
            pass


def reset(url: str) -> None:
    """Empties moto: every bucket gone."""
    http().post(f"{url}/moto-api/reset", timeout=10).raise_for_status()


def emptied(url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """moto at `url` emptied but for bucket `models` (us-east-1), with TEST_CREDENTIALS in the env (where the
    emulator's S3 reads find them); a client of it."""
    reset(url)
    for key, value in TEST_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    client = s3_client(url)
    make_bucket(client, "models")
    return client


def s3_client(url: str, *, region: str = "us-east-1") -> Any:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def make_bucket(s3: Any, bucket: str, *, region: str = "us-east-1") -> None:
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
