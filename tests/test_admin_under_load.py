"""Issue 17: reset and import while CreateModel runs flat out. They used to freeze the server for 30 s and end in a
plain-text 500; now they wait their turn on the store's write path, health answers all along, and both answer JSON."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from emulator.operations import KINDS
from tests.support import aws_post, running_server

IMAGE = {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"}
SEEDED = 2000


def snapshot(count: int) -> dict[str, Any]:
    models = [{"model_name": f"seed-{i}", "definition": {"PrimaryContainer": IMAGE}} for i in range(count)]
    return {"format": "sagemaker-emulator-snapshot", "version": 1, "models": models}


def test_health_answers_and_reset_and_import_answer_json_under_create_load(make_settings: Any) -> None:
    with running_server(make_settings()) as endpoint:
        stop = threading.Event()
        statuses: list[int] = []

        def load(worker: int) -> None:
            with httpx.Client(timeout=60) as client:
                i = 0
                while not stop.is_set():
                    body = {"ModelName": f"load-{worker}-{i}", "PrimaryContainer": IMAGE}
                    response = client.post(
                        endpoint + "/",
                        json=body,
                        headers={"X-Amz-Target": "SageMaker.CreateModel", "Content-Type": "application/x-amz-json-1.1"},
                    )
                    statuses.append(response.status_code)
                    i += 1

        health_latencies: list[float] = []

        def probe() -> None:
            with httpx.Client(timeout=60) as client:
                while not stop.is_set():
                    started = time.monotonic()
                    assert client.get(endpoint + "/_emulator/health").status_code == 200
                    health_latencies.append(time.monotonic() - started)
                    time.sleep(0.02)

        threads = [threading.Thread(target=load, args=(n,)) for n in range(6)] + [threading.Thread(target=probe)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.3)
            with httpx.Client(timeout=60) as admin:
                for _ in range(3):
                    imported = admin.put(endpoint + "/_emulator/state", json=snapshot(SEEDED))
                    assert imported.headers["content-type"] == "application/json"
                    assert (imported.status_code, imported.json()) == (
                        200,
                        {f"imported_{kind.snake}s": 0 for kind in KINDS} | {"imported_models": SEEDED},
                    )
                    reset = admin.post(endpoint + "/_emulator/reset")
                    assert reset.headers["content-type"] == "application/json"
                    assert reset.status_code == 200
                    assert reset.json()["deleted_models"] >= SEEDED
            # A fast machine ends the admin work within a few probes and creates: keep the load on until health was
            # asked often and the creates were many (a reset that waited on a deadlock kept them going on its own).
            deadline = time.monotonic() + 10
            while (len(health_latencies) <= 10 or len(statuses) <= 50) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        assert set(statuses) == {200}
        assert len(statuses) > 50
        assert len(health_latencies) > 10
        assert max(health_latencies) < 2.0, max(health_latencies)  # no 30 s freeze
        assert aws_post(endpoint, "ListModels", {}).status_code == 200
