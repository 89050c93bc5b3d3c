"""The SageMaker Python SDK (`sagemaker` on PyPI) deploying a model: Model(...).deploy() returns once the endpoint is
InService, predictor.predict() invokes it, predictor.delete_endpoint() removes the endpoint and its config. The SDK's dependencies are heavy, so it
gets a virtual environment of its own, made here; that needs the package registry and minutes, so only the full
profile runs it (SAGEMAKER_EMULATOR_TEST_PROFILE=full). Skipped only when the SDK cannot be installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.model_server import model_server
from tests.profiles import FULL, PROFILE_ENV
from tests.support import running_server

# The SDK's v2 API (Model, Predictor); v3 restructured the package.
SAGEMAKER_SDK = "sagemaker==2.232.0"
SCRIPT = Path(__file__).parent / "sagemaker_sdk" / "deploy.py"
REGISTRY_SCRIPT = Path(__file__).parent / "sagemaker_sdk" / "registry.py"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/registry:1.0"
ARN = "arn:aws:sagemaker:us-east-1:123456789012"

pytestmark = pytest.mark.skipif(not FULL, reason=f"installs from the package registry: {PROFILE_ENV}=full runs it")


@pytest.fixture(scope="module")
def sdk_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("sagemaker-sdk") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", SAGEMAKER_SDK],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if installed.returncode != 0:
        pytest.skip(f"{SAGEMAKER_SDK} could not be installed: {installed.stderr.strip().splitlines()[-1:]}")
    return python


def run_script(sdk_python: Path, script: Path, *args: str, cwd: Path) -> dict[str, Any]:
    """`script args...` in the SDK's venv, with no AWS or emulator settings of ours; what it printed last, as JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAGEMAKER_EMULATOR_", "VIRTUAL_ENV"))}
    env.update(AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    done = subprocess.run(
        [str(sdk_python), str(script), *args], capture_output=True, text=True, timeout=300, env=env, cwd=cwd
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1].lstrip("!"))  # type: ignore[no-any-return]


def test_model_deploy_then_delete_endpoint(endpoint: str, sdk_python: Path, tmp_path: Path) -> None:
    out = run_script(sdk_python, SCRIPT, endpoint, cwd=tmp_path)
    assert (out["predictor_endpoint"], out["status"], out["config"]) == ("sdk-endpoint", "InService", "sdk-endpoint")
    # One poll: the endpoint was InService at the SDK's first DescribeEndpoint (its 30 s sleep was recorded, not slept).
    assert out["sleeps"] == [30]
    assert out["variant"] == {
        "VariantName": "AllTraffic",
        "ModelName": "sdk-deployed-model",
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
        "InitialVariantWeight": 1,
    }
    assert out["predicted"] == '{"instances": [1]}'  # the runtime's echo, through Predictor.predict()
    assert out["listed_after_delete"] == [["sdk-endpoint", "Deleting"]]
    assert out["described_after_delete"] == f'Could not find endpoint "{ARN}:endpoint/sdk-endpoint".'
    assert (out["endpoints_after_delete"], out["configs_after_delete"]) == ([], [])


def test_register_approve_deploy_predict_then_delete_endpoint(
    make_settings: Any, sdk_python: Path, tmp_path: Path
) -> None:
    """Model.register() into a group, update_approval_status(), ModelPackage(role, arn).deploy(), predict() answered
    by the model server configured for the package's image, delete_endpoint()."""
    with model_server() as (model, _), running_server(make_settings(model_servers={IMAGE: model})) as endpoint:
        out = run_script(sdk_python, REGISTRY_SCRIPT, endpoint, IMAGE, cwd=tmp_path)
    package = f"{ARN}:model-package/sdk-registry"
    assert (out["arn"], out["second"]) == (f"{package}/1", f"{package}/2")
    assert (out["before"], out["after"]) == ("PendingManualApproval", ["Approved", "checked"])
    assert out["containers"] == [
        {"Image": IMAGE, "ModelDataUrl": "s3://emulator-bucket/model.tar.gz", "Environment": {}}
    ]
    assert (out["status"], out["deployed"]) == ("InService", [IMAGE])
    assert out["model"] == [{"Mode": "SingleModel", "Environment": {}, "ModelPackageName": f"{package}/1"}]
    assert json.loads(out["predicted"]) == {"predictions": [3, 6]}  # the model server's answer, not the echo
    assert out["endpoints_after_delete"] == [["sdk-registry", "Deleting"]]
