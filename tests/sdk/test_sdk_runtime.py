"""SageMaker Runtime through the JavaScript SDK v3 (@aws-sdk/client-sagemaker-runtime), found through
AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME, against the toy model server: InvokeEndpoint, the streaming command read event
by event (the first part before the model produced the last), and AWS's errors."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.model_server import model_server
from tests.node_sdk import locked_node_modules
from tests.support import running_server

JS_DIR = Path(__file__).parent / "js"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/toy:1"


@pytest.fixture(scope="module")
def js_sdk() -> Path:
    return locked_node_modules(JS_DIR)


@pytest.fixture
def server(make_settings: Any) -> Iterator[str]:
    with model_server() as (model, _), running_server(make_settings(model_servers={IMAGE: model})) as url:
        yield url


def test_javascript_sdk_v3_runtime(server: str, js_sdk: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        ENDPOINT=server,
        IMAGE=IMAGE,
        AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=server,
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
    )
    done = subprocess.run(["node", "invoke.mjs"], cwd=js_sdk, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["invoke"] == {
        "body": '{"predictions": [3, 5]}',
        "contentType": "application/json",
        "variant": "AllTraffic",
        "customAttributes": "model=toy;js=1",
    }
    parts = out["stream"]["parts"]
    assert out["stream"]["contentType"] == "application/jsonlines"
    assert [p["part"]["part"] for p in parts] == [0, 1, 2]
    assert parts[0]["received"] < parts[-1]["part"]["time"]
    assert out["missing"] == {
        "name": "ValidationError",
        "message": "Endpoint nope of account 123456789012 not found.",
        "status": 400,
    }
    assert out["modelError"]["name"] == "ModelError"
    assert (out["modelError"]["status"], out["modelError"]["original"]) == (424, 418)
    assert out["modelError"]["message"].startswith('Received client error (418) from primary with message "teapot".')
