"""A 200 is on disk: SIGKILL a server in the middle of a stream of creates; after a restart every acknowledged
model is there, whole, and no model is half-stored."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from tests.support import as_described, aws_post, sagemaker_client, server_process

TAGS = [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": "3"}]


def definition(name: str) -> dict[str, Any]:
    return {
        "PrimaryContainer": {"Image": f"image-{name}", "Environment": {"NAME": name}},
        "EnableNetworkIsolation": True,
    }


def test_models_acknowledged_before_sigkill_survive_whole(database_url: str) -> None:
    acknowledged: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()

    def stream(endpoint: str, writer: int) -> None:
        for i in range(100_000):
            name = f"w{writer}-m{i}"
            try:
                response = aws_post(endpoint, "CreateModel", {"ModelName": name, "Tags": TAGS, **definition(name)})
            except httpx.HTTPError:
                return  # the server is gone
            if response.status_code != 200:
                failures.append(f"{name}: {response.status_code} {response.text}")
                return
            with lock:
                acknowledged.append(name)

    with server_process("--database-url", database_url, "--log-level", "warning") as (endpoint, proc):
        writers = [threading.Thread(target=stream, args=(endpoint, w)) for w in range(4)]
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 120
        while len(acknowledged) < 80 and any(w.is_alive() for w in writers) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert not failures, failures
        assert len(acknowledged) >= 80, "the writers stopped before 80 creates"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for writer in writers:
            writer.join(timeout=30)
    assert len(acknowledged) >= 80

    engine = create_engine(database_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT name FROM resources")).scalars().all()
        tag_counts = conn.execute(
            text(
                "SELECT r.name, COUNT(t.key) FROM resources r LEFT JOIN tags t ON t.resource_id = r.id GROUP BY r.name"
            )
        ).all()
        counted = conn.execute(text("SELECT count FROM resource_counts")).scalar_one()
    engine.dispose()
    assert set(acknowledged) <= set(stored)
    # At most the creates in flight at the kill may have committed without their answer reaching the client.
    assert len(stored) - len(acknowledged) <= 4
    assert {count for _, count in tag_counts} == {3}
    assert counted == len(stored)

    with server_process("--database-url", database_url, "--log-level", "warning") as (endpoint, _):
        sm = sagemaker_client(endpoint)
        for name in acknowledged:
            described = sm.describe_model(ModelName=name)
            assert described["PrimaryContainer"] == as_described(definition(name)["PrimaryContainer"])
            assert described["EnableNetworkIsolation"] is True
