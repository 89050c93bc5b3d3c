"""The endpoint lifecycle through the JavaScript SDK v3 and its waiters: each returns at once with the defaults."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.node_sdk import locked_node_modules

JS_DIR = Path(__file__).parent / "js"
ARN = "arn:aws:sagemaker:us-east-1:123456789012"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference"


@pytest.fixture(scope="module")
def js_sdk() -> Path:
    return locked_node_modules(JS_DIR)


def test_javascript_sdk_v3_waiters(endpoint: str, js_sdk: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(ENDPOINT=endpoint, AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    done = subprocess.run(["node", "endpoint.mjs"], cwd=js_sdk, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["create"] == f"{ARN}:endpoint/js-endpoint"
    assert out["status"] == "InService"
    assert out["variant"]["DeployedImages"][0]["SpecifiedImage"] == f"{IMAGE}:1.0"
    assert out["variant"]["DeployedImages"][0]["ResolvedImage"].startswith(f"{IMAGE}@sha256:")
    assert out["variant"]["DeployedImages"][0]["ResolutionTime"] == "object"  # a Date
    assert (out["variant"]["CurrentWeight"], out["variant"]["DesiredInstanceCount"]) == (1, 1)
    assert out["second_update"] == {
        "code": "ValidationException",
        "message": f'Cannot update in-progress endpoint "{ARN}:endpoint/js-endpoint".',
    }
    for wait in ("in_service", "updated", "deleted"):
        assert out[wait]["state"] == "SUCCESS"
        assert out[wait]["seconds"] < 1, out
